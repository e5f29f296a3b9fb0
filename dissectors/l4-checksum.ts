import { field } from '../src/decode/define.js';
import { foldChecksum, onesSum, u16 } from '../src/decode/bytes.js';
import type { FieldDef } from '../src/decode/field.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';
import { AUX_QUOTED } from './ipv4.js';

/*
 * TCP and UDP checksums over the IP pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1).
 *
 * IPv4 pseudo-header                      IPv6 pseudo-header
 * |          Source Address          |    |   Source Address (16)                 |
 * |        Destination Address       |    |   Destination Address (16)            |
 * |  zero  | Proto  |   L4 length    |    |   Upper-layer length (32)             |
 *                                         |   zero (24)              | Next hdr   |
 *
 * Verification reads the whole segment, so it never runs in decode(): field getters and
 * analyzers call it on demand, for the packets they actually look at.
 */

/** Checksum status values, numbered as Wireshark's `*.checksum.status` fields are. */
export const CHECKSUM_BAD = 0;
export const CHECKSUM_GOOD = 1;
/** Not all of the segment was captured (or it is quoted inside an ICMP error). */
export const CHECKSUM_UNVERIFIED = 2;
/** UDP over IPv4 with a zero checksum: the sender did not compute one. */
export const CHECKSUM_NOT_PRESENT = 3;
/** UDP over IPv6 with a zero checksum, which RFC 8200 forbids. */
export const CHECKSUM_ILLEGAL = 4;

export const CHECKSUM_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'Bad',
  1: 'Good',
  2: 'Unverified',
  3: 'Not present',
  4: 'Illegal',
};

let idsOf: Registry | null = null;
let IP = -1;
let IPV6 = -1;

function resolve(reg: Registry): void {
  if (idsOf === reg) return;
  IP = reg.has('ip') ? reg.id('ip') : -1;
  IPV6 = reg.has('ipv6') ? reg.id('ipv6') : -1;
  idsOf = reg;
}

/** The IPv4 or IPv6 layer carrying layer `i` (the nearest one before it), or -1. */
export function ipLayerOf(p: PacketView, i: number): number {
  resolve(p.reg);
  for (let j = i - 1; j >= 0; j--) {
    const pr = p.proto[j]!;
    if (pr === IP || pr === IPV6) return j;
  }
  return -1;
}

/** True when layer `ip` is an IPv6 header (as opposed to IPv4). */
export function isIpv6Layer(p: PacketView, ip: number): boolean {
  resolve(p.reg);
  return p.proto[ip] === IPV6;
}

/**
 * One's-complement sum (unfolded) of the pseudo-header for an upper-layer packet of
 * `l4len` bytes and protocol `proto` carried by IP layer `ip`; -1 when the addresses
 * were not captured.
 */
export function pseudoHeaderSum(p: PacketView, ip: number, proto: number, l4len: number): number {
  resolve(p.reg);
  const b = p.layerBuf[ip]!;
  const s = p.start[ip]!;
  if (p.proto[ip] === IP) {
    if (p.hdrEnd[ip]! - s < 20) return -1;
    return onesSum(b, s + 12, s + 20) + proto + l4len;
  }
  if (p.proto[ip] === IPV6) {
    if (p.end[ip]! - s < 40) return -1;
    return onesSum(b, s + 8, s + 40) + Math.floor(l4len / 65536) + (l4len & 0xffff) + proto;
  }
  return -1;
}

/**
 * Verify the checksum of upper-layer layer `i` (`l4len` bytes from its start, protocol
 * number `proto`): CHECKSUM_GOOD, CHECKSUM_BAD, or CHECKSUM_UNVERIFIED when the segment
 * was not captured whole, its IP header is missing, or it is quoted in an ICMP error.
 */
export function l4ChecksumStatus(p: PacketView, i: number, proto: number, l4len: number): number {
  if ((p.aux[i]! & AUX_QUOTED) !== 0 || l4len <= 0) return CHECKSUM_UNVERIFIED;
  const s = p.start[i]!;
  if (p.end[i]! - s < l4len) return CHECKSUM_UNVERIFIED;
  const ip = ipLayerOf(p, i);
  if (ip < 0 || p.layerBuf[ip] !== p.layerBuf[i]) return CHECKSUM_UNVERIFIED;
  const pseudo = pseudoHeaderSum(p, ip, proto, l4len);
  if (pseudo < 0) return CHECKSUM_UNVERIFIED;
  return foldChecksum(onesSum(p.layerBuf[i]!, s, s + l4len, pseudo)) === 0xffff ? CHECKSUM_GOOD : CHECKSUM_BAD;
}

/**
 * Status of the UDP checksum of layer `i` (a UDP layer). A zero checksum means "none" over
 * IPv4 and is illegal over IPv6; otherwise the datagram is verified over the length the
 * UDP header states.
 */
export function udpChecksumStatus(p: PacketView, i: number): number {
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  if (p.hdrEnd[i]! - s < 8) return CHECKSUM_UNVERIFIED;
  if (u16(b, s + 6) === 0) {
    const ip = ipLayerOf(p, i);
    return ip >= 0 && isIpv6Layer(p, ip) ? CHECKSUM_ILLEGAL : CHECKSUM_NOT_PRESENT;
  }
  const len = u16(b, s + 4);
  if (len < 8) return CHECKSUM_UNVERIFIED;
  return l4ChecksumStatus(p, i, 17, len);
}

/** `udp.checksum.status`, ready to add to the UDP dissector's field list. */
export const udpChecksumStatusField: FieldDef = field(
  'udp.checksum.status',
  'Checksum Status',
  'uint',
  (p, i, out) => {
    if (p.hdrEnd[i]! - p.start[i]! >= 8) out.pushNum(udpChecksumStatus(p, i));
  },
  { names: CHECKSUM_STATUS_NAMES },
);


/**
 * Is a bad outer UDP checksum (layer `udp`, carrying a tunnel) what Linux leaves on a packet
 * it has not finished offloading? Two shapes, both seen on the sending host before the NIC:
 * CHECKSUM_PARTIAL, where the field still holds the pseudo-header sum; and local checksum
 * offload (LCO), where the outer sum was computed as if the inner TCP/UDP checksum (layer
 * `inner`, protocol `innerProto`, still partial) were already filled in. A packet damaged
 * on the wire or by a broken NIC matches neither.
 */
export function outerChecksumPendingOffload(p: PacketView, udp: number, inner: number, innerProto: number): boolean {
  const b = p.layerBuf[udp]!;
  const us = p.start[udp]!;
  if (p.end[udp]! - us < 8) return false;
  const field = u16(b, us + 6);
  const ulen = u16(b, us + 4);
  const outerIp = ipLayerOf(p, udp);
  if (outerIp < 0 || ulen < 8) return false;
  const outerPseudo = pseudoHeaderSum(p, outerIp, 17, ulen);
  if (outerPseudo < 0) return false;
  if (foldChecksum(outerPseudo) === field) return true;
  if (inner < 0 || (innerProto !== 6 && innerProto !== 17) || p.layerBuf[inner] !== b || p.end[udp]! - us < ulen) return false;
  const innerIp = ipLayerOf(p, inner);
  if (innerIp < 0 || p.layerBuf[innerIp] !== b) return false;
  const is = p.start[inner]!;
  const ipEnd = p.end[innerIp]!;
  const l4len = ipEnd - is;
  const csumAt = is + (innerProto === 6 ? 16 : 6);
  if (l4len < (innerProto === 6 ? 20 : 8) || ipEnd > us + ulen) return false;
  const innerPseudo = pseudoHeaderSum(p, innerIp, innerProto, l4len);
  if (innerPseudo < 0) return false;
  const innerField = u16(b, csumAt);
  // The inner sum without its checksum field, then the field it should hold.
  const innerRest = foldChecksum(onesSum(b, is, is + l4len, innerPseudo) + (~innerField & 0xffff));
  const innerRight = ~innerRest & 0xffff;
  const outer = onesSum(b, us, us + ulen, outerPseudo);
  return foldChecksum(outer + (~innerField & 0xffff) + innerRight) === 0xffff;
}
