import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';
import type { PacketView } from '../../src/decode/packet-view.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes. tshark shows each
// extension header as its own protocol (ipv6.hopopts, ipv6.routing, ...); netdiag keeps the
// chain in the ipv6 layer with the same field names.
function expectFields(p: PacketView, want: Record<string, string[]>): void {
  for (const [name, v] of Object.entries(want)) expect(values(p, name), name).toEqual(v);
}

const RAW_IPV6 = 229;
const RAW = 101;

// LINKTYPE_IPV6.pcap, frame 1: a DNS query over UDP.
const DNS = hex('600000000025114020010db8000000000000000000000001262000fe00000000000000000000000930390035002598b3123401000001000000000000076578616d706c6503636f6d0000010001');
// icmpv6.pcap, frame 2: MLDv2 report behind a hop-by-hop header (router alert, PadN).
const MLD = hex('333300000016001517cce54686dd6000000000240001fe80000000000000021517fffecce546ff0200000000000000000000000000163a000502000001008f001fc50000000104000000ff0200000000000000000db811223344');
// ipv6-routing-header.pcap, frame 2: type 0 routing header, 2 segments left.
const ROUTING = hex('0013c4c784f000123fae22f786dd6000000000302b05220000000000024402123ffffeae22f7220000000000021100020000000000023a0400020000000022000000000002100002000000000004220000000000024000020000000000048000d37b00000000');
// erspan-type-iii-pb-1.pcap (LINKTYPE_RAW): destination options with Pad1/PadN, then GRE.
const DSTOPTS = hex('6300000101203c014120746717004200014301007f01400e4591bfd7cd8700d7006800380101e8002f01010101000100400100007f0000001d0022ebff2801012d2d080048000846010000013d0e45');
// ipv6-too-long-jumbo.pcap: payload length 0 and a 408-byte hop-by-hop header carrying two jumbo options.
const TOO_LONG_JUMBO = hex(
  '333300010006b09928c8d64686dd6c00000000000000000100061a280312d7cbb31834e5d3ea2b7fcd1fec3cfb9ce731d16ba8feba8c0c321a0001b4298d2a0201a804060000e3161890080a00400000fffaa1afffff090200000b0600024fd0c1f00c16001e047fa4b88597fde3246455c6e4dd917b1441c2f3a82b9f737600000100000004004c2bb0976c127ab3cccbfa1105a1d158f035bc9fad86b0610a7acd27e5a3d5a308effb031268cd1fec3cfb9ce731d576a87eba8c0c3203e8d2a5b80ff9d006757e3b6601c0c255d7d12d6cc61815e413a334e5a0d9271c75af0000007f00010000ff3496c20c56fb0c1600647213ced66fe7154034ec64cd14ae4142a092df330c4207d0195d9d00000000640000fa31ff512e4a000065000000000000002742ba5988cc02070408f1f1f1f1f1f1f1f1cef1f1f1d2f1f1f1f1f10ff2f180c2010001fe070080c202021900fe0e0080c203000107647f0000006c74fe0d0080c204e5ff00424203000000fe0600800000ff0000c204000000f80e0800270df13e88cc02070408008f0df13c040703080027d576a87eba8c0c3203e880c2010001fe070080c202020000ee00000408f1f1f1f1f1f1f1f1cef100007ffff1f1f1f126f280c200400107647b6661756c74fe0d0080c204080000424203000000fe060080d5',
);
// ipv6_missing_jumbo_payload_option.pcap: payload length 0 and a hop-by-hop header without a jumbo option (snap length cut).
const MISSING_JUMBO = hex(
  '000100206bcf080027c22da586dd600889ad00000080000a000b000c0000ffffffff004400430134d12e0101060085bfaf00000000000000000000000000000000006400e200000000000000000000000020000000000000000100000000000000000000000000000000230000005800c204e97369000200000001480000516d465a0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
);
// ip6_frag_asan.pcap: a fragment header cut after 6 of its 8 bytes.
const FRAG_CUT = hex('c0ceffa0000400002949ff7586dd651b21006a002c100452002200190000041ae4ff10ff484d22430080140001000019fffffffffffb0bff00000100');

const Z = '00000000000000000000000000000001';
const UDP = 'abcd00350010000068656c6c6f212121';
/** IPv6 header to ::1 with the given payload length and next header, for LINKTYPE_IPV6. */
const v6 = (plen: string, nxt: string) => `6000000000${plen}${nxt}ff${Z}${Z}`;

describe('ipv6 fixed header', () => {
  it('decodes every field of a plain header and follows the next header', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), DNS, RAW_IPV6);
    expect(layers(p).slice(0, 3)).toEqual(['frame', 'ipv6', 'udp']);
    expectFields(p, {
      'ipv6.version': ['6'],
      'ipv6.tclass': ['0x00000000'],
      'ipv6.tclass.dscp': ['0'],
      'ipv6.tclass.ecn': ['0'],
      'ipv6.flow': ['0x000000'],
      'ipv6.plen': ['37'],
      'ipv6.nxt': ['17'],
      'ipv6.hlim': ['64'],
      'ipv6.src': ['2001:db8::1'],
      'ipv6.dst': ['2620:fe::9'],
      'ipv6.addr': ['2001:db8::1', '2620:fe::9'],
    });
    expect(anomalies(p)).toEqual([]);
  });

  it('prints the traffic class and flow label zero-padded to their field widths', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), FRAG_CUT, 1, 262144);
    expectFields(p, { 'ipv6.tclass': ['0x00000051'], 'ipv6.tclass.dscp': ['20'], 'ipv6.tclass.ecn': ['1'], 'ipv6.flow': ['0x0b2100'] });
  });

  it('shows each fixed field once its bytes are captured (the payload length only with the next header)', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (let cut = 0; cut < 40; cut++) {
      const p = decodeBytes(dec, DNS.subarray(0, cut), RAW_IPV6, DNS.length);
      expect(layers(p)).toEqual(['frame', 'ipv6']);
      expect(anomalies(p)).toContain('ipv6.truncated');
      expect(values(p, 'ipv6.version')).toEqual(cut >= 1 ? ['6'] : []);
      expect(values(p, 'ipv6.flow')).toEqual(cut >= 4 ? ['0x000000'] : []);
      expect(values(p, 'ipv6.plen')).toEqual(cut >= 7 ? ['37'] : []);
      expect(values(p, 'ipv6.hlim')).toEqual(cut >= 8 ? ['64'] : []);
      expect(values(p, 'ipv6.src')).toEqual(cut >= 24 ? ['2001:db8::1'] : []);
      expect(values(p, 'ipv6.addr')).toEqual(cut >= 24 ? ['2001:db8::1'] : []);
      expect(values(p, 'ipv6.dst')).toEqual([]);
    }
  });

  it('stops at a wrong version, showing only the version', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('450000140000400040000000c0a80001c0a80002'), RAW_IPV6);
    expectFields(p, { 'ipv6.version': ['4'], 'ipv6.plen': [], 'ipv6.src': [] });
    expect(anomalies(p)).toContain('ipv6.version_bad');
    expect(layers(p)).toEqual(['frame', 'ipv6']);
  });

  it('ends the datagram at the payload length', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(v6('08', '11') + UDP), RAW_IPV6);
    expect(layers(p)).toEqual(['frame', 'ipv6', 'udp']);
    expect(values(p, 'udp.length')).toEqual(['16']);
    // The UDP header claims 16 bytes but IPv6 carries 8: UDP sees only its header.
    expect(p.end[2]! - p.start[2]!).toBe(8);
  });

  it('gives a zero payload length no payload (TSO is not assumed) and notes it', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(v6('00', '11') + UDP), RAW_IPV6);
    expect(anomalies(p)).toContain('ipv6.plen_zero');
    expect(anomalies(p)).toContain('udp.truncated');
  });
});

describe('ipv6 extension headers', () => {
  it('walks hop-by-hop options (router alert, PadN) to the upper layer', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), MLD);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6']);
    expectFields(p, {
      'ipv6.nxt': ['0'],
      'ipv6.hopopts.nxt': ['58'],
      'ipv6.hopopts.len': ['0'],
      'ipv6.hopopts.len_oct': ['8'],
      'ipv6.opt.type': ['0x05', '0x01'],
      'ipv6.opt.length': ['2', '0'],
      'ipv6.opt.router_alert': ['0'],
    });
  });

  it('counts Pad1 options, which have no length byte', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), DSTOPTS, RAW, 188109);
    expect(layers(p).slice(0, 3)).toEqual(['frame', 'raw', 'ipv6']);
    expectFields(p, {
      'ipv6.nxt': ['60'],
      'ipv6.dstopts.nxt': ['47'],
      'ipv6.dstopts.len': ['1'],
      'ipv6.opt.type': ['0x01', '0x00', '0x01', '0x40', '0x00', '0x7f', '0x00', '0x00'],
      'ipv6.opt.length': ['1', '0', '1', '0'],
    });
    expect(values(p, 'ipv6.opt.padn')[0]).toBe('01');
  });

  it('decodes a routing header and goes on to ICMPv6', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), ROUTING);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6']);
    expectFields(p, {
      'ipv6.nxt': ['43'],
      'ipv6.routing.nxt': ['58'],
      'ipv6.routing.len': ['4'],
      'ipv6.routing.len_oct': ['40'],
      'ipv6.routing.type': ['0'],
      'ipv6.routing.segleft': ['2'],
      'icmpv6.type': ['128'],
    });
  });

  it('skips an authentication header by its own length', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(v6('20', '33') + '110400000000100000000001aabbccddeeff0011' + UDP), RAW_IPV6);
    expect(layers(p)).toEqual(['frame', 'ipv6', 'udp']);
    expectFields(p, {
      'ah.next_header': ['17'],
      'ah.length': ['4'],
      'ah.reserved': ['0000'],
      'ah.spi': ['0x00001000'],
      'ah.sequence': ['1'],
      // (4 + 2) * 4 = 24 bytes: the ICV runs into what was meant as UDP, as tshark shows it.
      'ah.icv': ['aabbccddeeff0011abcd0035'],
      'udp.srcport': ['16'],
    });
  });

  it('stops at fragments that need reassembly and passes atomic fragments on', () => {
    setAudit(true);
    const dec = makeDecoder();
    const first = decodeBytes(dec, hex(v6('18', '2c') + '1100000100001234' + UDP), RAW_IPV6);
    expect(layers(first)).toEqual(['frame', 'ipv6']);
    expectFields(first, {
      'ipv6.fraghdr.nxt': ['17'],
      'ipv6.fraghdr.reserved_octet': ['0x00'],
      'ipv6.fraghdr.offset': ['0'],
      'ipv6.fraghdr.reserved_bits': ['0'],
      'ipv6.fraghdr.more': ['1'],
      'ipv6.fraghdr.ident': ['0x00001234'],
    });
    const later = decodeBytes(dec, hex(v6('18', '2c') + '1100000800001234' + UDP), RAW_IPV6);
    expectFields(later, { 'ipv6.fraghdr.offset': ['1'], 'ipv6.fraghdr.more': ['0'] });
    expect(layers(later)).toEqual(['frame', 'ipv6']);
    const atomic = decodeBytes(dec, hex(v6('18', '2c') + '1100000000001234' + UDP), RAW_IPV6);
    expect(layers(atomic)).toEqual(['frame', 'ipv6', 'udp']);
    expect(values(atomic, 'udp.srcport')).toEqual(['43981']);
    // Nothing is left to reassemble once the payload length is used up by the headers.
    const empty = decodeBytes(dec, hex(v6('08', '2c') + '1100000100001234' + UDP), RAW_IPV6);
    expect(layers(empty)).toEqual(['frame', 'ipv6', 'udp']);
  });

  it('shows no fragment header field until all 8 bytes are there (ip6_frag_asan.pcap)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), FRAG_CUT, 1, 262144);
    expectFields(p, { 'ipv6.nxt': ['44'], 'ipv6.plen': ['27136'], 'ipv6.fraghdr.nxt': [], 'ipv6.fraghdr.ident': [] });
    expect(anomalies(p)).toContain('ipv6.truncated');
  });

  it('cannot read extension headers past a zero payload length without a jumbo option', () => {
    setAudit(true);
    const dec = makeDecoder();
    const p = decodeBytes(dec, MISSING_JUMBO, 1, 262144);
    expectFields(p, { 'ipv6.plen': ['0'], 'ipv6.nxt': ['0'], 'ipv6.flow': ['0x0889ad'], 'ipv6.hopopts.nxt': [], 'ipv6.opt.type': [] });
    expect(anomalies(p)).toContain('ipv6.jumbo_missing');
    expect(anomalies(p)).toContain('ipv6.truncated');
    // Same with a fragment header (ipv6_frag6_negative_len.pcap).
    const frag = decodeBytes(dec, hex(v6('00', '2c') + '1100000100001234' + UDP), RAW_IPV6);
    expect(values(frag, 'ipv6.fraghdr.nxt')).toEqual([]);
  });

  it('takes the payload length from the jumbo option (ipv6_jumbogram_1.pcap)', () => {
    setAudit(true);
    // The capture's headers with its 65536-byte ICMPv6 echo payload replaced by zeros.
    const head = hex('0013c4c784f000123fae22f786dd60000000000000e3220000000000024402123ffffeae22f7220000000000024000020000000000043a00c20400010000');
    const frame = Buffer.concat([head, hex('8000'), Buffer.alloc(65590 - head.length - 2)]);
    const p = decodeBytes(makeDecoder(), frame);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6']);
    expectFields(p, {
      'ipv6.plen': ['0'],
      'ipv6.nxt': ['0'],
      'ipv6.hopopts.nxt': ['58'],
      'ipv6.hopopts.len': ['0'],
      'ipv6.opt.type': ['0xc2'],
      'ipv6.opt.length': ['4'],
      'ipv6.opt.jumbo': ['65536'],
      'icmpv6.type': ['128'],
    });
    expect(p.end[3]! - p.start[3]!).toBe(65536 - 8);
  });

  it('walks a 408-byte hop-by-hop header with two jumbo options (ipv6-too-long-jumbo.pcap)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), TOO_LONG_JUMBO);
    expectFields(p, {
      'ipv6.tclass': ['0x000000c0'],
      'ipv6.tclass.dscp': ['48'],
      'ipv6.hopopts.nxt': ['12'],
      'ipv6.hopopts.len': ['50'],
      'ipv6.hopopts.len_oct': ['408'],
      'ipv6.opt.type': ['0x1a', '0x01', '0x16', '0x64', '0xc2', '0x42', '0xfe', '0x00', '0xc2', '0x0e', '0x07'],
      'ipv6.opt.length': ['0', '180', '0', '114', '4', '3', '6', '4', '8', '4'],
      'ipv6.opt.jumbo': ['3858694210', '248'],
    });
    expect(anomalies(p)).toContain('ipv6.truncated');
  });

  it('shows a truncated hop-by-hop header up to the option that runs out', () => {
    setAudit(true);
    const dec = makeDecoder();
    const hbhStart = 14 + 40;
    for (let cut = hbhStart; cut < hbhStart + 8; cut++) {
      const p = decodeBytes(dec, MLD.subarray(0, cut), 1, MLD.length);
      const n = cut - hbhStart;
      expect(anomalies(p), String(n)).toContain('ipv6.truncated');
      expect(values(p, 'ipv6.hopopts.nxt')).toEqual(n >= 2 ? ['58'] : []);
      // An option shows once its type and length bytes are both there; the router alert value needs 2 more.
      expect(values(p, 'ipv6.opt.type')).toEqual(n >= 4 ? ['0x05'] : []);
      expect(values(p, 'ipv6.opt.length')).toEqual(n >= 4 ? ['2'] : []);
      expect(values(p, 'ipv6.opt.router_alert')).toEqual(n >= 6 ? ['0'] : []);
      expect(layers(p)).not.toContain('icmpv6');
    }
  });

  it('bounds the extension header chain', () => {
    setAudit(true);
    const dst = '3c00010400000000'; // destination options pointing at another, PadN
    const chain = dst.repeat(40);
    const plen = (chain.length / 2).toString(16).padStart(4, '0');
    const p = decodeBytes(makeDecoder(), hex(`60000000${plen}3cff${Z}${Z}${chain}`), RAW_IPV6);
    expect(anomalies(p)).toContain('ipv6.ext_chain_too_long');
    expect(values(p, 'ipv6.dstopts.nxt')).toHaveLength(32);
  });
});

describe('ipv6 in tunnels', () => {
  it('is carried in IPv4 (6in4) and in IPv6 as a nested encapsulation', () => {
    setAudit(true);
    const dec = makeDecoder();
    const inner = v6('10', '11') + UDP;
    const in4 = decodeBytes(dec, hex('450000440000400040290000c0a80001c0a80002' + inner), 228);
    expect(layers(in4)).toEqual(['frame', 'ip', 'ipv6', 'udp']);
    expect(in4.depth[2]).toBe(1);
    const in6 = decodeBytes(dec, hex(v6('38', '29') + inner), RAW_IPV6);
    expect(layers(in6)).toEqual(['frame', 'ipv6', 'ipv6', 'udp']);
    expect(in6.depth[2]).toBe(1);
    expect(values(in6, 'ipv6.nxt')).toEqual(['41', '17']);
  });
});

describe('ipv6 on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^(ipv6|ah)\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[229, '6000000000ff00ff' + '00'.repeat(32)], [229, '6000000000ff2bff' + '00'.repeat(32)], [229, '6000000000ff2cff' + '00'.repeat(32)], [229, '6000000000ff3cff' + '00'.repeat(32)], [229, '6000000000ff33ff' + '00'.repeat(32)], [229, '']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
