import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { setAudit } from '../../src/decode/audit.js';
import type { PacketView } from '../../src/decode/packet-view.js';

// Expected values are tshark 4.0.17's `-T fields` output for the same bytes.
function expectFields(p: PacketView, want: Record<string, string[]>): void {
  for (const [name, v] of Object.entries(want)) expect(values(p, name), name).toEqual(v);
}

const SLL = 113;
const SLL2 = 276;

// Frame 1 of the tcpdump project's tcp-handshake-nano.pcap: SLL, PPP link (hatype 512), no address, outgoing SYN.
const V1_SYN = hex('000402000000000000000000000008004500003c29a940004006db5f839bd7458974515eb64000502f842acb00000000a0026a4050c40000020405500402080a436a03620000000001030307');
// `tcpdump -i any` on Linux (SLL2): a ping on the loopback interface.
const V2_PING = hex('080000000000000103040006000000000000000045000054cf51400040016d557f0000017f000001080078e618c2000166d0036b000000003548080000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637');

describe('sll (Linux cooked capture v1)', () => {
  it('decodes the header of a real capture and hands the ethertype to IPv4', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), V1_SYN, SLL);
    expect(layers(p).slice(0, 3)).toEqual(['frame', 'sll', 'ip']);
    expectFields(p, {
      'sll.pkttype': ['4'],
      'sll.hatype': ['512'],
      'sll.halen': ['0'],
      'sll.src.eth': [],
      'sll.unused': ['0000000000000000'],
      'sll.etype': ['0x0800'],
      'sll.ifindex': [],
      'ip.src': ['131.155.215.69'],
    });
    expect(anomalies(p)).not.toContain('sll.truncated');
  });

  it('shows a 4-byte link-layer address as IPv4 and the rest of the 8 bytes as unused', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('000000010004c0a80001000000000800450000140000400040000000c0a80001c0a80002'), SLL);
    expectFields(p, { 'sll.halen': ['4'], 'sll.src.ipv4': ['192.168.0.1'], 'sll.src.eth': [], 'sll.unused': ['00000000'] });
  });

  it('caps an address length above 8 at the 8 bytes the header has, with nothing unused', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('00000001000a01020304050607080800450000140000400040000000c0a80001c0a80002'), SLL);
    expectFields(p, { 'sll.halen': ['10'], 'sll.src.other': ['0102030405060708'], 'sll.unused': [] });
  });

  it('reads the protocol as a GRE protocol type on ARPHRD_IPGRE', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('0000030a000000000000000000000800450000140000400040000000c0a80001c0a80002'), SLL);
    expectFields(p, { 'sll.hatype': ['778'], 'sll.gretype': ['0x0800'], 'sll.etype': [] });
    expect(layers(p)).toEqual(['frame', 'sll', 'ip']);
  });

  it('names Linux-internal protocol values and follows 0x0004 into 802.2 LLC', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('00000001000000000000000000000004424203000000'), SLL);
    expectFields(p, { 'sll.ltype': ['0x0004'], 'sll.etype': [] });
    expect(layers(p)).toEqual(['frame', 'sll', 'llc']);
    // 1536 is still a Linux protocol value, not an ethertype.
    const q = decodeBytes(makeDecoder(), hex('00000001000000000000000000000600ffff'), SLL);
    expectFields(q, { 'sll.ltype': ['0x0600'], 'sll.etype': [] });
    expect(layers(q)).toEqual(['frame', 'sll']);
  });

  it('shows no header field for netlink records (the whole record is the netlink message)', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), hex('00000338000000000000000000000000ffff'), SLL);
    expectFields(p, { 'sll.pkttype': [], 'sll.hatype': [], 'sll.ltype': [] });
    expect(layers(p)).toEqual(['frame', 'sll']);
  });

  it('shows the bytes after the payload as a trailer', () => {
    setAudit(true);
    const dec = makeDecoder();
    const arp = '00010800060400010200000000010a0000010000000000000a000002';
    const p = decodeBytes(dec, hex(`0000 0001 0006 020000000001 0000 0806 ${arp} 0000`), SLL);
    expectFields(p, { 'sll.src.eth': ['02:00:00:00:00:01'], 'sll.unused': ['0000'], 'sll.trailer': ['0000'] });
    expect(layers(p)).toEqual(['frame', 'sll', 'arp']);
  });

  it('leaves padding up to the 60-byte minimum out of the trailer, but only when it is zeros', () => {
    setAudit(true);
    const dec = makeDecoder();
    const ip = '450000140000400040000000c0a80001c0a80002';
    const head = '0000 0200 0000 0000000000000000 0800';
    const padded = decodeBytes(dec, hex(head + ip + '00'.repeat(30) + 'aabbccdd'), SLL);
    expectFields(padded, { 'sll.trailer': ['000000000000aabbccdd'] });
    const junk = decodeBytes(dec, hex(head + ip + '11'.repeat(40)), SLL);
    expectFields(junk, { 'sll.trailer': ['11'.repeat(40)] });
    // Under 60 bytes nothing is padding.
    const short = decodeBytes(dec, hex(head + ip + '00'.repeat(23)), SLL);
    expectFields(short, { 'sll.trailer': ['00'.repeat(23)] });
  });

  it('shows each header field only once its bytes are captured', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (let cut = 0; cut < 16; cut++) {
      const p = decodeBytes(dec, V1_SYN.subarray(0, cut), SLL);
      expect(layers(p)).toEqual(['frame', 'sll']);
      expect(anomalies(p)).toContain('sll.truncated');
      // tshark reads the packet and hardware types before showing anything.
      expect(values(p, 'sll.hatype')).toEqual(cut >= 4 ? ['512'] : []);
      expect(values(p, 'sll.pkttype')).toEqual(cut >= 4 ? ['4'] : []);
      expect(values(p, 'sll.halen')).toEqual(cut >= 6 ? ['0'] : []);
      expect(values(p, 'sll.unused')).toEqual(cut >= 14 ? ['0000000000000000'] : []);
      expect(values(p, 'sll.etype')).toEqual([]);
    }
  });
});

describe('sll (Linux cooked capture v2)', () => {
  it('decodes the SLL2 header tcpdump -i any writes, with the same field names', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), V2_PING, SLL2);
    expect(layers(p).slice(0, 4)).toEqual(['frame', 'sll', 'ip', 'icmp']);
    expectFields(p, {
      'sll.etype': ['0x0800'],
      'sll.ifindex': ['1'],
      'sll.hatype': ['772'],
      'sll.pkttype': ['0'],
      'sll.halen': ['6'],
      'sll.src.eth': ['00:00:00:00:00:00'],
      'sll.unused': ['0000'],
      'sll.trailer': [],
    });
  });

  it('shows nothing until the packet type is captured, then each field as it fits', () => {
    setAudit(true);
    const dec = makeDecoder();
    for (let cut = 0; cut < 20; cut++) {
      const p = decodeBytes(dec, V2_PING.subarray(0, cut), SLL2);
      expect(layers(p)).toEqual(['frame', 'sll']);
      expect(anomalies(p)).toContain('sll.truncated');
      // tshark reads byte 10 (packet type) up front: below 12 bytes no field at all.
      const head = cut >= 12;
      expect(values(p, 'sll.etype')).toEqual(head ? ['0x0800'] : []);
      expect(values(p, 'sll.ifindex')).toEqual(head ? ['1'] : []);
      expect(values(p, 'sll.halen')).toEqual(head ? ['6'] : []);
      expect(values(p, 'sll.src.eth')).toEqual(cut >= 18 ? ['00:00:00:00:00:00'] : []);
      expect(values(p, 'sll.unused')).toEqual([]);
    }
  });
});

describe('sll on arbitrary bytes', () => {
  it('never reads outside the record, in decode or in any field', () => {
    setAudit(true);
    const dec = makeDecoder();
    const names = dec.reg.fieldNames().filter((f) => /^sll\./.test(f));
    fc.assert(
      fc.property(fc.constantFrom(...[[113, ''], [276, ''], [113, '0000030a0000000000000000000008'], [276, '08000000000000010001']] as Array<[number, string]>), fc.uint8Array({ maxLength: 160 }), fc.nat(64), ([linktype, head], tail, extra) => {
        const bytes = Buffer.concat([hex(head), Buffer.from(tail)]);
        const p = decodeBytes(dec, bytes, linktype, bytes.length + extra);
        for (const f of names) values(p, f);
        for (let i = 0; i < p.nLayers; i++) p.reg.dissectors[p.proto[i]!]!.summary?.(p, i);
      }),
      { numRuns: 400 },
    );
  });
});
