import { checkRange, u8, u16, u24, u32, u48 } from '../decode/bytes.js';
import type { PacketView } from '../decode/packet-view.js';
import type { Registry } from '../decode/registry.js';

/**
 * The handful of numbers every analyzer wants from a packet, read once per packet from
 * the layer stack into one reused object: outer and inner addresses, the tunnel, the
 * transport header, ARP and ICMP. Analyzers read these instead of re-walking layers.
 *
 * Addresses are four uint32 words (IPv4 as ::ffff:a.b.c.d) so IPv4 and IPv6 share one
 * code path; `isV4` says which text form to print.
 */

export const TUNNEL_NONE = 0;
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
export const TUNNEL_GRE = 3;
export const TUNNEL_IPIP = 4;
export const TUNNEL_FLANNEL_UDP = 5;
export const TUNNEL_VXLAN_GPE = 6;
export const TUNNEL_WIREGUARD = 7;
export const TUNNEL_NAMES = ['none', 'vxlan', 'geneve', 'gre', 'ipip', 'flannel-udp', 'vxlan-gpe', 'wireguard'] as const;

export const AUX_QUOTED = 1;

/**
 * What `extract` does with a layer, by protocol id. A table read and a switch over these
 * small constants replace a chain of up to fifteen comparisons against ProtoIds fields
 * per layer. 0: a layer `extract` does not read.
 */
const LAYER_ETH = 1;
const LAYER_SLL = 2;
const LAYER_VLAN = 3;
const LAYER_IP = 4;
const LAYER_IPV6 = 5;
const LAYER_UDP = 6;
const LAYER_TCP = 7;
/** VXLAN, Geneve and VXLAN-GPE: a tunnel id in the header, UDP below. */
const LAYER_VNI_TUNNEL = 8;
const LAYER_GRE = 9;
/** flannel UDP and WireGuard: UDP below, no tunnel id. */
const LAYER_UDP_TUNNEL = 10;
const LAYER_ARP = 11;
const LAYER_ICMP = 12;
const LAYER_BGP = 13;

/** Which protocol ids mean what; looked up by name so placeholders or missing modules just never match. */
export class ProtoIds {
  readonly eth: number;
  readonly vlan: number;
  readonly qinq: number;
  readonly arp: number;
  readonly ip: number;
  readonly ipv6: number;
  readonly icmp: number;
  readonly icmpv6: number;
  readonly udp: number;
  readonly tcp: number;
  readonly vxlan: number;
  readonly vxlanGpe: number;
  readonly geneve: number;
  readonly gre: number;
  readonly flannel: number;
  readonly wireguard: number;
  readonly bgp: number;
  readonly sll: number;
  /** LAYER_* by protocol id. */
  readonly layerKind: Uint8Array;
  constructor(reg: Registry) {
    const id = (n: string) => (reg.has(n) ? reg.id(n) : -1);
    this.eth = id('eth');
    this.vlan = id('vlan');
    this.qinq = id('ieee8021ad');
    this.arp = id('arp');
    this.ip = id('ip');
    this.ipv6 = id('ipv6');
    this.icmp = id('icmp');
    this.icmpv6 = id('icmpv6');
    this.udp = id('udp');
    this.tcp = id('tcp');
    this.vxlan = id('vxlan');
    this.vxlanGpe = id('vxlan_gpe') >= 0 ? id('vxlan_gpe') : id('vxlan-gpe');
    this.geneve = id('geneve');
    this.gre = id('gre');
    this.flannel = id('flannel');
    this.wireguard = id('wg') >= 0 ? id('wg') : id('wireguard');
    this.bgp = id('bgp');
    this.sll = id('sll');
    let maxId = 0;
    for (const name of reg.protocolNames()) maxId = Math.max(maxId, reg.id(name));
    const kind = (this.layerKind = new Uint8Array(maxId + 1));
    const kinds: Array<[number, number]> = [
      [this.eth, LAYER_ETH],
      [this.sll, LAYER_SLL],
      [this.vlan, LAYER_VLAN],
      [this.ip, LAYER_IP],
      [this.ipv6, LAYER_IPV6],
      [this.udp, LAYER_UDP],
      [this.tcp, LAYER_TCP],
      [this.vxlan, LAYER_VNI_TUNNEL],
      [this.geneve, LAYER_VNI_TUNNEL],
      [this.vxlanGpe, LAYER_VNI_TUNNEL],
      [this.gre, LAYER_GRE],
      [this.flannel, LAYER_UDP_TUNNEL],
      [this.wireguard, LAYER_UDP_TUNNEL],
      [this.arp, LAYER_ARP],
      [this.icmp, LAYER_ICMP],
      [this.icmpv6, LAYER_ICMP],
      [this.bgp, LAYER_BGP],
    ];
    // Backwards, so a protocol named twice keeps its first meaning.
    for (let k = kinds.length - 1; k >= 0; k--) {
      const [pid, layer] = kinds[k]!;
      if (pid >= 0) kind[pid] = layer;
    }
  }
}

/**
 * Addresses, sequence numbers and MACs above 2^31 are doubles, and a double returned from
 * a call the compiler does not inline is boxed on the heap: these reads are written out
 * where they are used, a word stored straight into a typed array or field. Each checks
 * its range when reads are audited (tests), as the byte accessors do.
 */

/** An IP address as four words, written into a Uint32Array at `at`. */
function readV4(b: Buffer, o: number, out: Uint32Array, at: number): void {
  checkRange(b, o, 4);
  out[at] = 0;
  out[at + 1] = 0;
  out[at + 2] = 0xffff;
  // Stored into a Uint32Array, the signed word reads back unsigned.
  out[at + 3] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function readV6(b: Buffer, o: number, out: Uint32Array, at: number): void {
  out[at] = u32(b, o);
  out[at + 1] = u32(b, o + 4);
  out[at + 2] = u32(b, o + 8);
  out[at + 3] = u32(b, o + 12);
}

export class PacketFacts {
  readonly ids: ProtoIds;

  /** Layer index of each piece, or -1. */
  outerEth = -1;
  innerEth = -1;
  outerIp = -1;
  innerIp = -1;
  l4 = -1;
  tunnel = -1;
  arp = -1;
  icmp = -1;
  quotedIp = -1;
  quotedL4 = -1;
  firstBgp = -1;
  bgpCount = 0;
  vlanId = -1;
  /**
   * Which interface of the capture the packet was seen on: the pcapng interface and the
   * Linux cooked v2 ifindex (`tcpdump -i any`), so one packet seen on a veth, the bridge
   * and the VTEP is three sightings, not a retransmission.
   */
  iface = 0;
  /** Seen leaving (2) or arriving at (1) the capturing host, when the capture says (pcapng flags, Linux cooked packet type); else 0. */
  direction = 0;

  // Link layer (outermost / innermost Ethernet), 48-bit MACs as numbers.
  outerEthSrc = 0;
  outerEthDst = 0;
  innerEthSrc = 0;
  innerEthDst = 0;

  /** Addresses: [outer src, outer dst, inner src, inner dst, quoted src, quoted dst] × 4 words. */
  readonly addr = new Uint32Array(24);
  outerV4 = true;
  innerV4 = true;
  quotedV4 = true;
  outerProto = -1;
  outerTtl = 0;
  outerIpId = 0;
  outerDf = false;
  outerFragment = false;
  /** Outer IP total length (bytes on the wire for the underlay path, without link layer). */
  outerIpLen = 0;
  innerProto = -1;
  innerTtl = 0;
  innerIpId = 0;
  innerDf = false;
  innerIpLen = 0;
  innerFragment = false;

  // The outermost tunnel.
  tunnelKind = TUNNEL_NONE;
  /** VNI (VXLAN, Geneve) or GRE key; -1 when absent. */
  tunnelId = -1;
  tunnelUdpSport = 0;
  tunnelUdpDport = 0;
  /** Outer UDP checksum of the tunnel packet (0 = not computed by the sender). */
  tunnelUdpChecksum = 0;
  tunnelDepth = 0;

  // Innermost transport.
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWindow = 0;
  /** Transport payload bytes (TCP segment data / UDP payload). */
  payloadLen = 0;
  /** TCP MSS option on SYNs, else 0. */
  tcpMss = 0;

  // ARP.
  arpOp = 0;
  arpSha = 0;
  arpSpa = 0;
  arpTha = 0;
  arpTpa = 0;

  // ICMP / ICMPv6 (the innermost one).
  icmpType = -1;
  icmpCode = -1;
  /** Next-hop MTU of ICMP frag-needed, or ICMPv6 packet-too-big MTU; 0 otherwise. */
  icmpMtu = 0;
  icmpId = 0;
  icmpSeq = 0;
  quotedProto = -1;
  quotedSport = 0;
  quotedDport = 0;
  quotedIpLen = 0;

  constructor(reg: Registry) {
    this.ids = new ProtoIds(reg);
  }

  /** Fill from a decoded packet. Allocation-free. */
  extract(p: PacketView): void {
    const ids = this.ids;
    this.outerEth = this.innerEth = this.outerIp = this.innerIp = this.l4 = this.tunnel = -1;
    this.arp = this.icmp = this.quotedIp = this.quotedL4 = this.firstBgp = -1;
    this.bgpCount = 0;
    this.vlanId = -1;
    this.iface = p.ifIndex * 1048576;
    const epbDir = p.recordFlags & 3;
    this.direction = epbDir === 1 ? 1 : epbDir === 2 ? 2 : 0;
    this.tunnelKind = TUNNEL_NONE;
    this.tunnelId = -1;
    this.tunnelUdpSport = this.tunnelUdpDport = this.tunnelUdpChecksum = 0;
    this.tunnelDepth = 0;
    this.outerProto = this.innerProto = -1;
    this.sport = this.dport = this.tcpFlags = this.tcpSeq = this.tcpAck = this.tcpWindow = 0;
    this.payloadLen = this.tcpMss = 0;
    this.arpOp = 0;
    this.icmpType = this.icmpCode = -1;
    this.icmpMtu = this.icmpId = this.icmpSeq = 0;
    this.quotedProto = -1;
    this.quotedSport = this.quotedDport = this.quotedIpLen = 0;

    const n = p.nLayers;
    const layerKind = ids.layerKind;
    let lastUdp = -1;
    for (let i = 0; i < n; i++) {
      const proto = p.proto[i]!;
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const hdrLen = p.hdrEnd[i]! - s;
      if ((p.aux[i]! & AUX_QUOTED) !== 0) {
        this.quoted(p, i, proto, b, s, hdrLen);
        continue;
      }
      switch (layerKind[proto]) {
        case LAYER_ETH: {
          if (hdrLen < 14) continue;
          checkRange(b, s, 12);
          const dst = ((b[s]! << 8) | b[s + 1]!) * 4294967296 + (((b[s + 2]! << 24) | (b[s + 3]! << 16) | (b[s + 4]! << 8) | b[s + 5]!) >>> 0);
          const src = ((b[s + 6]! << 8) | b[s + 7]!) * 4294967296 + (((b[s + 8]! << 24) | (b[s + 9]! << 16) | (b[s + 10]! << 8) | b[s + 11]!) >>> 0);
          if (this.outerEth < 0) {
            this.outerEth = i;
            this.outerEthDst = dst;
            this.outerEthSrc = src;
          }
          this.innerEth = i;
          this.innerEthDst = dst;
          this.innerEthSrc = src;
          break;
        }
        case LAYER_SLL: {
          // Linux cooked v2 (tcpdump -i any) names the interface; v1 does not.
          if (p.linktype === 276 && hdrLen >= 8) this.iface += u32(b, s + 4) % 1048576;
          // Packet type: 0 unicast to this host, 4 sent by it.
          const type = p.linktype === 276 ? (hdrLen >= 11 ? u8(b, s + 10) : -1) : hdrLen >= 2 ? u16(b, s) : -1;
          if (type === 0) this.direction = 1;
          else if (type === 4) this.direction = 2;
          break;
        }
        case LAYER_VLAN:
          if (hdrLen >= 2 && this.vlanId < 0) this.vlanId = u16(b, s) & 0xfff;
          break;
        case LAYER_IP: {
          if (hdrLen < 20) continue;
          // Each field read once, for the inner header and (the first time) the outer one.
          checkRange(b, s, 20);
          const ipProto = b[s + 9]!;
          const ttl = b[s + 8]!;
          const ipId = (b[s + 4]! << 8) | b[s + 5]!;
          const fw = (b[s + 6]! << 8) | b[s + 7]!;
          const df = (fw & 0x4000) !== 0;
          const fragment = (fw & 0x3fff) !== 0;
          const ipLen = (b[s + 2]! << 8) | b[s + 3]!;
          readV4(b, s + 12, this.addr, 8);
          readV4(b, s + 16, this.addr, 12);
          if (this.outerIp < 0) {
            this.outerIp = i;
            this.outerV4 = true;
            const addr = this.addr;
            for (let w = 0; w < 8; w++) addr[w] = addr[8 + w]!;
            this.outerProto = ipProto;
            this.outerTtl = ttl;
            this.outerIpId = ipId;
            this.outerDf = df;
            this.outerFragment = fragment;
            this.outerIpLen = ipLen;
          } else if (this.tunnelKind === TUNNEL_NONE) {
            // IP directly inside IP with no tunnel layer between: IP-in-IP.
            this.tunnelKind = TUNNEL_IPIP;
            this.tunnel = i - 1;
          }
          this.innerIp = i;
          this.innerV4 = true;
          this.innerProto = ipProto;
          this.innerTtl = ttl;
          this.innerIpId = ipId;
          this.innerDf = df;
          this.innerFragment = fragment;
          this.innerIpLen = ipLen;
          this.l4 = -1;
          break;
        }
        case LAYER_IPV6:
          if (hdrLen < 40) continue;
          if (this.outerIp < 0) {
            this.outerIp = i;
            this.outerV4 = false;
            readV6(b, s + 8, this.addr, 0);
            readV6(b, s + 24, this.addr, 4);
            this.outerProto = u8(b, s + 6);
            this.outerTtl = u8(b, s + 7);
            this.outerIpId = 0;
            this.outerDf = true;
            this.outerFragment = false;
            this.outerIpLen = u16(b, s + 4) + 40;
          } else if (this.tunnelKind === TUNNEL_NONE) {
            this.tunnelKind = TUNNEL_IPIP;
            this.tunnel = i - 1;
          }
          this.innerIp = i;
          this.innerV4 = false;
          readV6(b, s + 8, this.addr, 8);
          readV6(b, s + 24, this.addr, 12);
          this.innerProto = u8(b, s + 6);
          this.innerTtl = u8(b, s + 7);
          this.innerIpId = 0;
          this.innerDf = true;
          this.innerFragment = false;
          this.innerIpLen = u16(b, s + 4) + 40;
          this.l4 = -1;
          break;
        case LAYER_UDP:
          if (hdrLen < 8) continue;
          lastUdp = i;
          this.l4 = i;
          this.sport = u16(b, s);
          this.dport = u16(b, s + 2);
          this.payloadLen = p.end[i]! - s - 8;
          if (this.payloadLen < 0) this.payloadLen = 0;
          break;
        case LAYER_TCP:
          if (hdrLen < 20) continue;
          this.l4 = i;
          this.sport = u16(b, s);
          this.dport = u16(b, s + 2);
          checkRange(b, s + 4, 8);
          this.tcpSeq = ((b[s + 4]! << 24) | (b[s + 5]! << 16) | (b[s + 6]! << 8) | b[s + 7]!) >>> 0;
          this.tcpAck = ((b[s + 8]! << 24) | (b[s + 9]! << 16) | (b[s + 10]! << 8) | b[s + 11]!) >>> 0;
          this.tcpFlags = u16(b, s + 12) & 0x0fff;
          this.tcpWindow = u16(b, s + 14);
          this.payloadLen = this.tcpPayloadLen(p, i, b, s);
          this.tcpMss = (this.tcpFlags & 0x02) !== 0 ? findMss(b, s + 20, p.hdrEnd[i]!) : 0;
          break;
        case LAYER_VNI_TUNNEL:
          if (this.tunnelKind !== TUNNEL_NONE) {
            this.tunnelDepth++;
            continue;
          }
          this.tunnel = i;
          this.tunnelKind = proto === ids.vxlan ? TUNNEL_VXLAN : proto === ids.geneve ? TUNNEL_GENEVE : TUNNEL_VXLAN_GPE;
          this.tunnelId = hdrLen >= 7 ? u24(b, s + 4) : -1;
          if (lastUdp >= 0) this.tunnelUdp(p, lastUdp);
          this.tunnelDepth = 1;
          break;
        case LAYER_GRE:
          if (this.tunnelKind !== TUNNEL_NONE) {
            this.tunnelDepth++;
            continue;
          }
          this.tunnel = i;
          this.tunnelKind = TUNNEL_GRE;
          this.tunnelId = greKey(b, s, p.hdrEnd[i]!);
          this.tunnelDepth = 1;
          break;
        case LAYER_UDP_TUNNEL:
          if (this.tunnelKind !== TUNNEL_NONE) {
            this.tunnelDepth++;
            continue;
          }
          this.tunnel = i;
          this.tunnelKind = proto === ids.flannel ? TUNNEL_FLANNEL_UDP : TUNNEL_WIREGUARD;
          if (lastUdp >= 0) this.tunnelUdp(p, lastUdp);
          this.tunnelDepth = 1;
          break;
        case LAYER_ARP:
          if (hdrLen < 28 || u16(b, s) !== 1 || u16(b, s + 2) !== 0x0800 || u8(b, s + 4) !== 6 || u8(b, s + 5) !== 4) continue;
          this.arp = i;
          this.arpOp = u16(b, s + 6);
          this.arpSha = u48(b, s + 8);
          this.arpSpa = u32(b, s + 14);
          this.arpTha = u48(b, s + 18);
          this.arpTpa = u32(b, s + 24);
          break;
        case LAYER_ICMP: {
          if (hdrLen < 4) continue;
          this.icmp = i;
          this.l4 = i;
          this.icmpType = u8(b, s);
          this.icmpCode = u8(b, s + 1);
          const full = p.end[i]! - s >= 8;
          if (full) {
            this.icmpId = u16(b, s + 4);
            this.icmpSeq = u16(b, s + 6);
          }
          if (proto === ids.icmp && this.icmpType === 3 && this.icmpCode === 4 && full) this.icmpMtu = u16(b, s + 6);
          else if (proto === ids.icmpv6 && this.icmpType === 2 && full) this.icmpMtu = u32(b, s + 4);
          break;
        }
        case LAYER_BGP:
          if (this.firstBgp < 0) this.firstBgp = i;
          this.bgpCount++;
          break;
      }
    }
  }

  private tunnelUdp(p: PacketView, udpLayer: number): void {
    const b = p.layerBuf[udpLayer]!;
    const s = p.start[udpLayer]!;
    this.tunnelUdpSport = u16(b, s);
    this.tunnelUdpDport = u16(b, s + 2);
    this.tunnelUdpChecksum = u16(b, s + 6);
  }

  private tcpPayloadLen(p: PacketView, i: number, b: Buffer, s: number): number {
    const hlen = (u8(b, s + 12) >> 4) * 4;
    // The IP header's length says how much data there was even when the capture was snapped.
    const ipLayer = i - 1;
    if (ipLayer >= 0 && p.proto[ipLayer] === this.ids.ip && p.hdrEnd[ipLayer]! - p.start[ipLayer]! >= 20) {
      const ipb = p.layerBuf[ipLayer]!;
      const ips = p.start[ipLayer]!;
      const total = u16(ipb, ips + 2);
      const ihl = (u8(ipb, ips) & 15) * 4;
      if (total >= ihl + hlen) return total - ihl - hlen;
    }
    const len = p.end[i]! - s - hlen;
    return len > 0 ? len : 0;
  }

  private quoted(p: PacketView, i: number, proto: number, b: Buffer, s: number, hdrLen: number): void {
    const ids = this.ids;
    if (proto === ids.ip && this.quotedIp < 0 && hdrLen >= 20) {
      this.quotedIp = i;
      this.quotedV4 = true;
      readV4(b, s + 12, this.addr, 16);
      readV4(b, s + 16, this.addr, 20);
      this.quotedProto = u8(b, s + 9);
      this.quotedIpLen = u16(b, s + 2);
    } else if (proto === ids.ipv6 && this.quotedIp < 0 && hdrLen >= 40) {
      this.quotedIp = i;
      this.quotedV4 = false;
      readV6(b, s + 8, this.addr, 16);
      readV6(b, s + 24, this.addr, 20);
      this.quotedProto = u8(b, s + 6);
      this.quotedIpLen = u16(b, s + 4) + 40;
    } else if ((proto === ids.udp || proto === ids.tcp) && this.quotedL4 < 0 && p.end[i]! - s >= 4) {
      this.quotedL4 = i;
      this.quotedSport = u16(b, s);
      this.quotedDport = u16(b, s + 2);
    }
  }

  /** Packet is a tunnelled one (VXLAN, Geneve, GRE, IPIP, flannel UDP). */
  get tunnelled(): boolean {
    return this.tunnelKind !== TUNNEL_NONE;
  }
}

function findMss(b: Buffer, o: number, end: number): number {
  while (o < end) {
    const kind = u8(b, o);
    if (kind === 0) return 0;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) return 0;
    const len = u8(b, o + 1);
    if (len < 2 || o + len > end) return 0;
    if (kind === 2 && len === 4) return u16(b, o + 2);
    o += len;
  }
  return 0;
}

function greKey(b: Buffer, s: number, hdrEnd: number): number {
  if (hdrEnd - s < 4) return -1;
  const flags = u16(b, s);
  if ((flags & 0x2000) === 0) return -1;
  const at = s + 4 + ((flags & 0x8000) !== 0 ? 4 : 0);
  return at + 4 <= hdrEnd ? u32(b, at) : -1;
}
