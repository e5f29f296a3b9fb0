import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4Bytes, ipv6Bytes, ipv6MulticastMac, macBytes, parsePrefix, solicitedNodeMulticast } from '../../src/craft/addr.js';

// The WHATWG URL parser canonicalises IPv6 hosts independently of our parser.
const canonical6 = (a: string): string => new URL(`http://[${a}]/`).hostname;
const hexWords = (b: Buffer): string =>
  Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i).toString(16)).join(':');

describe('address parsing', () => {
  it('reads dotted quads byte by byte', () => {
    expect([...ipv4Bytes('198.18.0.254')]).toEqual([198, 18, 0, 254]);
  });

  it('rejects malformed IPv4', () => {
    for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1..2.3']) expect(() => ipv4Bytes(bad)).toThrow();
  });

  it('agrees with the URL parser on every compressed IPv6 spelling', () => {
    fc.assert(
      fc.property(fc.ipV6(), (addr) => {
        expect(canonical6(hexWords(ipv6Bytes(addr)))).toBe(canonical6(addr));
      }),
      { numRuns: 500 },
    );
  });

  it('reads an embedded dotted quad as the last two words', () => {
    expect(hexWords(ipv6Bytes('::ffff:192.0.2.1'))).toBe('0:0:0:0:0:ffff:c000:201');
  });

  it('rejects malformed IPv6', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::']) expect(() => ipv6Bytes(bad)).toThrow();
  });

  it('reads MACs with colons or dashes', () => {
    expect(macBytes('02-42-AC-11-00-02')).toEqual(macBytes('02:42:ac:11:00:02'));
    expect(() => macBytes('02:42:ac:11:00')).toThrow();
  });

  it('parses prefixes of both families', () => {
    expect(parsePrefix('100.96.1.0/26')).toMatchObject({ family: 4, length: 26 });
    expect(parsePrefix('fd00:100:96::/48')).toMatchObject({ family: 6, length: 48 });
    expect(() => parsePrefix('10.0.0.0/33')).toThrow();
  });

  it('derives the solicited-node group and its multicast MAC (RFC 4291, RFC 2464)', () => {
    expect(solicitedNodeMulticast('fe80::42:acff:fe11:2')).toBe('ff02::1:ff11:2');
    expect(ipv6MulticastMac('ff02::1:ff11:2')).toBe('33:33:ff:11:00:02');
  });
});
