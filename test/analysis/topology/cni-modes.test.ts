import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeAll } from '../../../src/analysis/run.js';
import { diagnose } from '../../../src/analysis/diagnose.js';
import { parseCaptureArg } from '../../../src/analysis/pass.js';
import { analyzeCaptures, Capture, healthyExchange, node, vxlanTcp } from '../../helpers/scenario.js';
import { analyzeFiles, MultiInterfaceCapture } from '../../helpers/capture-files.js';
import { arpReplyFrom, geneveFrame, nodeTcp, nodeUdp, OVN_OPTION, stationUdp, vxlanOnPort } from '../../helpers/cni-scenario.js';

const n1 = node(1);
const n2 = node(2);
const modes = async (c: Capture) => (await analyzeCaptures([c])).model.topology.cni;
const top = async (c: Capture) => (await modes(c))[0];

describe('CNI mode inference', () => {
  it('Weave fast datapath: VXLAN frames on UDP 6784 and peer connections on TCP 6783', async () => {
    const c = new Capture();
    for (let k = 0; k < 3; k++) {
      c.add(k, vxlanOnPort(n1, n2, 6784, 0x5a1, 43000 + k));
      c.add(k + 0.5, vxlanOnPort(n2, n1, 6784, 0x5a2, 44000 + k));
    }
    c.add(4, nodeTcp(n1, n2, 40123, 6783, 'P.'));
    c.add(4.1, nodeTcp(n2, n1, 6783, 40123, 'P.'));
    const g = await top(c);
    expect(g?.mode).toBe('weave');
    expect(g?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(g?.evidence.join('\n')).toContain('UDP 6784');
  });

  it('Weave sleeve: UDP 6783 between nodes', async () => {
    const c = new Capture();
    for (let k = 0; k < 4; k++) c.add(k, nodeUdp(n1, n2, 6783, 6783, 200));
    expect((await top(c))?.mode).toBe('weave-sleeve');
  });

  it('flannel VXLAN stays flannel, not Weave or Cilium, including a node on the wrong VNI', async () => {
    const c = new Capture();
    healthyExchange(c, n1, n2, 0);
    c.add(1, vxlanTcp(node(3, { vni: 2 }), n1, { sport: 50000, dport: 80, seq: 1, flags: 'S' }));
    const all = await modes(c);
    expect(all[0]?.mode).toBe('flannel-vxlan');
    expect(all.map((g) => g.mode)).not.toContain('weave');
    expect(all.map((g) => g.mode)).not.toContain('cilium-vxlan');
  });

  it('Cilium VXLAN: security identities as VNIs and cilium-health on TCP 4240', async () => {
    const c = new Capture();
    // Identities: 6 (remote-node), 48312 and 1 (host), one per sending endpoint.
    c.add(0, vxlanTcp(node(1, { vni: 48312 }), n2, { sport: 43000, dport: 80, seq: 1, flags: 'S' }));
    c.add(0.1, vxlanTcp(node(2, { vni: 6 }), n1, { sport: 80, dport: 43000, seq: 1, ack: 2, flags: 'SA' }));
    c.add(0.2, vxlanTcp(node(1, { vni: 1 }), n2, { sport: 43001, dport: 80, seq: 1, flags: 'S' }));
    c.add(1, nodeTcp(n1, n2, 41000, 4240, 'S'));
    c.add(1.1, nodeTcp(n2, n1, 4240, 41000, 'S.'));
    const g = await top(c);
    expect(g?.mode).toBe('cilium-vxlan');
    expect(g?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(g?.evidence.join('\n')).toContain('4240');
  });

  it('Kube-OVN/OVN: Geneve carrying the OVN option class 0x0102, with the packets that show it', async () => {
    const c = new Capture('node1.pcap');
    for (let k = 0; k < 3; k++) c.add(k, geneveFrame(n1, n2, 7, [OVN_OPTION], 43000 + k));
    const g = await top(c);
    expect(g?.mode).toBe('geneve-ovn');
    expect(g?.evidence[0]).toContain('node1.pcap packets 1, 2, 3');
  });

  it('Geneve without OVN option is not called OVN', async () => {
    const c = new Capture('node1.pcap');
    for (let k = 0; k < 3; k++) c.add(k, geneveFrame(n1, n2, 48312, [], 43000 + k));
    const all = await modes(c);
    expect(all[0]?.mode).toBe('cilium-geneve');
    expect(all.map((g) => g.mode)).not.toContain('geneve-ovn');
  });

  it('MACVLAN: several stations, one address each, leave the node by one port', async () => {
    const c = new MultiInterfaceCapture('node1.pcapng', [{ name: 'eth0' }]);
    const gw = '02:00:00:00:00:fe';
    c.add(0, 0, stationUdp(n1.mac, gw, n1.ip, '198.18.0.254'), 'outbound');
    ['aa', 'bb', 'cc'].forEach((x, k) => c.add(1 + k, 0, stationUdp(`9e:11:22:33:44:${x}`, gw, `198.18.0.${101 + k}`, '198.18.0.254'), 'outbound'));
    const { model } = await analyzeFiles([{ name: c.name, bytes: c.bytes() }]);
    const g = model.topology.cni.find((x) => x.mode === 'macvlan');
    // The node's own 198.18.0.1 reads as the subnet's gateway, not as a pod.
    expect(g?.evidence[0]).toContain('3 MACs');
    expect(g?.evidence[0]).toContain('9e:11:22:33:44:aa = 198.18.0.101');
    expect(g?.evidence[1]).toContain('3 of them seen leaving');
  });

  it('a veth bridge port towards a pod (pods and the routing gateway behind it) is not MACVLAN', async () => {
    const c = new MultiInterfaceCapture('node1.pcapng', [{ name: 'veth1' }]);
    const podC = '0a:58:64:60:01:0c';
    ['0a', '0b', '0d'].forEach((x, k) => c.add(k, 0, stationUdp(`0a:58:64:60:01:${x}`, podC, `100.96.1.${10 + k}`, '100.96.1.12'), 'outbound'));
    c.add(4, 0, stationUdp('0a:58:64:60:01:01', podC, '100.96.2.10', '100.96.1.12'), 'outbound');
    c.add(5, 0, stationUdp('0a:58:64:60:01:01', podC, '100.96.3.10', '100.96.1.12'), 'outbound');
    const { model } = await analyzeFiles([{ name: c.name, bytes: c.bytes() }]);
    expect(model.topology.cni.map((g) => g.mode)).not.toContain('macvlan');
  });

  it('IPVLAN: one MAC answers ARP for and sends from several addresses of one subnet', async () => {
    const c = new MultiInterfaceCapture('node1.pcapng', [{ name: 'eth0' }]);
    const shared = '02:00:00:00:00:01';
    ['198.18.0.1', '198.18.0.101', '198.18.0.102'].forEach((ip, k) => {
      c.add(k, 0, arpReplyFrom(shared, ip, '02:00:00:00:00:fe', '198.18.0.254'), 'outbound');
      c.add(k + 0.5, 0, stationUdp(shared, '02:00:00:00:00:fe', ip, '198.18.0.254'), 'outbound');
    });
    const { model } = await analyzeFiles([{ name: c.name, bytes: c.bytes() }]);
    const g = model.topology.cni.find((x) => x.mode === 'ipvlan');
    expect(g?.confidence).toBeGreaterThanOrEqual(0.8);
  });

  it('a host-gw node forwarding its pods from its own MAC is not IPVLAN', async () => {
    const c = new MultiInterfaceCapture('node1.pcapng', [{ name: 'eth0' }]);
    c.add(0, 0, stationUdp(n1.mac, n2.mac, n1.ip, n2.ip), 'outbound');
    for (let k = 0; k < 4; k++) c.add(1 + k, 0, stationUdp(n1.mac, n2.mac, `100.96.1.${10 + k}`, `100.96.2.${10 + k}`), 'outbound');
    const { model } = await analyzeFiles([{ name: c.name, bytes: c.bytes() }]);
    expect(model.topology.cni.map((g) => g.mode)).not.toContain('ipvlan');
  });
});

// Real kernel captures from the lab; NETDIAG_LAB_DIR points at a fresh `npm run lab -- all DIR` (with the macvlan runs).
const LAB = process.env['NETDIAG_LAB_DIR'] ?? join(import.meta.dirname, '../../../fixtures/lab');

async function labModes(name: string) {
  const dir = join(LAB, name);
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => parseCaptureArg(join(dir, f)));
  const { results } = await analyzeAll(files);
  return diagnose(results, null).model.topology.cni;
}

describe('CNI mode inference on the lab runs', () => {
  it('flannel VXLAN run: flannel-vxlan, nothing else', async () => {
    expect((await labModes('flannel-vxlan-healthy')).map((g) => g.mode)).toEqual(['flannel-vxlan']);
  });

  it('Calico BGP run: calico-bgp, and its routed pods are not taken for MACVLAN stations', async () => {
    expect((await labModes('bgp-daemon-stop')).map((g) => g.mode)).toEqual(['calico-bgp']);
  });

  it('host-gw run whose remote pods never answer: pods and their gateway are not MACVLAN', async () => {
    expect((await labModes('host-gw-offsegment')).map((g) => g.mode)).not.toContain('macvlan');
  });

  it.skipIf(!existsSync(join(LAB, 'macvlan-healthy')))('MACVLAN run: pods with their own MACs on the underlay, one seen leaving node1', async () => {
    const [g] = await labModes('macvlan-healthy');
    expect(g?.mode).toBe('macvlan');
    expect(g?.evidence.join('\n')).toContain('0a:58:64:60:01:02 = 100.96.100.11');
  });
});
