/**
 * A scan is the cheapest hostile capture: every packet a new flow. The flow table and the
 * topology tables have caps, evict or stop counting beyond them, say so, and keep the
 * pass's memory flat however many distinct flows go by.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { encodePcapHeader } from '../../src/capture/writer.js';
import { ETHERTYPE, ethernet, ipTcp, bgpKeepalive } from '../../src/craft/index.js';
import { foldChecksum, onesSum } from '../../src/decode/bytes.js';
import { analyzeReader, type CaptureResult } from '../../src/analysis/pass.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { TopologyObservations } from '../../src/analysis/topology/collect.js';
import { buildReport } from '../../src/report/report.js';
import { renderText } from '../../src/report/text.js';
import { renderMarkdown } from '../../src/report/markdown.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * `n` TCP segments from n distinct sources (10.x.y.z, a new source port each), each the
 * first packet of its flow, to one destination: what a SYN scan looks like from the
 * target. Built by patching one template, checksums kept right.
 */
function scan(n: number, dport: number, payload: Buffer = Buffer.alloc(0), flags = 'S'): Buffer {
  const tpl = ethernet(
    { src: '52:54:00:c6:12:01', dst: '52:54:00:c6:12:02', type: ETHERTYPE.IPV4 },
    ipTcp({ src: '10.0.0.1', dst: '100.96.2.7', sport: 1024, dport, seq: 1, ack: flags === 'S' ? 0 : 1, flags, window: 1024 }, payload),
  );
  const head = encodePcapHeader({ linktype: 1, nanosecond: true });
  const rec = 16 + tpl.length;
  const out = Buffer.alloc(head.length + n * rec);
  head.copy(out, 0);
  const ipLen = tpl.length - 14;
  for (let k = 0; k < n; k++) {
    const o = head.length + k * rec;
    out.writeUInt32LE(1_700_000_000 + Math.floor(k / 1000), o);
    out.writeUInt32LE((k % 1000) * 1_000_000, o + 4);
    out.writeUInt32LE(tpl.length, o + 8);
    out.writeUInt32LE(tpl.length, o + 12);
    const p = o + 16;
    tpl.copy(out, p);
    const ip = p + 14;
    out.writeUInt32BE((0x0a000000 + k + 1) >>> 0, ip + 12);
    out.writeUInt16BE(1024 + (k % 60000), ip + 20);
    out.writeUInt16BE(0, ip + 10);
    out.writeUInt16BE(~foldChecksum(onesSum(out, ip, ip + 20)) & 0xffff, ip + 10);
    const tcp = ip + 20;
    out.writeUInt16BE(0, tcp + 16);
    let sum = onesSum(out, ip + 12, ip + 20) + 6 + (ipLen - 20);
    sum = onesSum(out, tcp, p + tpl.length, sum);
    out.writeUInt16BE(~foldChecksum(sum) & 0xffff, tcp + 16);
  }
  return out;
}

async function pass(buf: Buffer, flowCapacity?: number): Promise<CaptureResult> {
  return analyzeReader(CaptureReader.fromBuffer(buf, 'scan.pcap'), { name: 'scan.pcap', path: '-' }, 0, flowCapacity ? { flowCapacity } : {});
}

describe('a SYN scan of 200 000 distinct flows through a 10 000-flow table', () => {
  it('finishes, keeps at most the table size, counts what it evicted and keeps memory flat', async () => {
    const small = scan(50_000, 80);
    const big = scan(200_000, 80);
    const base = heapAfterGc();
    const t0 = performance.now();
    const r1 = await pass(small, 10_000);
    const afterSmall = heapAfterGc() - base;
    const r2 = await pass(big, 10_000);
    const ms = performance.now() - t0;
    const afterBig = heapAfterGc() - base;
    for (const [r, n] of [
      [r1, 50_000],
      [r2, 200_000],
    ] as const) {
      expect(r.summary.packets).toBe(n);
      expect(r.flows.length).toBeLessThanOrEqual(10_000);
      // The table is full; only the flows the report and analyzers need are materialized.
      expect(r.summary.flows).toBe(10_000);
      // Every flow beyond the table's size pushed an older one out, and that is counted.
      expect(r.summary.flowsEvicted).toBe(n - r.summary.flows);
      expect((r.results['topology'] as TopologyObservations).overflow).toBeGreaterThan(0);
    }
    // Four times the flows: the second result holds no more than the first, the caps set both.
    const heldBig = afterBig - afterSmall;
    expect(heldBig).toBeLessThan(afterSmall * 1.5 + (8 << 20));
    expect(heldBig).toBeLessThan(100 << 20);
    console.info(`scan: 250 000 packets in ${ms.toFixed(0)} ms; a pass's result holds ${(afterSmall / 2 ** 20).toFixed(1)} MiB after 50k flows, ${(heldBig / 2 ** 20).toFixed(1)} MiB after 200k`);
  }, 120_000);

  it('the text and Markdown reports say the flow table overflowed', async () => {
    const r = await pass(scan(3000, 80), 100);
    expect(r.summary.flowsEvicted).toBe(2900);
    const { model, findings } = diagnose([r], null);
    const report = buildReport(model, findings, '0.0.0', ['netdiag']);
    // Otherwise the flow statistics of a scanned capture read as complete.
    expect(renderText(report)).toMatch(/evict|flow table/i);
    expect(renderMarkdown(report)).toMatch(/evict|flow table/i);
  });

  it('with the default table, 200 000 flows still end in a bounded pass', async () => {
    const r = await pass(scan(200_000, 443));
    expect(r.summary.packets).toBe(200_000);
    expect(r.summary.flows + r.summary.flowsEvicted).toBe(200_000);
    expect(r.flows.length).toBeLessThanOrEqual(131072);
  }, 120_000);
});

describe('a scan of BGP speakers', () => {
  it('keeps the BGP analyzer per-session table bounded', async () => {
    const base = heapAfterGc();
    const r = await pass(scan(100_000, 179, bgpKeepalive(), 'P.'), 10_000);
    const grown = heapAfterGc() - base;
    const bgp = r.results['bgp'] as { directions: unknown[] } | undefined;
    expect(bgp).toBeDefined();
    console.info(`bgp scan: ${bgp!.directions.length} directions kept, retained heap ${(grown / 2 ** 20).toFixed(1)} MiB`);
    expect(bgp!.directions.length).toBeLessThanOrEqual(20_000);
  }, 120_000);
});
