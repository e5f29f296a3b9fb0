import { describe, expect, it } from 'vitest';
import { IPPROTO } from '../../src/craft/constants.js';
import { fragmentIpv4, IPV4_OPTION, ipip, ipv4, sixInFour } from '../../src/craft/ipv4.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import { ipUdp } from '../../src/craft/stack.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;

describe('ipv4', () => {
  it('writes every header field where tshark finds it, with a good checksum', () => {
    const p = ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: 253, ttl: 17, id: 0xbeef, tos: 0xb8, df: true }, Buffer.from('payload'));
    const [l] = dissect([p], ['ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.id', 'ip.dsfield', 'ip.flags.df', 'ip.flags.mf', 'ip.len', 'ip.hdr_len', 'ip.checksum.status'], { linktype: RAW });
    expect(one(l!, 'ip.src')).toBe('198.18.0.1');
    expect(one(l!, 'ip.dst')).toBe('198.18.0.2');
    expect(one(l!, 'ip.proto')).toBe('253');
    expect(one(l!, 'ip.ttl')).toBe('17');
    expect(one(l!, 'ip.id')).toBe('0xbeef');
    expect(one(l!, 'ip.dsfield')).toBe('0xb8');
    expect(one(l!, 'ip.flags.df')).toBe('1');
    expect(one(l!, 'ip.flags.mf')).toBe('0');
    expect(one(l!, 'ip.len')).toBe(String(20 + 7));
    expect(one(l!, 'ip.hdr_len')).toBe('20');
    expect(one(l!, 'ip.checksum.status')).toBe('1');
  });

  it('pads options to a 4-byte boundary and keeps the checksum right', () => {
    const p = ipv4(
      { src: '198.18.0.1', dst: '224.0.0.22', proto: 2, ttl: 1, options: [{ type: IPV4_OPTION.ROUTER_ALERT, data: Buffer.alloc(2) }, { type: IPV4_OPTION.NOP }] },
      Buffer.alloc(8),
    );
    const [l] = dissect([p], ['ip.hdr_len', 'ip.opt.ra', 'ip.checksum.status'], { linktype: RAW });
    expect(one(l!, 'ip.hdr_len')).toBe('28');
    expect(one(l!, 'ip.opt.ra')).toBe('0');
    expect(one(l!, 'ip.checksum.status')).toBe('1');
  });

  it('writes a checksum tshark rejects when asked for a bad one', () => {
    const p = ipv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: 253, checksum: 'bad' }, Buffer.alloc(4));
    const [l] = dissect([p], ['ip.checksum.status'], { linktype: RAW });
    expect(one(l!, 'ip.checksum.status')).toBe('0');
  });

  it('writes fragment offset and MF so that tshark reassembles the datagram', () => {
    const data = Buffer.alloc(3000, 0x5a);
    const frags = fragmentIpv4({ src: '198.18.0.1', dst: '198.18.0.2', proto: IPPROTO.UDP, id: 4242 }, ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 9 }, data).subarray(20), 1500);
    expect(frags).toHaveLength(3);
    const ls = dissect(frags, ['ip.frag_offset', 'ip.flags.mf', 'ip.id', 'ip.reassembled.length', 'udp.checksum.status'], { linktype: RAW });
    expect(ls.map((l) => one(l, 'ip.flags.mf'))).toEqual(['1', '1', '0']);
    // tshark 4.0 shows the field in its 8-byte units.
    expect(ls.map((l) => Number(one(l, 'ip.frag_offset')) * 8)).toEqual([0, 1480, 2960]);
    expect(one(ls[2]!, 'ip.reassembled.length')).toBe(String(3008));
    expect(one(ls[2]!, 'udp.checksum.status')).toBe('1');
  });

  it('refuses fragment offsets that are not multiples of 8', () => {
    expect(() => ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, fragOffset: 12 }, Buffer.alloc(0))).toThrow();
  });

  it('wraps IPv4 in IPv4 (protocol 4) and IPv6 in IPv4 (protocol 41)', () => {
    const innerV4 = ipv4({ src: '100.96.1.5', dst: '100.96.2.7', proto: 253 }, Buffer.alloc(0));
    const innerV6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', next: 59 }, Buffer.alloc(0));
    const [a, b] = dissect(
      [ipip({ src: '198.18.0.1', dst: '198.18.0.2' }, innerV4), sixInFour({ src: '198.18.0.1', dst: '198.18.0.2' }, innerV6)],
      ['ip.proto', 'ip.src', 'ipv6.dst'],
      { linktype: RAW },
    );
    expect(a!['ip.proto']).toEqual(['4', '253']);
    expect(a!['ip.src']).toEqual(['198.18.0.1', '100.96.1.5']);
    expect(b!['ip.proto']).toEqual(['41']);
    expect(one(b!, 'ipv6.dst')).toBe('fd00::2');
  });
});
