import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname;

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Build dist/ (tsc, then the bundle bin/netdiag.js prefers) only when the sources are newer
 * than it. Tests that run bin/netdiag.js call this: rebuilding unconditionally would rewrite
 * dist/ under the feet of other test files running the CLI at the same moment (CI builds
 * before testing, so there it does nothing).
 */
export function ensureBuilt(): void {
  const cli = join(ROOT, 'dist/src/cli.js');
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'dissectors')));
  if (existsSync(cli) && statSync(cli).mtimeMs >= sources) return;
  // Emits even when another part of the tree has type errors; those are the typecheck's to report.
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT, stdio: 'ignore' });
}
