import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import { ethernet, ETHERTYPE, ipTcp } from '../../../src/craft/index.js';
import { analyzeCaptures, Capture, healthyExchange, node, type Node } from '../../helpers/scenario.js';
import { analyzeFiles, MultiInterfaceCapture } from '../../helpers/capture-files.js';

const n1 = node(1);
const n2 = node(2);
const GATEWAY_MAC = '02:00:00:00:00:fe';

/** A pod SYN routed bare out of `from`'s underlay NIC towards the default gateway. */
function bareSyn(from: Node, to: Node, sport: number): Buffer {
  return ethernet({ src: from.mac, dst: GATEWAY_MAC, type: ETHERTYPE.IPV4 }, ipTcp({ src: `${from.pods}.10`, dst: `${to.pods}.10`, ttl: 63, df: true, sport, dport: 80, seq: 1, flags: 'S' }));
}

/** Bare pod-to-pod exchange straight between two nodes on one L2 (flannel DirectRouting, Calico CrossSubnet). */
function directExchange(c: Capture, a: Node, b: Node, t0: number, sport: number): void {
  const seg = (x: Node, y: Node, o: { sport: number; dport: number; seq: number; ack?: number; flags: string }) =>
    ethernet({ src: x.mac, dst: y.mac, type: ETHERTYPE.IPV4 }, ipTcp({ src: `${x.pods}.10`, dst: `${y.pods}.10`, ttl: 63, df: true, ...o }));
  c.add(t0, seg(a, b, { sport, dport: 80, seq: 1, flags: 'S' }));
  c.add(t0 + 0.001, seg(b, a, { sport: 80, dport: sport, seq: 9, ack: 2, flags: 'SA' }));
  c.add(t0 + 0.002, seg(a, b, { sport, dport: 80, seq: 2, ack: 10, flags: '.' }));
}

const unencapsulated = (findings: Finding[]) => findings.filter((f) => f.id === 'route.unencapsulated-pod-traffic');

describe('pod traffic leaving unencapsulated on an overlay', () => {
  it('names the node that sends bare pod packets to a node it otherwise reaches through VXLAN', async () => {
    const c = new Capture('node1-underlay.pcap');
    healthyExchange(c, n2, n1, 0, 50000); // node 2 → node 1 is tunnelled: both pod CIDRs known
    for (let k = 0; k < 4; k++) c.add(1 + 2 ** k, bareSyn(n1, n2, 43000));
    const { findings } = await analyzeCaptures([c]);
    const [f, ...more] = unencapsulated(findings);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', component: 'route', node: '198.18.0.1' });
    expect(f!.title).toContain('100.96.2.0/24');
    expect(f!.evidence[0]).toMatchObject({ capture: 'node1-underlay.pcap', count: 4 });
    expect(f!.remedy[0]).toContain('ip route get 100.96.2.10');
  });

  it('names it too when the sender tunnels to another node of the peer subnet', async () => {
    const n3 = node(3);
    const c = new Capture('node1-underlay.pcap');
    healthyExchange(c, n1, n3, 0);
    healthyExchange(c, n2, n3, 0.5, 50000); // node 2's pods are known from its tunnel to node 3
    for (let k = 0; k < 3; k++) c.add(2 + k, bareSyn(n1, n2, 43000));
    const f = unencapsulated((await analyzeCaptures([c])).findings)[0];
    expect(f?.node).toBe('198.18.0.1');
    expect(f?.confidence).toBeLessThan(0.85);
  });

  it('stays quiet for direct routing on one subnet with tunnels only across subnets', async () => {
    const far = node(3, { ip: '198.18.7.3' });
    const c = new Capture('node1-underlay.pcap');
    healthyExchange(c, n1, far, 0);
    directExchange(c, n1, n2, 1, 43001);
    directExchange(c, n2, n1, 2, 43002);
    const { findings } = await analyzeCaptures([c]);
    expect(unencapsulated(findings)).toEqual([]);
    expect(findings.filter((f) => f.component === 'route' && f.severity !== 'info')).toEqual([]);
  });

  it('tells the underlay NIC from the pod bridge in a capture that names its interfaces', async () => {
    const build = (bridgeIface: number) => {
      const tunnelled = new Capture();
      healthyExchange(tunnelled, n2, n1, 0, 50000);
      const c = new MultiInterfaceCapture('node1-any.pcapng', [{ name: 'eth0' }, { name: 'cni0' }]);
      for (const p of tunnelled.packets) c.add(p.t, 0, p.data);
      // Pod 100.96.1.10 → 100.96.2.10 on the bridge is how every packet starts its trip.
      for (let k = 0; k < 3; k++) c.add(1 + k, bridgeIface, bareSyn(n1, n2, 43000 + k));
      return { name: c.name, bytes: c.bytes() };
    };
    expect(unencapsulated((await analyzeFiles([build(1)])).findings)).toEqual([]);
    expect(unencapsulated((await analyzeFiles([build(0)])).findings)).toHaveLength(1);
  });
});
