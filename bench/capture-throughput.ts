/**
 * Live capture throughput: packets per second captured without loss on a veth pair,
 * netdiag (cap engine, tcpdump engine) against plain tcpdump, on the same traffic.
 *
 *   node --import tsx bench/capture-throughput.ts [--rates 5000,20000,50000,100000]
 *        [--seconds 2] [--payload 64] [--only netdiag-cap,netdiag-cap-analyze,netdiag-tcpdump,tcpdump,tcpdump-immediate]
 *        [--load N] [--runs N]
 *
 * Needs root: it builds two network namespaces joined by a veth (deleted at the end),
 * sends UDP from one at each offered rate for a fixed time (bounded by rate × seconds)
 * and captures on the other. "arrived" is the veth's own receive counter, so packets the
 * kernel dropped before any capture could see them are not charged to the capturer.
 * Prints one row per capturer, rate and run, then each capturer's loss over the runs
 * (median and range: a shared machine is noisy) and the highest rate it captured in full.
 * Capturers are stopped 1.5 s after the last packet arrived, past libpcap's one-second
 * block timeout, so a capturer in buffered mode is charged for what it lost, not for the
 * block it had not been handed yet.
 *
 * --load N runs N busy processes, at the capturer's priority, while the traffic flows: on
 * a busy node a capturer is descheduled for milliseconds at a time, and what it loses
 * then is what its kernel buffer cannot hold meanwhile.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureReader, forEachRecord } from '../src/capture/reader.js';
import { B_ADDR, IS_ROOT, UDP_PORT, VethLab } from '../test/capture/live/netns.js';

interface Options {
  rates: number[];
  seconds: number;
  payload: number;
  only: string[];
  load: number;
  runs: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rates: [5000, 20000, 50000, 100000], seconds: 2, payload: 64, only: ['netdiag-cap', 'netdiag-cap-analyze', 'netdiag-tcpdump', 'tcpdump', 'tcpdump-immediate'], load: 0, runs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1] ?? '';
    if (argv[i] === '--rates') o.rates = v.split(',').map(Number);
    else if (argv[i] === '--seconds') o.seconds = Number(v);
    else if (argv[i] === '--payload') o.payload = Number(v);
    else if (argv[i] === '--only') o.only = v.split(',');
    else if (argv[i] === '--load') o.load = Number(v);
    else if (argv[i] === '--runs') o.runs = Number(v);
    else continue;
    i++;
  }
  if (o.rates.some((r) => !(r > 0)) || !(o.seconds > 0 && o.seconds <= 30) || !(o.payload >= 0 && o.payload <= 1400) || !(Number.isInteger(o.load) && o.load >= 0 && o.load <= 8) || !(Number.isInteger(o.runs) && o.runs >= 1 && o.runs <= 20)) {
    throw new Error('--rates: positive numbers; --seconds: up to 30; --payload: 0..1400; --load: 0..8; --runs: 1..20');
  }
  return o;
}

const ROOT = new URL('..', import.meta.url).pathname;
const FILTER = `udp port ${UDP_PORT}`;

interface Capturer {
  name: string;
  /** The command (run inside the capturing namespace) and the stderr line that says it captures. */
  command(file: string): string[];
  ready: RegExp;
}

const CAPTURERS: Capturer[] = [
  { name: 'netdiag-cap', command: (f) => [process.execPath, '--import', 'tsx', 'src/cli.ts', 'capture', '-i', 'vb', '-w', f, '--engine', 'cap', '-f', FILTER], ready: /capturing on/ },
  // The same, diagnosing every packet as it arrives (what `netdiag capture` does without -w).
  { name: 'netdiag-cap-analyze', command: (f) => [process.execPath, '--import', 'tsx', 'src/cli.ts', 'capture', '-i', 'vb', '-w', f, '--engine', 'cap', '--analyze', '--no-tui', '--analyze-interval', '1', '-f', FILTER], ready: /capturing on/ },
  { name: 'netdiag-tcpdump', command: (f) => [process.execPath, '--import', 'tsx', 'src/cli.ts', 'capture', '-i', 'vb', '-w', f, '--engine', 'tcpdump', '-f', FILTER], ready: /capturing on/ },
  // tcpdump as an SRE runs it, with the same 32 MiB kernel buffer netdiag asks for.
  { name: 'tcpdump', command: (f) => ['tcpdump', '-i', 'vb', '-B', '32768', '-w', f, FILTER], ready: /listening on/ },
  // tcpdump in immediate mode (one ring slot per packet), as the tcpdump engine once ran it: what the mode costs by itself.
  { name: 'tcpdump-immediate', command: (f) => ['tcpdump', '-i', 'vb', '-B', '32768', '-U', '--immediate-mode', '-w', f, FILTER], ready: /listening on/ },
];

function rxPackets(ns: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/sys/class/net/vb/statistics/rx_packets'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/** Send `rate` datagrams per second for `seconds`; resolves with what was sent and the time it took. */
async function send(lab: VethLab, rate: number, seconds: number, payload: number): Promise<{ sent: number; elapsed: number }> {
  const script = `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
total = ${Math.round(rate * seconds)}
data = b"x" * ${payload}
dst = ("${B_ADDR}", ${UDP_PORT})
sent = 0
start = time.perf_counter()
while sent < total:
    due = min(total, int((time.perf_counter() - start) * ${rate}) + 1)
    while sent < due:
        try:
            s.sendto(data, dst)
        except OSError:
            pass
        sent += 1
    if sent < total and due <= sent:
        time.sleep(0.0002)
print(sent, time.perf_counter() - start)
`;
  const p = spawn('ip', ['netns', 'exec', lab.a, 'python3', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const timer = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  await once(p, 'close');
  clearTimeout(timer);
  const [sent, elapsed] = out.trim().split(' ').map(Number);
  return { sent: sent ?? 0, elapsed: elapsed ?? seconds };
}

/** `n` processes spinning for `seconds` (each ends by itself; killed if it overstays). */
async function busy(n: number, seconds: number): Promise<void> {
  const spin = `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end);`;
  await Promise.all(
    Array.from({ length: n }, async () => {
      const p = spawn(process.execPath, ['-e', spin], { stdio: 'ignore' });
      const timer = setTimeout(() => p.kill('SIGKILL'), (seconds + 10) * 1000);
      await once(p, 'close');
      clearTimeout(timer);
    }),
  );
}

async function countPackets(file: string): Promise<number> {
  try {
    const r = await CaptureReader.open(file);
    let n = 0;
    await forEachRecord(r, () => n++);
    return n;
  } catch {
    return 0;
  }
}

interface Row {
  capturer: string;
  offered: number;
  achieved: number;
  arrived: number;
  captured: number;
}

async function measure(lab: VethLab, c: Capturer, rate: number, o: Options, dir: string): Promise<Row> {
  const file = join(dir, `${c.name}-${rate}.pcap`);
  const p = spawn('ip', ['netns', 'exec', lab.b, ...c.command(file)], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const kill = setTimeout(() => p.kill('SIGKILL'), (o.seconds + 60) * 1000);
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
  const closed = once(p, 'close');
  const deadline = Date.now() + 30_000;
  while (!c.ready.test(err)) {
    if (Date.now() > deadline || p.exitCode !== null) throw new Error(`${c.name} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const before = rxPackets(lab.b);
  const load = busy(o.load, o.seconds + 1);
  const { sent, elapsed } = await send(lab, rate, o.seconds, o.payload);
  await load;
  await new Promise((r) => setTimeout(r, 1500));
  const arrived = rxPackets(lab.b) - before;
  p.kill('SIGINT');
  await closed;
  clearTimeout(kill);
  return { capturer: c.name, offered: rate, achieved: Math.round(sent / elapsed), arrived, captured: await countPackets(file) };
}

function lossPercent(r: Row): number {
  return (100 * (r.arrived - r.captured)) / Math.max(1, r.arrived);
}

async function main(): Promise<void> {
  if (!IS_ROOT) {
    console.log('capture-throughput: needs root (network namespaces and packet capture); nothing measured');
    return;
  }
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-capbench-'));
  const lab = new VethLab();
  const rows: Row[] = [];
  try {
    console.log(`payload ${o.payload} bytes (frames of ${o.payload + 42}), ${o.seconds} s per rate, filter "${FILTER}", ${o.load} busy process${o.load === 1 ? '' : 'es'} alongside`);
    console.log(`${'capturer'.padEnd(20)}  offered/s  achieved/s    arrived   captured    lost  loss%`);
    for (let run = 1; run <= o.runs; run++) {
      for (const rate of o.rates) {
        for (const c of CAPTURERS.filter((x) => o.only.includes(x.name))) {
          const r = await measure(lab, c, rate, o, dir);
          rows.push(r);
          const lost = r.arrived - r.captured;
          console.log(
            `${r.capturer.padEnd(20)} ${String(r.offered).padStart(10)} ${String(r.achieved).padStart(11)} ${String(r.arrived).padStart(10)} ${String(r.captured).padStart(10)} ${String(lost).padStart(7)} ${lossPercent(r).toFixed(2).padStart(6)}`,
          );
          rmSync(join(dir, `${c.name}-${rate}.pcap`), { force: true });
        }
      }
    }
    if (o.runs > 1) {
      console.log(`\nloss % over ${o.runs} runs: median (min-max)`);
      for (const rate of o.rates) {
        for (const c of CAPTURERS.filter((x) => o.only.includes(x.name))) {
          const losses = rows.filter((r) => r.capturer === c.name && r.offered === rate).map(lossPercent).sort((x, y) => x - y);
          const median = losses[Math.floor((losses.length - 1) / 2)]!;
          console.log(`  ${c.name.padEnd(20)} ${String(rate).padStart(7)}/s  ${median.toFixed(2)} (${losses[0]!.toFixed(2)}-${losses[losses.length - 1]!.toFixed(2)})  runs: ${losses.map((l) => l.toFixed(2)).join(' ')}`);
        }
      }
    }
    console.log('\nhighest achieved rate captured without loss:');
    for (const c of CAPTURERS.filter((x) => o.only.includes(x.name))) {
      const clean = rows.filter((r) => r.capturer === c.name && r.captured >= r.arrived);
      const best = clean.reduce((m, r) => Math.max(m, r.achieved), 0);
      console.log(`  ${c.name.padEnd(20)} ${best ? `${best} packets/s` : 'none of the rates tried'}`);
    }
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
