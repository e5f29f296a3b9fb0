import type { PacketView } from '../decode/packet-view.js';
import type { PacketFacts } from '../analysis/facts.js';

/**
 * A packet's identity across capture points: only what survives encapsulation and
 * decapsulation, TTL decrements, checksum rewrites and snaplen cuts. Read from the
 * innermost IP packet: addresses, protocol, IP ID, IP length, and the transport fields
 * that change from one packet to the next (TCP seq/ack/flags, ICMP id/seq, ports).
 * Payload bytes go in a separate discriminator because a short snaplen can hide them.
 */

/** Payload bytes hashed: few enough to survive `tcpdump -s 128` on a VXLAN underlay. */
export const PAYLOAD_PREFIX = 16;

function round(h: number, v: number): number {
  v = Math.imul(v, 0xcc9e2d51);
  v = (v << 15) | (v >>> 17);
  v = Math.imul(v, 0x1b873593);
  h ^= v;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, n: number): number {
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** murmur3-style hash of the first `n` words of `w` with a seed. */
export function hashWords(w: Uint32Array, from: number, to: number, seed: number): number {
  let h = seed | 0;
  for (let i = from; i < to; i++) h = round(h, w[i]!);
  return finish(h, to - from);
}

/**
 * FNV-1a of the first PAYLOAD_PREFIX transport payload bytes (fewer when the payload is
 * shorter), or 0 when the capture cut them off: 0 means "unknown", never "empty".
 */
export function payloadHash(p: PacketView, f: PacketFacts): number {
  const l4 = f.l4;
  if (l4 <= f.innerIp) return 0;
  const b = p.layerBuf[l4]!;
  const from = f.icmp === l4 ? p.start[l4]! + 8 : p.hdrEnd[l4]!;
  const want = Math.min(PAYLOAD_PREFIX, f.icmp === l4 ? Math.max(0, f.innerIpLen - (p.start[l4]! - p.start[f.innerIp]!) - 8) : f.payloadLen);
  const capEnd = Math.min(p.end[l4]!, b.length);
  if (want <= 0 || from + want > capEnd) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < want; i++) h = Math.imul(h ^ b[from + i]!, 0x01000193);
  return (h >>> 0) || 1;
}

export const SEED_HI = 0x3c6ef372;
export const SEED_LO = 0x5be0cd19;
export const SEED_NAT = 0x1f83d9ab;

/** Inner IPv4 address (or a fold of an IPv6 one) of facts' address slot. */
export function foldAddr(a: Uint32Array, at: number): number {
  return a[at] === 0 && a[at + 1] === 0 && a[at + 2] === 0xffff ? a[at + 3]! : (a[at]! ^ a[at + 1]! ^ a[at + 2]! ^ a[at + 3]!) >>> 0;
}

/**
 * Fill `w` with the header identity words; returns how many. Address words come first
 * (ADDRESS_WORDS of them) so the NAT-tolerant key can skip them.
 */
export const ADDRESS_WORDS = 8;
export function identityWords(f: PacketFacts, w: Uint32Array): number {
  const a = f.addr;
  for (let k = 0; k < 8; k++) w[k] = a[8 + k]!;
  // Ports come right after the addresses: NAT rewrites those too.
  w[8] = innerPorts(f);
  w[9] = ((f.innerProto & 0xff) << 16) | (f.innerIpLen & 0xffff);
  w[10] = f.innerIpId;
  if (innerIcmp(f)) {
    w[11] = ((f.icmpType & 0xff) << 8) | (f.icmpCode & 0xff);
    w[12] = f.icmpSeq;
    w[13] = f.icmpId;
  } else {
    w[11] = f.tcpFlags;
    w[12] = f.tcpSeq;
    w[13] = f.tcpAck;
  }
  return 14;
}

/** The transport header belongs to the innermost IP packet (not a tunnel's outer UDP). */
function innerL4(f: PacketFacts): boolean {
  return f.l4 > f.innerIp;
}

export function innerIcmp(f: PacketFacts): boolean {
  return innerL4(f) && f.icmp === f.l4;
}

/** sport << 16 | dport of the innermost TCP/UDP header; 0 for ICMP and the rest. */
export function innerPorts(f: PacketFacts): number {
  return innerL4(f) && f.icmp !== f.l4 ? ((f.sport << 16) | f.dport) >>> 0 : 0;
}
