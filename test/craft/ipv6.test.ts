import { describe, expect, it } from 'vitest';
import { IPPROTO } from '../../src/craft/constants.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import { udp } from '../../src/craft/udp.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const src = 'fd00:100:96:1::5';
const dst = 'fd00:100:96:2::7';

describe('ipv6', () => {
  it('writes the fixed header as tshark reads it', () => {
    const p = ipv6({ src, dst, next: 59, hopLimit: 9, trafficClass: 0xb8, flowLabel: 0xabcde }, Buffer.alloc(3));
    const [l] = dissect([p], ['ipv6.src', 'ipv6.dst', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.tclass', 'ipv6.flow', 'ipv6.plen'], { linktype: RAW });
    expect(one(l!, 'ipv6.src')).toBe(src);
    expect(one(l!, 'ipv6.dst')).toBe(dst);
    expect(one(l!, 'ipv6.nxt')).toBe('59');
    expect(one(l!, 'ipv6.hlim')).toBe('9');
    expect(Number(one(l!, 'ipv6.tclass'))).toBe(0xb8);
    expect(Number(one(l!, 'ipv6.flow'))).toBe(0xabcde);
    expect(one(l!, 'ipv6.plen')).toBe('3');
  });

  it('chains extension headers and keeps the upper-layer checksum right', () => {
    const payload = Buffer.from('through three extension headers');
    const u = udp({ sport: 5000, dport: 5001 }, payload, { src, dst });
    const p = ipv6(
      {
        src,
        dst,
        next: IPPROTO.UDP,
        ext: [
          { type: 'hop-by-hop', options: Buffer.from([5, 2, 0, 0]) }, // router alert
          { type: 'destination' },
          { type: 'routing', routingType: 0, segmentsLeft: 0, data: Buffer.alloc(4) },
        ],
      },
      u,
    );
    const [l] = dissect([p], ['ipv6.nxt', 'ipv6.hopopts.nxt', 'ipv6.dstopts.nxt', 'ipv6.routing.nxt', 'ipv6.plen', 'udp.dstport', 'udp.checksum.status'], { linktype: RAW });
    expect(one(l!, 'ipv6.nxt')).toBe('0');
    expect(one(l!, 'ipv6.hopopts.nxt')).toBe('60');
    expect(one(l!, 'ipv6.dstopts.nxt')).toBe('43');
    expect(one(l!, 'ipv6.routing.nxt')).toBe('17');
    expect(one(l!, 'ipv6.plen')).toBe(String(8 + 8 + 8 + u.length));
    expect(one(l!, 'udp.dstport')).toBe('5001');
    expect(one(l!, 'udp.checksum.status')).toBe('1');
  });

  it('writes fragment headers that tshark reassembles', () => {
    const u = udp({ sport: 5000, dport: 5001 }, Buffer.alloc(2000, 7), { src, dst });
    const cut = 1232;
    const frags = [
      ipv6({ src, dst, next: IPPROTO.UDP, ext: [{ type: 'fragment', offset: 0, more: true, id: 0xdeadbeef }] }, u.subarray(0, cut)),
      ipv6({ src, dst, next: IPPROTO.UDP, ext: [{ type: 'fragment', offset: cut, more: false, id: 0xdeadbeef }] }, u.subarray(cut)),
    ];
    const ls = dissect(frags, ['ipv6.fraghdr.offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.ident', 'ipv6.reassembled.length', 'udp.checksum.status'], { linktype: RAW });
    expect(ls.map((l) => one(l, 'ipv6.fraghdr.more'))).toEqual(['1', '0']);
    expect(one(ls[0]!, 'ipv6.fraghdr.ident')).toBe('0xdeadbeef');
    expect(one(ls[1]!, 'ipv6.fraghdr.offset')).toBe(String(cut / 8));
    expect(one(ls[1]!, 'ipv6.reassembled.length')).toBe(String(u.length));
    expect(one(ls[1]!, 'udp.checksum.status')).toBe('1');
  });
});
