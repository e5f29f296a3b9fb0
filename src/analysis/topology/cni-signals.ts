import { u8, u16, u48 } from '../../decode/bytes.js';
import type { PacketView } from '../../decode/packet-view.js';
import { defineAnalyzer } from '../analyzer.js';
import { TUNNEL_GENEVE, TUNNEL_NONE } from '../facts.js';
import { PAIR_A, PAIR_B, PAIR_C, PAIR_PACKET, PAIR_TIME, PairCounter, pairInput, type PairStat } from '../pair-counter.js';

/**
 * Per-capture evidence for telling CNI plugins apart that the topology collector does not
 * keep: the option classes Geneve packets carry (OVN's 0x0102 names Kube-OVN/OVN), and
 * which link-layer source sends which address on each interface, with the direction when
 * the capture marks it (pcapng flags, Linux cooked packet type): pods that are stations of
 * their own on the underlay are MACVLAN, one MAC for several addresses IPVLAN. Linux
 * cooked captures (`tcpdump -i any`) carry the source MAC in their own header. ARP
 * senders name the host behind each MAC, which routed pod networks need to tell a node's
 * MAC from the default gateway's.
 */

const LINKTYPE_LINUX_SLL2 = 276;

export interface CniSignals {
  capture: string;
  /** Geneve: a = first option class (-1 without options), b = VNI; c unused. */
  geneve: PairStat[];
  /** Unencapsulated IPv4: a = source MAC, b = source IP, c = capture interface × 4 + direction (0 unknown, 1 arriving, 2 leaving). */
  sources: PairStat[];
  /** ARP senders, requests and replies alike (a host says who it is in both): a = sender MAC, b = sender IP. */
  arpSenders: PairStat[];
}

interface State {
  /** The input every counter below reads (see pairInput). */
  input: Float64Array;
  geneve: PairCounter;
  sources: PairCounter;
  arpSenders: PairCounter;
}

export function sourceDirection(s: PairStat): number {
  return s.c % 4;
}

/** The cooked header is the first layer after the frame pseudo-layer, if any. */
function sllLayer(p: PacketView, sll: number): number {
  for (let i = 0; i < p.nLayers && i < 2; i++) if (p.proto[i] === sll) return i;
  return -1;
}

export const cniSignalsCollector = defineAnalyzer<State, CniSignals>({
  name: 'cni-signals',
  create: () => {
    const input = pairInput();
    return { input, geneve: new PairCounter(256, input), sources: new PairCounter(4096, input), arpSenders: new PairCounter(4096, input) };
  },
  packet(s, f, p, ctx) {
    // Keys go into the shared input, never through arguments (see pairInput).
    const k = s.input;
    k[PAIR_PACKET] = p.number;
    k[PAIR_TIME] = ctx.time;
    if (f.arp >= 0) {
      if (f.arpSpa !== 0 && f.arpSha !== 0) {
        k[PAIR_A] = f.arpSha;
        k[PAIR_B] = f.arpSpa;
        k[PAIR_C] = -1;
        s.arpSenders.addInput();
      }
      return;
    }
    if (f.tunnelKind === TUNNEL_GENEVE) {
      const i = f.tunnel;
      const b = p.layerBuf[i]!;
      const at = p.start[i]!;
      const cls = p.hdrEnd[i]! - at >= 12 && (u8(b, at) & 0x3f) > 0 ? u16(b, at + 8) : -1;
      k[PAIR_A] = cls;
      k[PAIR_B] = f.tunnelId;
      k[PAIR_C] = -1;
      s.geneve.addInputAt(ctx.flowRow >= 0 ? ctx.flowRow * 2 + ctx.flowDir : -1);
      return;
    }
    if (f.tunnelKind !== TUNNEL_NONE || f.outerIp < 0 || !f.outerV4) return;
    // A flow's packets in one direction repeat their source: the entry found for them last time is tried first.
    const slot = ctx.flowRow >= 0 ? ctx.flowRow * 2 + ctx.flowDir : -1;
    if (f.outerEth >= 0) {
      if (f.outerEthSrc !== 0) {
        k[PAIR_A] = f.outerEthSrc;
        k[PAIR_B] = f.addr[3]!;
        k[PAIR_C] = f.iface * 4 + f.direction;
        s.sources.addInputAt(slot);
      }
      return;
    }
    // Linux cooked v2 carries the frame's source MAC in its own header (loopback's is all zeros).
    if (p.linktype !== LINKTYPE_LINUX_SLL2) return;
    const i = sllLayer(p, f.ids.sll);
    if (i < 0 || p.hdrEnd[i]! - p.start[i]! < 20) return;
    const b = p.layerBuf[i]!;
    const at = p.start[i]!;
    if (u8(b, at + 11) !== 6) return;
    const mac = u48(b, at + 12);
    if (mac === 0) return;
    k[PAIR_A] = mac;
    k[PAIR_B] = f.addr[3]!;
    k[PAIR_C] = f.iface * 4 + f.direction;
    s.sources.addInputAt(slot);
  },
  finish: (s, ctx) => ({ capture: ctx.capture, geneve: s.geneve.all(), sources: s.sources.all(), arpSenders: s.arpSenders.all() }),
});
