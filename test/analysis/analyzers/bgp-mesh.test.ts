import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import { analyzeCaptures, Capture, node, type Node } from '../../helpers/scenario.js';
import { bgpSession, inTimeOrder } from '../../helpers/bgp-scenario.js';

const nodes = (count: number): Node[] =>
  Array.from({ length: count }, (_, k) => node(k + 1, { mac: `02:00:00:00:${((k + 1) >> 8).toString(16).padStart(2, '0')}:${((k + 1) & 255).toString(16).padStart(2, '0')}` }));

/** A capture on `at` holding its BGP sessions with each of `peers`. */
function captureOn(at: Node, peers: Node[]): Capture {
  const c = new Capture(`node${at.ip.split('.')[3]}-underlay.pcap`);
  peers.forEach((p, k) => bgpSession(c, at, p, k * 0.01, { sport: 40000 + k, keepalive: 30, duration: 60 }));
  return inTimeOrder(c);
}

const byId = (findings: Finding[], id: string) => findings.filter((f) => f.id === id);

describe('BGP mesh shape against the cluster size', () => {
  it('sees a full mesh from one node that peers with every other node', async () => {
    const [a, ...rest] = nodes(4);
    const { findings } = await analyzeCaptures([captureOn(a!, rest)]);
    expect(byId(findings, 'bgp-session.mesh-incomplete')).toEqual([]);
    const [t] = byId(findings, 'bgp-session.topology');
    expect(t?.severity).toBe('info');
    expect(t?.title).toContain('full mesh: 4 nodes, 6 sessions');
  });

  it('names a node that peers with some nodes but not all of a full mesh', async () => {
    const [a, b, c, d] = nodes(4);
    const { findings } = await analyzeCaptures([captureOn(a!, [b!, c!]), captureOn(b!, [a!, c!, d!])]);
    const [f, ...more] = byId(findings, 'bgp-session.mesh-incomplete');
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'warning', node: '198.18.0.1' });
    expect(f!.title).toContain('none with 198.18.0.4');
  });

  it('tells route-reflector clients, which keep one session, from a broken mesh', async () => {
    const all = nodes(6);
    const rr = all[5]!;
    const clients = all.slice(0, 5);
    const { findings } = await analyzeCaptures([captureOn(clients[0]!, [rr]), captureOn(rr, clients)]);
    expect(byId(findings, 'bgp-session.mesh-incomplete')).toEqual([]);
    const [t] = byId(findings, 'bgp-session.topology');
    expect(t?.title).toContain('route reflection');
    expect(t?.title).toContain('198.18.0.6');
  });

  it('reads a small cluster whose nodes peer only with the one node that peers with all as route reflection', async () => {
    const [a, b, rr] = nodes(3);
    const { findings } = await analyzeCaptures([captureOn(a!, [rr!]), captureOn(b!, [rr!]), captureOn(rr!, [a!, b!])]);
    expect(byId(findings, 'bgp-session.mesh-incomplete')).toEqual([]);
    expect(byId(findings, 'bgp-session.topology')[0]?.title).toContain('route reflection');
  });

  it('warns when a full mesh spans more nodes than it scales to', async () => {
    const [a, ...rest] = nodes(102);
    const { findings } = await analyzeCaptures([captureOn(a!, rest)]);
    const [f] = byId(findings, 'bgp-session.full-mesh-large');
    expect(f?.severity).toBe('warning');
    expect(f?.title).toContain(`${(102 * 101) / 2} sessions`);
  });
});
