/**
 * Timestamp → pcapng ticks as two 32-bit words, without BigInt.
 *
 * Nanoseconds since the epoch pass 2^53 in 1970 + 104 days, so `sec * 1e9 +
 * nsec` in doubles loses the low bits of every present-day timestamp. The
 * split keeps every intermediate product below 2^53, so it is exact.
 */

const TWO32 = 4294967296;
const TWO16 = 65536;

/** pcapng if_tsresol: 10^-exponent or 2^-exponent seconds per tick. */
export interface TsResolution {
  base: 10 | 2;
  exponent: number;
}

export const MICROSECONDS: TsResolution = { base: 10, exponent: 6 };
export const NANOSECONDS: TsResolution = { base: 10, exponent: 9 };

/** Per-interface constants for converting (sec, nsec) to ticks. */
export interface TickScale {
  /** Ticks per second. */
  perSecond: number;
  /** Ticks in `nsec`: floor(nsec * num / den), with num * 1e9 < 2^53. */
  num: number;
  den: number;
  /** The if_tsresol option byte. */
  optionByte: number;
}

export function tickScale(r: TsResolution): TickScale {
  const e = r.exponent;
  if (!Number.isInteger(e) || e < 0) throw new Error(`bad timestamp resolution exponent: ${e}`);
  if (r.base === 10) {
    if (e > 9) throw new Error(`resolutions finer than 10^-9 are not supported: 10^-${e}`);
    return { perSecond: 10 ** e, num: 1, den: 10 ** (9 - e), optionByte: e };
  }
  if (e > 32) throw new Error(`resolutions finer than 2^-32 are not supported: 2^-${e}`);
  // 1e9 = 2^9 * 5^9; cancelling the common power of two keeps num * nsec exact.
  const FIVE9 = 1953125;
  return e >= 9
    ? { perSecond: 2 ** e, num: 2 ** (e - 9), den: FIVE9, optionByte: 0x80 | e }
    : { perSecond: 2 ** e, num: 1, den: 2 ** (9 - e) * FIVE9, optionByte: 0x80 | e };
}

/** Output of `toTicks`, reused to keep the per-record path allocation-free. */
export interface TickWords {
  hi: number;
  lo: number;
}

/**
 * Writes floor((sec + nsec/1e9) * perSecond) into `out` as high/low 32-bit
 * words. `sec` must be a non-negative integer below 2^37.
 */
export function toTicks(s: TickScale, sec: number, nsec: number, out: TickWords): void {
  const frac = s.num === 1 ? Math.floor(nsec / s.den) : Math.floor((nsec * s.num) / s.den);
  const direct = sec * s.perSecond + frac;
  if (direct <= Number.MAX_SAFE_INTEGER) {
    const hi = Math.floor(direct / TWO32);
    out.hi = hi;
    out.lo = direct - hi * TWO32;
    return;
  }
  if (sec >= 137438953472) throw new Error(`timestamp seconds out of range: ${sec}`);
  // ticks = (sHi * perSecond) * 2^16 + (sLo * perSecond + frac)
  const sHi = Math.floor(sec / TWO16);
  const sLo = sec - sHi * TWO16;
  const a = sHi * s.perSecond;
  const b = sLo * s.perSecond + frac;
  const aHi = Math.floor(a / TWO16);
  const low = (a - aHi * TWO16) * TWO16 + b;
  const carry = Math.floor(low / TWO32);
  out.hi = aHi + carry;
  out.lo = low - carry * TWO32;
  if (out.hi >= TWO32) throw new Error(`timestamp does not fit 64 bits of ticks: ${sec}s`);
}
