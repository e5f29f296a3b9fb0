import { describe, expect, it } from 'vitest';
import { analyzeCaptures, arpRequest, Capture, healthyExchange, node, problems, vxlanTcp } from '../helpers/scenario.js';

const n1 = node(1);
const n2 = node(2);
const n3 = node(3);

describe('diagnosis on crafted flannel captures', () => {
  it('finds nothing wrong in a healthy flannel vxlan exchange and infers the cluster', async () => {
    const c = new Capture();
    healthyExchange(c, n1, n2, 0);
    healthyExchange(c, n2, n1, 1, 50000);
    const { model, findings } = await analyzeCaptures([c]);
    expect(problems(findings)).toEqual([]);
    expect(model.topology.cni[0]?.mode).toBe('flannel-vxlan');
    const ips = model.topology.nodes.map((n) => n.ip);
    expect(ips).toEqual(['198.18.0.1', '198.18.0.2']);
    expect(model.topology.nodes[0]!.vtepMacs).toEqual([n1.vtepMac]);
    expect(model.topology.podCidrs.map((p) => `${p.cidr}@${p.nodeIp}`).sort()).toEqual(['100.96.1.0/24@198.18.0.1', '100.96.2.0/24@198.18.0.2']);
  });

  it('names a stale FDB entry: frames for node 2 VTEP MAC sent to node 3', async () => {
    const c = new Capture();
    healthyExchange(c, n2, n1, 0, 50000); // node 2 shows its VTEP MAC and pods
    for (let k = 0; k < 4; k++) c.add(1 + k, vxlanTcp(n1, n2, { sport: 43000, dport: 80, seq: 1, flags: 'S' }, 0, { outerDst: n3.ip }));
    const { findings } = await analyzeCaptures([c]);
    const top = problems(findings)[0]!;
    expect(top.component).toBe('fdb');
    expect(top.node).toBe('198.18.0.1');
    expect(top.title).toContain('198.18.0.3');
    expect(top.evidence[0]!.packets.length).toBeGreaterThan(0);
  });

  it('names a VNI mismatch and the node whose VNI is not flannel default', async () => {
    const c = new Capture();
    const odd = node(2, { vni: 2 });
    for (let k = 0; k < 3; k++) {
      c.add(k, vxlanTcp(n1, odd, { sport: 43000, dport: 80, seq: 1, flags: 'S' }));
      c.add(k + 0.5, vxlanTcp(odd, n1, { sport: 50000, dport: 80, seq: 1, flags: 'S' }));
    }
    const { findings } = await analyzeCaptures([c]);
    const top = problems(findings)[0]!;
    expect(top.component).toBe('vni');
    expect(top.node).toBe('198.18.0.2');
  });

  it('sees size-dependent loss as MTU, and a single small retransmission as nothing', async () => {
    const c = new Capture();
    const a = { sport: 43210, dport: 80 };
    c.add(0.0, vxlanTcp(n1, n2, { ...a, seq: 1000, flags: 'S', options: [{ kind: 'mss', value: 1410 }] }));
    c.add(0.001, vxlanTcp(n2, n1, { sport: 80, dport: 43210, seq: 5000, ack: 1001, flags: 'SA' }));
    c.add(0.002, vxlanTcp(n1, n2, { ...a, seq: 1001, ack: 5001, flags: '.' }));
    c.add(0.003, vxlanTcp(n1, n2, { ...a, seq: 1001, ack: 5001, flags: 'P.' }, 100));
    c.add(0.004, vxlanTcp(n2, n1, { sport: 80, dport: 43210, seq: 5001, ack: 1101, flags: '.' }));
    for (let k = 0; k < 5; k++) c.add(0.2 * 2 ** k, vxlanTcp(n1, n2, { ...a, seq: 1101, ack: 5001, flags: '.' }, 1410));
    const { findings } = await analyzeCaptures([c]);
    const mtu = problems(findings).find((f) => f.component === 'mtu');
    // Named after the receiving side: the path towards it is too small.
    expect(mtu?.node).toBe('198.18.0.2');
    expect(mtu?.detail).toContain('1450');

    const healthy = new Capture();
    healthyExchange(healthy, n1, n2, 0);
    healthy.add(0.5, vxlanTcp(n1, n2, { ...a, seq: 1001, ack: 5001, flags: 'P.' }, 1398)); // one spurious retransmission
    const ok = await analyzeCaptures([healthy]);
    expect(problems(ok.findings).filter((f) => f.component === 'mtu')).toEqual([]);
  });

  it('names a next hop that never answers ARP as cut off from the L2 segment', async () => {
    const c = new Capture();
    healthyExchange(c, n1, n2, 0);
    for (let k = 0; k < 3; k++) c.add(2 + k, arpRequest(n1, '198.18.0.7'));
    const { findings } = await analyzeCaptures([c]);
    const f = problems(findings).find((x) => x.component === 'l2-nexthop');
    expect(f?.node).toBe('198.18.0.7');
    expect(f?.title).toContain('198.18.0.1');
  });

  it('does not call an unseen VTEP MAC stale when nodes run a VTEP per VNI', async () => {
    const c = new Capture();
    // node2 answers on VNI 20 with one VTEP MAC; node1 talks to node2's VNI 10 VTEP, whose MAC node2 never sends with here.
    for (let k = 0; k < 3; k++) {
      c.add(k, vxlanTcp(n1, n2, { sport: 43000, dport: 80, seq: 1, flags: 'S' }, 0, { vni: 10, innerDstMac: '0a:00:00:00:10:02' }));
      c.add(k + 0.5, vxlanTcp(node(2, { vtepMac: '0a:00:00:00:20:02', vni: 20 }), node(1, { vtepMac: '0a:00:00:00:20:01' }), { sport: 50000, dport: 80, seq: 1, flags: 'S' }));
    }
    const { findings } = await analyzeCaptures([c]);
    expect(findings.filter((f) => f.id === 'neighbor.stale-vtep-mac')).toEqual([]);
  });
});
