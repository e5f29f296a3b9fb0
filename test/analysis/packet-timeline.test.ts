import { describe, expect, it } from 'vitest';
import { TIMELINE_BINS, TimelineBins } from '../../src/analysis/packet-timeline.js';

describe('packets-over-time bins', () => {
  it('counts every packet once, in the bin of its time', () => {
    const t = new TimelineBins();
    const times = [100, 100.01, 100.06, 101.5, 101.52, 103];
    for (const x of times) t.add(x);
    const j = t.toJSON()!;
    expect(j.start).toBe(100);
    expect(j.counts.reduce((a, b) => a + b, 0)).toBe(times.length);
    for (const x of times) expect(j.counts[Math.floor((x - j.start) / j.binSeconds)]).toBeGreaterThan(0);
    expect(j.counts[Math.floor((101.51 - 100) / j.binSeconds)]).toBe(2);
  });

  it('widens its bins instead of growing: a day-long capture or a wild timestamp keeps the same bin count', () => {
    const t = new TimelineBins();
    for (let k = 0; k < 86_400; k += 7) t.add(1_700_000_000 + k);
    t.add(4_294_967_295); // the last second a pcap can say
    const j = t.toJSON()!;
    expect(j.counts.length).toBeLessThanOrEqual(TIMELINE_BINS);
    expect(j.counts.reduce((a, b) => a + b, 0)).toBe(Math.ceil(86_400 / 7) + 1);
    expect(j.binSeconds * TIMELINE_BINS).toBeGreaterThan(4_294_967_295 - 1_700_000_000);
  });

  it('puts a packet stamped before the first one in the first bin, and reports nothing for an empty capture', () => {
    const t = new TimelineBins();
    expect(t.toJSON()).toBeNull();
    t.add(50);
    t.add(10);
    t.add(Number.NaN);
    expect(t.toJSON()!.counts).toEqual([2]);
  });
});
