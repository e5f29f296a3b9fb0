import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import { analyzeCaptures, Capture, node, type Node } from '../../helpers/scenario.js';
import { bgpSession, inTimeOrder } from '../../helpers/bgp-scenario.js';
import { bgpUpdate } from '../../../src/craft/bgp.js';
import { diagnose } from '../../../src/analysis/diagnose.js';
import { analyzers } from '../../../src/analysis/analyzers/index.js';
import { addClusterText } from '../../../src/k8s/load.js';
import { emptyClusterState } from '../../../src/k8s/types.js';

/** Path attribute type codes of RFC 4456. */
const ORIGINATOR_ID = 9;
const CLUSTER_LIST = 10;

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

describe('route reflection and declared peers against a missing mesh', () => {
  const [a, b, c, rr] = nodes(4);
  /** What a reflector sends its client: the other nodes' pod blocks, with or without the reflection attributes. */
  const fromReflector = (reflect: boolean) =>
    [b!, c!].map((origin, k) =>
      bgpUpdate({
        attributes: [
          { type: 'origin', value: 'igp' },
          { type: 'as-path', segments: [] },
          { type: 'next-hop', addr: origin.ip },
          { type: 'local-pref', value: 100 },
          ...(reflect
            ? [
                { type: ORIGINATOR_ID, flags: 0x80, data: Buffer.from(origin.ip.split('.').map(Number)) },
                { type: CLUSTER_LIST, flags: 0x80, data: Buffer.from(rr!.ip.split('.').map(Number)) },
              ]
            : []),
        ],
        nlri: [`100.96.${k + 2}.0/24`],
      }),
    );
  /** A capture on a node that peers with the reflector only. */
  const clientCapture = (reflect: boolean) => {
    const cap = new Capture('node1-underlay.pcap');
    bgpSession(cap, a!, rr!, 0, { sport: 40000, keepalive: 30, duration: 60, serverUpdates: fromReflector(reflect) });
    return inTimeOrder(cap);
  };
  const peerList = (meshEnabled: boolean, peers: string[]) => {
    const s = emptyClusterState();
    const items = [
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMeshEnabled: meshEnabled, asNumber: 64512 } },
      ...peers.map((name) => ({ apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name }, spec: { nodeSelector: 'all()', peerSelector: 'route-reflector == "true"' } })),
    ];
    addClusterText(s, 'k8s/cluster.json', JSON.stringify({ kind: 'List', items }));
    return s;
  };

  it('reads a node peering with the reflector only as a client when the UPDATEs carry ORIGINATOR_ID and CLUSTER_LIST', async () => {
    const { findings } = await analyzeCaptures([clientCapture(true)]);
    expect(byId(findings, 'bgp-session.mesh-incomplete')).toEqual([]);
    const [t] = byId(findings, 'bgp-session.topology');
    expect(t?.title).toContain('route reflection');
    expect(t?.title).toContain('198.18.0.4 reflects routes');
    expect(t?.evidence[0]?.note).toContain('ORIGINATOR_ID 198.18.0.2, 198.18.0.3');
    expect(t?.evidence[0]?.packets.length).toBe(2);
  });

  it('still names the missing peers when the same sessions carry no reflection attributes', async () => {
    const { findings } = await analyzeCaptures([clientCapture(false)]);
    const [f] = byId(findings, 'bgp-session.mesh-incomplete');
    expect(f).toMatchObject({ node: '198.18.0.1', severity: 'warning' });
    expect(f!.title).toContain('none with 198.18.0.2, 198.18.0.3');
  });

  it('stays quiet about the mesh when the cluster disables it and declares BGPPeers', async () => {
    const { results } = await analyzeCaptures([clientCapture(false)]);
    const { findings } = diagnose(results, null, analyzers, peerList(false, ['peer-with-rr']));
    expect(byId(findings, 'bgp-session.mesh-incomplete')).toEqual([]);
    expect(byId(findings, 'bgp-session.topology')[0]?.title).toContain('node-to-node mesh disabled');
  });

  it('still flags the missing mesh when the cluster keeps the mesh on, or disables it without any BGPPeer', async () => {
    const { results } = await analyzeCaptures([clientCapture(false)]);
    for (const state of [peerList(true, ['peer-with-rr']), peerList(false, [])]) {
      const { findings } = diagnose(results, null, analyzers, state);
      expect(byId(findings, 'bgp-session.mesh-incomplete').map((f) => f.node)).toEqual(['198.18.0.1']);
    }
  });
});
