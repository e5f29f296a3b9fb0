/** ICMPv6 (RFC 4443) and Neighbour Discovery (RFC 4861); checksummed over the IPv6 pseudo-header. */
import { ipv6Bytes, macBytes } from './addr.js';
import { foldChecksum, pseudoHeaderSum, resolveChecksum, sum16, type ChecksumMode, type PseudoHeader } from './checksum.js';
import { IPPROTO } from './constants.js';

export const ICMPV6_TYPE = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
} as const;

/** An error message may quote no more than fits in the minimum IPv6 MTU (RFC 4443 §2.4 c). */
export const ICMPV6_MAX_QUOTE = 1280 - 40 - 8;

export interface Icmpv6Options {
  type: number;
  code?: number;
  checksum?: ChecksumMode;
}

/** `body`: everything after the checksum, including the 4-byte type-specific word. */
export function icmpv6(o: Icmpv6Options, body: Buffer, pseudo: PseudoHeader): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b[0] = o.type;
  b[1] = o.code ?? 0;
  body.copy(b, 4);
  b.writeUInt16BE(
    resolveChecksum(o.checksum, () => foldChecksum(sum16(b, 0, b.length, pseudoHeaderSum(pseudo, IPPROTO.ICMPV6, b.length)))),
    2,
  );
  return b;
}

function word(n: number, rest: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(4 + rest.length);
  b.writeUInt32BE(n >>> 0, 0);
  rest.copy(b, 4);
  return b;
}

export function icmpv6Echo(
  o: { reply?: boolean; id: number; seq: number; checksum?: ChecksumMode },
  data: Buffer,
  pseudo: PseudoHeader,
): Buffer {
  return icmpv6(
    { type: o.reply ? ICMPV6_TYPE.ECHO_REPLY : ICMPV6_TYPE.ECHO_REQUEST, checksum: o.checksum },
    word(((o.id & 0xffff) << 16) | (o.seq & 0xffff), data),
    pseudo,
  );
}

export function icmpv6PacketTooBig(o: { mtu: number; checksum?: ChecksumMode }, original: Buffer, pseudo: PseudoHeader): Buffer {
  return icmpv6(
    { type: ICMPV6_TYPE.PACKET_TOO_BIG, checksum: o.checksum },
    word(o.mtu, original.subarray(0, ICMPV6_MAX_QUOTE)),
    pseudo,
  );
}

export function icmpv6TimeExceeded(o: { code?: number; checksum?: ChecksumMode }, original: Buffer, pseudo: PseudoHeader): Buffer {
  return icmpv6({ type: ICMPV6_TYPE.TIME_EXCEEDED, code: o.code ?? 0, checksum: o.checksum }, word(0, original.subarray(0, ICMPV6_MAX_QUOTE)), pseudo);
}

/** ND link-layer address option: type 1 source, 2 target (RFC 4861 §4.6.1). */
function linkAddrOption(type: number, mac: string): Buffer {
  return Buffer.concat([Buffer.from([type, 1]), macBytes(mac)]);
}

/**
 * Sent with hop limit 255 (receivers drop anything else) to the target's
 * solicited-node group, or to the target itself when re-validating.
 */
export function icmpv6NeighborSolicitation(
  o: { target: string; sourceLinkAddr?: string; checksum?: ChecksumMode },
  pseudo: PseudoHeader,
): Buffer {
  const opt = o.sourceLinkAddr ? linkAddrOption(1, o.sourceLinkAddr) : Buffer.alloc(0);
  return icmpv6(
    { type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION, checksum: o.checksum },
    Buffer.concat([Buffer.alloc(4), ipv6Bytes(o.target), opt]),
    pseudo,
  );
}

export function icmpv6NeighborAdvertisement(
  o: { target: string; router?: boolean; solicited?: boolean; override?: boolean; targetLinkAddr?: string; checksum?: ChecksumMode },
  pseudo: PseudoHeader,
): Buffer {
  const flags = (o.router ? 0x80000000 : 0) | (o.solicited ? 0x40000000 : 0) | (o.override ? 0x20000000 : 0);
  const opt = o.targetLinkAddr ? linkAddrOption(2, o.targetLinkAddr) : Buffer.alloc(0);
  return icmpv6(
    { type: ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT, checksum: o.checksum },
    Buffer.concat([word(flags), ipv6Bytes(o.target), opt]),
    pseudo,
  );
}
