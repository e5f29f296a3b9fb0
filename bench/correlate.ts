/**
 * Cross-capture correlation throughput and memory: one generated capture (bench/generate.ts)
 * seen at four points. The three copies run on clocks off by +0.25 s, -1.5 s and +3 s and
 * each lacks one packet in 997 (a different one each), so every packet is matched up to
 * four times and the offsets are estimated from every direction of every flow.
 *
 *   node --import tsx bench/correlate.ts [--packets N] [--keep]
 *
 * --packets is per capture (default 250k). Sightings spill to a temporary folder, so peak
 * memory should not grow with --packets: compare two sizes. Prints the pass (all four
 * captures read, in this process) and the correlation separately: packets/s over all
 * sightings, peak RSS, and the clock offsets recovered against the ones applied. Captures
 * go to bench/out/ and are reused.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureReader } from '../src/capture/reader.js';
import { LINKTYPE, PcapWriter } from '../src/capture/writer.js';
import { analyzeAll } from '../src/analysis/run.js';
import { diagnose } from '../src/analysis/diagnose.js';
import { analyzers } from '../src/analysis/analyzers/index.js';
import { correlate } from '../src/correlate/correlate.js';
import type { SightingStore } from '../src/correlate/sightings.js';
import { releaseSightings } from '../src/correlate/spill.js';
import { generateCapture, parseCount } from './generate.js';

const SHIFTS = [0, 0.25, -1.5, 3];
const DROP_EVERY = 997;

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

async function main(): Promise<void> {
  const packets = parseCount(arg('--packets') ?? '250k');
  if (!Number.isFinite(packets) || packets <= 0) throw new Error('--packets: expected a count such as 250k or 1M');
  const dir = join('bench', 'out');
  mkdirSync(dir, { recursive: true });
  const files = SHIFTS.map((_, k) => join(dir, `correlate-${packets}-p${k}.pcap`));
  if (!existsSync(files[0]!)) await generateCapture({ packets, format: 'pcap-ns' }, files[0]!);
  for (let k = 1; k < files.length; k++) if (!existsSync(files[k]!)) await derive(files[0]!, files[k]!, k);

  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const c0 = cpu();
  const t0 = process.hrtime.bigint();
  const { results, failures } = await analyzeAll(files.map((path, k) => ({ name: `point${k}`, path })));
  if (failures.length) throw new Error(failures.map((f) => f.message).join('; '));
  const t1 = process.hrtime.bigint();
  const c1 = cpu();
  const passRss = process.resourceUsage().maxRSS / 1024;
  // The other analyzers' diagnosis first, so the peak it reaches is told apart from the correlation's.
  diagnose(results, null, analyzers.filter((a) => a.name !== 'path'));
  const otherRss = process.resourceUsage().maxRSS / 1024;
  const { model } = diagnose(results, null);
  const t2 = process.hrtime.bigint();
  const c2 = cpu();
  // The correlation alone, once more on the same sightings.
  const c = correlate({ sightings: results.map((r) => r.results['path'] as SightingStore), captures: model.captures, flows: model.flows, topology: model.topology });
  releaseSightings(results);
  const t3 = process.hrtime.bigint();
  const c3 = cpu();
  const alone = Number(t3 - t2) / 1e9;
  const sightings = results.reduce((n, r) => n + r.summary.packets, 0);
  const pass = Number(t1 - t0) / 1e9;
  const corr = Number(t2 - t1) / 1e9;
  const rss = process.resourceUsage().maxRSS / 1024;
  const mb = files.reduce((n, f) => n + statSync(f).size, 0) / 1048576;
  const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(34)} ${v}\n`);
  line('captures', `4 × ${packets} packets (${mb.toFixed(0)} MiB)`);
  // CPU seconds as well as wall: on a shared machine the wall clock mostly measures the neighbours.
  const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} packets/s`;
  line('pass (read, decode, collect)', `${pass.toFixed(2)} s wall, ${(c1 - c0).toFixed(2)} s CPU: ${rate(sightings, c1 - c0)} per CPU second`);
  line('diagnosis incl. correlation', `${corr.toFixed(2)} s wall, ${(c2 - c1).toFixed(2)} s CPU: ${rate(sightings, c2 - c1)} per CPU second`);
  line('correlation alone', `${alone.toFixed(2)} s wall, ${(c3 - c2).toFixed(2)} s CPU: ${rate(sightings, c3 - c2)} per CPU second`);
  line('end to end', `${rate(sightings, pass + corr)} wall, ${rate(sightings, c2 - c0)} per CPU second`);
  line('peak RSS after the pass', `${passRss.toFixed(0)} MiB`);
  line('peak RSS after the other analyzers', `${otherRss.toFixed(0)} MiB`);
  line('peak RSS', `${rss.toFixed(0)} MiB`);
  line('CPU (user + system)', `${((process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6).toFixed(1)} s`);
  line('packets seen at 2+ points', `${c.matched}`);
  line('loss groups', `${c.losses.length} (${c.losses.reduce((n, g) => n + g.lost, 0)} packets)`);
  c.points.forEach((p, k) => {
    const want = -SHIFTS[k]!;
    line(`clock ${p.capture}`, p.clockOffset === null ? 'not aligned' : `${p.clockOffset.toFixed(6)} s ± ${(p.clockOffsetError ?? 0).toFixed(6)} (applied ${want.toFixed(6)}, off by ${(Math.abs(p.clockOffset - want) * 1e6).toFixed(0)} µs; ${p.clockMethod})`);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`correlate bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
