import { defineAnalyzer } from '../analyzer.js';
import { TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN, TUNNEL_VXLAN_GPE, type PacketFacts } from '../facts.js';
import { PairCounter, type PairStat } from '../pair-counter.js';

/**
 * Per-capture collection of the associations the topology is built from. IPv4 only: the
 * pod networks this tool diagnoses are IPv4 underlays in practice; IPv6 flows are still
 * counted by the flow table.
 */
export interface TopologyObservations {
  capture: string;
  /** VTEP identity: a=outer src IP, b=inner src MAC, c=VNI*65536+UDP port, kind in tunnelKinds. */
  vtepSrc: PairStat[];
  /** What senders' FDBs say: a=outer dst IP, b=inner dst MAC, c=VNI*65536+UDP port. */
  vtepDst: PairStat[];
  /** Pod /24 behind a tunnel source: a=outer src IP, b=inner src /24 base, c=tunnel kind. */
  podBehindSrc: PairStat[];
  /** Pod /24 a sender tunnels to a node: a=outer dst IP, b=inner dst /24 base, c=outer src IP (the sender). */
  podToDst: PairStat[];
  /** What a sender's FDB did: a=outer dst IP, b=inner dst MAC, c=outer src IP (the sender). */
  fdbUse: PairStat[];
  /** Each inner source address and the node it was tunnelled from: a=inner src IP, b=outer src IP. */
  podIpBehind: PairStat[];
  /** Link-layer source of IP packets: a=MAC, b=IP src (outermost headers). */
  l2Src: PairStat[];
  /** Link-layer destination of IP packets: a=MAC, b=IP dst (outermost headers), unencapsulated only. */
  l2Dst: PairStat[];
  arpRequests: PairStat[]; // a=target IP, b=sender IP, c=-1
  arpReplies: PairStat[]; // a=sender IP, b=sender MAC
  arpGratuitous: PairStat[]; // a=IP, b=MAC
  /** ARP sent by the capturing host itself (direction known): a=sender MAC, b=sender IP. */
  arpOutgoing: PairStat[];
  tunnelKinds: number[];
  overflow: number;
}

interface State {
  vtepSrc: PairCounter;
  vtepDst: PairCounter;
  podBehindSrc: PairCounter;
  podToDst: PairCounter;
  fdbUse: PairCounter;
  podIpBehind: PairCounter;
  l2Src: PairCounter;
  l2Dst: PairCounter;
  arpRequests: PairCounter;
  arpReplies: PairCounter;
  arpGratuitous: PairCounter;
  arpOutgoing: PairCounter;
  tunnelKinds: Set<number>;
}

function v4(f: PacketFacts, at: number): number {
  return f.addr[at + 3]!;
}

export const topologyCollector = defineAnalyzer<State, TopologyObservations>({
  name: 'topology',
  create: () => ({
    vtepSrc: new PairCounter(),
    vtepDst: new PairCounter(),
    podBehindSrc: new PairCounter(),
    podToDst: new PairCounter(),
    fdbUse: new PairCounter(),
    podIpBehind: new PairCounter(),
    l2Src: new PairCounter(),
    l2Dst: new PairCounter(),
    arpRequests: new PairCounter(),
    arpReplies: new PairCounter(),
    arpGratuitous: new PairCounter(),
    arpOutgoing: new PairCounter(),
    tunnelKinds: new Set(),
  }),
  packet(s, f, p, ctx) {
    const n = p.number;
    const t = ctx.time;
    if (f.arp >= 0) {
      if (f.arpSpa === f.arpTpa && f.arpSpa !== 0) s.arpGratuitous.add(f.arpSpa, f.arpSha, -1, n, t);
      else if (f.arpOp === 1) s.arpRequests.add(f.arpTpa, f.arpSpa, -1, n, t);
      if (f.arpOp === 2) s.arpReplies.add(f.arpSpa, f.arpSha, -1, n, t);
      if (f.direction === 2) s.arpOutgoing.add(f.arpSha, f.arpSpa, -1, n, t);
      return;
    }
    if (f.outerIp < 0 || !f.outerV4) return;
    if (f.outerEth >= 0) s.l2Src.add(f.outerEthSrc, v4(f, 0), -1, n, t);
    const kind = f.tunnelKind;
    if (kind === TUNNEL_NONE) {
      if (f.outerEth >= 0) s.l2Dst.add(f.outerEthDst, v4(f, 4), -1, n, t);
      return;
    }
    s.tunnelKinds.add(kind * 65536 + (f.tunnelUdpDport || f.outerProto));
    const hasInnerEth = f.innerEth >= 0 && f.innerEth !== f.outerEth;
    if (hasInnerEth && (kind === TUNNEL_VXLAN || kind === TUNNEL_GENEVE || kind === TUNNEL_VXLAN_GPE)) {
      const c = Math.max(0, f.tunnelId) * 65536 + f.tunnelUdpDport;
      s.vtepSrc.add(v4(f, 0), f.innerEthSrc, c + kind * 2 ** 40, n, t);
      s.vtepDst.add(v4(f, 4), f.innerEthDst, c + kind * 2 ** 40, n, t);
      s.fdbUse.add(v4(f, 4), f.innerEthDst, v4(f, 0), n, t);
    }
    if (f.innerIp !== f.outerIp && f.innerV4) {
      s.podBehindSrc.add(v4(f, 0), (v4(f, 8) & 0xffffff00) >>> 0, kind, n, t);
      s.podToDst.add(v4(f, 4), (v4(f, 12) & 0xffffff00) >>> 0, v4(f, 0), n, t);
      s.podIpBehind.add(v4(f, 8), v4(f, 0), -1, n, t);
    }
  },
  finish(s, ctx) {
    const counters = [s.vtepSrc, s.vtepDst, s.podBehindSrc, s.podToDst, s.fdbUse, s.podIpBehind, s.l2Src, s.l2Dst, s.arpRequests, s.arpReplies, s.arpGratuitous, s.arpOutgoing];
    return {
      capture: ctx.capture,
      vtepSrc: s.vtepSrc.all(),
      vtepDst: s.vtepDst.all(),
      podBehindSrc: s.podBehindSrc.all(),
      podToDst: s.podToDst.all(),
      fdbUse: s.fdbUse.all(),
      podIpBehind: s.podIpBehind.all(),
      l2Src: s.l2Src.all(),
      l2Dst: s.l2Dst.all(),
      arpRequests: s.arpRequests.all(),
      arpReplies: s.arpReplies.all(),
      arpGratuitous: s.arpGratuitous.all(),
      arpOutgoing: s.arpOutgoing.all(),
      tunnelKinds: [...s.tunnelKinds],
      overflow: counters.reduce((a, c) => a + c.overflow, 0),
    };
  },
});
