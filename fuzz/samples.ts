/**
 * Well-formed packets of every protocol netdiag dissects, built with the craft library:
 * the seeds the property tests truncate and mutate, and the fuzzer starts from. Each
 * sample says which protocol it is for, so a test can prove every registered protocol
 * has at least one.
 */
import {
  arp,
  bgpKeepalive,
  bgpNotification,
  bgpOpen,
  bgpRouteRefresh,
  bgpUpdate,
  BSD_AF,
  ETHERTYPE,
  ethernet,
  geneve,
  gre,
  icmpEcho,
  icmpFragNeeded,
  icmpTimeExceeded,
  icmpv6Echo,
  icmpv6NeighborAdvertisement,
  icmpv6NeighborSolicitation,
  icmpv6PacketTooBig,
  ipip,
  IPPROTO,
  ipPacket,
  ipTcp,
  ipUdp,
  ipv4,
  ipv6,
  ipWith,
  loop,
  nullLoopback,
  sixInFour,
  sll,
  sll2,
  ARPHRD,
  vxlan,
  vxlanGpe,
  type TcpOption,
} from '../src/craft/index.js';

export interface Sample {
  name: string;
  /** The protocol this sample is there to exercise (a registry name). */
  proto: string;
  linktype: number;
  bytes: Buffer;
}

const MAC_A = '52:54:00:c6:12:01';
const MAC_B = '52:54:00:c6:12:02';
const V4_A = '198.18.0.1';
const V4_B = '198.18.0.2';
const V6_A = 'fd00:198:18::1';
const V6_B = 'fd00:198:18::2';

const eth = (type: number, payload: Buffer, vlans?: Array<{ vid: number; tpid?: number }>): Buffer =>
  ethernet({ src: MAC_A, dst: MAC_B, type, ...(vlans ? { vlans } : {}) }, payload);

const TCP_OPTS: TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', tsval: 123456, tsecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];

export const tcpSyn = (src = V4_A, dst = V4_B, sport = 43210, dport = 80): Buffer =>
  ipTcp({ src, dst, sport, dport, seq: 1000, flags: 'S', window: 64240, options: TCP_OPTS });

const tcpData = (payload: Buffer, dport = 80, src = V4_A, dst = V4_B): Buffer =>
  ipTcp({ src, dst, sport: 43210, dport, seq: 1001, ack: 5001, flags: 'P.', window: 502, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: 1, tsecr: 2 }, { kind: 'sack', blocks: [[10, 20]] }] }, payload);

const udpDns = (src = V4_A, dst = V4_B): Buffer => ipUdp({ src, dst, sport: 53000, dport: 53 }, Buffer.from('12340100000100000000000003777777076578616d706c6503636f6d0000010001', 'hex'));

/** A Cease / Administrative Shutdown NOTIFICATION carrying a shutdown communication (RFC 9003). */
export function bgpShutdown(text: string | Buffer): Buffer {
  const msg = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return bgpNotification({ code: 6, subcode: 2, data: Buffer.concat([Buffer.from([msg.length]), msg]) });
}

export const bgpMessages = (): Buffer[] => [
  bgpOpen({
    asn: 4200000001,
    holdTime: 90,
    bgpId: '198.18.0.1',
    capabilities: [
      { code: 'multiprotocol', afi: 1, safi: 1 },
      { code: 'multiprotocol', afi: 2, safi: 1 },
      { code: 'route-refresh' },
      { code: 'as4', asn: 4200000001 },
      { code: 'add-path', entries: [{ afi: 1, safi: 1, sendReceive: 3 }] },
      { code: 73, data: Buffer.from('\x05node1\x00', 'latin1') },
    ],
  }),
  bgpKeepalive(),
  bgpUpdate({
    withdrawn: ['100.96.9.0/24'],
    attributes: [
      { type: 'origin', value: 'igp' },
      { type: 'as-path', segments: [{ kind: 'sequence', asns: [64512, 4200000001] }, { kind: 'set', asns: [1, 2] }] },
      { type: 'next-hop', addr: V4_A },
      { type: 'med', value: 10 },
      { type: 'local-pref', value: 100 },
      { type: 'communities', values: ['65000:100', 0xffffff01] },
      { type: 'mp-reach', afi: 2, safi: 1, nextHops: [V6_A, 'fe80::1'], nlri: ['fd00:100:96:1::/64'] },
      { type: 'mp-unreach', afi: 2, safi: 1, withdrawn: ['fd00:100:96:9::/64'] },
      { type: 32, flags: 0xc0, data: Buffer.from('0000fde800000001000000020000fde8000000030000000400000005', 'hex') },
    ],
    nlri: ['100.96.1.0/24', '100.96.1.128/26'],
  }),
  bgpNotification({ code: 2, subcode: 2, data: Buffer.from([0xfd, 0xe8]) }),
  bgpShutdown('maintenance: node drained'),
  bgpRouteRefresh({ afi: 1, safi: 1 }),
];

function wg(type: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let k = 4; k < len; k++) b[k] = (k * 37 + type) & 0xff;
  b[0] = type;
  return b;
}

const ipv6Udp = (): Buffer => ipUdp({ src: V6_A, dst: V6_B, sport: 546, dport: 547 }, Buffer.from('0123456789', 'ascii'));

function samples(): Sample[] {
  const out: Sample[] = [];
  const add = (name: string, proto: string, linktype: number, bytes: Buffer) => out.push({ name, proto, linktype, bytes });
  const innerFrame = ethernet({ src: '0a:58:64:60:01:05', dst: '0a:58:64:60:02:07', type: ETHERTYPE.IPV4 }, tcpSyn('100.96.1.5', '100.96.2.7'));

  // Link layers.
  add('eth ip tcp syn', 'eth', 1, eth(ETHERTYPE.IPV4, tcpSyn()));
  add('eth 802.3 llc', 'llc', 1, Buffer.concat([Buffer.from('0180c200000052540000c612010026424203000000', 'hex'), Buffer.alloc(35, 0x11)]));
  add('sll ip udp', 'sll', 113, sll({ packetType: 'host', protocol: ETHERTYPE.IPV4, addr: MAC_A }, udpDns()));
  add('sll tunnel ip', 'sll', 113, sll({ packetType: 'outgoing', protocol: ETHERTYPE.IPV4, hatype: ARPHRD.TUNNEL }, tcpSyn()));
  add('sll2 ip tcp', 'sll', 276, sll2({ packetType: 'host', protocol: ETHERTYPE.IPV4, addr: MAC_A, ifindex: 7 }, tcpSyn()));
  add('sll2 ipv6', 'sll', 276, sll2({ packetType: 'outgoing', protocol: ETHERTYPE.IPV6, addr: MAC_A, ifindex: 2 }, ipv6Udp()));
  add('null le ip', 'null', 0, nullLoopback({ af: BSD_AF.INET }, tcpSyn('127.0.0.1', '127.0.0.1')));
  add('null be ipv6', 'null', 0, nullLoopback({ af: BSD_AF.INET6_FREEBSD, byteOrder: 'be' }, ipv6Udp()));
  add('loop ipv6', 'null', 108, loop({ af: BSD_AF.INET6_NETBSD_OPENBSD }, ipv6Udp()));
  add('raw 101 ip', 'raw', 101, tcpSyn());
  add('raw 12 ipv6', 'raw', 12, ipv6Udp());
  add('raw 14 ip', 'raw', 14, udpDns());
  add('linktype ipv4', 'ip', 228, udpDns());
  add('linktype ipv6', 'ipv6', 229, ipv6Udp());
  add('vlan ip icmp', 'vlan', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.ICMP, icmpEcho({ id: 7, seq: 1 }, Buffer.alloc(16, 0x61))), [{ vid: 100 }]));
  add('qinq ip', 'ieee8021ad', 1, eth(ETHERTYPE.IPV4, udpDns(), [{ vid: 300 }, { vid: 100 }]));

  // Network layers.
  add('arp request', 'arp', 1, ethernet({ src: MAC_A, dst: 'ff:ff:ff:ff:ff:ff', type: ETHERTYPE.ARP, pad: true }, arp({ op: 'request', senderMac: MAC_A, senderIp: V4_A, targetIp: V4_B })));
  add('arp reply', 'arp', 1, eth(ETHERTYPE.ARP, arp({ op: 'reply', senderMac: MAC_B, senderIp: V4_B, targetMac: MAC_A, targetIp: V4_A })));
  add(
    'ip options udp',
    'ip',
    1,
    eth(ETHERTYPE.IPV4, ipv4({ src: V4_A, dst: V4_B, proto: IPPROTO.UDP, options: [{ type: 148, data: Buffer.from([0, 0]) }, { type: 7, data: Buffer.alloc(9) }, { type: 1 }] }, Buffer.from('d2f00035000c000061626364', 'hex'))),
  );
  add('ip fragment', 'ip', 1, eth(ETHERTYPE.IPV4, ipv4({ src: V4_A, dst: V4_B, proto: IPPROTO.UDP, mf: true, id: 9 }, Buffer.alloc(64, 0x41))));
  add(
    'ipv6 ext headers udp',
    'ipv6',
    1,
    eth(
      ETHERTYPE.IPV6,
      ipv6(
        {
          src: V6_A,
          dst: V6_B,
          next: IPPROTO.UDP,
          ext: [
            { type: 'hop-by-hop', options: Buffer.from([5, 2, 0, 0]) },
            { type: 'destination', options: Buffer.from([1, 2, 0, 0]) },
            { type: 'routing', routingType: 4, segmentsLeft: 1, data: Buffer.alloc(20) },
            { type: 'fragment', offset: 0, more: false, id: 77 },
          ],
        },
        Buffer.from('d2f00035000c000061626364', 'hex'),
      ),
    ),
  );
  add('ipv6 tcp', 'ipv6', 1, eth(ETHERTYPE.IPV6, tcpData(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 80, V6_A, V6_B)));

  // Transport and ICMP.
  add('tcp data', 'tcp', 1, eth(ETHERTYPE.IPV4, tcpData(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))));
  add('udp dns', 'udp', 1, eth(ETHERTYPE.IPV4, udpDns()));
  add('icmp echo', 'icmp', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.ICMP, icmpEcho({ id: 0x1234, seq: 3 }, Buffer.alloc(56, 0x20)))));
  const vxOuter = ipUdp({ src: V4_A, dst: V4_B, sport: 40000, dport: 8472, checksum: 'zero' }, vxlan({ vni: 1 }, Buffer.alloc(1436, 0x55)));
  add('icmp frag needed', 'icmp', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: '198.18.0.254', dst: V4_A }, IPPROTO.ICMP, icmpFragNeeded(1400, ipv4({ src: V4_A, dst: V4_B, proto: IPPROTO.UDP, df: true }, vxOuter.subarray(20))))));
  add('icmp time exceeded', 'icmp', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: '198.18.0.254', dst: V4_A }, IPPROTO.ICMP, icmpTimeExceeded({}, tcpSyn()))));
  add('icmpv6 echo', 'icmpv6', 1, eth(ETHERTYPE.IPV6, ipWith({ src: V6_A, dst: V6_B }, IPPROTO.ICMPV6, (ph) => icmpv6Echo({ id: 1, seq: 2 }, Buffer.alloc(8, 1), ph))));
  add('icmpv6 ns', 'icmpv6', 1, eth(ETHERTYPE.IPV6, ipWith({ src: V6_A, dst: 'ff02::1:ff00:2', ttl: 255 }, IPPROTO.ICMPV6, (ph) => icmpv6NeighborSolicitation({ target: V6_B, sourceLinkAddr: MAC_A }, ph))));
  add('icmpv6 na', 'icmpv6', 1, eth(ETHERTYPE.IPV6, ipWith({ src: V6_B, dst: V6_A, ttl: 255 }, IPPROTO.ICMPV6, (ph) => icmpv6NeighborAdvertisement({ target: V6_B, solicited: true, override: true, targetLinkAddr: MAC_B }, ph))));
  add(
    'icmpv6 packet too big',
    'icmpv6',
    1,
    eth(ETHERTYPE.IPV6, ipWith({ src: 'fd00:198:18::fe', dst: V6_A }, IPPROTO.ICMPV6, (ph) => icmpv6PacketTooBig({ mtu: 1280 }, tcpData(Buffer.alloc(1300, 0x62), 80, V6_A, V6_B), ph))),
  );

  // Encapsulations.
  add('vxlan 4789', 'vxlan', 1, eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 40001, dport: 4789, checksum: 'zero' }, vxlan({ vni: 4096 }, innerFrame))));
  add('vxlan 8472', 'vxlan', 1, eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 40002, dport: 8472, checksum: 'zero' }, vxlan({ vni: 1 }, innerFrame))));
  add('vxlan-gpe ipv4', 'vxlan_gpe', 1, eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 40003, dport: 4790, checksum: 'zero' }, vxlanGpe({ vni: 7, next: 'ipv4' }, tcpSyn('100.96.1.5', '100.96.2.7')))));
  add('vxlan-gpe ethernet', 'vxlan_gpe', 1, eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 40003, dport: 4790, checksum: 'zero' }, vxlanGpe({ vni: 8, next: 'ethernet' }, innerFrame))));
  add(
    'geneve options',
    'geneve',
    1,
    eth(
      ETHERTYPE.IPV4,
      ipUdp(
        { src: V4_A, dst: V4_B, sport: 40004, dport: 6081, checksum: 'zero' },
        geneve({ vni: 0x123456, options: [{ optClass: 0x0102, type: 0x80, critical: true, data: Buffer.alloc(4, 1) }, { optClass: 0xffff, type: 3, data: Buffer.alloc(8, 2) }] }, innerFrame),
      ),
    ),
  );
  add('geneve ipv4', 'geneve', 1, eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 40005, dport: 6081, checksum: 'zero' }, geneve({ vni: 5, protocol: ETHERTYPE.IPV4 }, tcpSyn('100.96.1.5', '100.96.2.7')))));
  add('gre key seq csum ip', 'gre', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.GRE, gre({ protocol: ETHERTYPE.IPV4, checksum: true, key: 0x10203040, sequence: 5 }, tcpSyn('100.96.1.5', '100.96.2.7')))));
  add('gretap', 'gre', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.GRE, gre({ protocol: ETHERTYPE.TEB, key: 9 }, innerFrame))));
  add('gre ipv6', 'gre', 1, eth(ETHERTYPE.IPV6, ipPacket({ src: V6_A, dst: V6_B }, IPPROTO.GRE, gre({ protocol: ETHERTYPE.IPV6 }, ipv6Udp()))));
  // ERSPAN in GRE: type I (no sequence number, no header), type II and type III.
  const erspanII = Buffer.concat([Buffer.from('100a0007000000 2a'.replace(/ /g, ''), 'hex'), innerFrame]);
  const erspanIII = Buffer.concat([Buffer.from('200a0007' + '0001e240' + '0000' + '0008', 'hex'), innerFrame]);
  add('erspan type i', 'erspan', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.GRE, gre({ protocol: 0x88be }, innerFrame))));
  add('erspan type ii', 'erspan', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.GRE, gre({ protocol: 0x88be, sequence: 7 }, erspanII))));
  add('erspan type iii', 'erspan', 1, eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.GRE, gre({ protocol: 0x22eb, sequence: 8 }, erspanIII))));
  add('flannel udp', 'flannel', 1, eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 8285, dport: 8285 }, tcpSyn('100.96.1.5', '100.96.2.7'))));
  add('ipip', 'ip', 1, eth(ETHERTYPE.IPV4, ipip({ src: V4_A, dst: V4_B }, tcpSyn('100.96.1.5', '100.96.2.7'))));
  add('6in4', 'ipv6', 1, eth(ETHERTYPE.IPV4, sixInFour({ src: V4_A, dst: V4_B }, ipv6Udp())));
  add('ipv4 in ipv6', 'ipv6', 229, ipv6({ src: V6_A, dst: V6_B, next: IPPROTO.IPIP }, tcpSyn()));
  add('ipv6 in ipv6', 'ipv6', 229, ipv6({ src: V6_A, dst: V6_B, next: IPPROTO.IPV6 }, ipv6Udp()));

  // WireGuard: the four message types at their exact lengths.
  const wgUdp = (m: Buffer) => eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 51820, dport: 51820 }, m));
  add('wireguard initiation', 'wg', 1, wgUdp(wg(1, 148)));
  add('wireguard response', 'wg', 1, wgUdp(wg(2, 92)));
  add('wireguard cookie', 'wg', 1, wgUdp(wg(3, 64)));
  add('wireguard transport', 'wg', 1, wgUdp(wg(4, 64)));

  // BGP: each message type alone, then all of them in one segment.
  const msgs = bgpMessages();
  msgs.forEach((m, k) => add(`bgp message ${k}`, 'bgp', 1, eth(ETHERTYPE.IPV4, tcpData(m, 179))));
  add('bgp all in one segment', 'bgp', 1, eth(ETHERTYPE.IPV4, tcpData(Buffer.concat(msgs), 179)));
  add('bgp over ipv6', 'bgp', 1, eth(ETHERTYPE.IPV6, tcpData(Buffer.concat(msgs.slice(0, 3)), 179, V6_A, V6_B)));
  return out;
}

let cached: Sample[] | null = null;

/** The catalogue (built once). */
export function packetSamples(): readonly Sample[] {
  cached ??= samples();
  return cached;
}

/** Registry dispatch keys as the lower layers that lead to them, so payloads reach each dissector. */
export function carrier(table: string, key: number, payload: Buffer): { linktype: number; bytes: Buffer } | null {
  switch (table) {
    case 'linktype':
      return { linktype: key, bytes: payload };
    case 'ethertype':
      return { linktype: 1, bytes: eth(key, payload) };
    case 'ip.proto':
      return { linktype: 1, bytes: eth(ETHERTYPE.IPV4, ipv4({ src: V4_A, dst: V4_B, proto: key }, payload)) };
    case 'udp.port':
      return { linktype: 1, bytes: eth(ETHERTYPE.IPV4, ipUdp({ src: V4_A, dst: V4_B, sport: 50000, dport: key, checksum: 'zero' }, payload)) };
    case 'tcp.port':
      return { linktype: 1, bytes: eth(ETHERTYPE.IPV4, ipTcp({ src: V4_A, dst: V4_B, sport: 50000, dport: key, seq: 1, ack: 1, flags: 'P.' }, payload)) };
    case 'gre.proto':
      return { linktype: 1, bytes: eth(ETHERTYPE.IPV4, ipPacket({ src: V4_A, dst: V4_B }, IPPROTO.GRE, gre({ protocol: key }, payload))) };
    default:
      return null;
  }
}
