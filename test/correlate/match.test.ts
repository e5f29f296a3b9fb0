import { describe, expect, it } from 'vitest';
import { bare, correlateCaptures, encapsulate, ipUdp, NODE1, NODE2, pcap, ping, tcpSegment, type Encap, type Frame } from './helpers.js';

const A = '100.96.1.10';
const B = '100.96.2.10';

/**
 * Four points on a pod-to-pod path: pod-a (bare, TTL 64), both underlays (encapsulated,
 * TTL 63) and pod-b (bare, TTL 62), with a reply for each request. Each point's clock is
 * the same; each hop adds 100 µs.
 */
function fourPoints(kind: Encap, count: number, opts: { snap?: number } = {}) {
  const podA: Frame[] = [];
  const under1: Frame[] = [];
  const under2: Frame[] = [];
  const podB: Frame[] = [];
  for (let s = 0; s < count; s++) {
    const t = s * 0.01;
    const req = (ttl: number) => ping({ src: A, dst: B, id: 7, seq: s, ipId: 1000 + s, ttl });
    const rep = (ttl: number) => ping({ src: B, dst: A, id: 7, seq: s, ipId: 5000 + s, ttl, reply: true });
    podA.push({ t, data: bare(req(64)) });
    under1.push({ t: t + 0.0001, data: encapsulate(kind, req(63), NODE1, NODE2), ...(opts.snap ? { snap: opts.snap } : {}) });
    under2.push({ t: t + 0.0002, data: encapsulate(kind, req(63), NODE1, NODE2), ...(opts.snap ? { snap: opts.snap } : {}) });
    podB.push({ t: t + 0.0003, data: bare(req(62)) });
    podB.push({ t: t + 0.0004, data: bare(rep(64)) });
    under2.push({ t: t + 0.0005, data: encapsulate(kind, rep(63), NODE2, NODE1), ...(opts.snap ? { snap: opts.snap } : {}) });
    under1.push({ t: t + 0.0006, data: encapsulate(kind, rep(63), NODE2, NODE1), ...(opts.snap ? { snap: opts.snap } : {}) });
    podA.push({ t: t + 0.0007, data: bare(rep(62)) });
  }
  return [
    { name: 'pod-a', bytes: pcap(podA) },
    { name: 'node1-underlay', bytes: pcap(under1) },
    { name: 'node2-underlay', bytes: pcap(under2) },
    { name: 'pod-b', bytes: pcap(podB) },
  ];
}

describe('packets are followed across capture points', () => {
  for (const kind of ['vxlan', 'geneve', 'gre', 'ipip'] as const) {
    it(`through ${kind}: every request and reply is one packet seen at all four points, despite the TTL decrements`, async () => {
      const { correlation } = await correlateCaptures(fourPoints(kind, 5));
      expect(correlation.matched).toBe(10);
      const req = correlation.paths.find((p) => p.flow.src === A && p.flow.dst === B)!;
      expect(req.packets).toBe(5);
      expect(req.hops.map((h) => h.capture)).toEqual(['pod-a', 'node1-underlay', 'node2-underlay', 'pod-b']);
      expect(req.hops.map((h) => h.encap.kind)).toEqual(['none', kind, kind, 'none']);
      expect(req.hops[1]!.encap.outerSrc).toBe(NODE1);
      expect(req.hops[1]!.encap.outerDst).toBe(NODE2);
      if (kind !== 'ipip') expect(req.hops[1]!.encap.vni).toBe(1);
      // 100 µs per hop as crafted.
      for (const s of req.segments) expect(s.latency!.median).toBeCloseTo(0.0001, 6);
      expect(correlation.losses).toEqual([]);
    });
  }

  it('through a snaplen that cuts the underlay copies short of the payload', async () => {
    // 14 + 20 + 8 + 8 + 14 + 20 + 8: the inner ICMP header and nothing of its payload.
    const { correlation } = await correlateCaptures(fourPoints('vxlan', 4, { snap: 92 }));
    expect(correlation.matched).toBe(8);
    const req = correlation.paths.find((p) => p.flow.src === A)!;
    expect(req.hops.map((h) => h.capture)).toEqual(['pod-a', 'node1-underlay', 'node2-underlay', 'pod-b']);
  });

  it('through DNAT and SNAT: a Service address and port rewritten on the way', async () => {
    const vip = '10.96.0.10';
    const podA: Frame[] = [];
    const under1: Frame[] = [];
    for (let k = 0; k < 3; k++) {
      const seq = 1000 + k * 100;
      podA.push({ t: k * 0.01, data: bare(tcpSegment({ src: A, dst: vip, sport: 40000, dport: 80, seq, ack: 1, flags: 'P.', ipId: 300 + k, ttl: 64, len: 100 })) });
      // kube-proxy DNAT to the backend and SNAT to the node address.
      under1.push({ t: k * 0.01 + 0.0001, data: encapsulate('vxlan', tcpSegment({ src: '100.96.1.0', dst: B, sport: 61000, dport: 8080, seq, ack: 1, flags: 'P.', ipId: 300 + k, ttl: 63, len: 100 }), NODE1, NODE2) });
    }
    const { correlation } = await correlateCaptures([
      { name: 'pod-a', bytes: pcap(podA) },
      { name: 'node1-underlay', bytes: pcap(under1) },
    ]);
    expect(correlation.matched).toBe(3);
  });

  it('never joins two packets that share the 5-tuple but not the IP ID', async () => {
    // Same flow, same payload, 100 µs apart; the underlay saw only the second, 100 µs after it was sent.
    const one = (ipId: number, ttl: number) => ping({ src: A, dst: B, id: 9, seq: 1, ipId, ttl });
    // A reply the other way lets the clocks be compared both ways (no offset between them).
    const reply = (ttl: number) => ping({ src: B, dst: A, id: 9, seq: 1, ipId: 77, ttl, reply: true });
    const { correlation } = await correlateCaptures([
      { name: 'pod-a', bytes: pcap([{ t: 0, data: bare(one(10, 64)) }, { t: 0.0001, data: bare(one(11, 64)) }, { t: 0.0011, data: bare(reply(62)) }]) },
      { name: 'node1-underlay', bytes: pcap([{ t: 0.0002, data: encapsulate('vxlan', one(11, 63), NODE1, NODE2) }, { t: 0.001, data: encapsulate('vxlan', reply(63), NODE2, NODE1) }]) },
    ]);
    expect(correlation.matched).toBe(2);
    const path = correlation.paths.find((p) => p.flow.src === A)!;
    // Two packets in the flow, one of them seen only at pod-a.
    expect(path.packets).toBe(2);
    expect(path.hops.find((h) => h.capture === 'pod-a')!.packets).toBe(2);
    expect(path.hops.find((h) => h.capture === 'node1-underlay')!.packets).toBe(1);
    // Joined to pod-a's second frame (100 µs before), not its first.
    expect(path.segments[0]!.latency!.median).toBeCloseTo(0.0001, 6);
  });

  it('tells a byte-identical retransmission from the original by time', async () => {
    // The same segment sent twice 200 ms apart; only the retransmission crossed the underlay.
    const seg = (ttl: number) => tcpSegment({ src: A, dst: B, sport: 40000, dport: 80, seq: 1, ack: 1, flags: 'P.', ipId: 0, ttl, len: 10 });
    const { correlation } = await correlateCaptures([
      { name: 'pod-a', bytes: pcap([{ t: 0, data: bare(seg(64)) }, { t: 0.2, data: bare(seg(64)) }]) },
      { name: 'node1-underlay', bytes: pcap([{ t: 0.2001, data: encapsulate('vxlan', seg(63), NODE1, NODE2) }]) },
    ]);
    const path = correlation.paths.find((p) => p.flow.src === A)!;
    expect(path.packets).toBe(2);
    expect(correlation.matched).toBe(1);
    // The underlay sighting is joined to pod-a's second frame, not its first.
    expect(path.segments[0]!.latency!.median).toBeCloseTo(0.0001, 6);
  });
});

describe('packets sent again many times', () => {
  it('pairs each of 24 byte-identical retransmissions with its own underlay copy, by time', async () => {
    // One group of 48 instances: more than a packet's handful, so sorted the long way.
    const seg = (ttl: number) => tcpSegment({ src: A, dst: B, sport: 40001, dport: 80, seq: 1, ack: 1, flags: 'P.', ipId: 0, ttl, len: 10 });
    const podA: Frame[] = [];
    const under: Frame[] = [];
    for (let k = 0; k < 24; k++) {
      podA.push({ t: k * 1.5, data: bare(seg(64)) });
      under.push({ t: k * 1.5 + 0.0001 * (1 + (k % 3)), data: encapsulate('vxlan', seg(63), NODE1, NODE2) });
    }
    const { correlation } = await correlateCaptures([
      { name: 'pod-a', bytes: pcap(podA) },
      { name: 'node1-underlay', bytes: pcap(under) },
    ]);
    const path = correlation.paths.find((p) => p.flow.src === A)!;
    expect(path.packets).toBe(24);
    expect(correlation.matched).toBe(24);
    expect(path.hops.map((h) => h.capture)).toEqual(['pod-a', 'node1-underlay']);
    expect(path.segments[0]!.packets).toBe(24);
    expect(path.segments[0]!.latency!.min).toBeCloseTo(0.0001, 6);
    expect(path.segments[0]!.latency!.max).toBeCloseTo(0.0003, 6);
  });
});

describe('packets whose headers agree', () => {
  it('joins same-size UDP datagrams with IP ID 0, sent faster than the path delay, by their payload', async () => {
    // 10 datagrams 10 µs apart, each seen 50 µs later on the underlay: time order alone would pair them wrongly.
    const dgram = (k: number, ttl: number) => ipUdp({ src: A, dst: B, sport: 5000, dport: 53, id: 0, ttl, df: true }, Buffer.from(`${String(k).padStart(2, '0')} query for the name server`));
    const podA: Frame[] = [];
    const under: Frame[] = [];
    for (let k = 0; k < 10; k++) {
      podA.push({ t: k * 0.00001, data: bare(dgram(k, 64)) });
      under.push({ t: k * 0.00001 + 0.00005, data: encapsulate('vxlan', dgram(k, 63), NODE1, NODE2) });
    }
    // A reply each way keeps the clocks two-way (no offset).
    const back = (ttl: number) => ipUdp({ src: B, dst: A, sport: 53, dport: 5000, id: 9, ttl, df: true }, Buffer.from('answer'));
    podA.push({ t: 0.0102, data: bare(back(62)) });
    under.push({ t: 0.0101, data: encapsulate('vxlan', back(63), NODE2, NODE1) });
    under.sort((x, y) => x.t - y.t);
    const { correlation } = await correlateCaptures([
      { name: 'pod-a', bytes: pcap(podA) },
      { name: 'node1-underlay', bytes: pcap(under) },
    ]);
    const path = correlation.paths.find((p) => p.flow.src === A)!;
    expect(path.packets).toBe(10);
    expect(path.segments[0]!.packets).toBe(10);
    expect(path.segments[0]!.latency!.min).toBeCloseTo(0.00005, 6);
    expect(path.segments[0]!.latency!.max).toBeCloseTo(0.00005, 6);
  });
});
