import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnoseScenario } from '../../helpers/lab-diagnosis.js';
import type { Finding } from '../../../src/analysis/finding.js';
import { analyzeCaptures, arpReply, arpRequest, Capture, node, type Node } from '../../helpers/scenario.js';
import { stationUdp } from '../../helpers/cni-scenario.js';

const n1 = node(1);
const n2 = node(2);
const n3 = node(3);
const gw = node(254, { mac: '02:00:00:00:00:fe' });

/** A pod packet from `from`'s pods to `to`'s pods, leaving `from` addressed to `nextHopMac`. */
const routed = (from: Node, to: Node, nextHopMac: string) => stationUdp(from.mac, nextHopMac, `${from.pods}.10`, `${to.pods}.10`);

/** node1's underlay in a host-gw cluster: everyone has ARPed, node2's (and node3's) pods answer through their node. */
function underlay(node1NextHopFor2: string): Capture {
  const c = new Capture('node1-underlay.pcap');
  c.add(0, arpRequest(n1, n2.ip)).add(0.001, arpReply(n2, n1));
  c.add(0.01, arpRequest(n3, n1.ip)).add(0.011, arpReply(n1, n3));
  c.add(0.02, arpRequest(n1, gw.ip)).add(0.021, arpReply(gw, n1));
  for (let k = 0; k < 3; k++) {
    c.add(1 + k, routed(n1, n2, node1NextHopFor2));
    c.add(1.5 + k, routed(n2, n1, n1.mac));
    c.add(1.6 + k, routed(n3, n1, n1.mac));
  }
  return c;
}

const misroutes = (findings: Finding[]) => findings.filter((f) => f.id === 'route.hostgw-wrong-next-hop');

describe('routed pod networks: traffic for a pod CIDR sent to the wrong next hop', () => {
  it('names the node whose route for a peer pod CIDR falls back to the default gateway', async () => {
    const [f, ...more] = misroutes((await analyzeCaptures([underlay(gw.mac)])).findings);
    expect(more).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', component: 'route', node: '198.18.0.1' });
    expect(f!.title).toBe('198.18.0.1 routes pod traffic for 100.96.2.0/24 via the default gateway, not via 198.18.0.2');
    expect(f!.evidence[0]).toMatchObject({ capture: 'node1-underlay.pcap', count: 3 });
    expect(f!.remedy[0]).toContain('via 198.18.0.2 dev eth0');
  });

  it('names a stale route via another node', async () => {
    const [f] = misroutes((await analyzeCaptures([underlay(n3.mac)])).findings);
    expect(f?.title).toContain('via node 198.18.0.3, not via 198.18.0.2');
  });

  it('finds nothing when every pod CIDR goes to its own node', async () => {
    const { findings } = await analyzeCaptures([underlay(n2.mac)]);
    expect(findings.filter((f) => f.component === 'route')).toEqual([]);
  });

  it('does not take the pod side of a node (the cni0 gateway a pod sends everything to) for a wrong next hop', async () => {
    const pod = new Capture('pod-a.pcap');
    const cni0 = { mac: '0a:58:64:60:01:01', ip: '100.96.1.1' };
    const podA = { mac: '0a:58:64:60:01:0a', ip: '100.96.1.10' };
    pod.add(0, arpRequest({ ...n1, mac: podA.mac, ip: podA.ip }, cni0.ip)).add(0.001, arpReply({ ...n1, mac: cni0.mac, ip: cni0.ip }, { ...n1, mac: podA.mac, ip: podA.ip }));
    for (let k = 0; k < 3; k++) {
      pod.add(1 + k, stationUdp(podA.mac, cni0.mac, podA.ip, '100.96.2.10'));
      pod.add(1.5 + k, stationUdp(cni0.mac, podA.mac, '100.96.2.10', podA.ip));
    }
    const { findings } = await analyzeCaptures([underlay(n2.mac), pod]);
    expect(misroutes(findings)).toEqual([]);
  });
});

// Real kernel captures: NETDIAG_LAB_DIR points at a `npm run lab -- all DIR` run (the committed fixtures lack this scenario).
const LAB = process.env['NETDIAG_LAB_DIR'] ?? join(import.meta.dirname, '../../../fixtures/lab');

describe.skipIf(!existsSync(join(LAB, 'host-gw-missing-route')))('the lab run where node1 lacks its host-gw route to node2', () => {
  it('names node1 and the default gateway, with node1-underlay evidence', async () => {
    const { truth, findings } = await diagnoseScenario(join(LAB, 'host-gw-missing-route'));
    const top = findings.filter((f) => f.severity !== 'info')[0];
    expect(top).toMatchObject({ id: 'route.hostgw-wrong-next-hop', node: truth.node });
    expect(top!.evidence.map((e) => e.capture)).toContain('node1-underlay.pcap');
  });
});
