import { describe, expect, it } from 'vitest';
import { analyzeAll } from '../../src/analysis/run.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { PacketFacts } from '../../src/analysis/facts.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { SightingCollector } from '../../src/correlate/sightings.js';
import { readPrefix } from '../../src/correlate/stream.js';
import { correlate } from '../../src/correlate/correlate.js';
import { emptyTopology } from '../../src/analysis/topology/types.js';
import type { CaptureSummary } from '../../src/analysis/model.js';
import { bare, pcap, ping } from './helpers.js';
import { tshark } from '../craft/tshark-oracle.js';

const POD_A = 'fixtures/lab/flannel-vxlan-healthy/pod-a.pcap';

async function collect(bytes: Buffer, limit: number) {
  const reg = createRegistry();
  const dec = new Decoder(reg);
  const facts = new PacketFacts(reg);
  const c = new SightingCollector('x', limit);
  const r = CaptureReader.fromBuffer(bytes, 'x');
  for (;;) {
    while (r.next()) {
      const p = dec.decode(r.rec, 0);
      facts.extract(p);
      c.add(facts, p, r.rec.tsSec + r.rec.tsNsec / 1e9);
    }
    if (!(await r.fill())) break;
  }
  const store = c.finish();
  return { store, rows: readPrefix(store, Infinity) };
}

describe('sightings', () => {
  it('are kept only when there is another capture to follow packets into (or a --trace)', async () => {
    const alone = await analyzeAll([parseCaptureArg(POD_A)]);
    expect(alone.results[0]!.results['path']).toBeUndefined();
    const traced = await analyzeAll([parseCaptureArg(POD_A)], { trace: 'icmp' });
    // One sighting per IP packet (ARP has none): as many as tshark counts.
    const ipPackets = tshark(['-r', POD_A, '-Y', 'ip', '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length;
    expect((traced.results[0]!.results['path'] as { count: number }).count).toBe(ipPackets);
  });

  it('stop at the per-capture bound, and the correlation says which capture was cut', async () => {
    const frames = [0, 1, 2, 3, 4].map((s) => ({ t: s * 0.01, data: bare(ping({ src: '100.96.1.10', dst: '100.96.2.10', id: 1, seq: s, ipId: s, ttl: 64 })) }));
    const { store, rows: t } = await collect(pcap(frames), 3);
    expect(t.count).toBe(3);
    expect(t.truncated).toBe(true);
    expect(Array.from(t.frame)).toEqual([1, 2, 3]);
    const summary = { name: 'x', firstTime: 0, lastTime: 1 } as CaptureSummary;
    const other = { ...summary, name: 'y' };
    const c = correlate({ sightings: [store, undefined], captures: [summary, other], flows: [[], []], topology: emptyTopology() });
    expect(c.truncated).toEqual(['x']);
  });

  it('keep no row for a packet without IP, and one per IP packet otherwise', async () => {
    const { rows: t } = await collect(pcap([{ t: 0, data: Buffer.alloc(60, 0xff) }, { t: 0.1, data: bare(ping({ src: '100.96.1.10', dst: '100.96.2.10', id: 1, seq: 1, ipId: 1, ttl: 64 })) }]), 10);
    expect(t.count).toBe(1);
    expect(t.frame[0]).toBe(2);
    expect(t.size[0]).toBe(84);
  });
});
