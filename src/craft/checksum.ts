/**
 * The Internet checksum (RFC 1071) and the pseudo-headers that TCP, UDP and
 * ICMPv6 fold into it.
 */
import { ipBytes, isIpv6 } from './addr.js';

/** 32-bit running sum of big-endian 16-bit words; an odd trailing byte is padded with zero. */
export function sum16(buf: Buffer, start = 0, end = buf.length, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  // Folding early keeps the sum far below 2^53 however long the input.
  return (s & 0xffff) + Math.floor(s / 0x10000);
}

export function foldChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function inetChecksum(...parts: Buffer[]): number {
  let s = 0;
  parts.forEach((p, i) => {
    // An odd part anywhere but last would shift the word alignment of everything after it.
    if (p.length & 1 && i < parts.length - 1) throw new Error('only the last part may have an odd length');
    s = sum16(p, 0, p.length, s);
  });
  return foldChecksum(s);
}

/** Addresses that feed an upper-layer pseudo-header. Both of one family. */
export interface PseudoHeader {
  src: string;
  dst: string;
}

/** Partial sum of the IPv4 (RFC 793) or IPv6 (RFC 8200 §8.1) pseudo-header. */
export function pseudoHeaderSum(p: PseudoHeader, proto: number, upperLength: number): number {
  if (isIpv6(p.src) !== isIpv6(p.dst)) throw new Error(`mixed address families: ${p.src} ${p.dst}`);
  let s = sum16(ipBytes(p.src));
  s = sum16(ipBytes(p.dst), 0, undefined, s);
  if (isIpv6(p.src)) {
    s += Math.floor(upperLength / 0x10000) + (upperLength & 0xffff) + proto;
  } else {
    s += proto + upperLength;
  }
  return s;
}

/**
 * A checksum chosen to be wrong: never equal to the right one, never its
 * ones'-complement twin (0x0000 vs 0xffff), never 0 (which UDP reads as "none").
 */
export function wrongChecksum(correct: number): number {
  const w = correct ^ 0x5555;
  return w === 0 ? 0xffff : w;
}

/** How a checksum field is filled: computed, a given value, zero, or deliberately wrong. */
export type ChecksumMode = 'auto' | 'bad' | 'zero' | number;

export function resolveChecksum(mode: ChecksumMode | undefined, correct: () => number): number {
  if (mode === undefined || mode === 'auto') return correct();
  if (mode === 'zero') return 0;
  if (mode === 'bad') return wrongChecksum(correct());
  return mode & 0xffff;
}
