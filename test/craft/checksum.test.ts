import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldChecksum, inetChecksum, sum16, wrongChecksum } from '../../src/craft/checksum.js';

describe('Internet checksum', () => {
  it('matches the worked example of RFC 1071 §3', () => {
    // Sum of 0001 f203 f4f5 f6f7 is ddf2; the checksum is its complement.
    expect(inetChecksum(Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]))).toBe(0x220d);
  });

  it('makes any even-length data sum to all ones once inserted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), (arr) => {
        const data = Buffer.concat([Buffer.from(arr), Buffer.alloc((arr.length & 1) + 2)]);
        const c = inetChecksum(data);
        data.writeUInt16BE(c, data.length - 2);
        let s = sum16(data);
        while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
        expect(s === 0xffff || (s === 0 && data.every((b) => b === 0))).toBe(true);
      }),
    );
  });

  it('pads an odd trailing byte with zero', () => {
    expect(inetChecksum(Buffer.from([0xab]))).toBe(inetChecksum(Buffer.from([0xab, 0x00])));
  });

  it('refuses an odd-length part before the last, which would misalign the words after it', () => {
    expect(() => inetChecksum(Buffer.from([1]), Buffer.from([2, 3]))).toThrow();
    expect(inetChecksum(Buffer.from([1, 2]), Buffer.from([3]))).toBe(inetChecksum(Buffer.from([1, 2, 3])));
  });

  it('does not lose carries on long inputs', () => {
    const big = Buffer.alloc(200000, 0xff);
    expect(foldChecksum(sum16(big))).toBe(0);
  });

  it('picks wrong checksums that no receiver could accept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (c) => {
        const w = wrongChecksum(c);
        const equivalent = w === c || (w === 0 && c === 0xffff) || (w === 0xffff && c === 0);
        expect(equivalent).toBe(false);
        expect(w).not.toBe(0);
      }),
    );
  });
});
