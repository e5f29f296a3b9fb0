/**
 * bin/netdiag.js runs the bundle only when it was built from the current compile: after a
 * plain `tsc` the bundle is older than dist/src and the compiled modules run instead.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'netdiag-bin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tree with bin/netdiag.js and two stand-in builds that say which one ran. */
function tree(name: string, bundle: 'none' | 'older' | 'newer'): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist/src'), { recursive: true });
  copyFileSync(new URL('../../bin/netdiag.js', import.meta.url), join(dir, 'bin/netdiag.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const compiled = join(dir, 'dist/src/cli.js');
  writeFileSync(compiled, 'export async function main(argv) { console.log("compiled " + argv.join(" ")); }\n');
  utimesSync(compiled, 1_700_000_100, 1_700_000_100);
  if (bundle !== 'none') {
    mkdirSync(join(dir, 'dist/bundle'), { recursive: true });
    const bundled = join(dir, 'dist/bundle/cli.js');
    writeFileSync(bundled, 'export async function main(argv) { console.log("bundle " + argv.join(" ")); }\n');
    const t = bundle === 'newer' ? 1_700_000_200 : 1_700_000_000;
    utimesSync(bundled, t, t);
  }
  return join(dir, 'bin/netdiag.js');
}

const run = (bin: string): string => execFileSync(process.execPath, [bin, 'read', 'x.pcap'], { encoding: 'utf8' }).trim();

describe('bin/netdiag.js', () => {
  it('runs the compiled modules when there is no bundle', () => {
    expect(run(tree('none', 'none'))).toBe('compiled read x.pcap');
  });

  it('runs the bundle built after the compile', () => {
    expect(run(tree('newer', 'newer'))).toBe('bundle read x.pcap');
  });

  it('runs the compiled modules when the bundle is older than them', () => {
    expect(run(tree('older', 'older'))).toBe('compiled read x.pcap');
  });
});
