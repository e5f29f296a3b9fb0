import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';
import type { PacketView } from '../../src/decode/packet-view.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes.
function expectFields(p: PacketView, want: Record<string, string[]>): void {
  for (const [name, v] of Object.entries(want)) expect(values(p, name), name).toEqual(v);
}

const ETH = 'ffffffffffff020000000001 0806';
const FIXED = ['arp.hw.type', 'arp.proto.type', 'arp.hw.size', 'arp.proto.size', 'arp.opcode'];
const ADDRS = ['arp.src.hw_mac', 'arp.src.hw', 'arp.src.proto_ipv4', 'arp.src.proto', 'arp.dst.hw_mac', 'arp.dst.hw', 'arp.dst.proto_ipv4', 'arp.dst.proto'];

// Frame 1 of arp-too-long-tha.pcap: QinQ-tagged ARP with 14-byte hardware addresses (snap length 64).
const TOO_LONG_THA = hex('30303030303030303030303088a830300806303008000e0400013030303030303030303030303030303030303030303030303030303030303030303030303030');
// Frame 1 of getname_2_read4_asan.pcap: RARP (0x8035) with zero-length addresses.
const RARP_EMPTY = hex('000cff7f9677c0c1c0a000648035ff008b0100000004');

describe('arp', () => {
  it('decodes an Ethernet/IPv4 request', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002`));
    expect(layers(p)).toEqual(['frame', 'eth', 'arp']);
    expectFields(p, {
      'arp.hw.type': ['1'],
      'arp.proto.type': ['0x0800'],
      'arp.hw.size': ['6'],
      'arp.proto.size': ['4'],
      'arp.opcode': ['1'],
      'arp.isgratuitous': [],
      'arp.isprobe': [],
      'arp.isannouncement': [],
      'arp.src.hw_mac': ['02:00:00:00:00:01'],
      'arp.src.proto_ipv4': ['10.0.0.1'],
      'arp.dst.hw_mac': ['00:00:00:00:00:00'],
      'arp.dst.proto_ipv4': ['10.0.0.2'],
    });
    expect(anomalies(p)).toEqual([]);
  });

  it('flags gratuitous ARPs, announcements and probes', () => {
    setAudit(true);
    const dec = makeDecoder();
    const gratuitous = decodeBytes(dec, hex(`${ETH} 0001 0800 06 04 0001 020000000001 0a000001 ffffffffffff 0a000001`));
    expectFields(gratuitous, { 'arp.isgratuitous': ['1'], 'arp.isannouncement': [], 'arp.isprobe': [], 'arp.dst.hw_mac': ['ff:ff:ff:ff:ff:ff'] });
    const announcement = decodeBytes(dec, hex(`${ETH} 0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000001`));
    expectFields(announcement, { 'arp.isgratuitous': ['1'], 'arp.isannouncement': ['1'], 'arp.isprobe': [] });
    const probe = decodeBytes(dec, hex(`${ETH} 0001 0800 06 04 0001 020000000001 00000000 000000000000 c0a80002`));
    expectFields(probe, { 'arp.isgratuitous': [], 'arp.isprobe': ['1'], 'arp.src.proto_ipv4': ['0.0.0.0'] });
    const gratuitousReply = decodeBytes(dec, hex(`${ETH} 0001 0800 06 04 0002 020000000001 0a000001 ffffffffffff 0a000001`));
    expectFields(gratuitousReply, { 'arp.isgratuitous': ['1'], 'arp.isannouncement': [] });
  });

  it('shows IEEE 802 hardware addresses as MACs and DRARP errors as a status', () => {
    setAudit(true);
    const dec = makeDecoder();
    const ieee802 = decodeBytes(dec, hex(`${ETH} 0006 0800 06 04 0002 020000000001 0a000001 020000000002 0a000002`));
    expectFields(ieee802, { 'arp.hw.type': ['6'], 'arp.dst.hw_mac': ['02:00:00:00:00:02'] });
    const drarpError = decodeBytes(dec, hex(`${ETH} 0001 0800 06 04 0007 020000000001 0a000001 020000000002 0a000002`));
    expectFields(drarpError, { 'arp.opcode': ['7'], 'arp.dst.proto_ipv4': [], 'arp.dst.drarp_error_status': ['10'] });
  });

  it('shows odd-sized addresses as bytes without reading past them (arp-too-long-tha.pcap)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), TOO_LONG_THA, 1, 262144);
    expect(layers(p)).toEqual(['frame', 'eth', 'ieee8021ad', 'arp']);
    expectFields(p, {
      'arp.hw.type': ['12336'],
      'arp.hw.size': ['14'],
      'arp.opcode': ['1'],
      'arp.isgratuitous': ['1'],
      'arp.src.hw_mac': [],
      'arp.src.hw': ['3030303030303030303030303030'],
      'arp.src.proto_ipv4': ['48.48.48.48'],
      'arp.dst.hw': ['3030303030303030303030303030'],
      'arp.dst.proto_ipv4': ['48.48.48.48'],
    });
    expect(anomalies(p)).toContain('arp.hw_not_ethernet');
  });

  it('decodes RARP with empty addresses (getname_2_read4_asan.pcap)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), RARP_EMPTY, 1, 65570);
    expect(layers(p)).toEqual(['frame', 'eth', 'arp']);
    expectFields(p, { 'arp.hw.type': ['65280'], 'arp.proto.type': ['0x8b01'], 'arp.hw.size': ['0'], 'arp.proto.size': ['0'], 'arp.opcode': ['4'] });
    for (const f of ADDRS) expect(values(p, f), f).toEqual([]);
    expect(anomalies(p)).toContain('arp.hw_not_ethernet');
  });

  it('flags IPv4 addresses of the wrong size, shown as bytes', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex(`${ETH} 0001 0800 06 05 0001 020000000001 0a00000101 000000000000 0a00000202`));
    expectFields(p, { 'arp.proto.size': ['5'], 'arp.src.proto_ipv4': [], 'arp.src.proto': ['0a00000101'], 'arp.dst.proto': ['0a00000202'] });
    expect(anomalies(p)).toContain('arp.proto_size_bad');
    expect(anomalies(p)).not.toContain('arp.hw_not_ethernet');
  });

  it('shows only the fixed part when the address lengths run past the packet (arp-oobr.pcap)', () => {
    setAudit(true);
    const dec = makeDecoder();
    // Frame 104: protocol size 170.
    const big = decodeBytes(dec, hex('fffffffeffff6a1617e067e708060001080006aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));
    expectFields(big, { 'arp.proto.size': ['170'], 'arp.opcode': ['43690'] });
    for (const f of ADDRS) expect(values(big, f), f).toEqual([]);
    expect(anomalies(big)).toContain('arp.length_exceeds');
    // Frame 106: hardware size 51 in a request.
    const wide = decodeBytes(dec, hex('ffffffffffff001f29da2d7908060001080033040001001f29da2d79c0a80168000000000000c0a80101000000000000000000000000000000000000'));
    expectFields(wide, { 'arp.hw.size': ['51'], 'arp.opcode': ['1'], 'arp.isgratuitous': [] });
    for (const f of ADDRS) expect(values(wide, f), f).toEqual([]);
  });

  it('needs every address of a request before showing any of them', () => {
    setAudit(true);
    const dec = makeDecoder();
    const full = hex(`${ETH} 0001 0800 06 04 0001 020000000001 c0a80001 000000000000 c0a80002`);
    for (let cut = 14; cut < full.length; cut++) {
      // Cut by the snap length: the frame was 100 bytes on the wire.
      const p = decodeBytes(dec, full.subarray(0, cut), 1, 100);
      const n = cut - 14;
      expect(anomalies(p), String(n)).toContain('arp.truncated');
      // The fixed fields appear one by one as their bytes arrive ...
      expect(values(p, 'arp.hw.type')).toEqual(n >= 2 ? ['1'] : []);
      expect(values(p, 'arp.opcode')).toEqual(n >= 8 ? ['1'] : []);
      // ... but tshark reads the target protocol address before adding any address.
      for (const f of ADDRS) expect(values(p, f), `${f} at ${n}`).toEqual([]);
    }
    const whole = decodeBytes(dec, full, 1, 100);
    for (const f of FIXED) expect(values(whole, f), f).not.toEqual([]);
    expect(values(whole, 'arp.dst.proto_ipv4')).toEqual(['192.168.0.2']);
  });

  it('ends the ARP layer at its length, leaving the rest to the link layer as a trailer', () => {
    setAudit(true);
    const arp = '00010800060400010200000000010a0000010000000000000a000002';
    const p = decodeBytes(makeDecoder(), hex(`0000 0001 0006 020000000001 0000 0806 ${arp} 1234`), 113);
    expect(layers(p)).toEqual(['frame', 'sll', 'arp']);
    expect(values(p, 'sll.trailer')).toEqual(['1234']);
  });
});

describe('arp on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^arp\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[1, 'ffffffffffff0200000000010806'], [1, 'ffffffffffff02000000000108060001080006040001'], [1, 'ffffffffffff0200000000010806000308000704'], [1, 'ffffffffffff0200000000018035']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
