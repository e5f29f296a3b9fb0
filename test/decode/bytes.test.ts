/** The one's-complement sum behind every IP, UDP, TCP and ICMP checksum check. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldChecksum, onesSum } from '../../src/decode/bytes.js';

/** RFC 1071 by the letter: 16-bit big-endian words, an odd last byte padded with zero. */
function referenceSum(b: Buffer, start: number, end: number, initial: number): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += b[i]! * 256 + (i + 1 < end ? b[i + 1]! : 0);
  return sum;
}

describe('onesSum', () => {
  it('equals the word-by-word sum for every range of every buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(), fc.nat(), fc.nat({ max: 0xffff }), (bytes, x, y, initial) => {
        const b = Buffer.from(bytes);
        const start = b.length ? x % (b.length + 1) : 0;
        const end = start + (b.length - start ? y % (b.length - start + 1) : 0);
        expect(onesSum(b, start, end, initial)).toBe(referenceSum(b, start, end, initial));
      }),
      { numRuns: 2000 },
    );
  });

  it('verifies a real IPv4 header checksum', () => {
    // 20-byte header from RFC 1071's usual example (checksum 0xb861 in place).
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    header.writeUInt16BE(0xb861, 10);
    expect(foldChecksum(onesSum(header, 0, 20))).toBe(0xffff);
    header[19] ^= 1;
    expect(foldChecksum(onesSum(header, 0, 20))).not.toBe(0xffff);
  });
});
