import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setAudit } from '../../src/decode/audit.js';
import { anomalies, decodeBytes, makeDecoder } from '../helpers/decode.js';

/** RFC 1071: the one's-complement sum of the header's 16-bit words is 0xffff when the checksum is right. */
function checksumRight(header: Buffer): boolean {
  let sum = 0;
  for (let k = 0; k < header.length; k += 2) sum += header.readUInt16BE(k);
  while (sum > 0xffff) sum = (sum >>> 16) + (sum & 0xffff);
  return sum === 0xffff;
}

function withChecksum(header: Buffer): Buffer {
  const h = Buffer.from(header);
  h.writeUInt16BE(0, 10);
  let sum = 0;
  for (let k = 0; k < h.length; k += 2) sum += h.readUInt16BE(k);
  while (sum > 0xffff) sum = (sum >>> 16) + (sum & 0xffff);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return h;
}

const ETH = Buffer.from('020000000002020000000001' + '0800', 'hex');

/** An IPv4 header of `ihl` words from arbitrary bytes, whole and unfragmented, carrying `payload` bytes. */
function header(bytes: Uint8Array, ihl: number, payload: number): Buffer {
  const h = Buffer.from(bytes.subarray(0, ihl * 4));
  h[0] = 0x40 | ihl;
  h.writeUInt16BE(ihl * 4 + payload, 2);
  h.writeUInt16BE(0, 6);
  h[9] = 253; // experimental: nothing is dissected above
  return h;
}

describe('ipv4 header checksum', () => {
  for (const audit of [false, true]) {
    it(`reports ip.checksum_bad exactly when the one's-complement sum is wrong (audit ${audit ? 'on' : 'off'})`, () => {
      setAudit(audit);
      try {
        const dec = makeDecoder();
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 60, maxLength: 60 }), fc.integer({ min: 5, max: 15 }), fc.boolean(), (bytes, ihl, fix) => {
            const h = header(bytes, ihl, 4);
            const ip = fix ? withChecksum(h) : h;
            const p = decodeBytes(dec, Buffer.concat([ETH, ip, Buffer.alloc(4)]));
            expect(anomalies(p).includes('ip.checksum_bad')).toBe(!checksumRight(ip));
          }),
          { numRuns: 2000 },
        );
      } finally {
        setAudit(false);
      }
    });
  }

  it('accepts a right checksum and rejects every single-bit error in a 20-byte header', () => {
    const dec = makeDecoder();
    const ip = withChecksum(header(Buffer.from('4500003c1c4640004006b1e6ac100a63ac100a0c', 'hex'), 5, 4));
    expect(anomalies(decodeBytes(dec, Buffer.concat([ETH, ip, Buffer.alloc(4)])))).toEqual([]);
    // Bits of the version, length and fragment fields would change the dissection itself.
    for (const byte of [1, 4, 5, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(ip);
        bad[byte]! ^= 1 << bit;
        expect(anomalies(decodeBytes(dec, Buffer.concat([ETH, bad, Buffer.alloc(4)]))), `byte ${byte} bit ${bit}`).toEqual(['ip.checksum_bad']);
      }
    }
  });
});
