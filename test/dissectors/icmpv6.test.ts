import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';
import { AUX_QUOTED } from '../../dissectors/ipv4.js';
import type { PacketView } from '../../src/decode/packet-view.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes.
function expectFields(p: PacketView, want: Record<string, string[]>): void {
  for (const [name, v] of Object.entries(want)) expect(values(p, name), name).toEqual(v);
}

// icmpv6.pcap, frame 1: router advertisement with prefix, RDNSS, DNSSL, MTU, source link-layer address, ...
const RA = hex('333300000001b09928c8d66c86dd6000000000b03afffe80000000000000b29928fffec8d66cff020000000000000000000000000001860024014020000f0000000000000000030448c000278d0000093a8000000000222233334444555566000000000000001905000000000005abcd000000000000000000000000efef123456780000000000000000000000011f07000000000005076578616d706c6503636f6d00076578616d706c65036f72670004646f6d3104646f6d3203746c64000000000000000005010000000000640101b09928c8d66c070100000000138808010000c351000f');
// icmpv6_opt24.pcap, frame 1: router advertisement with a route information option.
const RA_ROUTE = hex('33330000000114cf928723d686dd6000000000783afffe8000000000000016cf92fffe8723d6ff0200000000000000000000000000018600688200c000000000000000000000010114cf928723d605010000000005dc030440c000001c200000070800000000fd8d4fb35b2e000000000000000000001802300000001c20fd8d4fb35b2e00001903000000000708fd8d4fb35b2e000000000000000000011f02000000000708036c616e00000000');
// icmpv6-ns-nonce.pcap: neighbor solicitation for duplicate address detection (source ::) with a nonce option.
const NS = hex('3333ffe1000f566ff7e1000f86dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ffe1000f8700566e00000000fe80000000000000546ff7fffee1000f0e016069604c0aaa');
// ipv6-routing-header.pcap, frame 1: echo request behind a routing header with a segment left.
const ECHO_ROUTED = hex('0013c4c784f000123fae22f786dd6000000000202b04220000000000024402123ffffeae22f7220000000000024000020000000000043a02000100000000220000000000021000020000000000048000d3ab00000000');
// icmpv6-rfc7112.pcap: parameter problem quoting a first fragment (RFC 7112 header chain).
const PARAM_FRAG = hex('ac1f6b469eda00a09815ece786dd6000000000483a40200106300042011002a098fffe15ece72001063000420110ae1f6bfffe469eda0403994c000000306000000000182c402001063000420110ae1f6bfffe469eda200106300042011002a098fffe15ece7290000010000d6b16227605c7830305c7830305c7830305c');
// icmpv6.pcap, frame 3: MLDv2 query (28 bytes).
const MLDV2_QUERY = hex('333300000001b0a86e0cd4e886dd6000000000240001fe80000000000000b2a86efffe0cd4e8ff0200000000000000000000000000013a000502000001008200623a2710000000000000000000000000000000000000023c0000');
// Packet too big (MTU 1280) quoting an IPv6/UDP datagram.
const TOO_BIG = hex('33330000000102000000000186dd6000000000443a4020010db800000000000000000000000220010db80000000000000000000000010200a1c900000500600000000014114020010db800000000000000000000000120010db80000000000000000000000029c4000350014000068656c6c6f20776f726c6421');

const ETH = '33330000000102000000000186dd';
const LL1 = 'fe800000000000000000000000000001';
const LL2 = 'fe800000000000000000000000000002';

describe('icmpv6 neighbor discovery', () => {
  it('decodes a router advertisement and its options (real capture)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), RA);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6']);
    expectFields(p, {
      'icmpv6.type': ['134'],
      'icmpv6.code': ['0'],
      'icmpv6.checksum': ['0x2401'],
      'icmpv6.checksum.status': ['1'],
      'icmpv6.nd.ra.cur_hop_limit': ['64'],
      'icmpv6.nd.ra.flag': ['0x20'],
      'icmpv6.nd.ra.flag.m': ['0'],
      'icmpv6.nd.ra.flag.o': ['0'],
      'icmpv6.nd.ra.router_lifetime': ['15'],
      'icmpv6.nd.ra.reachable_time': ['0'],
      'icmpv6.nd.ra.retrans_timer': ['0'],
      'icmpv6.opt': ['1', '1', '1', '1', '1', '1', '1'],
      'icmpv6.opt.type': ['3', '25', '31', '5', '1', '7', '8'],
      'icmpv6.opt.length': ['4', '5', '7', '1', '1', '1', '1'],
      'icmpv6.opt.linkaddr': ['b0:99:28:c8:d6:6c'],
      'icmpv6.opt.src_linkaddr': ['b0:99:28:c8:d6:6c'],
      'icmpv6.opt.target_linkaddr': [],
      'icmpv6.opt.mtu': ['100'],
      'icmpv6.opt.prefix.length': ['72'],
      'icmpv6.opt.prefix.flag': ['0xc0'],
      'icmpv6.opt.prefix.flag.l': ['1'],
      'icmpv6.opt.prefix.flag.a': ['1'],
      'icmpv6.opt.prefix.valid_lifetime': ['2592000'],
      'icmpv6.opt.prefix.preferred_lifetime': ['604800'],
      'icmpv6.opt.prefix': ['2222:3333:4444:5555:6600::'],
      'icmpv6.opt.rdnss': ['abcd::efef', '1234:5678::1'],
      'icmpv6.opt.rdnss.lifetime': ['5'],
    });
  });

  it('shows a route information prefix zero-extended, next to the prefix option', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), RA_ROUTE);
    expectFields(p, {
      'icmpv6.nd.ra.flag': ['0xc0'],
      'icmpv6.nd.ra.flag.m': ['1'],
      'icmpv6.opt.type': ['1', '5', '3', '24', '25', '31'],
      'icmpv6.opt.prefix.length': ['64', '48'],
      'icmpv6.opt.prefix': ['fd8d:4fb3:5b2e::', 'fd8d:4fb3:5b2e::'],
      'icmpv6.opt.route_lifetime': ['7200'],
      'icmpv6.opt.mtu': ['1500'],
      'icmpv6.opt.rdnss': ['fd8d:4fb3:5b2e::1'],
    });
  });

  it('decodes a neighbor solicitation from the unspecified address', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), NS);
    expectFields(p, {
      'icmpv6.type': ['135'],
      'icmpv6.checksum.status': ['1'],
      'icmpv6.reserved': ['00000000'],
      'icmpv6.nd.ns.target_address': ['fe80::546f:f7ff:fee1:f'],
      'icmpv6.opt': ['1'],
      'icmpv6.opt.type': ['14'],
      'icmpv6.opt.length': ['1'],
      'ipv6.src': ['::'],
    });
  });

  it('decodes neighbor advertisement flags and the target link-layer address', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 6000000000203a40 ${LL2} ${LL1} 8800981a e0000000 ${LL2} 0201020000000001`));
    expectFields(p, {
      'icmpv6.type': ['136'],
      'icmpv6.checksum.status': ['1'],
      'icmpv6.nd.na.target_address': ['fe80::2'],
      'icmpv6.nd.na.flag': ['0xe0000000'],
      'icmpv6.nd.na.flag.r': ['1'],
      'icmpv6.nd.na.flag.s': ['1'],
      'icmpv6.nd.na.flag.o': ['1'],
      'icmpv6.nd.na.flag.rsv': ['0'],
      'icmpv6.opt.linkaddr': ['02:00:00:00:00:01'],
      'icmpv6.opt.target_linkaddr': ['02:00:00:00:00:01'],
      'icmpv6.opt.src_linkaddr': [],
      'icmpv6.reserved': [],
    });
  });

  it('decodes a redirect', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 6000000000303a40 ${LL1} ${LL2} 8900494a00000000 fe800000000000000000000000000009 20010db8000000000000000000000001 0201020000000001`));
    expectFields(p, {
      'icmpv6.reserved': ['00000000'],
      'icmpv6.nd.rd.target_address': ['fe80::9'],
      'icmpv6.rd.na.destination_address': ['2001:db8::1'],
      'icmpv6.opt.target_linkaddr': ['02:00:00:00:00:01'],
    });
  });

  it('shows link-layer addresses of other sizes as bytes', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 6000000000283a40 ${LL1} ${LL2} 87004adb00000000 ${LL2} 0102 0102030405060708090a0b0c0d0e`));
    expectFields(p, { 'icmpv6.opt.length': ['2'], 'icmpv6.opt.linkaddr': ['0102030405060708090a0b0c0d0e'], 'icmpv6.opt.src_linkaddr': ['0102030405060708090a0b0c0d0e'] });
  });

  it('stops at an option of length 0', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 6000000000203a40 ${LL1} ${LL2} 8700731100000000 ${LL2} 0100010203040506`));
    expectFields(p, { 'icmpv6.opt': ['1'], 'icmpv6.opt.type': ['1'], 'icmpv6.opt.length': ['0'], 'icmpv6.opt.linkaddr': [] });
    expect(anomalies(p)).toContain('icmpv6.option_len_zero');
  });

  it('shows each option only once its type and length bytes are captured', () => {
    setAudit(true);
    const dec = makeDecoder();
    const ra = hex(`${ETH} 6000000000203aff ${LL1} ff020000000000000000000000000001 86002670 40c80708 00000000 00000000 0101020000000001`);
    const optStart = 14 + 40 + 16;
    for (let cut = optStart; cut < ra.length; cut++) {
      const p = decodeBytes(dec, ra.subarray(0, cut), 1, ra.length);
      const n = cut - optStart;
      expect(values(p, 'icmpv6.nd.ra.retrans_timer')).toEqual(['0']);
      expect(values(p, 'icmpv6.opt.type'), String(n)).toEqual(n >= 2 ? ['1'] : []);
      expect(values(p, 'icmpv6.opt.linkaddr')).toEqual([]);
      expect(values(p, 'icmpv6.checksum.status')).toEqual(['2']);
    }
  });
});

describe('icmpv6 echo, MLD and unknown types', () => {
  it('checks the checksum against the final destination of a routing header', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), ECHO_ROUTED);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6']);
    expectFields(p, { 'icmpv6.type': ['128'], 'icmpv6.checksum': ['0xd3ab'], 'icmpv6.checksum.status': ['1'], 'icmpv6.echo.identifier': ['0x0000'], 'icmpv6.echo.sequence_number': ['0'] });
    expect(anomalies(p)).not.toContain('icmpv6.checksum_bad');
  });

  it('flags a wrong checksum', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 6000000000103a40 20010db8000000000000000000000001 20010db8000000000000000000000002 8000302212340009 7878787878787878`));
    expectFields(p, { 'icmpv6.checksum.status': ['0'], 'icmpv6.echo.identifier': ['0x1234'], 'icmpv6.echo.sequence_number': ['9'] });
    expect(anomalies(p)).toContain('icmpv6.checksum_bad');
  });

  it('shows the maximum response code of an MLDv2 query', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), MLDV2_QUERY);
    expectFields(p, { 'icmpv6.type': ['130'], 'icmpv6.reserved': ['0000'], 'icmpv6.mld.maximum_response_code': ['10000'], 'icmpv6.mld.maximum_response_delay': [], 'icmpv6.mld.multicast_address': ['::'] });
  });

  it('shows the body of a type without a dissector as data', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 60000000000a3a40 ${LL1} ${LL2} c800bc35010203047a7a`));
    expectFields(p, { 'icmpv6.type': ['200'], 'icmpv6.checksum.status': ['1'], 'icmpv6.data': ['010203047a7a'] });
  });

  it('shows each fixed field as its bytes are captured, unverified when cut', () => {
    setAudit(true);
    const dec = makeDecoder();
    const echo = hex(`${ETH} 6000000000103a40 20010db8000000000000000000000001 20010db8000000000000000000000002 8000806f12340007 6162636465666768`);
    const start = 14 + 40;
    for (let cut = start; cut < echo.length; cut++) {
      const p = decodeBytes(dec, echo.subarray(0, cut), 1, echo.length);
      const n = cut - start;
      expect(values(p, 'icmpv6.type'), String(n)).toEqual(n >= 1 ? ['128'] : []);
      expect(values(p, 'icmpv6.checksum.status')).toEqual(n >= 4 ? ['2'] : []);
      expect(values(p, 'icmpv6.echo.identifier')).toEqual(n >= 6 ? ['0x1234'] : []);
      expect(values(p, 'icmpv6.echo.sequence_number')).toEqual(n >= 8 ? ['7'] : []);
    }
    expect(values(decodeBytes(dec, echo), 'icmpv6.checksum.status')).toEqual(['1']);
  });
});

describe('icmpv6 errors quoting the invoking packet', () => {
  it('hands the invoking packet to IPv6 as a quoted layer', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), TOO_BIG);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6', 'ipv6', 'udp']);
    expectFields(p, { 'icmpv6.type': ['2'], 'icmpv6.mtu': ['1280'], 'icmpv6.checksum.status': ['1'], 'ipv6.src': ['2001:db8::2', '2001:db8::1'], 'ipv6.nxt': ['58', '17'], 'udp.srcport': ['40000'] });
    expect(p.aux[4]! & AUX_QUOTED).toBe(AUX_QUOTED);
  });

  it('shows the pointer and the quoted fragment header, and stops at the first fragment (icmpv6-rfc7112.pcap)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), PARAM_FRAG);
    expect(layers(p)).toEqual(['frame', 'eth', 'ipv6', 'icmpv6', 'ipv6']);
    expectFields(p, {
      'icmpv6.type': ['4'],
      'icmpv6.code': ['3'],
      'icmpv6.checksum.status': ['1'],
      'icmpv6.pointer': ['48'],
      'ipv6.src': ['2001:630:42:110:2a0:98ff:fe15:ece7', '2001:630:42:110:ae1f:6bff:fe46:9eda'],
      'ipv6.nxt': ['58', '44'],
      'ipv6.fraghdr.nxt': ['41'],
      'ipv6.fraghdr.more': ['1'],
      'ipv6.fraghdr.ident': ['0x0000d6b1'],
    });
  });
});

describe('icmpv6 on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^icmpv6\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[229, '6000000000ff3aff' + '00'.repeat(32) + '86'], [229, '6000000000ff3aff' + '00'.repeat(32) + '87'], [229, '6000000000ff3aff' + '00'.repeat(32) + '88'], [229, '6000000000ff3aff' + '00'.repeat(32) + '01'], [229, '6000000000ff3aff' + '00'.repeat(32) + '80']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
