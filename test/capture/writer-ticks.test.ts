import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tickScale, toTicks, type TsResolution } from '../../src/capture/writer-ticks.js';

/** The exact answer, in BigInt: floor((sec + nsec/1e9) * ticksPerSecond). */
function oracle(r: TsResolution, sec: number, nsec: number): bigint {
  const per = BigInt(r.base) ** BigInt(r.exponent);
  return ((BigInt(sec) * 1_000_000_000n + BigInt(nsec)) * per) / 1_000_000_000n;
}

const resolutions = fc.oneof(
  fc.integer({ min: 0, max: 9 }).map((exponent): TsResolution => ({ base: 10, exponent })),
  fc.integer({ min: 0, max: 32 }).map((exponent): TsResolution => ({ base: 2, exponent })),
);

describe('pcapng timestamp ticks', () => {
  it('splits ticks into 32-bit words exactly, for every resolution and far beyond 2^53 ns', () => {
    fc.assert(
      fc.property(resolutions, fc.integer({ min: 0, max: 2 ** 34 - 1 }), fc.integer({ min: 0, max: 999_999_999 }), (r, sec, nsec) => {
        const want = oracle(r, sec, nsec);
        fc.pre(want < 2n ** 64n);
        const out = { hi: -1, lo: -1 };
        toTicks(tickScale(r), sec, nsec, out);
        expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(want);
        expect(out.lo).toBeGreaterThanOrEqual(0);
        expect(out.lo).toBeLessThan(2 ** 32);
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact at the edges a double would get wrong', () => {
    const ns = { base: 10, exponent: 9 } as const;
    for (const [sec, nsec] of [
      [1700000000, 123456789],
      [4294967295, 999999999],
      [9007199, 254740993],
    ] as const) {
      const out = { hi: 0, lo: 0 };
      toTicks(tickScale(ns), sec, nsec, out);
      expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    }
  });

  it('encodes if_tsresol as the pcapng spec says: exponent, high bit for base 2', () => {
    expect(tickScale({ base: 10, exponent: 6 }).optionByte).toBe(6);
    expect(tickScale({ base: 10, exponent: 9 }).optionByte).toBe(9);
    expect(tickScale({ base: 2, exponent: 20 }).optionByte).toBe(0x94);
  });

  it('refuses resolutions it cannot convert exactly', () => {
    expect(() => tickScale({ base: 10, exponent: 12 })).toThrow();
    expect(() => tickScale({ base: 2, exponent: 40 })).toThrow();
  });
});
