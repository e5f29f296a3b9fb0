import { defineAnalyzer } from '../analyzer.js';
import { TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN, TUNNEL_VXLAN_GPE } from '../facts.js';
import { PAIR_A, PAIR_B, PAIR_C, PAIR_PACKET, PAIR_TIME, PairCounter, pairInput, type PairStat } from '../pair-counter.js';

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
  /** The input every counter below reads (see pairInput). */
  input: Float64Array;
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
  /** The kind last added: a Set insert per tunnelled packet costs more than the rest of the hook. */
  lastTunnelKind: number;
}

/** IPv4 addresses' words in PacketFacts.addr (the last of each four). */
const OUTER_SRC = 3;
const OUTER_DST = 7;
const INNER_SRC = 11;
const INNER_DST = 15;

/** Above every VNI × 65536 + UDP port: the tunnel kind's place in a VTEP key's third word. */
const KIND_SHIFT = 2 ** 40;

function createState(): State {
  const input = pairInput();
  const counter = () => new PairCounter(undefined, input);
  return {
    input,
    vtepSrc: counter(),
    vtepDst: counter(),
    podBehindSrc: counter(),
    podToDst: counter(),
    fdbUse: counter(),
    podIpBehind: counter(),
    l2Src: counter(),
    l2Dst: counter(),
    arpRequests: counter(),
    arpReplies: counter(),
    arpGratuitous: counter(),
    arpOutgoing: counter(),
    tunnelKinds: new Set(),
    lastTunnelKind: -1,
  };
}

export const topologyCollector = defineAnalyzer<State, TopologyObservations>({
  name: 'topology',
  create: createState,
  packet(s, f, p, ctx) {
    // Keys go into the shared input, never through arguments (see pairInput).
    const k = s.input;
    k[PAIR_PACKET] = p.number;
    k[PAIR_TIME] = ctx.time;
    if (f.arp >= 0) {
      if (f.arpSpa === f.arpTpa && f.arpSpa !== 0) {
        k[PAIR_A] = f.arpSpa;
        k[PAIR_B] = f.arpSha;
        k[PAIR_C] = -1;
        s.arpGratuitous.addInput();
      } else if (f.arpOp === 1) {
        k[PAIR_A] = f.arpTpa;
        k[PAIR_B] = f.arpSpa;
        k[PAIR_C] = -1;
        s.arpRequests.addInput();
      }
      if (f.arpOp === 2) {
        k[PAIR_A] = f.arpSpa;
        k[PAIR_B] = f.arpSha;
        k[PAIR_C] = -1;
        s.arpReplies.addInput();
      }
      if (f.direction === 2) {
        k[PAIR_A] = f.arpSha;
        k[PAIR_B] = f.arpSpa;
        k[PAIR_C] = -1;
        s.arpOutgoing.addInput();
      }
      return;
    }
    if (f.outerIp < 0 || !f.outerV4) return;
    // A flow's packets in one direction repeat their associations: each counter tries first the entry it found for them last time.
    const slot = ctx.flowRow >= 0 ? ctx.flowRow * 2 + ctx.flowDir : -1;
    const addr = f.addr;
    if (f.outerEth >= 0) {
      k[PAIR_A] = f.outerEthSrc;
      k[PAIR_B] = addr[OUTER_SRC]!;
      k[PAIR_C] = -1;
      s.l2Src.addInputAt(slot);
    }
    const kind = f.tunnelKind;
    if (kind === TUNNEL_NONE) {
      if (f.outerEth >= 0) {
        k[PAIR_A] = f.outerEthDst;
        k[PAIR_B] = addr[OUTER_DST]!;
        k[PAIR_C] = -1;
        s.l2Dst.addInputAt(slot);
      }
      return;
    }
    const tunnelKind = kind * 65536 + (f.tunnelUdpDport || f.outerProto);
    if (tunnelKind !== s.lastTunnelKind) {
      s.tunnelKinds.add(tunnelKind);
      s.lastTunnelKind = tunnelKind;
    }
    const hasInnerEth = f.innerEth >= 0 && f.innerEth !== f.outerEth;
    if (hasInnerEth && (kind === TUNNEL_VXLAN || kind === TUNNEL_GENEVE || kind === TUNNEL_VXLAN_GPE)) {
      const vtep = Math.max(0, f.tunnelId) * 65536 + f.tunnelUdpDport + kind * KIND_SHIFT;
      k[PAIR_A] = addr[OUTER_SRC]!;
      k[PAIR_B] = f.innerEthSrc;
      k[PAIR_C] = vtep;
      s.vtepSrc.addInputAt(slot);
      k[PAIR_A] = addr[OUTER_DST]!;
      k[PAIR_B] = f.innerEthDst;
      s.vtepDst.addInputAt(slot);
      k[PAIR_C] = addr[OUTER_SRC]!;
      s.fdbUse.addInputAt(slot);
    }
    if (f.innerIp !== f.outerIp && f.innerV4) {
      k[PAIR_A] = addr[OUTER_SRC]!;
      k[PAIR_B] = (addr[INNER_SRC]! & 0xffffff00) >>> 0;
      k[PAIR_C] = kind;
      s.podBehindSrc.addInputAt(slot);
      k[PAIR_A] = addr[OUTER_DST]!;
      k[PAIR_B] = (addr[INNER_DST]! & 0xffffff00) >>> 0;
      k[PAIR_C] = addr[OUTER_SRC]!;
      s.podToDst.addInputAt(slot);
      k[PAIR_A] = addr[INNER_SRC]!;
      k[PAIR_B] = addr[OUTER_SRC]!;
      k[PAIR_C] = -1;
      s.podIpBehind.addInputAt(slot);
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
