import { describe, expect, it } from 'vitest';
import { ringFileName } from '../../../src/capture/live/ring.js';

describe('ringFileName', () => {
  it('numbers files as tcpdump -W does, zero-padded to the largest number', () => {
    expect([0, 1, 2].map((i) => ringFileName('cap.pcap', i, 3))).toEqual(['cap.pcap0', 'cap.pcap1', 'cap.pcap2']);
    expect([0, 9, 10, 15].map((i) => ringFileName('x', i, 16))).toEqual(['x00', 'x09', 'x10', 'x15']);
    expect(ringFileName('x', 0, 10)).toBe('x0');
    expect(ringFileName('x', 12, Infinity)).toBe('x12');
  });
});
