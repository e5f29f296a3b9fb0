import { describe, expect, it } from 'vitest';
import { ETHERTYPE, IPPROTO } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { geneve } from '../../src/craft/geneve.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { ipUdp } from '../../src/craft/stack.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const innerIp = ipv4({ src: '100.96.1.2', dst: '100.96.2.3', proto: IPPROTO.ICMP }, Buffer.alloc(8));
const frame = ethernet({ dst: '0a:00:00:00:00:02', src: '0a:00:00:00:00:01', type: ETHERTYPE.IPV4 }, innerIp);
const outer = (payload: Buffer): Buffer => ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 40000, dport: 6081 }, payload);

describe('geneve', () => {
  it('writes VNI, protocol type and option TLVs, setting C when an option is critical', () => {
    const g = geneve(
      {
        vni: 0x1234,
        options: [
          { optClass: 0x0102, type: 0x00, critical: true, data: Buffer.from([0, 1, 0, 2]) },
          { optClass: 0xffff, type: 0x11, data: Buffer.alloc(8, 0xaa) },
        ],
      },
      frame,
    );
    const [l] = dissect([outer(g)], ['geneve.vni', 'geneve.proto_type', 'geneve.flags.critical', 'geneve.flags.oam', 'geneve.option.class', 'geneve.option.type', 'geneve.option.type.critical', 'geneve.option.length', 'ip.dst', 'udp.checksum.status'], { linktype: RAW });
    expect(Number(one(l!, 'geneve.vni'))).toBe(0x1234);
    expect(Number(one(l!, 'geneve.proto_type'))).toBe(0x6558);
    expect(one(l!, 'geneve.flags.critical')).toBe('1');
    expect(one(l!, 'geneve.flags.oam')).toBe('0');
    expect(l!['geneve.option.class']!.map(Number)).toEqual([0x0102, 0xffff]);
    expect(l!['geneve.option.type']!.map(Number)).toEqual([0x80, 0x11]);
    expect(l!['geneve.option.type.critical']).toEqual(['1', '0']);
    // tshark reports lengths in bytes: first the header's total options
    // length, then each option's including its 4-byte header.
    expect(l!['geneve.option.length']!.map(Number)).toEqual([20, 8, 12]);
    expect(l!['ip.dst']).toEqual(['198.18.0.2', '100.96.2.3']);
    expect(one(l!, 'udp.checksum.status')).toBe('1');
  });

  it('marks OAM packets and carries a bare IPv4 payload by EtherType', () => {
    const [l] = dissect([outer(geneve({ vni: 7, oam: true, protocol: ETHERTYPE.IPV4 }, innerIp))], ['geneve.flags.oam', 'geneve.flags.critical', 'geneve.proto_type', 'ip.src'], { linktype: RAW });
    expect(one(l!, 'geneve.flags.oam')).toBe('1');
    expect(one(l!, 'geneve.flags.critical')).toBe('0');
    expect(Number(one(l!, 'geneve.proto_type'))).toBe(0x0800);
    expect(l!['ip.src']).toEqual(['198.18.0.1', '100.96.1.2']);
  });

  it('refuses option data that is not a multiple of 4', () => {
    expect(() => geneve({ vni: 1, options: [{ optClass: 1, type: 1, data: Buffer.alloc(3) }] }, frame)).toThrow();
  });
});
