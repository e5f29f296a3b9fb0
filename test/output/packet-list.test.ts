import { describe, expect, it } from 'vitest';
import { arp, ethernet, ETHERTYPE, ipUdp, ipv4, IPPROTO, ipTcp } from '../../src/craft/index.js';
import { PacketLister } from '../../src/output/packet-list.js';
import { decodeBytes, makeDecoder } from '../helpers/decode.js';
import { tshark, udpPacket, vxlanSyn, writePcap } from '../commands/harness.js';

/** tshark's Source, Destination, Protocol and Length columns for each packet of a file. */
function tsharkColumns(path: string, extra: string[] = []): string[][] {
  return tshark(['-n', '-r', path, ...extra, '-T', 'fields', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', '_ws.col.Protocol', '-e', 'frame.len'])
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'));
}

describe('packet list line', () => {
  it('shows a VXLAN-encapsulated SYN with its outer path and the inner flow', () => {
    const dec = makeDecoder();
    const bytes = vxlanSyn({ vni: 1 });
    const p = decodeBytes(dec, bytes);
    const lister = new PacketLister(dec.reg);
    const c = lister.columns(p);
    expect(c.info.startsWith('VXLAN vni 1 198.18.0.1→198.18.0.2 | TCP 100.96.1.2:43210 → 100.96.2.3:80 [SYN]')).toBe(true);
    // Source, destination, protocol and length are tshark's columns: the innermost packet.
    const [src, dst, proto, len] = tsharkColumns(writePcap([{ data: bytes }]), ['-d', 'udp.port==8472,vxlan'])[0]!;
    expect([c.source, c.destination, c.protocol, String(c.length)]).toEqual([src, dst, proto, len]);
    const line = lister.line(p);
    expect(line).toMatch(/^ {4}1 {3}0\.000000 100\.96\.1\.2 → 100\.96\.2\.3 TCP \d+ VXLAN vni 1 /);
  });

  it('shows a plain datagram without encapsulation and with tshark columns', () => {
    const dec = makeDecoder();
    const bytes = udpPacket(Buffer.from('hello'), { sport: 40000, dport: 9999 });
    const p = decodeBytes(dec, bytes);
    const c = new PacketLister(dec.reg).columns(p);
    expect(c.info).not.toContain('|');
    expect(c.info).toContain('40000');
    expect(c.info).toContain('9999');
    const [src, dst, proto, len] = tsharkColumns(writePcap([{ data: bytes }]))[0]!;
    expect([c.source, c.destination, c.protocol, String(c.length)]).toEqual([src, dst, proto, len]);
  });

  it('names IP-in-IP encapsulation and shows the outer addresses', () => {
    const dec = makeDecoder();
    const inner = ipUdp({ src: '100.96.1.2', dst: '100.96.2.3', sport: 5000, dport: 53 }, Buffer.from('q'));
    const bytes = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 }, ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: IPPROTO.IPIP }, inner));
    const p = decodeBytes(dec, bytes);
    const c = new PacketLister(dec.reg).columns(p);
    expect(c.info.startsWith('IPIP 198.18.0.1→198.18.0.2 | UDP 100.96.1.2:5000 → 100.96.2.3:53')).toBe(true);
    expect([c.source, c.destination]).toEqual(['100.96.1.2', '100.96.2.3']);
  });

  it('falls back to link-layer addresses when there is no network layer (ARP)', () => {
    const dec = makeDecoder();
    const bytes = ethernet(
      { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', type: ETHERTYPE.ARP },
      arp({ op: 'request', senderMac: '02:00:00:00:00:01', senderIp: '198.18.0.1', targetMac: '00:00:00:00:00:00', targetIp: '198.18.0.2' }),
    );
    const p = decodeBytes(dec, bytes);
    const c = new PacketLister(dec.reg).columns(p);
    expect([c.source, c.destination]).toEqual(['02:00:00:00:00:01', 'ff:ff:ff:ff:ff:ff']);
    expect(c.protocol).toBe('ARP');
  });

  it('uses the relative time of the capture and the wire length', () => {
    const dec = makeDecoder();
    const bytes = udpPacket(Buffer.from('x'));
    const rec1 = decodeBytes(dec, bytes);
    const l = new PacketLister(dec.reg);
    expect(l.columns(rec1).time).toBe('0.000000');
    const p = decodeBytes(dec, bytes, 1, 1514);
    expect(l.columns(p).length).toBe(1514);
  });

  it('prefixes the capture name when asked', () => {
    const dec = makeDecoder();
    const p = decodeBytes(dec, udpPacket(Buffer.from('x')));
    expect(new PacketLister(dec.reg).line(p, 'node-a.pcap').startsWith('node-a.pcap     1 ')).toBe(true);
  });

  it('keeps quoted headers of an ICMP error out of the columns', () => {
    const dec = makeDecoder();
    const quoted = ipTcp({ src: '100.96.1.2', dst: '100.96.2.3', sport: 43210, dport: 80, seq: 1, flags: 'S' }).subarray(0, 28);
    const icmp = Buffer.alloc(8 + quoted.length);
    icmp[0] = 3;
    icmp[1] = 4;
    icmp.writeUInt16BE(1400, 6);
    quoted.copy(icmp, 8);
    const bytes = ethernet({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02', type: ETHERTYPE.IPV4 }, ipv4({ src: '198.18.0.9', dst: '100.96.1.2', proto: IPPROTO.ICMP }, icmp));
    const p = decodeBytes(dec, bytes);
    const c = new PacketLister(dec.reg).columns(p);
    const [src, dst, proto] = tsharkColumns(writePcap([{ data: bytes }]))[0]!;
    expect([c.source, c.destination, c.protocol]).toEqual([src, dst, proto]);
  });
});
