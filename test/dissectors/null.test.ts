import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes.
const NULL = 0;
const LOOP = 108;

// Frame 1 of dns-badcookie.pcap: NULL header 02 00 00 00 (AF_INET, little-endian host).
const BADCOOKIE = hex('0200000045000044000f0000401100007f0000017f000001d6aa00350030fe43f6ab012000010000000000010000060001000029100000000000000c000a000836bf111fef2e0109');
// Frame 1 of icmpv6-RFC2894-RR.pcap: AF 28 (AF_INET6 on FreeBSD).
const FREEBSD_V6 = hex('1c0000006000000000483a4020010db8000100000a0027fffef44dcf20010db8000100000a0027fffef44dcf8a00df3a0000000000100000000000000107003000800000fec000000000000000000000000000003010000000278d0000093a80000000003ffe0501fffe00000000000000000000');

const IP = '450000140000400040000000c0a80001c0a80002';
const IP6 = '6000000000003b40' + '00'.repeat(32);

describe('null (BSD loopback, host byte order)', () => {
  it('decodes AF_INET written little-endian (real capture)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), BADCOOKIE, NULL);
    expect(layers(p).slice(0, 4)).toEqual(['frame', 'null', 'ip', 'udp']);
    expect(values(p, 'null.family')).toEqual(['2']);
    expect(values(p, 'null.type')).toEqual([]);
    expect(values(p, 'ip.src')).toEqual(['127.0.0.1']);
  });

  it('decodes the BSD AF_INET6 values (FreeBSD 28, real capture)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), FREEBSD_V6, NULL);
    expect(layers(p).slice(0, 3)).toEqual(['frame', 'null', 'ipv6']);
    expect(values(p, 'null.family')).toEqual(['28']);
    expect(values(p, 'ipv6.src')).toEqual(['2001:db8:1:0:a00:27ff:fef4:4dcf']);
  });

  it('guesses the byte order and the IRIX 16-bit forms as Wireshark does', () => {
    setAudit(true);
    const dec = makeDecoder();
    // [header, family shown, type shown, protocol after null]
    const cases: Array<[string, string[], string[], string | undefined]> = [
      ['00000002' + IP, ['2'], [], 'ip'], // big-endian writer
      ['0000001e' + IP6, ['30'], [], 'ipv6'], // macOS AF_INET6, big-endian
      ['18000000' + IP6, ['24'], [], 'ipv6'], // BSD AF_INET6
      ['00020000' + IP, ['2'], [], 'ip'], // IRIX: 16-bit family in the upper half
      ['00000200' + IP, ['2'], [], 'ip'], // IRIX, other byte order
      ['00000800' + IP, [], ['0x0800'], 'ip'], // old Linux: an ethertype
      ['0000dd86' + IP6, [], ['0xdd86'], undefined], // byte-swapped ethertype, not IPv6
      ['08000000' + IP, ['8'], [], undefined],
      ['dc050000' + IP, ['1500'], [], undefined], // 1500 is still a family
      ['dd050000' + IP, [], ['0x05dd'], undefined], // 1501 is an ethertype
      ['00050000' + IP, ['5'], [], undefined],
    ];
    for (const [bytes, family, type, next] of cases) {
      const p = decodeBytes(dec, hex(bytes), NULL);
      expect(values(p, 'null.family'), bytes).toEqual(family);
      expect(values(p, 'null.type'), bytes).toEqual(type);
      expect(layers(p)[2], bytes).toBe(next);
    }
  });

  it('leaves PPP-in-HDLC frames (ff 03) undissected', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('ff030021' + IP), NULL);
    expect(values(p, 'null.family')).toEqual([]);
    expect(layers(p)).toEqual(['frame', 'null']);
  });

  it('marks a header shorter than 4 bytes as truncated and shows nothing', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (let cut = 0; cut < 4; cut++) {
      const p = decodeBytes(dec, BADCOOKIE.subarray(0, cut), NULL);
      expect(layers(p)).toEqual(['frame', 'null']);
      expect(anomalies(p)).toContain('null.truncated');
      expect(values(p, 'null.family')).toEqual([]);
    }
  });
});

describe('null (LINKTYPE_LOOP, network byte order)', () => {
  it('reads the family big-endian and never as an ethertype', () => {
    setAudit(true);
    const dec = makeDecoder();
    const cases: Array<[string, string[], string | undefined]> = [
      ['00000002' + IP, ['2'], 'ip'],
      ['0000001c' + IP6, ['28'], 'ipv6'],
      ['02000000' + IP, ['33554432'], undefined],
      ['00000800' + IP, ['2048'], undefined],
      ['86dd0000' + IP6, ['2262630400'], undefined],
    ];
    for (const [bytes, family, next] of cases) {
      const p = decodeBytes(dec, hex(bytes), LOOP);
      expect(values(p, 'null.family'), bytes).toEqual(family);
      expect(values(p, 'null.type'), bytes).toEqual([]);
      expect(layers(p)[2], bytes).toBe(next);
    }
    const short = decodeBytes(dec, hex('000000'), LOOP);
    expect(anomalies(short)).toContain('null.truncated');
  });
});

describe('null on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^null\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[0, ''], [108, ''], [0, '02000000'], [0, '00000800']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
