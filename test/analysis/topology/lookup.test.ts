import { describe, expect, it } from 'vitest';
import { nodeOf } from '../../../src/analysis/topology/lookup.js';
import { emptyTopology, type PodCidr, type Topology } from '../../../src/analysis/topology/types.js';

const cidr = (c: string, nodeIp: string): PodCidr => ({ cidr: c, nodeIp, source: 'bgp', evidence: [] });

function topologyWith(...cidrs: PodCidr[]): Topology {
  return { ...emptyTopology(), podCidrs: cidrs };
}

describe('nodeOf', () => {
  it('answers the node of the longest pod CIDR holding the address, the first listed among equals', () => {
    const t = topologyWith(cidr('100.96.0.0/16', '198.18.0.9'), cidr('100.96.2.0/24', '198.18.0.2'), cidr('100.96.2.0/24', '198.18.0.3'), cidr('100.96.2.128/25', '198.18.0.4'));
    expect(nodeOf(t, '100.96.2.7')).toBe('198.18.0.2');
    expect(nodeOf(t, '100.96.2.200')).toBe('198.18.0.4');
    expect(nodeOf(t, '100.96.7.1')).toBe('198.18.0.9');
  });

  it('answers the address itself outside every CIDR, and for text that is not IPv4', () => {
    const t = topologyWith(cidr('100.96.1.0/24', '198.18.0.1'), cidr('fd00::/64', '198.18.0.5'));
    expect(nodeOf(t, '10.0.0.1')).toBe('10.0.0.1');
    expect(nodeOf(t, 'fd00::1')).toBe('fd00::1');
    expect(nodeOf(t, '100.96.1.300')).toBe('100.96.1.300');
  });

  it('sees pod CIDRs added to the topology after it was first asked', () => {
    const t = topologyWith(cidr('100.96.1.0/24', '198.18.0.1'));
    expect(nodeOf(t, '100.96.3.4')).toBe('100.96.3.4');
    t.podCidrs.push(cidr('100.96.3.0/24', '198.18.0.3'));
    expect(nodeOf(t, '100.96.3.4')).toBe('198.18.0.3');
    expect(nodeOf(t, '100.96.1.4')).toBe('198.18.0.1');
  });

  it('keeps each topology’s CIDRs apart', () => {
    const a = topologyWith(cidr('100.96.1.0/24', '198.18.0.1'));
    const b = topologyWith(cidr('100.96.1.0/24', '198.18.0.2'));
    expect(nodeOf(a, '100.96.1.9')).toBe('198.18.0.1');
    expect(nodeOf(b, '100.96.1.9')).toBe('198.18.0.2');
  });
});
