import { describe, expect, it } from 'vitest';
import { ipv6MulticastMac, solicitedNodeMulticast } from '../../src/craft/addr.js';
import { ETHERTYPE, IPPROTO } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import {
  ICMPV6_MAX_QUOTE,
  icmpv6Echo,
  icmpv6NeighborAdvertisement,
  icmpv6NeighborSolicitation,
  icmpv6PacketTooBig,
} from '../../src/craft/icmpv6.js';
import { ipWith, ipUdp } from '../../src/craft/stack.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const a = 'fd00:100:96:1::2';
const b = 'fd00:100:96:2::3';

describe('icmpv6', () => {
  it('builds echo request/reply with a pseudo-header checksum tshark accepts', () => {
    const ls = dissect(
      [
        ipWith({ src: a, dst: b }, IPPROTO.ICMPV6, (p) => icmpv6Echo({ id: 77, seq: 3 }, Buffer.from('ping6'), p)),
        ipWith({ src: b, dst: a }, IPPROTO.ICMPV6, (p) => icmpv6Echo({ reply: true, id: 77, seq: 3 }, Buffer.from('ping6'), p)),
      ],
      ['icmpv6.type', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number', 'icmpv6.checksum.status'],
      { linktype: RAW },
    );
    expect(ls.map((l) => [one(l, 'icmpv6.type'), Number(one(l, 'icmpv6.echo.identifier')), one(l, 'icmpv6.echo.sequence_number'), one(l, 'icmpv6.checksum.status')])).toEqual([
      ['128', 77, '3', '1'],
      ['129', 77, '3', '1'],
    ]);
  });

  it('reports packet too big with the MTU, quoting no more than fits 1280 bytes', () => {
    const big = ipUdp({ src: a, dst: b, sport: 1000, dport: 2000 }, Buffer.alloc(1400));
    const ptb = ipWith({ src: 'fd00:198:18::fe', dst: a }, IPPROTO.ICMPV6, (p) => icmpv6PacketTooBig({ mtu: 1280 }, big, p));
    expect(ptb.length).toBe(1280);
    const [l] = dissect([ptb], ['icmpv6.type', 'icmpv6.mtu', 'icmpv6.checksum.status', 'ipv6.src', 'udp.dstport'], { linktype: RAW });
    expect(one(l!, 'icmpv6.type')).toBe('2');
    expect(one(l!, 'icmpv6.mtu')).toBe('1280');
    expect(one(l!, 'icmpv6.checksum.status')).toBe('1');
    expect(l!['ipv6.src']).toEqual(['fd00:198:18::fe', a]);
    expect(one(l!, 'udp.dstport')).toBe('2000');
    expect(ICMPV6_MAX_QUOTE).toBe(1232);
  });

  it('builds neighbour solicitation and advertisement with link-layer options', () => {
    const macA = '02:42:ac:11:00:02';
    const macB = '02:42:ac:11:00:03';
    const group = solicitedNodeMulticast(b);
    const ns = ethernet(
      { dst: ipv6MulticastMac(group), src: macA, type: ETHERTYPE.IPV6 },
      ipWith({ src: a, dst: group, ttl: 255 }, IPPROTO.ICMPV6, (p) => icmpv6NeighborSolicitation({ target: b, sourceLinkAddr: macA }, p)),
    );
    const na = ethernet(
      { dst: macA, src: macB, type: ETHERTYPE.IPV6 },
      ipWith({ src: b, dst: a, ttl: 255 }, IPPROTO.ICMPV6, (p) => icmpv6NeighborAdvertisement({ target: b, solicited: true, override: true, targetLinkAddr: macB }, p)),
    );
    const [s, v] = dissect([ns, na], ['icmpv6.type', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address', 'icmpv6.nd.na.flag.r', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o', 'icmpv6.opt.linkaddr', 'icmpv6.checksum.status', 'ipv6.dst', 'eth.dst']);
    expect(one(s!, 'icmpv6.type')).toBe('135');
    expect(one(s!, 'icmpv6.nd.ns.target_address')).toBe(b);
    expect(one(s!, 'icmpv6.opt.linkaddr')).toBe(macA);
    expect(one(s!, 'icmpv6.checksum.status')).toBe('1');
    expect(one(s!, 'ipv6.dst')).toBe('ff02::1:ff00:3');
    expect(one(s!, 'eth.dst')).toBe('33:33:ff:00:00:03');
    expect(one(v!, 'icmpv6.type')).toBe('136');
    expect(one(v!, 'icmpv6.nd.na.target_address')).toBe(b);
    expect([one(v!, 'icmpv6.nd.na.flag.r'), one(v!, 'icmpv6.nd.na.flag.s'), one(v!, 'icmpv6.nd.na.flag.o')]).toEqual(['0', '1', '1']);
    expect(one(v!, 'icmpv6.opt.linkaddr')).toBe(macB);
    expect(one(v!, 'icmpv6.checksum.status')).toBe('1');
  });

  it('writes a wrong checksum on request', () => {
    const [l] = dissect([ipWith({ src: a, dst: b }, IPPROTO.ICMPV6, (p) => icmpv6Echo({ id: 1, seq: 1, checksum: 'bad' }, Buffer.alloc(4), p))], ['icmpv6.checksum.status'], { linktype: RAW });
    expect(one(l!, 'icmpv6.checksum.status')).toBe('0');
  });
});
