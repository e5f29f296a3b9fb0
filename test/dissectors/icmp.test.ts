import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';
import { emptyRecord } from '../../src/capture/record.js';
import type { Decoder } from '../../src/decode/decoder.js';
import { AUX_QUOTED } from '../../dissectors/ipv4.js';
import type { PacketView } from '../../src/decode/packet-view.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes.
function expectFields(p: PacketView, want: Record<string, string[]>): void {
  for (const [name, v] of Object.entries(want)) expect(values(p, name), name).toEqual(v);
}

function decodeAt(dec: Decoder, bytes: Buffer, linktype: number, sec: number, nsec: number): PacketView {
  const rec = emptyRecord();
  rec.buf = Buffer.from(bytes);
  rec.capLen = rec.wireLen = bytes.length;
  rec.linktype = linktype;
  rec.number = 1;
  rec.tsSec = sec;
  rec.tsNsec = nsec;
  return dec.decode(rec);
}

const SLL2 = 276;
// Linux ping on loopback (SLL2), captured at 1795412070.542806: a 32-bit LE timeval leads the data.
const PING = hex('080000000000000103040006000000000000000045000054cf51400040016d557f0000017f000001080078e618c2000166d0036b000000003548080000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637');
// Linux port unreachable for a UDP datagram to port 9 (SLL2), quoting the whole datagram.
const PORT_UNREACH = hex('080000000000000103040006000000000000000045c0003bd03a00004001abc57f0000017f0000010303dbca000000004500001fa77b4000401195507f0000017f000001b0950009000bfe1e68690a');
// Fragmentation needed (MTU 1400) quoting an IPv4 header and the first 8 bytes of TCP.
const FRAG_NEEDED_TCP = hex('02000000000102000000000208004500003812344000400113930a0000fe0a00000103040898000005784500008c12344000400614360a0000010a000002a8ca01bb11223344');
// Fragmentation needed (MTU 1450) for a VXLAN packet, quoted in full (inner Ethernet, IPv4, TCP SYN).
const FRAG_NEEDED_VXLAN = hex('02000000000102000000000208004500007612344000400113550a0000fe0a00000103045452000005aa4500005a123440004011145d0a0000010a000002c35012b5004600000800000000006400020000000002020000000001080045000028123440004006a448c0a80101c0a802020457005000000007000000005002ffff00000000');
// The same, quoting only 32 bytes: outer UDP, VXLAN header and 4 bytes of the inner frame.
const FRAG_NEEDED_VXLAN_SHORT = hex('02000000000102000000000208004500004412344000400113870a0000fe0a0000010304b305000005aa4500005a123440004011145d0a0000010a000002c35012b500460000080000000000640002000000');

describe('icmp echo', () => {
  it('shows identifier and sequence in both byte orders and the sender timestamp in the data', () => {
    setAudit(true);
    const p = decodeAt(makeDecoder(), PING, SLL2, 1795412070, 542806000);
    expect(layers(p)).toEqual(['frame', 'sll', 'ip', 'icmp']);
    expectFields(p, {
      'icmp.type': ['8'],
      'icmp.code': ['0'],
      'icmp.checksum': ['0x78e6'],
      'icmp.checksum.status': ['1'],
      'icmp.ident': ['6338'],
      'icmp.ident_le': ['49688'],
      'icmp.seq': ['1'],
      'icmp.seq_le': ['256'],
      // The timeval's microseconds are 0: tshark takes the 32-bit LE reading.
      'icmp.data_time_relative': ['0.542806000'],
      'icmp.unused': [],
      'icmp.mtu': [],
    });
  });

  it('accepts a big-endian timeval within a day of the frame, and nothing further off', () => {
    setAudit(true);
    const dec = makeDecoder();
    const ip = '450000240000400040010000c0a80001c0a80002';
    const echo = (data: string) => hex(`0200000000010200000000020800 ${ip} 0800 0000 00000001 ${data}`);
    const near = decodeAt(dec, echo('000003e8 00000005 61626364'), 1, 1000, 0);
    expect(values(near, 'icmp.data_time_relative')).toEqual(['-0.000005000']);
    const early = decodeAt(dec, echo('00000005 00000005 7a7a'), 1, 1003, 0);
    expect(values(early, 'icmp.data_time_relative')).toEqual(['997.999995000']);
    const dayOff = decodeAt(dec, echo('00015591 00000000'), 1, 1005, 0);
    expect(values(dayOff, 'icmp.data_time_relative')).toEqual([]);
    const badUsec = decodeAt(dec, echo('000003ea 001e8480'), 1, 1002, 0);
    expect(values(badUsec, 'icmp.data_time_relative')).toEqual([]);
  });

  it('verifies the checksum only over a wholly captured message', () => {
    setAudit(true);
    const dec = makeDecoder();
    const bad = decodeBytes(dec, hex('02000000000102000000000208004500002412344000400114a30a0000010a00000208001713000500067878787878787878'));
    expectFields(bad, { 'icmp.checksum.status': ['0'], 'icmp.ident': ['5'], 'icmp.seq': ['6'] });
    expect(anomalies(bad)).toContain('icmp.checksum_bad');
    // Snap-length cut: not verified (2), and not an anomaly.
    const cut = decodeBytes(dec, PING.subarray(0, 60), SLL2, PING.length);
    expectFields(cut, { 'icmp.checksum.status': ['2'] });
    expect(anomalies(cut)).not.toContain('icmp.checksum_bad');
  });

  it('shows no field below 6 bytes, then each field as it fits', () => {
    setAudit(true);
    const dec = makeDecoder();
    const icmpStart = 20 + 20;
    for (let cut = icmpStart; cut < icmpStart + 8; cut++) {
      const p = decodeBytes(dec, PING.subarray(0, cut), SLL2, PING.length);
      const n = cut - icmpStart;
      expect(layers(p)).toEqual(['frame', 'sll', 'ip', 'icmp']);
      expect(anomalies(p)).toContain('icmp.truncated');
      // tshark reads byte 5 (RFC 4884 length) before adding any field.
      expect(values(p, 'icmp.type'), String(n)).toEqual(n >= 6 ? ['8'] : []);
      expect(values(p, 'icmp.checksum.status')).toEqual(n >= 6 ? ['2'] : []);
      expect(values(p, 'icmp.ident_le')).toEqual(n >= 6 ? ['49688'] : []);
      expect(values(p, 'icmp.seq')).toEqual([]);
    }
  });
});

describe('icmp errors quoting the offending datagram', () => {
  it('shows the quoted IPv4 header and UDP ports as a second set of fields', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), PORT_UNREACH, SLL2);
    expect(layers(p)).toEqual(['frame', 'sll', 'ip', 'icmp', 'ip', 'udp']);
    expectFields(p, {
      'icmp.type': ['3'],
      'icmp.code': ['3'],
      'icmp.checksum': ['0xdbca'],
      'icmp.checksum.status': ['1'],
      'icmp.unused': ['00000000'],
      'ip.src': ['127.0.0.1', '127.0.0.1'],
      'ip.proto': ['1', '17'],
      'ip.len': ['59', '31'],
      'udp.srcport': ['45205'],
      'udp.dstport': ['9'],
      'udp.length': ['11'],
    });
    // A quoted header is not checked like a live one.
    expect(anomalies(p)).toEqual([]);
  });

  it('shows the next-hop MTU and a quoted TCP flow whose total length exceeds the quote', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), FRAG_NEEDED_TCP);
    expect(layers(p).slice(0, 5)).toEqual(['frame', 'eth', 'ip', 'icmp', 'ip']);
    expectFields(p, {
      'icmp.type': ['3'],
      'icmp.code': ['4'],
      'icmp.mtu': ['1400'],
      'icmp.unused': ['0000'],
      'ip.src': ['10.0.0.254', '10.0.0.1'],
      'ip.dst': ['10.0.0.1', '10.0.0.2'],
      'ip.len': ['56', '140'],
    });
    expect(anomalies(p)).not.toContain('ip.len_exceeds_frame');
    expect(p.aux[4]! & AUX_QUOTED).toBe(AUX_QUOTED);
  });

  it('follows a quoted VXLAN packet as far as the quote goes', () => {
    setAudit(true);
    const dec = makeDecoder();
    const full = decodeBytes(dec, FRAG_NEEDED_VXLAN);
    expect(layers(full).slice(0, 9)).toEqual(['frame', 'eth', 'ip', 'icmp', 'ip', 'udp', 'vxlan', 'eth', 'ip']);
    expectFields(full, {
      'icmp.mtu': ['1450'],
      'ip.src': ['10.0.0.254', '10.0.0.1', '192.168.1.1'],
      'ip.len': ['118', '90', '40'],
      'udp.srcport': ['50000'],
      'udp.dstport': ['4789'],
      'udp.length': ['70'],
      'vxlan.vni': ['100'],
    });
    const short = decodeBytes(dec, FRAG_NEEDED_VXLAN_SHORT);
    expect(layers(short).slice(0, 7)).toEqual(['frame', 'eth', 'ip', 'icmp', 'ip', 'udp', 'vxlan']);
    expectFields(short, { 'ip.src': ['10.0.0.254', '10.0.0.1'], 'ip.len': ['68', '90'], 'udp.length': ['70'], 'vxlan.vni': ['100'] });
  });

  it('limits a redirect to the quoted header plus 8 bytes', () => {
    setAudit(true);
    const p = decodeBytes(
      makeDecoder(),
      hex('020000000001020000000002080045000080123440004001134b0a0000fe0a0000010500dce30a0000fd4500006412344000401114530a0000010a0000029c40829a00500000' + '71'.repeat(72)),
    );
    expectFields(p, { 'icmp.type': ['5'], 'icmp.redir_gw': ['10.0.0.253'], 'ip.len': ['128', '100'], 'udp.length': ['80'] });
    const udp = layers(p).lastIndexOf('udp');
    expect(p.end[udp]! - p.start[udp]!).toBe(8);
  });

  it('shows the pointer of a parameter problem and the RFC 4884 length when present', () => {
    setAudit(true);
    const dec = makeDecoder();
    const udp = '45000028123440004011148f0a0000010a0000029c40003500140000';
    const param = decodeBytes(dec, hex(`0200000000010200000000020800 4500003812344000400113930a0000fe0a000001 0c00437614000000 ${udp}`));
    expectFields(param, { 'icmp.type': ['12'], 'icmp.pointer': ['20'], 'icmp.unused': ['000000'], 'icmp.length': [] });
    const rfc4884 = decodeBytes(dec, hex(`0200000000010200000000020800 4500003812344000400113930a0000fe0a000001 0301c2d7deadbeef ${udp}`));
    expectFields(rfc4884, { 'icmp.unused': ['de', 'beef'], 'icmp.length': ['173'], 'icmp.length.original_datagram': ['692'] });
  });

  it('decodes the MPLS label stack of a multi-part extension after 128 bytes of quote', () => {
    setAudit(true);
    const quote = '4500006412344000401114530a0000010a0000029c40829a00500000' + '71'.repeat(72) + '00'.repeat(28);
    const head = '0200000000010200000000020800450000b0123440004001131b0a0000fe0a000001 0b00e1e000000000';
    const p = decodeBytes(makeDecoder(), hex(head + quote + '200083fe 0008 01 01 03e85101 0008 02 01 01020304'));
    expectFields(p, {
      'icmp.checksum.status': ['1'],
      'icmp.ext': ['1'],
      'icmp.ext.version': ['2'],
      'icmp.ext.res': ['0x0000'],
      'icmp.ext.checksum': ['0x83fe'],
      'icmp.ext.checksum.status': ['1'],
      'icmp.ext.length': ['8', '8'],
      'icmp.ext.class': ['1', '2'],
      'icmp.ext.ctype': ['1', '1'],
      'icmp.mpls.label': ['16005'],
      'icmp.mpls.exp': ['0'],
      'icmp.mpls.s': ['1'],
      'icmp.mpls.ttl': ['1'],
      'ip.len': ['176', '100'],
    });
  });

  it('skips the extension when an RFC 4884 original datagram is longer than 128 bytes', () => {
    setAudit(true);
    const p = decodeBytes(
      makeDecoder(),
      hex('0200000000010200000000020800450000a812344000400113230a0000fe0a0000010b00ad2800200000450000c812344000401113ef0a0000010a0000029c40829a00b40000' + '71'.repeat(100) + '20008a0d0008010103e85101'),
    );
    expectFields(p, { 'icmp.length': ['32'], 'icmp.length.original_datagram': ['128'], 'icmp.unused': ['00', '0000'], 'icmp.ext': [], 'ip.len': ['168', '200'], 'udp.length': ['180'] });
  });

  it('verifies against the frame when the IP total length overstates it (icmp-cksum-oobr-1.pcap)', () => {
    setAudit(true);
    const p = decodeBytes(
      makeDecoder(),
      hex('00040001000600163e2778a2000008004572365725000000400167ea3edc1ff73ee1f573030390c20000000045a035a07566000072113f1f3ee1f5733edc1ff723950403008cdfe781c8040c6378da45462e71d473ffffff393586db00000542000379b87f1811de00000001000005a00000003603ccbbc00000001a81ca000c6378da450171313633393531333539392d34363864306361324038352e3137382e312e3633060553495050530000000081cb00066378da451073657373696f6e2073687574646f776e000000'),
      113,
    );
    expectFields(p, { 'icmp.type': ['3'], 'icmp.checksum.status': ['0'], 'ip.len': ['13911', '13728'], 'udp.srcport': ['9109'] });
  });
});

describe('icmp informational messages', () => {
  it('decodes router advertisements, address mask replies and extended echo', () => {
    setAudit(true);
    const dec = makeDecoder();
    const eth = '0200000000010200000000020800';
    const advert = decodeBytes(dec, hex(`${eth} 4500002412344000400113a70a0000fe0a000001 0900e3f7010207080a0000fe00000000`));
    expectFields(advert, { 'icmp.num_addrs': ['1'], 'icmp.addr_entry_size': ['2'], 'icmp.lifetime': ['1800'], 'icmp.router_address': ['10.0.0.254'], 'icmp.pref_level': ['0'] });
    const mask = decodeBytes(dec, hex(`${eth} 4500002012344000400113ab0a0000fe0a000001 1200eefb00010002ffffff00`));
    expectFields(mask, { 'icmp.ident': ['1'], 'icmp.seq': ['2'], 'icmp.address_mask': ['255.255.255.0'] });
    const extReq = decodeBytes(dec, hex(`${eth} 4500001c12344000400114ab0a0000010a000002 2a00d2f700070301`));
    expectFields(extReq, { 'icmp.ident': ['7'], 'icmp.seq': [], 'icmp.ext.echo.seq': ['3'], 'icmp.ext.echo.req.res': ['0x00'], 'icmp.ext.echo.req.local': ['1'] });
    const extRsp = decodeBytes(dec, hex(`${eth} 4500001c12344000400114ab0a0000010a000002 2b00d1b200070346`));
    expectFields(extRsp, {
      'icmp.ext.echo.rsp.state': ['2'],
      'icmp.ext.echo.rsp.res': ['0x00'],
      'icmp.ext.echo.rsp.active': ['1'],
      'icmp.ext.echo.rsp.ipv4': ['1'],
      'icmp.ext.echo.rsp.ipv6': ['0'],
    });
  });
});

describe('icmp on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^icmp\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[228, '4500ffff000000004001000001020304050607 08'], [228, '4500ffff000000004001000001020304050607 03'], [228, '4500ffff000000004001000001020304050607 0b'], [228, '4500ffff000000004001000001020304050607 05'], [228, '4500ffff00000000400100000102030405060708 0c']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
