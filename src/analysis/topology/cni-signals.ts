import { u8, u16, u48 } from '../../decode/bytes.js';
import type { PacketView } from '../../decode/packet-view.js';
import { defineAnalyzer } from '../analyzer.js';
import { TUNNEL_GENEVE, TUNNEL_NONE } from '../facts.js';
import { PairCounter, type PairStat } from '../pair-counter.js';

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
  create: () => ({ geneve: new PairCounter(256), sources: new PairCounter(4096), arpSenders: new PairCounter(4096) }),
  packet(s, f, p, ctx) {
    if (f.arp >= 0) {
      if (f.arpSpa !== 0 && f.arpSha !== 0) s.arpSenders.add(f.arpSha, f.arpSpa, -1, p.number, ctx.time);
      return;
    }
    if (f.tunnelKind === TUNNEL_GENEVE) {
      const i = f.tunnel;
      const b = p.layerBuf[i]!;
      const at = p.start[i]!;
      const cls = p.hdrEnd[i]! - at >= 12 && (u8(b, at) & 0x3f) > 0 ? u16(b, at + 8) : -1;
      s.geneve.add(cls, f.tunnelId, -1, p.number, ctx.time);
      return;
    }
    if (f.tunnelKind !== TUNNEL_NONE || f.outerIp < 0 || !f.outerV4) return;
    if (f.outerEth >= 0) {
      if (f.outerEthSrc !== 0) s.sources.add(f.outerEthSrc, f.addr[3]!, f.iface * 4 + f.direction, p.number, ctx.time);
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
    if (mac !== 0) s.sources.add(mac, f.addr[3]!, f.iface * 4 + f.direction, p.number, ctx.time);
  },
  finish: (s, ctx) => ({ capture: ctx.capture, geneve: s.geneve.all(), sources: s.sources.all(), arpSenders: s.arpSenders.all() }),
});
