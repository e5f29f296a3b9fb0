/**
 * Cross-capture correlation, measured as an SRE runs it: one generated capture
 * (bench/generate.ts) seen at four points, read by the real CLI,
 *
 *   netdiag read point0=A point1=B point2=C point3=D --format json --no-tui
 *
 * in a child process (worker threads, diagnosis, correlation and the JSON report included).
 * The three copies run on clocks off by +0.25 s, -1.5 s and +3 s and each lacks one packet
 * in 997 (a different one each), so every packet is matched up to four times and the
 * offsets are estimated from every direction of every flow.
 *
 *   node --import tsx bench/correlate.ts [--packets N] [--dist DIR] [--no-share]
 *
 * --packets is per capture (default 250k); to see whether peak memory grows with capture
 * length, run two sizes whose traffic outlasts the correlation's window of about 5 s (400k
 * and 1M: 8 s and 20 s). --dist runs another build (default dist/, after `npm run build`).
 * Prints wall time, CPU time and peak RSS from `/usr/bin/time -v` (or a preload hook
 * without it), packets/s, and the clock offsets recovered against the ones applied. Then,
 * unless --no-share, the same command once more under `--cpu-prof`: the correlation
 * stage's time is the main thread's samples inside `correlate()`, and its share is of that
 * run's wall time. Captures go to bench/out/ and are reused.
 *
 * The child inherits NODE_OPTIONS: `NODE_OPTIONS=--max-old-space-size=160` caps V8's old
 * space, which tells the data a run holds from garbage V8 has not collected yet.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CaptureReader } from '../src/capture/reader.js';
import { LINKTYPE, PcapWriter } from '../src/capture/writer.js';
import { generateCapture, parseCount } from './generate.js';
import { insideMs, type CpuProfile } from './profile-top.js';

const SHIFTS = [0, 0.25, -1.5, 3];
const DROP_EVERY = 997;
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TIME = '/usr/bin/time';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A copy of `src` as capture point k: its clock shifted, one packet in DROP_EVERY missing. */
async function derive(src: string, dst: string, k: number): Promise<void> {
  const r = await CaptureReader.open(src);
  const w = new PcapWriter(dst, { linktype: LINKTYPE.ETHERNET, nanosecond: true, chunkSize: 8 << 20 });
  const rec = r.rec;
  const shiftNs = BigInt(Math.round(SHIFTS[k]! * 1e9));
  for (;;) {
    while (r.next()) {
      if ((rec.number + k * 331) % DROP_EVERY === 0) continue;
      const ns = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec) + shiftNs;
      w.writePacket({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) }, rec.buf, rec.off, rec.capLen, rec.wireLen);
    }
    if (!(await r.fill())) break;
  }
  await r.close();
  await w.close();
}

interface Run {
  wall: number;
  /** User + system CPU seconds; peak RSS in MiB (main thread and workers: one process). */
  cpu: number;
  rss: number;
  stdout: string;
}

/** `node [nodeArgs] ENTRY args`, stdout to a file; wall time from here, CPU and peak RSS from the child. */
async function runCli(entry: string, args: string[], nodeArgs: string[], scratch: string): Promise<Run> {
  const out = join(scratch, 'report.json');
  const hookOut = join(scratch, 'maxrss');
  const useTime = existsSync(TIME);
  const cmd = useTime ? TIME : process.execPath;
  const argv = useTime ? ['-v', process.execPath, ...nodeArgs, entry, ...args] : [...nodeArgs, '--import', join(ROOT, 'bench/maxrss-hook.mjs'), entry, ...args];
  const t0 = process.hrtime.bigint();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_MAXRSS_OUT: hookOut } });
    const chunks: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', fail);
    child.on('close', (c) => {
      writeFileSync(out, Buffer.concat(chunks));
      done({ code: c, stderr: Buffer.concat(err).toString() });
    });
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // read exits 0 (nothing wrong) or 1 (findings); 2 is a capture it could not read. A child
  // that aborts (out of memory under a capped heap) leaves no report either.
  const report = readFileSync(out, 'utf8');
  if ((code !== 0 && code !== 1) || report.length === 0) throw new Error(`netdiag read exited with ${code}${report.length === 0 ? ' and no report' : ''}:\n${stderr.slice(-2000)}`);
  let cpu: number;
  let rss: number;
  if (useTime) {
    const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? NaN);
    cpu = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
    rss = num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024;
  } else {
    const [kib, secs] = readFileSync(hookOut, 'utf8').trim().split(' ').map(Number);
    cpu = secs!;
    rss = kib! / 1024;
  }
  return { wall, cpu, rss, stdout: report };
}

/** Milliseconds the profile spent inside `correlate()` (src/correlate/correlate, or the bundle's chunk holding it), callees included. */
function correlateMs(p: CpuProfile): number {
  return insideMs(p, 'correlate', /\/correlate\/correlate\.(js|ts)$|\/dist\/bundle\/[^/]+\.js$/);
}

/** The newest modification time among the files under `dir` (recursively). */
function newest(dir: string, ext: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, ext));
    else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

async function main(): Promise<void> {
  const packets = parseCount(arg('--packets') ?? '250k');
  if (!Number.isFinite(packets) || packets <= 0) throw new Error('--packets: expected a count such as 250k or 1M');
  const dist = resolve(arg('--dist') ?? join(ROOT, 'dist'));
  const cli = join(dist, 'src/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build (or give --dist)`);
  if (dist === join(ROOT, 'dist') && newest(join(ROOT, 'src/correlate'), '.ts') > newest(join(dist, 'src/correlate'), '.js')) {
    process.stderr.write('correlate bench: dist/ is older than src/correlate: run npm run build to measure the current sources\n');
  }
  const dir = join(ROOT, 'bench', 'out');
  mkdirSync(dir, { recursive: true });
  const files = SHIFTS.map((_, k) => join(dir, `correlate-${packets}-p${k}.pcap`));
  if (!existsSync(files[0]!)) await generateCapture({ packets, format: 'pcap-ns' }, files[0]!);
  for (let k = 1; k < files.length; k++) if (!existsSync(files[k]!)) await derive(files[0]!, files[k]!, k);

  const scratch = mkdtempSync(join(tmpdir(), 'netdiag-bench-correlate-'));
  try {
    // bin/netdiag.js for the default build; the same two lines against another build.
    let entry = join(ROOT, 'bin/netdiag.js');
    if (dist !== join(ROOT, 'dist')) {
      entry = join(scratch, 'netdiag.mjs');
      writeFileSync(entry, `import { main } from ${JSON.stringify(pathToFileURL(cli).href)};\nawait main(process.argv.slice(2));\n`);
    }
    const args = ['read', ...files.map((f, k) => `point${k}=${f}`), '--format', 'json', '--no-tui'];
    const run = await runCli(entry, args, [], scratch);
    const report = JSON.parse(run.stdout) as {
      captures: Array<{ packets: number }>;
      correlation: { matched: number; losses: Array<{ lost: number }>; pathsOmitted: number; paths: unknown[]; points: Array<{ capture: string; clockOffset: number | null; clockOffsetError: number | null; clockMethod: string }> } | null;
    };
    const c = report.correlation;
    if (!c) throw new Error('the report has no correlation');
    const total = report.captures.reduce((n, x) => n + x.packets, 0);
    const mb = files.reduce((n, f) => n + statSync(f).size, 0) / 1048576;
    const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(30)} ${v}\n`);
    const rate = (s: number) => `${Math.round(total / s).toLocaleString('en')} packets/s`;
    line('command', `netdiag ${args.map((a) => a.replace(`${dir}/`, '')).join(' ')}`);
    line('captures', `4 × ${packets} packets (${mb.toFixed(0)} MiB)`);
    // CPU seconds as well as wall: on a shared machine the wall clock mostly measures the neighbours.
    line('wall time', `${run.wall.toFixed(2)} s: ${rate(run.wall)}`);
    line('CPU time (user + system)', `${run.cpu.toFixed(2)} s: ${rate(run.cpu)} per CPU second`);
    line('peak RSS', `${run.rss.toFixed(0)} MiB`);
    line('packets seen at 2+ points', `${c.matched}`);
    line('flow paths', `${c.paths.length} listed, ${c.pathsOmitted} more counted`);
    line('loss groups', `${c.losses.length} (${c.losses.reduce((n, g) => n + g.lost, 0)} packets)`);
    c.points.forEach((p, k) => {
      const want = -SHIFTS[k]!;
      line(`clock ${p.capture}`, p.clockOffset === null ? 'not aligned' : `${p.clockOffset.toFixed(6)} s ± ${(p.clockOffsetError ?? 0).toFixed(6)} (applied ${want.toFixed(6)}, off by ${(Math.abs(p.clockOffset - want) * 1e6).toFixed(0)} µs; ${p.clockMethod})`);
    });
    if (process.argv.includes('--no-share')) return;

    const profDir = join(scratch, 'prof');
    const prof = await runCli(entry, args, ['--cpu-prof', `--cpu-prof-dir=${profDir}`], scratch);
    // Workers write profiles of their own; the correlation runs on the main thread, in one of them.
    const ms = Math.max(0, ...readdirSync(profDir).map((f) => correlateMs(JSON.parse(readFileSync(join(profDir, f), 'utf8')) as CpuProfile)));
    if (ms === 0) throw new Error('no correlate() frame in the CPU profiles: is the build current?');
    line('correlation stage (profiled)', `${(ms / 1000).toFixed(2)} s of ${prof.wall.toFixed(2)} s wall (${((100 * ms) / 1000 / prof.wall).toFixed(0)}%), ${Math.round(total / (ms / 1000)).toLocaleString('en')} packets/s`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`correlate bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
