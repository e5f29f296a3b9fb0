#!/usr/bin/env node
import { statSync } from 'node:fs';

// The bundle (scripts/bundle.mjs) starts faster; it is used only when built from the
// current compile, so a `tsc` run without re-bundling never runs stale code.
function fresh(bundle, compiled) {
  try {
    return statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs;
  } catch {
    return false;
  }
}

const bundle = new URL('../dist/bundle/cli.js', import.meta.url);
const { main } = fresh(bundle, new URL('../dist/src/cli.js', import.meta.url)) ? await import(bundle.href) : await import('../dist/src/cli.js');
await main(process.argv.slice(2));
