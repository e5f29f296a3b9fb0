import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import { analyzeReader, parseCaptureArg } from '../../src/analysis/pass.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { analyzeAll } from '../../src/analysis/run.js';
import { correlate } from '../../src/correlate/correlate.js';
import { chunkBytes, chunkColumns, copyRows, type SightingStore } from '../../src/correlate/sightings.js';
import { releaseSightings } from '../../src/correlate/spill.js';
import { readPrefix } from '../../src/correlate/stream.js';
import { bare, correlateCaptures, encapsulate, NODE1, NODE2, pcap, ping, type Frame } from './helpers.js';

const A = '100.96.1.10';
const B = '100.96.2.10';
const LAB = 'fixtures/lab/flannel-vxlan-nft-drop';
const LAB_FILES = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => join(LAB, f));

/**
 * pod-a → node1 underlay → node2 underlay → pod-b, a ping every 0.5 s with its reply, `hop`
 * seconds per hop; the request with seq `late` reaches node2's underlay and pod-b `delay`
 * seconds after it left.
 */
function delayedPath(count: number, late: number, delay: number, hop = 0.0001) {
  const podA: Frame[] = [];
  const under1: Frame[] = [];
  const under2: Frame[] = [];
  const podB: Frame[] = [];
  for (let s = 0; s < count; s++) {
    const t = s * 0.5;
    const d = s === late ? delay : 0;
    const req = (ttl: number) => ping({ src: A, dst: B, id: 9, seq: s, ipId: 2000 + s, ttl });
    const rep = (ttl: number) => ping({ src: B, dst: A, id: 9, seq: s, ipId: 6000 + s, ttl, reply: true });
    podA.push({ t, data: bare(req(64)) });
    under1.push({ t: t + hop, data: encapsulate('vxlan', req(63), NODE1, NODE2) });
    under2.push({ t: t + d + 2 * hop, data: encapsulate('vxlan', req(63), NODE1, NODE2) });
    podB.push({ t: t + d + 3 * hop, data: bare(req(62)) });
    if (s === late) continue;
    podB.push({ t: t + 4 * hop, data: bare(rep(64)) });
    under2.push({ t: t + 5 * hop, data: encapsulate('vxlan', rep(63), NODE2, NODE1) });
    under1.push({ t: t + 6 * hop, data: encapsulate('vxlan', rep(63), NODE2, NODE1) });
    podA.push({ t: t + 7 * hop, data: bare(rep(62)) });
  }
  const sorted = (f: Frame[]) => f.sort((x, y) => x.t - y.t);
  return [
    { name: 'pod-a', bytes: pcap(sorted(podA)) },
    { name: 'node1-underlay', bytes: pcap(sorted(under1)) },
    { name: 'node2-underlay', bytes: pcap(sorted(under2)) },
    { name: 'pod-b', bytes: pcap(sorted(podB)) },
  ];
}

/** The same sightings cut into chunks of `rows` rows. */
function rechunk(s: SightingStore, rows: number): SightingStore {
  const all = readPrefix(s, Infinity);
  const chunks: ArrayBuffer[] = [];
  for (let at = 0; at < all.count; at += rows) {
    const buf = new ArrayBuffer(chunkBytes(rows));
    copyRows(all, at, Math.min(all.count, at + rows), chunkColumns(buf, rows), 0);
    chunks.push(buf);
  }
  return { ...s, file: null, chunks, chunkRows: rows, chunkBytes: chunkBytes(rows) };
}

async function inMemory(captures: Array<{ name: string; bytes: Buffer }>) {
  const results = [];
  for (let k = 0; k < captures.length; k++) results.push(await analyzeReader(CaptureReader.fromBuffer(captures[k]!.bytes, captures[k]!.name), { name: captures[k]!.name, path: '-' }, k));
  return results;
}


describe('correlation over a sliding window', () => {
  it('does not match two sightings further apart than the window: the packet is lost where it stopped', async () => {
    const { correlation } = await correlateCaptures(delayedPath(12, 3, 3));
    // The late request is two packets: one that stopped at node1's underlay, one that appeared at node2's.
    const req = correlation.paths.find((p) => p.flow.src === A)!;
    expect(req.packets).toBe(13);
    expect(correlation.matched).toBe(11 + 11 + 2);
    expect(correlation.losses).toHaveLength(1);
    // pod-a frames alternate request and reply: seq 3's request is frame 7.
    expect(correlation.losses[0]).toMatchObject({ place: 'underlay', lastSeen: 'node1-underlay', firstMissing: 'node2-underlay', lost: 1 });
    expect(correlation.losses[0]!.sample).toEqual([7]);
  });

  it('matches the same late sightings when the window is wider than their delay', async () => {
    const results = await inMemory(delayedPath(12, 3, 3));
    const { model } = diagnose(results, null);
    const sightings = results.map((r) => r.results['path'] as SightingStore);
    const wide = correlate({ sightings, captures: model.captures, flows: model.flows, topology: model.topology, window: 5 });
    expect(wide.losses).toEqual([]);
    expect(wide.matched).toBe(12 + 11);
    expect(wide.paths.find((p) => p.flow.src === A)!.packets).toBe(12);
  });

  it('follows packets whose sightings straddle slice and chunk boundaries as in one piece', async () => {
    // 100 ms per hop: every reply's journey crosses a half-second slice boundary.
    const results = await inMemory(delayedPath(12, -1, 0, 0.1));
    const { model } = diagnose(results, null);
    const whole = model.correlation!;
    expect(whole.matched).toBe(24);
    expect(whole.paths.find((p) => p.flow.src === B)!.segments.map((s) => s.packets)).toEqual([12, 12, 12]);
    const stores = results.map((r) => rechunk(r.results['path'] as SightingStore, 8));
    const sliced = correlate({ sightings: stores, captures: model.captures, flows: model.flows, topology: model.topology, slice: 0.5, sliceRows: 1 });
    expect(sliced).toEqual(whole);
  });

  it('gives the same result on a lab capture set in half-second slices of 8-row chunks', async () => {
    const { results } = await analyzeAll(LAB_FILES.map(parseCaptureArg));
    try {
      const { model } = diagnose(results, null);
      const whole = model.correlation!;
      expect(whole.matched).toBeGreaterThan(10);
      expect(whole.losses.length).toBeGreaterThan(0);
      const stores = results.map((r) => rechunk(r.results['path'] as SightingStore, 8));
      const sliced = correlate({ sightings: stores, captures: model.captures, flows: model.flows, topology: model.topology, slice: 0.5, sliceRows: 1 });
      expect(sliced).toEqual(whole);
    } finally {
      releaseSightings(results);
    }
  });
});
