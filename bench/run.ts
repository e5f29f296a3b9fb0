/**
 * netdiag's benchmark suite: one generated Kubernetes-node capture, every way of reading
 * it, side by side with tshark and tcpdump, as medians with their spread.
 *
 *   npm run bench -- [--packets N] [--runs K] [--baseline-runs K] [--only name,...]
 *                    [--flat-memory [A,B]] [--parallel] [--startup] [--scan] [--profile]
 *                    [--all] [--table] [--format pcap-us|pcap-ns|pcapng] [--no-build]
 *
 * Without a mode flag it prints the main table. The mode flags run their own
 * measurements (add --table to get the table as well, or --all for everything):
 *   --flat-memory [A,B]  full analysis at A and B packets (default 1M,10M): peak RSS ratio
 *   --parallel           2 captures analyzed sequentially (NETDIAG_NO_WORKERS=1) vs in parallel,
 *                        and two separate single-capture runs one after the other vs at once
 *   --startup            `netdiag --help` and `netdiag read small.pcap` (hyperfine when installed)
 *   --scan               a SYN scan (one new flow per packet) vs the normal capture: cost per packet
 *   --profile            node --cpu-prof of the full analysis; the top self-time frames
 *
 * "Full analysis" is `netdiag read FILE... --format json` (every capture's pass, the
 * diagnosis, the JSON report); before the CLI printed the report it was the same pipeline
 * called directly by bench/analyze-driver.mjs, which the suite falls back to.
 *
 * Every command runs as its own child process, so its peak RSS is its own: wall time from
 * here, CPU time and peak RSS from `/usr/bin/time -v` (Debian package `time`), or, without
 * it, from a preload hook in node children and /proc polling for the external tools.
 * Captures are generated once per parameter set (and generator version) under bench/out/.
 * Results go to stdout, bench/out/results.json (merged per section) and bench/out/results.md.
 *
 * Adding a benchmark: push an Entry in `tableEntries` (or a mode of its own); an entry
 * returning `skip` is listed with its reason, as the TUI's is until src/tui/ exists.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GEN_DEFAULTS, GEN_FORMATS, generateCapture, parseCount, type GenFormat, type GenOptions } from './generate.js';
import { formatTop, topFrames, type CpuProfile } from './profile-top.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, 'out');
const NODE = process.execPath;
const NETDIAG = join(ROOT, 'bin/netdiag.js');
const DRIVER = join(BENCH, 'analyze-driver.mjs');
const READER_BENCH = join(BENCH, 'reader.ts');
const TINY = join(ROOT, 'fixtures/pcap-usec-le.pcap');
const TIME = '/usr/bin/time';
const HAS_TIME = existsSync(TIME);
const FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'vxlan.vni', 'tcp.flags'];

// ------------------------------------------------------------------ options

interface Options {
  packets: number;
  runs: number;
  baselineRuns: number;
  only: string[] | null;
  format: GenFormat;
  flows: number;
  table: boolean;
  flatMemory: [number, number] | null;
  parallel: boolean;
  startup: boolean;
  scan: boolean;
  profile: boolean;
  build: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    packets: GEN_DEFAULTS.packets,
    runs: 3,
    baselineRuns: -1,
    only: null,
    format: 'pcap-us',
    flows: GEN_DEFAULTS.flows,
    table: false,
    flatMemory: null,
    parallel: false,
    startup: false,
    scan: false,
    profile: false,
    build: true,
  };
  let modes = false;
  const bad = (m: string): never => {
    process.stderr.write(`bench: ${m}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => argv[++i] ?? bad(`${a} needs a value`);
    const count = (): number => {
      const n = parseCount(val());
      if (!(n > 0)) bad(`${a}: expected a positive count such as 1000000 or 1M`);
      return n;
    };
    switch (a) {
      case '--packets':
        o.packets = count();
        break;
      case '--runs':
        o.runs = count();
        break;
      case '--baseline-runs':
        o.baselineRuns = count();
        break;
      case '--flows':
        o.flows = count();
        break;
      case '--only':
        o.only = val().split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case '--format': {
        const f = val() as GenFormat;
        if (!GEN_FORMATS.includes(f)) bad(`--format: one of ${GEN_FORMATS.join(', ')}`);
        o.format = f;
        break;
      }
      case '--table':
        o.table = true;
        break;
      case '--flat-memory': {
        modes = true;
        const next = argv[i + 1];
        if (next !== undefined && /^[\d.]+[kKmM]?,[\d.]+[kKmM]?$/.test(next)) {
          const [x, y] = next.split(',').map(parseCount) as [number, number];
          o.flatMemory = [x, y];
          i++;
        } else o.flatMemory = [1_000_000, 10_000_000];
        break;
      }
      case '--parallel':
        modes = o.parallel = true;
        break;
      case '--startup':
        modes = o.startup = true;
        break;
      case '--scan':
        modes = o.scan = true;
        break;
      case '--profile':
        modes = o.profile = true;
        break;
      case '--all':
        modes = true;
        o.table = o.parallel = o.startup = o.scan = o.profile = true;
        o.flatMemory ??= [1_000_000, 10_000_000];
        break;
      case '--no-build':
        o.build = false;
        break;
      case '--help':
      case '-h':
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*|^ \* ?/gm, '') + '\n');
        process.exit(0);
        break;
      default:
        bad(`unknown argument ${a} (see --help)`);
    }
  }
  if (!modes) o.table = true;
  // tshark needs about a minute per million packets: one run is enough to compare against.
  if (o.baselineRuns < 0) o.baselineRuns = o.packets >= 1_000_000 ? 1 : o.runs;
  return o;
}

// ------------------------------------------------------------------ machine

interface Machine {
  nproc: number;
  cpuModel: string;
  memTotalGiB: number;
  memFreeGiB: number;
  freeH: string;
  node: string;
  tshark: string | null;
  tcpdump: string | null;
  hyperfine: string | null;
  timeV: boolean;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
}

function firstLine(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim() !== '' && !l.startsWith('Running as user')) ?? null;
}

function machine(): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const nproc = Number(firstLine('nproc', []) ?? cpus().length);
  return {
    nproc,
    cpuModel: model.trim(),
    memTotalGiB: totalmem() / 2 ** 30,
    memFreeGiB: freemem() / 2 ** 30,
    freeH: spawnSync('free', ['-h'], { encoding: 'utf8' }).stdout?.trim() ?? '',
    node: process.version,
    tshark: firstLine('tshark', ['--version']),
    tcpdump: firstLine('tcpdump', ['--version']),
    hyperfine: firstLine('hyperfine', ['--version']),
    timeV: HAS_TIME,
    loadAvgStart: loadavg(),
  };
}

const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

// ------------------------------------------------------------------ captures

function generatorHash(): string {
  const h = createHash('sha1');
  const files = [
    join(BENCH, 'generate.ts'),
    join(ROOT, 'src/capture/writer.ts'),
    join(ROOT, 'src/capture/writer-sink.ts'),
    join(ROOT, 'src/capture/writer-ticks.ts'),
    ...readdirSync(join(ROOT, 'src/craft'))
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .map((f) => join(ROOT, 'src/craft', f)),
  ];
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 8);
}

interface Capture {
  path: string;
  packets: number;
  bytes: number;
  flows: number;
}

const EXT: Record<GenFormat, string> = { 'pcap-us': 'pcap', 'pcap-ns': 'pcap', pcapng: 'pcapng' };

/** The capture for these parameters: reused when present, else generated (atomically, via a .part file). */
async function capture(o: Partial<GenOptions>): Promise<Capture> {
  const g: GenOptions = { ...GEN_DEFAULTS, ...o };
  mkdirSync(OUT, { recursive: true });
  const stem = `k8s-${g.packets}-${g.format}-s${g.seed}-f${g.flows}${g.scan ? '-scan' : ''}`;
  const hash = generatorHash();
  const path = join(OUT, `${stem}-${hash}.${EXT[g.format]}`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as Capture;
    return { ...m, path };
  }
  // Older generator versions of the same capture only take disk space.
  const stale = new RegExp(`^${stem}-(?!${hash})[0-9a-f]{8}\\.${EXT[g.format]}(\\.json|\\.part)?$`);
  for (const f of readdirSync(OUT)) if (stale.test(f)) rmSync(join(OUT, f), { force: true });
  log(`generating ${relative(ROOT, path)} (${g.packets} packets${g.scan ? ', SYN scan' : ''}, seed ${g.seed})`);
  const t0 = process.hrtime.bigint();
  const st = await generateCapture(g, `${path}.part`);
  renameSync(`${path}.part`, path);
  const c: Capture = { path, packets: st.packets, bytes: statSync(path).size, flows: st.flows };
  writeFileSync(meta, JSON.stringify(c, null, 2));
  log(`  ${(c.bytes / 1e6).toFixed(0)} MB, ${c.flows} flows, in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);
  return c;
}

// ------------------------------------------------------------------ measuring

interface Sample {
  wall: number;
  /** user + system CPU seconds of the child and its threads. */
  cpu: number | null;
  rssKiB: number | null;
  exit: number;
  stderr: string;
  stdout: string;
}

function log(s: string): void {
  process.stdout.write(`· ${s}\n`);
}

const devNull = openSync('/dev/null', 'w');

function parseTimeV(text: string): { cpu: number | null; rssKiB: number | null; exit: number | null } {
  const num = (re: RegExp): number | null => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  const user = num(/User time \(seconds\):\s*([\d.]+)/);
  const sys = num(/System time \(seconds\):\s*([\d.]+)/);
  return { cpu: user !== null && sys !== null ? user + sys : null, rssKiB: num(/Maximum resident set size \(kbytes\):\s*(\d+)/), exit: num(/Exit status:\s*(\d+)/) };
}

/** /proc/PID/status VmHWM and /proc/PID/stat CPU ticks, for when /usr/bin/time is missing. */
function procPeek(pid: number): { hwmKiB: number; cpu: number } | null {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s*(\d+)/.exec(st)?.[1] ?? 0);
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { hwmKiB: hwm, cpu: ticks / 100 };
  } catch {
    return null;
  }
}

const HOOK = join(BENCH, 'maxrss-hook.mjs');

async function measureOnce(cmd: string[], env: Record<string, string | undefined> = {}, keepStdout = false): Promise<Sample> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  let argv = cmd;
  let timeFile: string | null = null;
  let hookFile: string | null = null;
  if (HAS_TIME) {
    timeFile = join(OUT, `.time-${process.pid}.txt`);
    argv = [TIME, '-v', '-o', timeFile, ...cmd];
  } else if (cmd[0] === NODE) {
    hookFile = join(OUT, `.rss-${process.pid}.txt`);
    childEnv['BENCH_MAXRSS_OUT'] = hookFile;
    argv = [NODE, '--import', HOOK, ...cmd.slice(1)];
  }
  const t0 = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: childEnv, stdio: ['ignore', keepStdout ? 'pipe' : devNull, 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 65536) stderr += d.toString('utf8');
  });
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < 1 << 24) stdout += d.toString('utf8');
  });
  let peek: { hwmKiB: number; cpu: number } | null = null;
  const poll = !HAS_TIME && hookFile === null ? setInterval(() => (peek = procPeek(child.pid!) ?? peek), 20) : null;
  const exit = await new Promise<number>((res) => child.on('close', (code, sig) => res(code ?? (sig ? 128 : 1))));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (poll) clearInterval(poll);
  let cpu: number | null = null;
  let rssKiB: number | null = null;
  if (timeFile) {
    const t = parseTimeV(readFileSync(timeFile, 'utf8'));
    rmSync(timeFile, { force: true });
    cpu = t.cpu;
    rssKiB = t.rssKiB;
  } else if (hookFile && existsSync(hookFile)) {
    const [rss, c] = readFileSync(hookFile, 'utf8').trim().split(' ').map(Number);
    rmSync(hookFile, { force: true });
    rssKiB = rss ?? null;
    cpu = c ?? null;
  } else if (peek) {
    rssKiB = (peek as { hwmKiB: number }).hwmKiB;
    cpu = (peek as { cpu: number }).cpu;
  }
  return { wall, cpu, rssKiB, exit, stderr, stdout };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  id: string;
  name: string;
  command: string;
  runs: number;
  packets: number;
  bytes: number;
  /** Seconds per run (wall, or the in-process time for the bare walk). */
  times: number[];
  median: number;
  min: number;
  max: number;
  cpuMedian: number | null;
  rssMiB: number | null;
  packetsPerSec: number;
  mbPerSec: number;
  loadAvg: number;
  note?: string;
  skipped?: string;
  error?: string;
  /** What the command printed on its last run (driver runs: the report). */
  lastStdout?: string;
}

interface Entry {
  id: string;
  name: string;
  /** A reason to skip, or the command to run. */
  plan(): { skip: string } | { cmd: string[]; env?: Record<string, string | undefined>; keepStdout?: boolean; note?: string };
  runs: number;
  captures: Capture[];
  /** Seconds to report from a sample (default: its wall time). */
  time?(s: Sample): number;
}

async function measure(e: Entry): Promise<Row> {
  const packets = e.captures.reduce((a, c) => a + c.packets, 0);
  const bytes = e.captures.reduce((a, c) => a + c.bytes, 0);
  const base: Row = { id: e.id, name: e.name, command: '', runs: 0, packets, bytes, times: [], median: NaN, min: NaN, max: NaN, cpuMedian: null, rssMiB: null, packetsPerSec: NaN, mbPerSec: NaN, loadAvg: loadavg()[0]! };
  const plan = e.plan();
  if ('skip' in plan) {
    log(`${e.name}: skipped (${plan.skip})`);
    return { ...base, skipped: plan.skip };
  }
  base.command = plan.cmd.map((a) => (a.startsWith(ROOT + '/') ? relative(ROOT, a) : a === NODE ? 'node' : a)).join(' ');
  if (plan.note) base.note = plan.note;
  const samples: Sample[] = [];
  for (let i = 0; i < e.runs; i++) {
    const s = await measureOnce(plan.cmd, plan.env, plan.keepStdout);
    if (s.exit !== 0) {
      log(`${e.name}: exit ${s.exit}: ${s.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      return { ...base, runs: i + 1, error: `exit ${s.exit}: ${s.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
    }
    samples.push(s);
    log(`${e.name}: run ${i + 1}/${e.runs}: ${(e.time ? e.time(s) : s.wall).toFixed(3)} s, ${s.rssKiB !== null ? (s.rssKiB / 1024).toFixed(0) : '?'} MiB`);
  }
  const times = samples.map((s) => (e.time ? e.time(s) : s.wall));
  const cpus = samples.map((s) => s.cpu).filter((c): c is number => c !== null);
  const rss = samples.map((s) => s.rssKiB).filter((r): r is number => r !== null);
  const med = median(times);
  const row: Row = {
    ...base,
    runs: samples.length,
    times,
    median: med,
    min: Math.min(...times),
    max: Math.max(...times),
    cpuMedian: cpus.length ? median(cpus) : null,
    rssMiB: rss.length ? Math.max(...rss) / 1024 : null,
    packetsPerSec: packets / med,
    mbPerSec: bytes / 1e6 / med,
  };
  if (plan.keepStdout) row.lastStdout = samples[samples.length - 1]!.stdout;
  return row;
}

// ------------------------------------------------------------------ the table

const netdiag = (...args: string[]): string[] => [NODE, NETDIAG, ...args];
const driver = (...files: string[]): string[] => [NODE, DRIVER, ...files];

/** Does `read --format json` print the analysis report yet (rather than the packet list it falls back to)? */
function cliPrintsReport(): boolean {
  const r = spawnSync(NODE, [NETDIAG, 'read', TINY, '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
  try {
    return 'schemaVersion' in (JSON.parse(r.stdout) as object);
  } catch {
    return false;
  }
}

/**
 * The full analysis of `files`: `netdiag read FILES --format json` once the CLI prints the
 * report, else the same pipeline called directly (bench/analyze-driver.mjs).
 */
function fullAnalysis(files: string[], cliReport: boolean): { cmd: string[]; keepStdout: true; note?: string } {
  return cliReport
    ? { cmd: netdiag('read', ...files, '--format', 'json'), keepStdout: true }
    : { cmd: driver(...files), keepStdout: true, note: 'the CLI does not print the report yet: analyzeAll + diagnose + report run by bench/analyze-driver.mjs' };
}

function tableEntries(o: Options, main: Capture, multi: Capture[], cliReport: boolean): Entry[] {
  const F = main.path;
  const runs = o.runs;
  const bl = o.baselineRuns;
  const vx = ['-d', 'udp.port==8472,vxlan'];
  const tool = (name: string, cmd: string[]): ReturnType<Entry['plan']> => (has(name) ? { cmd } : { skip: `${name} not installed` });
  return [
    { id: 'full', name: 'netdiag read --format json', runs, captures: [main], plan: () => fullAnalysis([F], cliReport) },
    { id: 'fields', name: 'netdiag read -T fields (5 fields)', runs, captures: [main], plan: () => ({ cmd: netdiag('read', F, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])) }) },
    { id: 'list', name: 'netdiag read --list', runs, captures: [main], plan: () => ({ cmd: netdiag('read', F, '--list') }) },
    { id: 'multi', name: 'netdiag read A B C D --format json', runs, captures: multi, plan: () => fullAnalysis(multi.map((c) => c.path), cliReport) },
    {
      id: 'tui',
      name: 'TUI time-to-first-screen',
      runs,
      captures: [main],
      // The TUI benchmark (issue 8) plugs in here: bench/tui-first-screen.ts FILE prints {"seconds": N}.
      plan: () =>
        !existsSync(join(ROOT, 'src/tui'))
          ? { skip: 'TUI not built yet' }
          : existsSync(join(BENCH, 'tui-first-screen.ts'))
            ? { cmd: [NODE, '--import', 'tsx', join(BENCH, 'tui-first-screen.ts'), F], keepStdout: true }
            : { skip: 'src/tui exists; bench/tui-first-screen.ts not written yet' },
      time: (s) => (JSON.parse(s.stdout.trim().split('\n').pop()!) as { seconds: number }).seconds,
    },
    {
      id: 'walk',
      name: 'bare record walk (node)',
      runs,
      captures: [main],
      plan: () => ({ cmd: [NODE, '--import', 'tsx', READER_BENCH, '--mode', 'walk', F], keepStdout: true, note: 'time measured inside the process (8 MiB reads, step over records); RSS includes tsx' }),
      time: (s) => (JSON.parse(s.stdout.trim().split('\n').pop()!) as { seconds: number }).seconds,
    },
    { id: 'tshark-fields', name: 'tshark -T fields (3 fields)', runs: bl, captures: [main], plan: () => tool('tshark', ['tshark', '-r', F, ...vx, '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst']) },
    { id: 'tshark-conv', name: 'tshark -q -z conv,ip', runs: bl, captures: [main], plan: () => tool('tshark', ['tshark', '-r', F, ...vx, '-q', '-z', 'conv,ip']) },
    { id: 'tcpdump-nn', name: 'tcpdump -nn -r', runs: bl, captures: [main], plan: () => tool('tcpdump', ['tcpdump', '-nn', '-r', F]) },
    { id: 'tcpdump-w', name: 'tcpdump -r -w /dev/null', runs: bl, captures: [main], plan: () => tool('tcpdump', ['tcpdump', '-r', F, '-w', '/dev/null']) },
  ];
}

const fmtRate = (x: number): string => (!Number.isFinite(x) ? '-' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(1)} k`);
const fmtS = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '-');

function renderTable(rows: Row[], markdown: boolean): string {
  const head = ['name', 'runs', 'median s', 'spread s', 'packets/s', 'MB/s', 'CPU s', 'peak RSS MiB', 'load'];
  const cells = rows.map((r) =>
    r.skipped || r.error
      ? [r.name, '-', '-', '-', '-', '-', '-', '-', r.loadAvg.toFixed(1), r.skipped ?? r.error!]
      : [
          r.name,
          String(r.runs),
          fmtS(r.median),
          `${fmtS(r.min)}–${fmtS(r.max)}`,
          fmtRate(r.packetsPerSec),
          r.mbPerSec.toFixed(0),
          r.cpuMedian !== null ? r.cpuMedian.toFixed(2) : '-',
          r.rssMiB !== null ? r.rssMiB.toFixed(0) : '-',
          r.loadAvg.toFixed(1),
        ],
  );
  if (markdown) {
    const lines = [`| ${head.join(' | ')} |`, `| --- | ${head.slice(1).map(() => '---:').join(' | ')} |`];
    for (const c of cells) lines.push(`| ${[c[head.length] ? `${c[0]} (${c[head.length]})` : c[0], ...c.slice(1, head.length)].join(' | ')} |`);
    return lines.join('\n') + '\n';
  }
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => c.slice(0, head.length).map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ') + (c[head.length] ? `  ${c[head.length]}` : '');
  return [line(head), ...cells.map(line)].join('\n') + '\n';
}

interface Ratio {
  what: string;
  /** How many times faster netdiag is (baseline time / netdiag time), or the share of the walk's speed. */
  wall: number | null;
  cpu: number | null;
  target: string;
  met: boolean | null;
}

function ratios(rows: Row[]): Ratio[] {
  const get = (id: string): Row | undefined => rows.find((r) => r.id === id && !r.skipped && !r.error);
  const out: Ratio[] = [];
  for (const fid of ['full']) {
    const f = get(fid);
    if (!f) continue;
    const vs = (id: string, label: string, target: number, share = false): void => {
      const b = get(id);
      if (!b) return;
      const wall = b.median / f.median;
      const cpu = b.cpuMedian !== null && f.cpuMedian !== null && !share ? b.cpuMedian / f.cpuMedian : null;
      out.push({ what: `${f.name} vs ${label}`, wall, cpu, target: share ? `≥ ${target}` : `≥ ${target}×`, met: wall >= target });
    };
    vs('tshark-fields', 'tshark -T fields', 40);
    vs('tcpdump-nn', 'tcpdump -nn -r', 10);
    vs('walk', 'the bare walk (share of its speed)', 0.3, true);
  }
  return out;
}

function renderRatios(rs: Ratio[], markdown: boolean): string {
  const fmt = (r: Ratio): string[] => [r.what, r.wall === null ? '-' : r.wall < 1 ? r.wall.toFixed(2) : `${r.wall.toFixed(1)}×`, r.cpu === null ? '-' : `${r.cpu.toFixed(1)}×`, r.target, r.met === null ? '-' : r.met ? 'met' : 'MISSED'];
  const head = ['ratio', 'wall', 'CPU', 'target', ''];
  if (markdown) return [`| ${head.join(' | ')} |`, '| --- | ---: | ---: | ---: | --- |', ...rs.map((r) => `| ${fmt(r).join(' | ')} |`)].join('\n') + '\n';
  const cells = rs.map(fmt);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [head, ...cells].map((c) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ')).join('\n') + '\n';
}

/** Packets and flows the analysis saw, from a driver run's report: a check that it read everything. */
function reportFacts(r: Row): { packets: number; flows: number; flowsEvicted: number } | null {
  if (!r.lastStdout) return null;
  try {
    const rep = JSON.parse(r.lastStdout) as { captures: Array<{ packets: number; flows: number; flowsEvicted: number }> };
    return rep.captures.reduce((a, c) => ({ packets: a.packets + c.packets, flows: a.flows + c.flows, flowsEvicted: a.flowsEvicted + c.flowsEvicted }), { packets: 0, flows: 0, flowsEvicted: 0 });
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ modes

async function flatMemory(o: Options, pair: [number, number], cliReport: boolean): Promise<Record<string, unknown>> {
  const caps = [await capture({ packets: pair[0], format: o.format, seed: '1', flows: o.flows }), await capture({ packets: pair[1], format: o.format, seed: '1', flows: o.flows })];
  const rows: Row[] = [];
  for (const c of caps) {
    const runs = c.packets >= 5_000_000 ? 1 : o.runs;
    rows.push(await measure({ id: `full-${c.packets}`, name: `read --format json, ${c.packets / 1e6}M packets`, runs, captures: [c], plan: () => fullAnalysis([c.path], cliReport) }));
  }
  const a = rows;
  const ratio = a[0]?.rssMiB && a[1]?.rssMiB ? a[1].rssMiB / a[0].rssMiB : null;
  process.stdout.write(`\nFlat memory (${pair.map((n) => `${n / 1e6}M`).join(' vs ')} packets)\n${renderTable(rows, false)}`);
  if (ratio !== null) {
    const max = Math.max(a[0]!.rssMiB!, a[1]!.rssMiB!);
    process.stdout.write(`peak RSS ratio ${(ratio).toFixed(2)} (target within 20%: ${Math.abs(ratio - 1) <= 0.2 ? 'met' : 'MISSED'}); largest ${max.toFixed(0)} MiB (target < 200 MiB: ${max < 200 ? 'met' : 'MISSED'})\n`);
  }
  for (const r of a) {
    const f = reportFacts(r);
    if (f) process.stdout.write(`  ${r.name}: report counts ${f.packets} packets, ${f.flows} flows (${f.flowsEvicted} evicted)\n`);
  }
  return { pair, rows: rows.map(strip), rssRatio: ratio };
}

const shellQuote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

async function parallel(o: Options, cliReport: boolean): Promise<Record<string, unknown>> {
  const caps = [await capture({ packets: o.packets, format: o.format, seed: '1', flows: o.flows }), await capture({ packets: o.packets, format: o.format, seed: '2', flows: o.flows })];
  const files = caps.map((c) => c.path);
  const rows = [
    await measure({ id: 'seq', name: 'read A B --format json, sequential (NETDIAG_NO_WORKERS=1)', runs: o.runs, captures: caps, plan: () => ({ ...fullAnalysis(files, cliReport), env: { NETDIAG_NO_WORKERS: '1' } }) }),
    await measure({ id: 'par', name: 'read A B --format json, worker threads', runs: o.runs, captures: caps, plan: () => ({ ...fullAnalysis(files, cliReport), env: { NETDIAG_NO_WORKERS: undefined } }) }),
  ];
  // What two cores give here at best: two separate single-capture analyses, one after the
  // other and at the same time. A lone analysis already keeps part of the second core busy
  // (read-ahead, garbage collection), so this ratio, not 0.5, is the floor for the one above.
  const one = (f: string): string => [NODE, NETDIAG, 'read', f, '--format', 'json'].map(shellQuote).join(' ') + ' >/dev/null';
  const both = [
    await measure({ id: 'apart', name: 'read A; read B (two processes, one after the other)', runs: o.runs, captures: caps, plan: () => ({ cmd: ['sh', '-c', `${one(files[0]!)} && ${one(files[1]!)}`] }) }),
    await measure({ id: 'together', name: 'read A & read B (two processes at the same time)', runs: o.runs, captures: caps, plan: () => ({ cmd: ['sh', '-c', `${one(files[0]!)} & a=$!; ${one(files[1]!)} && wait $a`] }) }),
  ];
  rows.push(...both);
  const ratio = rows[0]!.median > 0 && rows[1]!.median > 0 ? rows[1]!.median / rows[0]!.median : null;
  const floor = both[0]!.median > 0 && both[1]!.median > 0 ? both[1]!.median / both[0]!.median : null;
  process.stdout.write(`\nParallel analysis (2 × ${o.packets} packets, ${cpus().length} cores)\n${renderTable(rows, false)}`);
  if (ratio !== null && Number.isFinite(ratio)) process.stdout.write(`parallel / sequential = ${ratio.toFixed(2)} (target ≤ 0.60: ${ratio <= 0.6 ? 'met' : 'MISSED'})\n`);
  if (floor !== null && Number.isFinite(floor)) process.stdout.write(`two separate analyses at once / one after the other = ${floor.toFixed(2)} (what the cores give to work that shares nothing)\n`);
  return { rows: rows.map(strip), ratio, floor };
}

async function startup(o: Options): Promise<Record<string, unknown>> {
  const cmds = [
    { name: 'netdiag --help', argv: netdiag('--help') },
    { name: 'netdiag read small.pcap', argv: netdiag('read', TINY) },
  ];
  const out: Array<{ name: string; command: string; mean: number; median: number; min: number; max: number; runs: number; tool: string }> = [];
  if (has('hyperfine')) {
    const json = join(OUT, '.hyperfine.json');
    const q = (a: string[]): string => a.map((x) => `'${x.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', '20', '--export-json', json, ...cmds.map((c) => q(c.argv))], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status === 0) {
      const res = (JSON.parse(readFileSync(json, 'utf8')) as { results: Array<{ mean: number; median: number; min: number; max: number; times: number[] }> }).results;
      res.forEach((x, i) => out.push({ name: cmds[i]!.name, command: q(cmds[i]!.argv), mean: x.mean, median: x.median, min: x.min, max: x.max, runs: x.times.length, tool: 'hyperfine' }));
      rmSync(json, { force: true });
    }
  }
  if (out.length === 0) {
    for (const c of cmds) {
      const t: number[] = [];
      for (let i = 0; i < 20; i++) t.push((await measureOnce(c.argv)).wall);
      out.push({ name: c.name, command: c.argv.join(' '), mean: t.reduce((a, b) => a + b, 0) / t.length, median: median(t), min: Math.min(...t), max: Math.max(...t), runs: t.length, tool: 'spawn loop' });
    }
  }
  process.stdout.write(`\nStart-up (${out[0]?.tool}, ${out[0]?.runs} runs each)\n`);
  for (const x of out) process.stdout.write(`  ${x.name.padEnd(26)} median ${fmtS(x.median)} s  (min ${fmtS(x.min)}, max ${fmtS(x.max)})  target < 0.25 s: ${x.median < 0.25 ? 'met' : 'MISSED'}\n`);
  void o;
  return { results: out };
}

async function scan(o: Options, main: Capture | null, cliReport: boolean): Promise<Record<string, unknown>> {
  const normal = main ?? (await capture({ packets: o.packets, format: o.format, seed: '1', flows: o.flows }));
  const sc = await capture({ packets: o.packets, format: o.format, seed: '1', flows: o.flows, scan: true });
  const rows: Row[] = [];
  rows.push(await measure({ id: 'normal', name: `read --format json, normal (${normal.flows} connections)`, runs: o.runs, captures: [normal], plan: () => fullAnalysis([normal.path], cliReport) }));
  rows.push(await measure({ id: 'scan', name: `read --format json, SYN scan (${sc.flows} flows)`, runs: o.runs, captures: [sc], plan: () => fullAnalysis([sc.path], cliReport) }));
  const per = rows.map((r) => ({ name: r.name, nsPerPacket: (r.median / r.packets) * 1e9, cpuNsPerPacket: r.cpuMedian !== null ? (r.cpuMedian / r.packets) * 1e9 : null, facts: reportFacts(r) }));
  process.stdout.write(`\nCost per packet vs number of flows (${o.packets} packets each)\n${renderTable(rows, false)}`);
  for (const p of per) process.stdout.write(`  ${p.name}: ${p.nsPerPacket.toFixed(0)} ns/packet wall, ${p.cpuNsPerPacket?.toFixed(0) ?? '?'} ns CPU${p.facts ? `; report: ${p.facts.flows} flows kept, ${p.facts.flowsEvicted} evicted` : ''}\n`);
  const ratio = per[0] && per[1] ? per[1].nsPerPacket / per[0].nsPerPacket : null;
  // Scan frames are small (no payload), so per packet the scan should cost no more than the normal mix.
  if (ratio !== null) process.stdout.write(`scan / normal cost per packet = ${ratio.toFixed(2)} (target: no growth with flows, ≤ 1.0 expected for smaller frames: ${ratio <= 1.1 ? 'met' : 'MISSED'})\n`);
  return { rows: rows.map(strip), perPacket: per, ratio };
}

async function profile(o: Options, main: Capture, cliReport: boolean): Promise<Record<string, unknown>> {
  const dir = join(OUT, 'prof');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const target = fullAnalysis([main.path], cliReport).cmd;
  const argv = [NODE, '--cpu-prof', '--cpu-prof-dir', dir, ...target.slice(1)];
  log(`profiling: ${argv.map((a) => (a.startsWith(ROOT + '/') ? relative(ROOT, a) : a === NODE ? 'node' : a)).join(' ')}`);
  const s = await measureOnce(argv);
  if (s.exit !== 0) throw new Error(`profile run failed: ${s.stderr}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const top = topFrames(prof, 15, ROOT);
  process.stdout.write(`\nTop self-time frames (${relative(ROOT, join(dir, file))})\n${formatTop(top, false)}`);
  void o;
  return { profile: relative(ROOT, join(dir, file)), command: argv.join(' '), top, markdown: formatTop(top, true) };
}

const strip = (r: Row): Omit<Row, 'lastStdout'> => {
  const { lastStdout: _drop, ...rest } = r;
  return rest;
};

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(OUT, { recursive: true });
  const m = machine();
  process.stdout.write(`netdiag bench: ${m.nproc} × ${m.cpuModel}, ${m.memTotalGiB.toFixed(0)} GiB, node ${m.node}, load ${m.loadAvgStart.map((x) => x.toFixed(1)).join(' ')}\n`);
  if (!HAS_TIME) process.stdout.write('· /usr/bin/time not found (Debian package `time`): peak RSS from a node preload hook and /proc polling\n');
  if (o.build) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) {
      if (!existsSync(join(ROOT, 'dist/src/cli.js'))) throw new Error(`build failed:\n${b.stdout}${b.stderr}`);
      log(`build reported errors; measuring the emitted dist/ anyway:\n${(b.stdout + b.stderr).trim().split('\n').slice(0, 5).join('\n')}`);
    }
  }
  const cliReport = cliPrintsReport();
  if (!cliReport) log('note: `netdiag read --format json` does not print the analysis report yet; the full-analysis rows run analyzeAll + diagnose + report directly (bench/analyze-driver.mjs)');

  const resultsPath = join(OUT, 'results.json');
  const results: Record<string, unknown> = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>) : {};
  const stamp = { when: new Date().toISOString(), argv: process.argv.slice(2), machine: m, cliPrintsReport: cliReport };
  const save = (section: string, data: Record<string, unknown>): void => {
    m.loadAvgEnd = loadavg();
    results[section] = { ...stamp, ...data };
    writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  };

  let main: Capture | null = null;
  const md: string[] = [];
  if (o.table) {
    main = await capture({ packets: o.packets, format: o.format, seed: '1', flows: o.flows });
    const wanted = (id: string): boolean => o.only === null || o.only.includes(id);
    const needMulti = wanted('multi');
    const multi = needMulti ? [main, ...(await Promise.all(['2', '3', '4'].map(async (seed) => capture({ packets: o.packets, format: o.format, seed, flows: o.flows }))))] : [];
    const entries = tableEntries(o, main, multi, cliReport).filter((e) => wanted(e.id));
    const rows: Row[] = [];
    for (const e of entries) rows.push(await measure(e));
    const rs = ratios(rows);
    const title = `${main.packets} packets, ${(main.bytes / 1e6).toFixed(0)} MB (${o.format}), ${main.flows} flows; ${o.runs} runs (external tools ${o.baselineRuns})`;
    process.stdout.write(`\n${title}\n${renderTable(rows, false)}\n${renderRatios(rs, false)}`);
    for (const r of rows) {
      if (r.note) process.stdout.write(`  ${r.name}: ${r.note}\n`);
      const f = reportFacts(r);
      if (f) process.stdout.write(`  ${r.name}: report counts ${f.packets} packets, ${f.flows} flows (${f.flowsEvicted} evicted)${f.packets !== r.packets ? `  EXPECTED ${r.packets}` : ''}\n`);
    }
    md.push(`### ${title}\n`, renderTable(rows, true), renderRatios(rs, true));
    save('table', { capture: { ...main, path: relative(ROOT, main.path) }, rows: rows.map(strip), ratios: rs });
  }
  if (o.flatMemory) save('flatMemory', await flatMemory(o, o.flatMemory, cliReport));
  if (o.parallel) save('parallel', await parallel(o, cliReport));
  if (o.startup) save('startup', await startup(o));
  if (o.scan) save('scan', await scan(o, main, cliReport));
  if (o.profile) {
    const p = await profile(o, main ?? (await capture({ packets: o.packets, format: o.format, seed: '1', flows: o.flows })), cliReport);
    md.push(`### Top self-time frames\n`, String(p['markdown']));
    save('profile', p);
  }
  if (md.length) writeFileSync(join(OUT, 'results.md'), md.join('\n') + '\n');
  process.stdout.write(`\nresults: ${relative(ROOT, resultsPath)}; load at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  closeSync(devNull);
}

await main();
