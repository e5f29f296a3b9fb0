import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { icmpEcho, icmpFragNeeded, icmpTimeExceeded, icmpUnreachable, quoteIpv4 } from '../../src/craft/icmp.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipUdp } from '../../src/craft/stack.js';
import { vxlan } from '../../src/craft/vxlan.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const icmpFrom = (src: string, dst: string, body: Buffer): Buffer => ipv4({ src, dst, proto: IPPROTO.ICMP }, body);

describe('icmp', () => {
  it('builds echo request and reply that tshark pairs up', () => {
    const data = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef');
    const ls = dissect(
      [
        icmpFrom('100.96.1.2', '100.96.2.3', icmpEcho({ id: 0x1234, seq: 7 }, data)),
        icmpFrom('100.96.2.3', '100.96.1.2', icmpEcho({ reply: true, id: 0x1234, seq: 7 }, data)),
      ],
      ['icmp.type', 'icmp.ident', 'icmp.seq', 'icmp.checksum.status', 'icmp.resp_in', 'icmp.resp_to'],
      { linktype: RAW },
    );
    expect(ls.map((l) => one(l, 'icmp.type'))).toEqual(['8', '0']);
    expect(ls.map((l) => Number(one(l, 'icmp.ident')))).toEqual([0x1234, 0x1234]);
    expect(ls.map((l) => one(l, 'icmp.seq'))).toEqual(['7', '7']);
    expect(ls.map((l) => one(l, 'icmp.checksum.status'))).toEqual(['1', '1']);
    expect(one(ls[1]!, 'icmp.resp_to')).toBe('1');
  });

  it('quotes the IP header and 8 bytes, including IP options', () => {
    const withOpts = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, options: Buffer.from([1, 1, 1, 1]) }, Buffer.alloc(100));
    expect(quoteIpv4(withOpts)).toHaveLength(24 + 8);
  });

  it('reports fragmentation needed with the next-hop MTU, quoting a VXLAN packet', () => {
    const inner = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 }, ipv4({ src: '100.96.1.2', dst: '100.96.2.3', proto: 59 }, Buffer.alloc(1430)));
    const outer = ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 51000, dport: 4789, df: true, checksum: 'zero' }, vxlan({ vni: 1 }, inner));
    expect(outer.length).toBe(1500);
    const err = icmpFrom('198.18.0.254', '198.18.0.1', icmpFragNeeded(1450, outer));
    const [l] = dissect([err], ['icmp.type', 'icmp.code', 'icmp.mtu', 'icmp.checksum.status', 'ip.src', 'udp.dstport', 'udp.length', 'ip.len'], { linktype: RAW });
    expect(one(l!, 'icmp.type')).toBe('3');
    expect(one(l!, 'icmp.code')).toBe('4');
    expect(one(l!, 'icmp.mtu')).toBe('1450');
    expect(one(l!, 'icmp.checksum.status')).toBe('1');
    expect(l!['ip.src']).toEqual(['198.18.0.254', '198.18.0.1']);
    expect(l!['ip.len']).toEqual([String(20 + 8 + 28), '1500']);
    expect(one(l!, 'udp.dstport')).toBe('4789');
    expect(one(l!, 'udp.length')).toBe('1480');
  });

  it('builds time exceeded and port unreachable around the quoted datagram', () => {
    const probe = ipUdp({ src: '198.18.0.1', dst: '198.18.0.9', ttl: 1, sport: 40000, dport: 33434 }, Buffer.alloc(32));
    const ls = dissect(
      [icmpFrom('198.18.0.254', '198.18.0.1', icmpTimeExceeded({}, probe)), icmpFrom('198.18.0.9', '198.18.0.1', icmpUnreachable({ code: 3 }, probe))],
      ['icmp.type', 'icmp.code', 'icmp.checksum.status', 'udp.dstport'],
      { linktype: RAW },
    );
    expect(ls.map((l) => [one(l, 'icmp.type'), one(l, 'icmp.code'), one(l, 'icmp.checksum.status'), one(l, 'udp.dstport')])).toEqual([
      ['11', '0', '1', '33434'],
      ['3', '3', '1', '33434'],
    ]);
  });

  it('writes a wrong checksum on request', () => {
    const [l] = dissect([icmpFrom('1.1.1.1', '2.2.2.2', icmpEcho({ id: 1, seq: 1, checksum: 'bad' }, Buffer.alloc(8)))], ['icmp.checksum.status'], { linktype: RAW });
    expect(one(l!, 'icmp.checksum.status')).toBe('0');
  });
});
