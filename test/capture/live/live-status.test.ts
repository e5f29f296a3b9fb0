import { describe, expect, it } from 'vitest';
import { elapsedText, liveStatusText } from '../../../src/capture/live/live-status.js';
import type { LiveInterface, LiveStats } from '../../../src/capture/live/source.js';

const iface = (index: number, name: string): LiveInterface => ({ index, name, linktype: 1, snaplen: 262144, engine: 'tcpdump' });
const stats = (name: string, delivered: number, dropped: number | null, ifDropped: number | null): LiveStats => ({ interface: name, delivered, received: null, dropped, ifDropped });

describe('live capture status line', () => {
  it('counts time as minutes and seconds, hours once there are any', () => {
    expect(elapsedText(0)).toBe('0:00');
    expect(elapsedText(7_999)).toBe('0:07');
    expect(elapsedText(754_000)).toBe('12:34');
    expect(elapsedText(3_723_000)).toBe('1:02:03');
  });

  it('sums packets over the interfaces and says drops are unknown until the counters are read', () => {
    const ifs = [iface(0, 'eth0'), iface(1, 'flannel.1')];
    expect(liveStatusText(ifs, [stats('eth0', 1200, null, null), stats('flannel.1', 34, null, null)], 42_000, false)).toBe('live 0:42 · eth0+flannel.1 tcpdump · 1234 captured · drops ?');
    expect(liveStatusText(ifs, [stats('eth0', 1200, 3, 1), stats('flannel.1', 34, 0, 0)], 61_000, true)).toBe('stopped 1:01 · eth0+flannel.1 tcpdump · 1234 captured · 4 dropped');
  });

  it('gives a lower bound when only some drop counters are known, and says when none are', () => {
    const ifs = [iface(0, 'vb')];
    expect(liveStatusText(ifs, [stats('vb', 10, null, 2)], 5_000, true)).toBe('stopped 0:05 · vb tcpdump · 10 captured · ≥2 dropped');
    expect(liveStatusText(ifs, [stats('vb', 10, null, null)], 5_000, true)).toBe('stopped 0:05 · vb tcpdump · 10 captured · drops unknown');
  });
});
