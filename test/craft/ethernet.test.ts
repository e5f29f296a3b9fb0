import { describe, expect, it } from 'vitest';
import { ETHERTYPE } from '../../src/craft/constants.js';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipv4 } from '../../src/craft/ipv4.js';
import { dissect, one } from './tshark-oracle.js';

const inner = ipv4({ src: '100.96.1.2', dst: '100.96.2.3', proto: 59 }, Buffer.alloc(0));

describe('ethernet', () => {
  it('writes addresses and EtherType as tshark reads them', () => {
    const [l] = dissect(
      [ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '0a:58:64:60:01:02', type: ETHERTYPE.IPV4 }, inner)],
      ['eth.dst', 'eth.src', 'eth.type', 'ip.dst'],
    );
    expect(one(l!, 'eth.dst')).toBe('ff:ff:ff:ff:ff:ff');
    expect(one(l!, 'eth.src')).toBe('0a:58:64:60:01:02');
    expect(one(l!, 'eth.type')).toBe('0x0800');
    expect(one(l!, 'ip.dst')).toBe('100.96.2.3');
  });

  it('tags 802.1Q with priority, DEI and VLAN id', () => {
    const f = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4, vlans: [{ vid: 100, pcp: 5, dei: true }] }, inner);
    const [l] = dissect([f], ['eth.type', 'vlan.id', 'vlan.priority', 'vlan.dei', 'vlan.etype', 'ip.src']);
    expect(one(l!, 'eth.type')).toBe('0x8100');
    expect(one(l!, 'vlan.id')).toBe('100');
    expect(one(l!, 'vlan.priority')).toBe('5');
    expect(one(l!, 'vlan.dei')).toBe('1');
    expect(one(l!, 'vlan.etype')).toBe('0x0800');
    expect(one(l!, 'ip.src')).toBe('100.96.1.2');
  });

  it('stacks QinQ with an 802.1ad outer tag', () => {
    const f = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4, vlans: [{ vid: 300 }, { vid: 42 }] }, inner);
    const [l] = dissect([f], ['eth.type', 'ieee8021ad.id', 'vlan.id', 'vlan.etype']);
    expect(one(l!, 'eth.type')).toBe('0x88a8');
    expect(one(l!, 'ieee8021ad.id')).toBe('300');
    expect(one(l!, 'vlan.id')).toBe('42');
    expect(one(l!, 'vlan.etype')).toBe('0x0800');
  });

  it('pads short frames to the 60-byte minimum only when asked', () => {
    const padded = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4, pad: true }, inner);
    const bare = ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 }, inner);
    const [p, b] = dissect([padded, bare], ['frame.len', 'eth.padding']);
    expect(one(p!, 'frame.len')).toBe('60');
    expect(one(p!, 'eth.padding')).toMatch(/^(00)+$/);
    expect(one(b!, 'frame.len')).toBe(String(14 + inner.length));
    expect(b!['eth.padding']).toBeUndefined();
  });

  it('refuses VLAN ids that do not fit 12 bits', () => {
    expect(() => ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800, vlans: [{ vid: 4096 }] }, inner)).toThrow();
  });
});
