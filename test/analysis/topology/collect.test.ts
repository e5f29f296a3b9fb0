import { describe, expect, it } from 'vitest';
import type { PairStat } from '../../../src/analysis/pair-counter.js';
import type { TopologyObservations } from '../../../src/analysis/topology/collect.js';
import { TUNNEL_GENEVE, TUNNEL_VXLAN } from '../../../src/analysis/facts.js';
import { geneveFrame, vxlanOnPort } from '../../helpers/cni-scenario.js';
import { analyzeCaptures, Capture, node, vxlanTcp } from '../../helpers/scenario.js';

const macNumber = (mac: string) => parseInt(mac.replace(/:/g, ''), 16);
const ipNumber = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Each entry's key, count and sampled packets, in the counter's order. */
const counts = (stats: PairStat[]) => stats.map((s) => ({ a: s.a, b: s.b, count: s.count, packets: s.packets }));

async function observations(c: Capture): Promise<TopologyObservations> {
  const { results } = await analyzeCaptures([c]);
  return results[0]!.results['topology'] as TopologyObservations;
}

describe('topology collector', () => {
  it('splits one flow direction’s counts when its inner destination MAC or outer source MAC changes mid-flow', async () => {
    const n1 = node(1);
    const n2 = node(2);
    const moved = node(1, { mac: '02:00:00:00:00:77' });
    const stale = '0a:00:00:00:00:99';
    const c = new Capture();
    // Packets 1-3 right, 4-5 through a stale FDB entry, 6 from a new outer MAC, 7-8 right again, then stale again with the reverse flow in between (9, 11, 13).
    const seg = (seq: number) => ({ sport: 43210, dport: 80, seq, ack: 1, flags: 'P.' });
    c.add(1, vxlanTcp(n1, n2, seg(1), 10));
    c.add(2, vxlanTcp(n1, n2, seg(11), 10));
    c.add(3, vxlanTcp(n1, n2, seg(21), 10));
    c.add(4, vxlanTcp(n1, n2, seg(31), 10, { innerDstMac: stale }));
    c.add(5, vxlanTcp(n1, n2, seg(41), 10, { innerDstMac: stale }));
    c.add(6, vxlanTcp(moved, n2, seg(51), 10));
    c.add(7, vxlanTcp(n1, n2, seg(61), 10));
    c.add(8, vxlanTcp(n1, n2, seg(71), 10));
    for (let k = 0; k < 3; k++) {
      c.add(9 + k, vxlanTcp(n2, n1, { sport: 80, dport: 50000, seq: 1 + k, ack: 1, flags: 'P.' }, 1));
      c.add(9.5 + k, vxlanTcp(n1, n2, seg(81 + k * 10), 10, { innerDstMac: stale }));
    }
    const o = await observations(c);
    const toN2 = (stats: PairStat[]) => counts(stats.filter((s) => s.a === ipNumber(n2.ip)));
    expect(toN2(o.fdbUse)).toEqual([
      { a: ipNumber(n2.ip), b: macNumber(n2.vtepMac), count: 6, packets: [1, 2, 3, 6, 7, 8] },
      { a: ipNumber(n2.ip), b: macNumber(stale), count: 5, packets: [4, 5, 10, 12, 14] },
    ]);
    expect(counts(o.l2Src.filter((s) => s.b === ipNumber(n1.ip)))).toEqual([
      { a: macNumber(n1.mac), b: ipNumber(n1.ip), count: 10, packets: [1, 2, 3, 4, 5, 7, 8, 10, 12, 14] },
      { a: macNumber(moved.mac), b: ipNumber(n1.ip), count: 1, packets: [6] },
    ]);
    // Every tunnelled packet of n1's flow names its pod /24 behind n1, whichever MACs it carried.
    const behind = o.podIpBehind.find((s) => s.a === ipNumber(`${n1.pods}.10`) && s.b === ipNumber(n1.ip));
    expect(behind?.count).toBe(11);
    expect(behind?.lastPacket).toBe(14);
  });

  it('counts a long flow’s packets exactly, with the last one’s number and time, while another flow counts on the same entries', async () => {
    // Flow A (30 packets) from n1's pod to n2's; flow B, the same pods on other ports, sends
    // one packet after A's 15th and, in the second capture, one after A's last.
    const n1 = node(1);
    const n2 = node(2);
    const a = (seq: number) => vxlanTcp(n1, n2, { sport: 43210, dport: 80, seq, ack: 1, flags: 'P.' }, 10);
    const b = (seq: number) => vxlanTcp(n1, n2, { sport: 43211, dport: 81, seq, ack: 1, flags: 'P.' }, 10);
    for (const bLast of [false, true]) {
      const c = new Capture();
      let t = 0;
      for (let k = 0; k < 30; k++) {
        c.add((t += 0.25), a(1 + k * 10));
        if (k === 14) c.add((t += 0.25), b(1));
      }
      if (bLast) c.add((t += 0.25), b(11));
      const total = bLast ? 32 : 31;
      const o = await observations(c);
      const entries = [
        o.l2Src.find((s) => s.a === macNumber(n1.mac) && s.b === ipNumber(n1.ip)),
        o.vtepSrc.find((s) => s.a === ipNumber(n1.ip) && s.b === macNumber(n1.vtepMac)),
        o.vtepDst.find((s) => s.a === ipNumber(n2.ip) && s.b === macNumber(n2.vtepMac)),
        o.fdbUse.find((s) => s.a === ipNumber(n2.ip) && s.b === macNumber(n2.vtepMac) && s.c === ipNumber(n1.ip)),
        o.podBehindSrc.find((s) => s.a === ipNumber(n1.ip) && s.b === ipNumber(`${n1.pods}.0`)),
        o.podToDst.find((s) => s.a === ipNumber(n2.ip) && s.b === ipNumber(`${n2.pods}.0`)),
        o.podIpBehind.find((s) => s.a === ipNumber(`${n1.pods}.10`) && s.b === ipNumber(n1.ip)),
      ];
      for (const e of entries) {
        expect(e).toBeDefined();
        expect({ count: e!.count, packets: e!.packets, firstPacket: e!.firstPacket, lastPacket: e!.lastPacket }).toEqual({ count: total, packets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], firstPacket: 1, lastPacket: total });
        expect(e!.lastTime - e!.firstTime).toBeCloseTo((total - 1) * 0.25, 6);
      }
    }
  });

  it('lists each tunnel kind once, in the order first seen, when kinds alternate packet by packet', async () => {
    const n1 = node(1);
    const n2 = node(2);
    const c = new Capture();
    // flannel VXLAN (8472), IANA VXLAN (4789), Geneve, then all three again in another order.
    const frames = [vxlanOnPort(n1, n2, 8472, 1), vxlanOnPort(n1, n2, 4789, 1), vxlanOnPort(n1, n2, 8472, 1), geneveFrame(n1, n2, 5), vxlanOnPort(n1, n2, 4789, 1), vxlanOnPort(n1, n2, 8472, 1)];
    frames.forEach((frame, i) => c.add(i, frame));
    const o = await observations(c);
    expect(o.tunnelKinds).toEqual([TUNNEL_VXLAN * 65536 + 8472, TUNNEL_VXLAN * 65536 + 4789, TUNNEL_GENEVE * 65536 + 6081]);
  });

  it('keeps every count exact when more flows are going than its per-flow memo has slots', async () => {
    // 20,000 flows from three nodes to a fourth, each seen twice: flow rows above the memo's
    // 16,384 pairs of slots share them with rows of flows from another node.
    const FLOWS = 20000;
    const from = [node(1), node(2), node(3)];
    const to = node(4);
    const c = new Capture();
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < FLOWS; k++) c.add(pass * 10 + k * 0.0001, vxlanTcp(from[k % 3]!, to, { sport: 1024 + k, dport: 80, seq: 1 + pass, ack: 1, flags: 'P.' }, 10));
    }
    const o = await observations(c);
    for (let n = 0; n < 3; n++) {
      const flows = Math.ceil((FLOWS - n) / 3);
      const behind = o.podIpBehind.find((st) => st.a === ipNumber(`${from[n]!.pods}.10`) && st.b === ipNumber(from[n]!.ip));
      expect(behind?.count).toBe(2 * flows);
      const mac = o.l2Src.find((st) => st.a === macNumber(from[n]!.mac) && st.b === ipNumber(from[n]!.ip));
      expect(mac?.count).toBe(2 * flows);
    }
    const fdb = o.fdbUse.filter((st) => st.a === ipNumber(to.ip)).map((st) => st.count);
    expect(fdb.sort()).toEqual([0, 1, 2].map((n) => 2 * Math.ceil((FLOWS - n) / 3)).sort());
  });
});
