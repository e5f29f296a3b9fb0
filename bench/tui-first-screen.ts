/**
 * Terminal UI: time to the first screen of packet rows, and the cost of a screenful of
 * rows at the top, the middle and the end of the capture.
 *
 *   node --import tsx bench/tui-first-screen.ts [OPTIONS] FILE
 *   node --import tsx bench/tui-first-screen.ts [OPTIONS] --generate N   (a generated N-packet capture)
 *
 *   (default)       the build's bundle, dist/bundle/tui.js with ink and react inside: what
 *                   `netdiag read` runs (build first with npm run build)
 *   --unbundled     the compiled modules in dist/src, ink and react from node_modules: what
 *                   runs when the bundle is missing or older than the compile
 *   --src           the sources through tsx
 *   --first-only    stop at the first screen
 *   --runs N        measure N times (each in a new process): the median run, and the least
 *                   time and CPU time of all (on a shared machine, the least is the cost)
 *   --baseline DIST the same measurement of another build too (a copy of dist/ from before
 *                   a change), alternating with this one run by run so that both see the
 *                   same load; its figures under `baseline`
 *
 * The UI (runTui, as `netdiag read FILE` on a terminal starts it, diagnosis included)
 * renders into an 80×24 in-memory terminal, in a new node process each run
 * (bench/tui-first-screen-driver.mjs) so that module loading counts as the command pays it;
 * the clock starts before the TUI's modules load and stops when a frame shows the first
 * packet row. `cpuSeconds` is the process's CPU time to that frame (all threads): on a busy
 * machine it moves less than the wall clock. The last line printed is JSON with `seconds`
 * (what bench/run.ts reads) and the other figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCapture } from './generate.js';

const DRIVER = new URL('./tui-first-screen-driver.mjs', import.meta.url).pathname;
const DIST = new URL('../dist/', import.meta.url).pathname;

interface Figures {
  seconds: number;
  cpuSeconds: number;
  [k: string]: unknown;
}

/** Why `dist` cannot be measured in this mode, or null. */
function unusable(dist: string, flags: string[]): string | null {
  if (flags.includes('--src')) return null;
  const compiled = join(dist, 'src/cli.js');
  if (!existsSync(compiled)) return `${dist} has no compiled CLI: run npm run build first, or pass --src`;
  if (flags.includes('--unbundled')) return null;
  const bundle = join(dist, 'bundle/tui.js');
  if (!existsSync(bundle)) return `${dist} has no bundled UI (bundle/tui.js): run npm run build (esbuild needed), or pass --unbundled`;
  // bin/netdiag.js would not run a bundle older than the compile; neither is it measured.
  if (statSync(bundle).mtimeMs < statSync(compiled).mtimeMs) return `${join(dist, 'bundle')} is older than the compile: run npm run build`;
  return null;
}

function measure(file: string, flags: string[], dist: string): Figures {
  const src = flags.includes('--src');
  const args = [...(src ? ['--import', 'tsx'] : []), DRIVER, ...flags, file];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000, env: { ...process.env, NETDIAG_DIST: dist } });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`the driver failed (exit ${r.status}): ${r.stdout.slice(-500)}`);
  return JSON.parse(last) as Figures;
}

/** The run with the median time to the first screen, whole, and the least of all runs. */
function summary(all: Figures[]): Figures {
  const median = all.slice().sort((a, b) => a.seconds - b.seconds)[Math.floor(all.length / 2)]!;
  if (all.length === 1) return median;
  const least = (k: 'seconds' | 'cpuSeconds') => Math.min(...all.map((f) => f[k]));
  return { ...median, runs: all.length, secondsMin: least('seconds'), cpuSecondsMin: least('cpuSeconds'), secondsAll: all.map((f) => f.seconds), cpuSecondsAll: all.map((f) => f.cpuSeconds) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const valueOf = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    if (at < 0) return undefined;
    const value = argv[at + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    argv.splice(at, 2);
    return value;
  };
  const runs = Math.max(1, Number(valueOf('--runs') ?? 1) || 1);
  const baselineArg = valueOf('--baseline');
  const baseline = baselineArg === undefined ? null : resolve(baselineArg);
  const flags = argv.filter((a) => /^--(src|unbundled|first-only)$/.test(a));
  const args = argv.filter((a) => !flags.includes(a));
  const dist = process.env['NETDIAG_DIST'] ?? DIST;
  for (const d of baseline === null ? [dist] : [dist, baseline]) {
    const why = unusable(d, flags);
    if (why !== null) throw new Error(why);
  }
  let file = args[0];
  let cleanup: string | null = null;
  if (file === undefined || file === '--generate') {
    const n = Number(args[1] ?? 1_000_000);
    cleanup = mkdtempSync(join(tmpdir(), 'netdiag-tui-bench-'));
    file = join(cleanup, 'capture.pcap');
    process.stderr.write(`generating ${n} packets…\n`);
    await generateCapture({ packets: n }, file);
  }
  try {
    const all: Figures[] = [];
    const before: Figures[] = [];
    for (let k = 0; k < runs; k++) {
      if (baseline !== null) {
        before.push(measure(file, flags, baseline));
        if (runs > 1) process.stderr.write(`run ${k + 1} baseline: ${JSON.stringify(before[k])}\n`);
      }
      all.push(measure(file, flags, dist));
      if (runs > 1) process.stderr.write(`run ${k + 1}: ${JSON.stringify(all[k])}\n`);
    }
    console.log(JSON.stringify(baseline === null ? summary(all) : { ...summary(all), baseline: { dist: baseline, ...summary(before) } }));
  } finally {
    if (cleanup) rmSync(cleanup, { recursive: true, force: true });
  }
}

await main();
