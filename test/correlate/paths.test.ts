import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import type { Model } from '../../src/analysis/model.js';
import { correlate } from '../../src/correlate/correlate.js';
import { REPORT_PATHS } from '../../src/correlate/paths.js';
import type { SightingStore } from '../../src/correlate/sightings.js';
import { releaseSightings } from '../../src/correlate/spill.js';
import { bare, correlateCaptures, encapsulate, NODE1, NODE2, pcap, tcpSegment, type Frame } from './helpers.js';

const A = '100.96.1.10';
const B = '100.96.2.10';
const FLOWS = 150;

/** The model's correlation again, retiring flows after `idle` seconds without packets. */
function again(model: Model, idle: number) {
  return correlate({ sightings: model.results['path'] as SightingStore[], captures: model.captures, flows: model.flows, topology: model.topology, slice: 0.25, idle });
}

/**
 * pod-a → node1 underlay → node2 underlay → pod-b: FLOWS short TCP flows one after the
 * other (0.3 s apart, 1 to 7 segments each), so most are over long before the captures
 * end. Every tenth flow (from the sixth on) loses its last segment between the two underlays.
 */
function shortFlows() {
  const caps: Frame[][] = [[], [], [], []];
  for (let k = 0; k < FLOWS; k++) {
    const n = 1 + (k % 7);
    for (let s = 0; s < n; s++) {
      const t = k * 0.3 + s * 0.02;
      const seg = (ttl: number) => tcpSegment({ src: A, dst: B, sport: 20000 + k, dport: 80, seq: 1000 + s * 100, ack: 1, flags: 'A', ipId: (k * 8 + s) & 0xffff, ttl, len: 100 });
      caps[0]!.push({ t, data: bare(seg(64)) });
      caps[1]!.push({ t: t + 0.0001, data: encapsulate('vxlan', seg(63), NODE1, NODE2) });
      if (k % 10 === 5 && s === n - 1) continue;
      caps[2]!.push({ t: t + 0.0002, data: encapsulate('vxlan', seg(63), NODE1, NODE2) });
      caps[3]!.push({ t: t + 0.0003, data: bare(seg(62)) });
    }
  }
  return ['pod-a', 'node1-underlay', 'node2-underlay', 'pod-b'].map((name, c) => ({ name, bytes: pcap(caps[c]!) }));
}

describe('flows retired after going quiet', () => {
  it('leave the listed paths, their losses and the count of the rest as an unbounded run gives them', async () => {
    const { model } = await correlateCaptures(shortFlows());
    const unbounded = again(model, Infinity);
    const bounded = again(model, 0.2);
    expect(unbounded.paths).toHaveLength(REPORT_PATHS);
    expect(unbounded.pathsOmitted).toBe(FLOWS - REPORT_PATHS);
    // The flows that lost a segment come first, one segment each, on the underlay.
    const lossy = unbounded.paths.filter((p) => p.lost > 0);
    expect(lossy.map((p) => p.flow.sport).sort()).toEqual(Array.from({ length: FLOWS / 10 }, (_, i) => 20005 + i * 10));
    expect(unbounded.paths.slice(0, lossy.length)).toEqual(lossy);
    expect(bounded.paths).toEqual(unbounded.paths);
    expect(bounded.pathsOmitted).toBe(unbounded.pathsOmitted);
    expect(bounded.losses).toEqual(unbounded.losses);
    expect(bounded.matched).toBe(unbounded.matched);
  });

  it('are taken up again when they resume: a lab capture set retiring every flow at every slice', async () => {
    const dir = 'fixtures/lab/flannel-vxlan-mtu';
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.pcap'))
      .sort()
      .map((f) => join(dir, f));
    const { results } = await analyzeAll(files.map(parseCaptureArg));
    try {
      const { model } = diagnose(results, null);
      const unbounded = again(model, Infinity);
      const retiring = again(model, 0);
      expect(unbounded.losses.length).toBeGreaterThan(0);
      expect(retiring.paths).toEqual(unbounded.paths);
      expect(retiring.losses).toEqual(unbounded.losses);
    } finally {
      releaseSightings(results);
    }
  });
});

describe('a path across many capture points', () => {
  it('lists all eleven hops in order and the latency between each pair of neighbours', async () => {
    // One pod's packets seen at eleven points 100 µs apart: more hops than a flow scans for,
    // more hop pairs than the flat segment table holds.
    const POINTS = 11;
    const caps: Frame[][] = Array.from({ length: POINTS }, () => []);
    for (let s = 0; s < 20; s++) {
      const seg = (ttl: number) => tcpSegment({ src: A, dst: B, sport: 30000, dport: 80, seq: 1000 + s * 100, ack: 1, flags: 'A', ipId: s + 1, ttl, len: 100 });
      for (let c = 0; c < POINTS; c++) caps[c]!.push({ t: s * 0.01 + c * 0.0001, data: c % 2 === 0 ? bare(seg(64)) : encapsulate('vxlan', seg(63), NODE1, NODE2) });
    }
    const names = caps.map((_, c) => `point-${String(c).padStart(2, '0')}`);
    const { correlation } = await correlateCaptures(caps.map((frames, c) => ({ name: names[c]!, bytes: pcap(frames) })));
    const path = correlation.paths.find((p) => p.flow.src === A && p.flow.sport === 30000)!;
    expect(path.packets).toBe(20);
    expect(path.hops.map((h) => h.capture)).toEqual(names);
    expect(path.hops.every((h) => h.packets === 20)).toBe(true);
    expect(path.segments).toHaveLength(POINTS - 1);
    for (const sg of path.segments) {
      expect(sg.packets).toBe(20);
      expect(sg.latency!.median).toBeCloseTo(0.0001, 6);
    }
  });
});
