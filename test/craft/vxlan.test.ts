import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipv6 } from '../../src/craft/ipv6.js';
import { ipUdp } from '../../src/craft/stack.js';
import { vxlan, vxlanGpe } from '../../src/craft/vxlan.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const innerIp = ipv4({ src: '100.96.1.2', dst: '100.96.2.3', proto: IPPROTO.ICMP }, Buffer.alloc(8));
const innerFrame = ethernet({ dst: '0e:7a:52:11:22:02', src: '0e:7a:52:11:22:01', type: ETHERTYPE.IPV4 }, innerIp);
const outer = (dport: number, payload: Buffer): Buffer => ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 50123, dport, checksum: 'zero' }, payload);

describe('vxlan', () => {
  it('carries the VNI and I flag, and the inner frame after the 8-byte header', () => {
    const [l] = dissect([outer(4789, vxlan({ vni: 0xabcdef }, innerFrame))], ['vxlan.vni', 'vxlan.flag_i', 'eth.src', 'ip.dst'], { linktype: RAW });
    expect(one(l!, 'vxlan.vni')).toBe(String(0xabcdef));
    expect(one(l!, 'vxlan.flag_i')).toBe('1');
    expect(one(l!, 'eth.src')).toBe('0e:7a:52:11:22:01');
    expect(l!['ip.dst']).toEqual(['198.18.0.2', '100.96.2.3']);
  });

  it('decodes on flannel port 8472 when told to', () => {
    const [l] = dissect([outer(8472, vxlan({ vni: 1 }, innerFrame))], ['vxlan.vni'], { linktype: RAW, args: ['-d', 'udp.port==8472,vxlan'] });
    expect(one(l!, 'vxlan.vni')).toBe('1');
  });

  it('refuses VNIs over 24 bits', () => {
    expect(() => vxlan({ vni: 1 << 24 }, innerFrame)).toThrow();
  });
});

describe('vxlan-gpe', () => {
  it('names IPv4, IPv6 and Ethernet payloads in the next-protocol field', () => {
    const v6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', next: 59 }, Buffer.alloc(0));
    const ls = dissect(
      [outer(4790, vxlanGpe({ vni: 10, next: 'ipv4' }, innerIp)), outer(4790, vxlanGpe({ vni: 11, next: 'ipv6' }, v6)), outer(4790, vxlanGpe({ vni: 12, next: 'ethernet', oam: true }, innerFrame))],
      ['vxlan.vni', 'vxlan.next_proto', 'vxlan.p_bit', 'vxlan.o_bit', 'ipv6.dst', 'eth.dst'],
      { linktype: RAW },
    );
    expect(ls.map((l) => [one(l, 'vxlan.vni'), one(l, 'vxlan.next_proto'), one(l, 'vxlan.p_bit')])).toEqual([
      ['10', '1', '1'],
      ['11', '2', '1'],
      ['12', '3', '1'],
    ]);
    expect(one(ls[1]!, 'ipv6.dst')).toBe('fd00::2');
    expect(one(ls[2]!, 'vxlan.o_bit')).toBe('1');
    expect(one(ls[2]!, 'eth.dst')).toBe('0e:7a:52:11:22:02');
  });
});
