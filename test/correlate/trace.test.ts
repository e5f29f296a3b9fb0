import { describe, expect, it } from 'vitest';
import { readInProcess } from '../commands/harness.js';
import { tshark } from '../craft/tshark-oracle.js';
import type { Report } from '../../src/report/report.js';
import { correlate } from '../../src/correlate/correlate.js';
import type { SightingStore } from '../../src/correlate/sightings.js';
import { TRACE_PACKETS } from '../../src/correlate/trace.js';
import { bare, correlateCaptures, pcap, ping, type Frame } from './helpers.js';

const DIR = 'fixtures/lab/flannel-vxlan-nft-drop';
const FILES = ['pod-a.pcap', 'node1-underlay.pcap', 'node2-underlay.pcap', 'node2-any.pcap', 'pod-b.pcap'].map((f) => `${DIR}/${f}`);
const FILTER = 'icmp.type == 8 and ip.dst == 100.96.2.2';

describe('--trace follows the matching packets across the captures', () => {
  it('JSON: one journey per echo request pod-a sent, each stopping at node2 before decapsulation', async () => {
    const r = await readInProcess({ files: FILES, format: 'json', trace: FILTER });
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const trace = report.correlation!.trace!;
    expect(trace.filter).toBe(FILTER);
    // Every request starts at pod-a, so pod-a holds exactly one frame per journey (tshark counts them).
    const sent = tshark(['-r', `${DIR}/pod-a.pcap`, '-Y', FILTER, '-T', 'fields', '-e', 'frame.number']).trim().split('\n');
    expect(trace.packets.length + trace.omitted).toBe(sent.length);
    expect(trace.packets.map((p) => p.events.find((e) => e.capture === 'pod-a.pcap')!.packet)).toEqual(sent.map(Number));
    for (const p of trace.packets) {
      expect(p.flow).toMatchObject({ src: '100.96.1.2', dst: '100.96.2.2', proto: 1 });
      expect(p.events[0]!.capture).toBe('pod-a.pcap');
      expect(p.events[0]!.since).toBe(0);
      expect(p.events.map((e) => e.capture)).toContain('node2-underlay.pcap');
      expect(p.events.map((e) => e.capture)).not.toContain('pod-b.pcap');
      expect(p.missing).toBe('node2-any.pcap (bare)');
      expect(p.events.find((e) => e.capture === 'node1-underlay.pcap')!.encap).toEqual({ kind: 'vxlan', outerSrc: '198.18.0.1', outerDst: '198.18.0.2', vni: 1 });
    }
  });

  it('text: a timeline per packet, point by point, and where it never arrived', async () => {
    const r = await readInProcess({ files: FILES, trace: FILTER });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Trace ${FILTER}`);
    expect(r.stdout).toMatch(/\+\d+ µs {2}node1-underlay\.pcap +frame \d+ {2}vxlan vni 1 198\.18\.0\.1 → 198\.18\.0\.2/);
    expect(r.stdout).toContain('✕ never reached node2-any.pcap (bare)');
  });

  it('Markdown: a compact table, one column per capture point', async () => {
    const r = await readInProcess({ files: FILES, format: 'markdown', trace: FILTER });
    // Markdown escapes punctuation in names (pod\-a\.pcap).
    const plain = r.stdout.replace(/\\/g, '');
    const header = plain.split('\n').find((l) => l.startsWith('| Packet |'))!;
    expect(header).toContain('pod-a.pcap');
    expect(header).toContain('node2-underlay.pcap');
    expect(header).not.toContain('pod-b.pcap');
    expect(plain).toMatch(/\| ✕ node2-any\.pcap \(bare\) \|/);
  });

  it('a filter that does not compile is a usage error pointing at the fault', async () => {
    const r = await readInProcess({ files: FILES, trace: 'ip.dst ==' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--trace');
    expect(r.stdout).toBe('');
  });

  it('capture point names reach the terminal escaped', async () => {
    const evil = ['pod\u001b[2J-a=' + FILES[0], 'under\u0007lay=' + FILES[1]];
    const r = await readInProcess({ files: evil, trace: FILTER });
    expect(r.stdout).toContain('Trace');
    expect(r.stdout).not.toMatch(/[\u0007\u001b]/);
  });
});

describe('--trace journeys beyond the listed ones', () => {
  it('lists the earliest in time order and counts the rest, however many matched', async () => {
    const count = 3 * TRACE_PACKETS - 7;
    const podA: Frame[] = [];
    const podB: Frame[] = [];
    for (let s = 0; s < count; s++) {
      const req = (ttl: number) => ping({ src: '100.96.1.10', dst: '100.96.2.10', id: 4, seq: s, ipId: s + 1, ttl });
      podA.push({ t: s * 0.01, data: bare(req(64)) });
      podB.push({ t: s * 0.01 + 0.0002, data: bare(req(62)) });
    }
    const { model } = await correlateCaptures([
      { name: 'pod-a', bytes: pcap(podA) },
      { name: 'pod-b', bytes: pcap(podB) },
    ]);
    // Every frame of pod-b matched the filter; pod-a's are reached through them.
    const frames = [undefined, { packets: Array.from({ length: count }, (_, i) => i + 1), count }];
    const c = correlate({ sightings: model.results['path'] as SightingStore[], captures: model.captures, flows: model.flows, topology: model.topology, slice: 0.25, trace: { filter: 'icmp', frames } });
    expect(c.trace!.packets).toHaveLength(TRACE_PACKETS);
    expect(c.trace!.omitted).toBe(count - TRACE_PACKETS);
    expect(c.trace!.packets.map((p) => p.events.find((e) => e.capture === 'pod-b')!.packet)).toEqual(Array.from({ length: TRACE_PACKETS }, (_, i) => i + 1));
  });
});
