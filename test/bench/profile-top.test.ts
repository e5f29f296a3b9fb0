import { describe, expect, it } from 'vitest';
import { insideMs, topFrames, type CpuProfile } from '../../bench/profile-top.js';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 }, children });

/** (root) → main → correlate → join, and main → pass: samples in each with known intervals. */
const profile: CpuProfile = {
  nodes: [frame(1, '(root)', '', [2]), frame(2, 'main', 'file:///x/cli.js', [3, 5]), frame(3, 'correlate', 'file:///x/correlate/correlate.js', [4]), frame(4, 'join', 'file:///x/correlate/match.js'), frame(5, 'pass', 'file:///x/pass.js')],
  startTime: 0,
  endTime: 100_000,
  samples: [2, 3, 4, 4, 5, 3],
  timeDeltas: [10_000, 20_000, 5_000, 5_000, 35_000, 20_000],
};

describe('profile-top', () => {
  it('charges a function with the samples in it and in everything it calls', () => {
    expect(insideMs(profile, 'correlate')).toBe(50);
    expect(insideMs(profile, 'main')).toBe(95);
    expect(insideMs(profile, 'join')).toBe(10);
    expect(insideMs(profile, 'correlate', /match\.js$/)).toBe(0);
  });

  it('ranks frames by their own samples only', () => {
    const { rows, totalMs } = topFrames(profile, 2, '/nowhere');
    expect(totalMs).toBe(95);
    expect(rows.map((r) => [r.name, r.selfMs])).toEqual([
      ['correlate', 40],
      ['pass', 35],
    ]);
  });
});
