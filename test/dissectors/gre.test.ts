import { afterAll, describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { gre as craftGre } from '../../src/craft/gre.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipUdp } from '../../src/craft/stack.js';
import { setAudit } from '../../src/decode/audit.js';
import { Decoder } from '../../src/decode/decoder.js';
import { Registry } from '../../src/decode/registry.js';
import { protocolModules } from '../../dissectors/index.js';
import { erspan } from '../../dissectors/gre.js';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { removeTempFiles } from '../craft/tshark-oracle.js';
import { ours, theirs, type Rec } from '../helpers/oracle.js';

afterAll(removeTempFiles);


/** ERSPAN is registered (dissectors/index.ts) beside GRE. */
function erspanDecoder(): Decoder {
  const reg = new Registry();
  for (const m of protocolModules) reg.add(m);
  expect(protocolModules).toContain(erspan);
  return new Decoder(reg.seal());
}

const GRE_FIELDS = [
  'gre.flags_and_version',
  'gre.flags.checksum',
  'gre.flags.routing',
  'gre.flags.key',
  'gre.flags.sequence_number',
  'gre.flags.strict_source_route',
  'gre.flags.recursion_control',
  'gre.flags.ack',
  'gre.flags.reserved',
  'gre.flags.version',
  'gre.proto',
  'gre.checksum',
  'gre.offset',
  'gre.key',
  'gre.key.payload_length',
  'gre.key.call_id',
  'gre.sequence_number',
  'gre.ack_number',
  'gre.routing.address_family',
  'gre.routing.sre_offset',
  'gre.routing.src_length',
];

// pptp.pcap frame 16: enhanced GRE (version 1) with key (payload length, call ID) and sequence number, carrying PPP LCP.
const PPTP = hex('0800209f6b7200000000000008004500005003bc0000802f20ad0a01010b0a01010a3001880b0030000000000000ff03c0210100002c0506021952cf070208020d03061104064e13170129f76a9077f1472c835247f271d656070000000c');
// wccp_redirect_gre.pcap frame 1: GRE 0x883e with a WCCP redirect header before an IPv4 packet.
const WCCP = hex(
  '00145e2899a8000f353aab4008004500010cac830000fd2fa42e0afe7fc20afed6520000883e05590048450000f0911440004006a6500afe7fc30afe6ce4050b01bd8383a18a550ac89d8018f98f290900000101080a00009e1e01abcb5f000000b8ff534d4225000000001807c800000000000000000000000002405808007841281000006400000000040000000000000000000000005400640054000200260012807500005c0050004900500045005c0000000000050000031000000064000000010000004c00000000001000f0d1d3021100000000000000110000005c005c00310030002e003200350034002e003100300038002e0032003200380000004c00030000000000000003000000640024000000000001000000',
);
// gre-heapoverflow-2.pcap frame 2: C and R set, a routing entry cut off by the capture.
const HEAPOVERFLOW = hex('30303030303030303030303008004530303030300000302f30303030303030303030c030303030303030303030303030');
// erspan-type-ii-1.pcap frame 1 (ERSPAN type II, GRE sequence number 171).
const ERSPAN_II = hex(
  '00e0009b6d8100259e81b354080045fc006c00ab4000fb2fbc0a01010102c0a8ff05100088be000000ab1156c29a00007ff801005e00000d001f9ed2a980080045c0003a5bf4000001676c6b0a300601e000000d2000c530000100020069001400042c6ceec000130004000000010015000401000000fdec0000',
);
// erspan-type-i-1.pcap frame 1 (type I: no sequence number, no ERSPAN header).
const ERSPAN_I = hex(
  '00e0009b6d8100259e81b354080045fc007e00000000202fd7a501010101c0a8ff05000088be00115c3dde0000259e81b3548100c0650800450000549f430000ff01062a0a3480e90a3480ea0800042aac520003fda18a280d0b1600504e4700fda18a28000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627',
);
// erspan-type-iii-ft-0.pcap frame 1 (type III, frame type 0: Ethernet).
const ERSPAN_III = hex(
  '005056acc80cf8c28890d27b08004500008a000000003f2f3d970a1d1e680a1d0b0d000022eb20140000a3595bff00000006005056ac18a0f8c28890d27b810000140800450000549d1240003f016b470a1d0b010a1d14150800269c3fcb00e22264905d0000000015220a0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
);

const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const inner = ipUdp({ src: '10.244.1.5', dst: '10.244.2.7', sport: 1234, dport: 5678 }, Buffer.from('payload'));
const outer = (greBytes: Buffer) => ethernet(MAC, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 47 }, greBytes));

/** A GRE header with source route entries (RFC 1701), then an IPv4 packet. */
function withRouting(): Buffer {
  const sre = Buffer.from([0x08, 0x00, 0, 4, 10, 0, 0, 1, 0, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0x40, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]), sre, inner]);
}

describe('gre', () => {
  it('decodes PPTP enhanced GRE and stops at its PPP payload', () => {
    setAudit(true);
    const recs = [{ bytes: PPTP }];
    expect(ours(recs, GRE_FIELDS)).toEqual(theirs(recs, GRE_FIELDS));
    const p = decodeBytes(makeDecoder(), PPTP);
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'gre']);
    expect(values(p, 'gre.key.call_id')).toEqual(['0']);
    expect(values(p, 'gre.key.payload_length')).toEqual(['48']);
    expect(values(p, 'gre.key')).toEqual([]);
    expect(anomalies(p)).toEqual([]);
  });

  it('skips the WCCP redirect header and decodes the redirected IPv4 packet', () => {
    setAudit(true);
    const recs = [{ bytes: WCCP }];
    const fields = [...GRE_FIELDS, 'gre.wccp.dynamic_service', 'gre.wccp.redirect_header_valid', 'gre.wccp.service_id', 'gre.wccp.alternative_bucket', 'gre.wccp.primary_bucket', 'ip.src', 'tcp.dstport'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    expect(ours(recs, ['gre.wccp.service_id', 'ip.src'])).toEqual([['89', '10.254.127.194,10.254.127.195']]);
  });

  it('decodes key, sequence number, checksum and routing as tshark does, and the encapsulated packet', () => {
    setAudit(true);
    const recs = [
      { bytes: outer(craftGre({ protocol: 0x0800, key: 0x1234, sequence: 7 }, inner)) },
      { bytes: outer(craftGre({ protocol: 0x0800, checksum: true }, inner)) },
      { bytes: outer(withRouting()) },
      { bytes: HEAPOVERFLOW, wire: 262144 },
    ];
    const fields = [...GRE_FIELDS, 'ip.src', 'udp.dstport'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    const dec = makeDecoder();
    expect(layers(decodeBytes(dec, recs[0]!.bytes))).toEqual(['frame', 'eth', 'ip', 'gre', 'ip', 'udp']);
    expect(layers(decodeBytes(dec, recs[2]!.bytes))).toEqual(['frame', 'eth', 'ip', 'gre', 'ip', 'udp']);
    expect(values(decodeBytes(dec, recs[0]!.bytes), 'gre.key')).toEqual(['0x00001234']);
  });

  it('shows the fields each truncation leaves and marks gre.truncated', () => {
    setAudit(true);
    const cuts = (full: Buffer, from: number, to: number): Rec[] => {
      const r: Rec[] = [];
      for (let c = from; c <= to; c++) r.push({ bytes: full.subarray(0, c), wire: full.length });
      return r;
    };
    const keyed = outer(craftGre({ protocol: 0x0800, checksum: true, key: 0x1234, sequence: 7 }, inner));
    const recs = [...cuts(PPTP, 34, 50), ...cuts(keyed, 34, 54), ...cuts(outer(withRouting()), 34, 54), ...cuts(WCCP, 34, 42)];
    const fields = [...GRE_FIELDS, 'gre.wccp.service_id', 'gre.wccp.primary_bucket'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    const dec = makeDecoder();
    for (let c = 35; c < 34 + 16; c++) {
      const p = decodeBytes(dec, keyed.subarray(0, c), 1, keyed.length);
      expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'gre']);
      expect(anomalies(p)).toContain('gre.truncated');
    }
  });

  it('flags a version other than 0 or 1 and does not follow its payload', () => {
    setAudit(true);
    const g = craftGre({ protocol: 0x0800 }, inner);
    g[1] = 0x02;
    const p = decodeBytes(makeDecoder(), outer(g));
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'gre']);
    expect(anomalies(p)).toEqual(['gre.version_bad']);
    expect(values(p, 'gre.flags.version')).toEqual(['2']);
  });

  it('walks routing entries to their end however they are laid out', () => {
    setAudit(true);
    // Every SRE length, including ones that run past the packet: the walk must end.
    const dec = makeDecoder();
    for (let len = 0; len < 256; len += 17) {
      const b = withRouting();
      b[8 + 3] = len;
      const p = decodeBytes(dec, outer(b));
      expect(layers(p).slice(0, 4)).toEqual(['frame', 'eth', 'ip', 'gre']);
    }
  });

  it('names ERSPAN types I, II and III and decodes the mirrored frame', () => {
    setAudit(true);
    const fields = ['erspan.version', 'erspan.vlan', 'erspan.cos', 'erspan.encap', 'erspan.bso', 'erspan.truncated', 'erspan.spanid', 'erspan.index', 'erspan.timestamp', 'erspan.sgt', 'erspan.p', 'erspan.ft', 'erspan.hw', 'erspan.direction', 'erspan.gra', 'erspan.o', 'eth.type', 'ip.src'];
    const recs = [{ bytes: ERSPAN_I }, { bytes: ERSPAN_II }, { bytes: ERSPAN_III }];
    expect(ours(recs, fields, erspanDecoder())).toEqual(theirs(recs, fields));
    const dec = erspanDecoder();
    expect(layers(decodeBytes(dec, ERSPAN_I)).slice(0, 8)).toEqual(['frame', 'eth', 'ip', 'gre', 'erspan', 'eth', 'vlan', 'ip']);
    expect(layers(decodeBytes(dec, ERSPAN_II)).slice(0, 7)).toEqual(['frame', 'eth', 'ip', 'gre', 'erspan', 'eth', 'ip']);
    // With its protocol type unmapped, GRE stops cleanly at an unknown payload.
    expect(layers(decodeBytes(makeDecoder([['gre.proto', 0x88be, '']]), ERSPAN_II))).toEqual(['frame', 'eth', 'ip', 'gre']);
  });

  it('has packet-list summaries', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), PPTP);
    const g = p.find(p.reg.id('gre'));
    expect(p.reg.dissectors[p.proto[g]!]!.summary!(p, g)).toBe('GRE proto 0x880b (PPTP) call 0');
  });
});
