/**
 * Terminal UI: time to the first screen of packet rows, and the cost of a screenful of
 * rows at the top, the middle and the end of the capture.
 *
 *   node --import tsx bench/tui-first-screen.ts [OPTIONS] FILE
 *   node --import tsx bench/tui-first-screen.ts [OPTIONS] --generate N   (a generated N-packet capture)
 *
 *   --src         the sources through tsx rather than the compiled modules in dist/ (which
 *                 is what `netdiag read` runs; build first with npm run build)
 *   --first-only  stop at the first screen
 *   --bundled     dist/src/tui/index.js bundled into one file by esbuild first (in a
 *                 temporary copy): what the start would cost if the build shipped the UI
 *                 as a bundle, module loading being most of it
 *   --runs N      measure N times (each in a new process): the median run, and the least
 *                 time and CPU time of all (on a shared machine, the least is the cost)
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
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCapture } from './generate.js';

const DRIVER = new URL('./tui-first-screen-driver.mjs', import.meta.url).pathname;
const DIST_TUI = new URL('../dist/src/tui/app.js', import.meta.url).pathname;

interface Figures {
  seconds: number;
  cpuSeconds: number;
  [k: string]: unknown;
}

/**
 * A copy of dist/ in `dir` whose src/tui/index.js is one esbuild bundle; the rest (the
 * analysis worker the UI starts) links back to dist/.
 */
function bundleDist(dir: string): string {
  const root = new URL('../', import.meta.url).pathname;
  const esbuild = join(root, 'node_modules/.bin/esbuild');
  if (!existsSync(esbuild)) throw new Error('--bundled needs esbuild in node_modules');
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'src/tui'), { recursive: true });
  for (const e of readdirSync(join(root, 'dist/src'))) if (e !== 'tui') symlinkSync(join(root, 'dist/src', e), join(dist, 'src', e));
  for (const e of readdirSync(join(root, 'dist'))) if (e !== 'src') symlinkSync(join(root, 'dist', e), join(dist, e));
  // The session the indexing figures use, unbundled.
  for (const e of readdirSync(join(root, 'dist/src/tui'))) if (!e.startsWith('index.')) symlinkSync(join(root, 'dist/src/tui', e), join(dist, 'src/tui', e));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  // ink loads its devtools only when DEV=true; the bundle leaves them out.
  writeFileSync(join(dir, 'no-devtools.js'), 'export default {};\n');
  const r = spawnSync(
    esbuild,
    [
      join(root, 'dist/src/tui/index.js'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      `--outfile=${join(dist, 'src/tui/index.js')}`,
      '--alias:react-devtools-core=./no-devtools.js',
      '--define:process.env.NODE_ENV="production"',
      "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      '--log-level=error',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
  return dist;
}

function measure(file: string, flags: string[], dist?: string): Figures {
  const src = flags.includes('--src');
  const args = [...(src ? ['--import', 'tsx'] : []), DRIVER, ...flags.filter((f) => f !== '--bundled'), file];
  const env = dist === undefined ? process.env : { ...process.env, NETDIAG_DIST: dist };
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000, env });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`the driver failed (exit ${r.status}): ${r.stdout.slice(-500)}`);
  return JSON.parse(last) as Figures;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Math.max(1, Number(argv[runsAt + 1]) || 1) : 1;
  const rest = runsAt >= 0 ? argv.filter((_, i) => i !== runsAt && i !== runsAt + 1) : argv;
  const flags = rest.filter((a) => /^--(src|first-only|bundled)$/.test(a));
  const args = rest.filter((a) => !flags.includes(a));
  if (!flags.includes('--src') && !existsSync(DIST_TUI) && process.env['NETDIAG_DIST'] === undefined) {
    throw new Error('dist/ has no terminal UI: run npm run build first, or pass --src');
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
  const bundleDir = flags.includes('--bundled') ? mkdtempSync(join(tmpdir(), 'netdiag-tui-bundle-')) : null;
  try {
    const dist = bundleDir === null ? undefined : bundleDist(bundleDir);
    const all: Figures[] = [];
    for (let k = 0; k < runs; k++) {
      all.push(measure(file, flags, dist));
      if (runs > 1) process.stderr.write(`run ${k + 1}: ${JSON.stringify(all[k])}\n`);
    }
    // The run with the median time to the first screen, whole.
    const median = all.slice().sort((a, b) => a.seconds - b.seconds)[Math.floor(all.length / 2)]!;
    // The least is what the start costs when nothing else wants the CPU.
    const least = (k: 'seconds' | 'cpuSeconds') => Math.min(...all.map((f) => f[k]));
    console.log(
      JSON.stringify(
        runs > 1 ? { ...median, runs, secondsMin: least('seconds'), cpuSecondsMin: least('cpuSeconds'), secondsAll: all.map((f) => f.seconds), cpuSecondsAll: all.map((f) => f.cpuSeconds) } : median,
      ),
    );
  } finally {
    if (cleanup) rmSync(cleanup, { recursive: true, force: true });
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  }
}

await main();
