import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';

// Expected layers and values follow tshark 4.0.17 on the same bytes (frame.protocols raw:ip..., raw:ipv6...).
const RAW = 101;

// Frame 1 of LINKTYPE_RAW_ipv4.pcap and of LINKTYPE_RAW_ipv6.pcap (DNS queries).
const V4 = hex('45000039000100004011a695c0a80164090909093039003500251976123401000001000000000000076578616d706c6503636f6d0000010001');
const V6 = hex('600000000025114020010db8000000000000000000000001262000fe00000000000000000000000930390035002598b3123401000001000000000000076578616d706c6503636f6d0000010001');

describe('raw', () => {
  it('picks IPv4 or IPv6 by the version nibble', () => {
    setAudit(true);
    const dec = makeDecoder();
    const p4 = decodeBytes(dec, V4, RAW);
    expect(layers(p4).slice(0, 4)).toEqual(['frame', 'raw', 'ip', 'udp']);
    expect(values(p4, 'ip.src')).toEqual(['192.168.1.100']);
    const p6 = decodeBytes(dec, V6, RAW);
    expect(layers(p6).slice(0, 4)).toEqual(['frame', 'raw', 'ipv6', 'udp']);
    expect(values(p6, 'ipv6.src')).toEqual(['2001:db8::1']);
  });

  it('treats the platform DLT_RAW values 12 and 14 the same way', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (const lt of [12, 14]) {
      expect(layers(decodeBytes(dec, V4, lt))[2]).toBe('ip');
      expect(layers(decodeBytes(dec, V6, lt))[2]).toBe('ipv6');
    }
  });

  it('skips the ten zero bytes a down ISDN link puts in front of IPv4', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), Buffer.concat([Buffer.alloc(10), V4]), RAW);
    expect(layers(p)[2]).toBe('ip');
    expect(values(p, 'ip.src')).toEqual(['192.168.1.100']);
  });

  it('does not dissect PPP leftovers or other versions', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (const h of ['ff0300214500', '450000140000ff03', '45ff03000000000000']) {
      expect(layers(decodeBytes(dec, hex(h), RAW)), h).toEqual(['frame', 'raw']);
    }
    const v5 = decodeBytes(dec, hex('50000000000000000000000000000000'), RAW);
    expect(layers(v5)).toEqual(['frame', 'raw']);
    expect(anomalies(v5)).toContain('raw.version_unknown');
  });

  it('needs 8 bytes to rule out the PPP leftovers; shorter records are truncated', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (let cut = 0; cut < 8; cut++) {
      const p = decodeBytes(dec, V4.subarray(0, cut), RAW);
      expect(layers(p), String(cut)).toEqual(['frame', 'raw']);
      expect(anomalies(p)).toContain('raw.truncated');
    }
    // From 8 bytes on, IPv4 gets the (still short) header: tshark shows ip.version and ip.len.
    const p8 = decodeBytes(dec, V4.subarray(0, 8), RAW);
    expect(layers(p8)).toEqual(['frame', 'raw', 'ip']);
    expect(values(p8, 'ip.len')).toEqual(['57']);
  });
});

describe('raw on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^(ip|ipv6)\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[101, ''], [12, '00000000000000000000'], [14, '']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
