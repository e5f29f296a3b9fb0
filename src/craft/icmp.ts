/** ICMP for IPv4 (RFC 792, RFC 1191 for the next-hop MTU). */
import { inetChecksum, resolveChecksum, type ChecksumMode } from './checksum.js';

export const ICMP_TYPE = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
} as const;

export const ICMP_UNREACH = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
  ADMIN_PROHIBITED: 13,
} as const;

export interface IcmpOptions {
  type: number;
  code?: number;
  /** The 32-bit word after the checksum (id/seq, unused/MTU, ...). */
  rest?: number;
  checksum?: ChecksumMode;
}

export function icmp(o: IcmpOptions, body: Buffer): Buffer {
  const b = Buffer.alloc(8 + body.length);
  b[0] = o.type;
  b[1] = o.code ?? 0;
  b.writeUInt32BE((o.rest ?? 0) >>> 0, 4);
  body.copy(b, 8);
  b.writeUInt16BE(resolveChecksum(o.checksum, () => inetChecksum(b)), 2);
  return b;
}

export function icmpEcho(o: { reply?: boolean; id: number; seq: number; checksum?: ChecksumMode }, data: Buffer): Buffer {
  return icmp(
    { type: o.reply ? ICMP_TYPE.ECHO_REPLY : ICMP_TYPE.ECHO_REQUEST, rest: ((o.id & 0xffff) << 16) | (o.seq & 0xffff), checksum: o.checksum },
    data,
  );
}

/**
 * The part of an offending datagram an ICMPv4 error quotes: its IP header
 * (with options) and the first 8 bytes after it (RFC 792), which is enough
 * for the sender to find the UDP/TCP ports or the VXLAN/GRE outer flow.
 */
export function quoteIpv4(original: Buffer, extra = 8): Buffer {
  const hlen = (original[0]! & 0x0f) * 4;
  return original.subarray(0, Math.min(original.length, hlen + extra));
}

/** Destination unreachable; code 4 (fragmentation needed) carries the next-hop MTU. */
export function icmpUnreachable(o: { code: number; mtu?: number; checksum?: ChecksumMode }, original: Buffer): Buffer {
  return icmp({ type: ICMP_TYPE.DEST_UNREACHABLE, code: o.code, rest: (o.mtu ?? 0) & 0xffff, checksum: o.checksum }, quoteIpv4(original));
}

/** Fragmentation needed and DF set (type 3 code 4), as a router on a smaller-MTU path sends it. */
export function icmpFragNeeded(mtu: number, original: Buffer): Buffer {
  return icmpUnreachable({ code: ICMP_UNREACH.FRAG_NEEDED, mtu }, original);
}

/** Time exceeded: code 0 TTL expired in transit, 1 fragment reassembly time exceeded. */
export function icmpTimeExceeded(o: { code?: number; checksum?: ChecksumMode }, original: Buffer): Buffer {
  return icmp({ type: ICMP_TYPE.TIME_EXCEEDED, code: o.code ?? 0, checksum: o.checksum }, quoteIpv4(original));
}
