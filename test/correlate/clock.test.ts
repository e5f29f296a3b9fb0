import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { encodePcapHeader, encodePcapRecord } from '../../src/capture/writer.js';
import { bare, correlateCaptures, pcap, ping } from './helpers.js';

const LAB = 'fixtures/lab/flannel-vxlan-healthy';

/** A copy of a capture with every timestamp moved by `shift` seconds (nanosecond pcap). */
async function shifted(path: string, shift: number): Promise<Buffer> {
  const reader = CaptureReader.fromBuffer(readFileSync(path), path);
  const iface = reader.interfaces[0];
  const o = { linktype: iface?.linktype ?? 1, nanosecond: true, snaplen: iface?.snaplen ?? 262144 };
  const parts: Buffer[] = [];
  const rec = reader.rec;
  for (;;) {
    while (reader.next()) {
      const ns = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec) + BigInt(Math.round(shift * 1e9));
      parts.push(encodePcapRecord(o, { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) }, Buffer.from(rec.buf.subarray(rec.off, rec.off + rec.capLen)), rec.wireLen));
    }
    if (!(await reader.fill())) break;
  }
  await reader.close();
  if (parts.length === 0) throw new Error(`${path}: no packets`);
  return Buffer.concat([encodePcapHeader(o), ...parts]);
}

const file = (name: string) => `${LAB}/${name}`;

describe('capture clocks', () => {
  it('recovers known offsets of lab captures within 1 ms, from packets in both directions', async () => {
    const captures = [
      { name: 'pod-a.pcap', bytes: await shifted(file('pod-a.pcap'), 0) },
      { name: 'node1-underlay.pcap', bytes: await shifted(file('node1-underlay.pcap'), 0.75) },
      { name: 'node2-underlay.pcap', bytes: await shifted(file('node2-underlay.pcap'), -3.2) },
      { name: 'pod-b.pcap', bytes: await shifted(file('pod-b.pcap'), 2.5) },
    ];
    const { correlation, model } = await correlateCaptures(captures);
    const byName = new Map(correlation.points.map((p) => [p.capture, p]));
    // Seconds to add to put each on pod-a's clock: minus the shift applied.
    const expected: Record<string, number> = { 'pod-a.pcap': 0, 'node1-underlay.pcap': -0.75, 'node2-underlay.pcap': 3.2, 'pod-b.pcap': -2.5 };
    for (const [name, off] of Object.entries(expected)) {
      const p = byName.get(name)!;
      expect(Math.abs(p.clockOffset! - off), `${name}: ${p.clockOffset}`).toBeLessThan(0.001);
      expect(p.clockOffsetError!).toBeLessThan(0.001);
    }
    expect(byName.get('pod-b.pcap')!.clockMethod).toBe('two-way');
    // The report's capture summaries carry the same numbers.
    expect(Math.abs(model.captures[3]!.clockOffset - -2.5)).toBeLessThan(0.001);
    // Ordered on the corrected clocks, the path reads pod-a → underlays → pod-b again.
    const req = correlation.paths.find((p) => p.flow.src === '100.96.1.2' && p.flow.dst === '100.96.2.2' && p.flow.proto === 1)!;
    expect(req.hops.map((h) => h.capture)).toEqual(['pod-a.pcap', 'node1-underlay.pcap', 'node2-underlay.pcap', 'pod-b.pcap']);
    for (const s of req.segments) expect(s.latency!.min).toBeGreaterThanOrEqual(0);
    expect(correlation.losses).toEqual([]);
  });

  it('reports a capture sharing no packet with the others as not aligned instead of guessing', async () => {
    const lonely = pcap([{ t: 0, data: bare(ping({ src: '100.96.3.3', dst: '100.96.3.4', id: 1, seq: 1, ipId: 1, ttl: 64 })) }]);
    const { correlation } = await correlateCaptures([
      { name: 'pod-a.pcap', bytes: readFileSync(file('pod-a.pcap')) },
      { name: 'pod-b.pcap', bytes: readFileSync(file('pod-b.pcap')) },
      { name: 'elsewhere.pcap', bytes: lonely },
    ]);
    const p = correlation.points.find((x) => x.capture === 'elsewhere.pcap')!;
    expect(p.clockOffset).toBeNull();
    expect(p.clockOffsetError).toBeNull();
    expect(p.clockMethod).toBe('none');
  });

  it('gives a one-way estimate a wider error than a two-way one', async () => {
    // Only requests cross: pod-a → underlay, 300 µs later on a clock 10 s ahead.
    const req = (s: number, ttl: number) => ping({ src: '100.96.1.10', dst: '100.96.2.10', id: 3, seq: s, ipId: 40 + s, ttl });
    const a = pcap([0, 1, 2].map((s) => ({ t: s * 0.1, data: bare(req(s, 64)) })));
    const b = pcap([0, 1, 2].map((s) => ({ t: 10 + s * 0.1 + 0.0003, data: bare(req(s, 63)) })));
    const { correlation } = await correlateCaptures([
      { name: 'a', bytes: a },
      { name: 'b', bytes: b },
    ]);
    const p = correlation.points[1]!;
    expect(p.clockMethod).toBe('one-way');
    expect(Math.abs(p.clockOffset! - -10.0003)).toBeLessThan(1e-6);
    expect(p.clockOffsetError!).toBeGreaterThanOrEqual(0.001);
  });
});

describe('one-way clocks that agree', () => {
  it('keeps a zero offset when packets only go one way and arrive a plausible delay later', async () => {
    const req = (s: number, ttl: number) => ping({ src: '100.96.1.10', dst: '100.96.2.10', id: 3, seq: s, ipId: 40 + s, ttl });
    const a = pcap([0, 1, 2].map((s) => ({ t: s * 0.1, data: bare(req(s, 64)) })));
    const b = pcap([0, 1, 2].map((s) => ({ t: s * 0.1 + 0.0003 + s * 0.0001, data: bare(req(s, 63)) })));
    const { correlation } = await correlateCaptures([
      { name: 'a', bytes: a },
      { name: 'b', bytes: b },
    ]);
    const p = correlation.points[1]!;
    expect(p.clockMethod).toBe('one-way');
    expect(p.clockOffset).toBe(0);
    // The latency survives instead of being absorbed into an offset.
    expect(correlation.paths[0]!.segments[0]!.latency!.min).toBeCloseTo(0.0003, 6);
  });
});
