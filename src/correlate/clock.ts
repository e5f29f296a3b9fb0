import type { Joined } from './match.js';

/**
 * Clock offsets between captures from packets seen in both, the way NTP bounds them:
 * a packet going A→B shows tB − tA = θ + delay ≥ θ, one going B→A shows tB − tA ≤ θ, so
 * the two directions of a flow pair bracket θ: θ = (min d_ab + max d_ba) / 2 with error
 * (min d_ab − max d_ba) / 2. Only identities seen exactly once in each capture vote, so
 * the estimate needs no prior offset.
 */
export interface PairClock {
  a: number;
  b: number;
  /** tB − tA for the same instant: add −theta to B's times to put them on A's clock. */
  theta: number;
  error: number;
  twoWay: boolean;
  packets: number;
}

export interface ClockEstimate {
  /** Seconds to add to each capture's times (null: not linked to capture 0). */
  offset: Array<number | null>;
  error: Array<number | null>;
  method: Array<'reference' | 'two-way' | 'one-way' | 'none'>;
  pairs: PairClock[];
}

/** One-way estimates assume the minimum delay is zero; their error is at least this. */
export const ONE_WAY_MIN_ERROR = 0.001;
/** A one-way delay above this between two capture points of one cluster means the clocks differ. */
export const ONE_WAY_PLAUSIBLE_DELAY = 0.05;

interface KeyStats {
  /** min over packets of tB_first − tA_last, max of tB_last − tA_first, packets. */
  lo: number;
  hi: number;
  n: number;
}

export function estimateClocks(j: Joined, captures: number): ClockEstimate {
  const C = captures;
  const stats = new Map<number, KeyStats>();
  const reverse = flowReverse(j);
  let s = 0;
  const caps = new Int32Array(Math.max(C, 1));
  while (s < j.instances) {
    const k = j.instGroup[s]!;
    let e = s;
    while (e < j.instances && j.instGroup[e] === k) e++;
    // Unique per capture: instance count equals distinct capture count.
    let distinct = 0;
    let unique = true;
    for (let q = s; q < e; q++) {
      const c = j.instCap[q]!;
      for (let r = 0; r < distinct; r++) if (caps[r] === c) unique = false;
      caps[distinct++] = c;
    }
    if (unique && e - s >= 2) {
      const flow = j.groupFlow[k]!;
      for (let x = s; x < e; x++) {
        for (let y = s; y < e; y++) {
          const a = j.instCap[x]!;
          const b = j.instCap[y]!;
          if (a >= b) continue;
          const key = (a * C + b) * j.flows + flow;
          const lo = j.instT0[y]! - j.instT1[x]!;
          const hi = j.instT1[y]! - j.instT0[x]!;
          const st = stats.get(key);
          if (!st) stats.set(key, { lo, hi, n: 1 });
          else {
            if (lo < st.lo) st.lo = lo;
            if (hi > st.hi) st.hi = hi;
            st.n++;
          }
        }
      }
    }
    s = e;
  }

  const pairs: PairClock[] = [];
  for (let a = 0; a < C; a++) {
    for (let b = a + 1; b < C; b++) {
      const pc = pairClock(stats, reverse, a, b, C, j.flows);
      if (pc) pairs.push(pc);
    }
  }
  return combine(pairs, C);
}

function flowReverse(j: Joined): Int32Array {
  const rev = new Int32Array(j.flows).fill(-1);
  const byKey = new Map<string, number>();
  for (let f = 0; f < j.flows; f++) {
    const g = j.flowHead[f]!;
    const c = j.capOf[g]!;
    const t = j.tables[c]!;
    const i = g - j.base[c]!;
    byKey.set(`${t.src[i]},${t.dst[i]},${t.ports[i]},${t.proto[i]}`, f);
  }
  for (let f = 0; f < j.flows; f++) {
    const g = j.flowHead[f]!;
    const c = j.capOf[g]!;
    const t = j.tables[c]!;
    const i = g - j.base[c]!;
    const p = t.ports[i]!;
    const swapped = (((p & 0xffff) << 16) | (p >>> 16)) >>> 0;
    const r = byKey.get(`${t.dst[i]},${t.src[i]},${swapped},${t.proto[i]}`);
    if (r !== undefined) rev[f] = r;
  }
  return rev;
}

function pairClock(stats: Map<number, KeyStats>, reverse: Int32Array, a: number, b: number, C: number, flows: number): PairClock | null {
  const at = (a * C + b) * flows;
  let upper = Infinity;
  let lower = -Infinity;
  let twoWayPackets = 0;
  let oneLo = Infinity;
  let oneHi = -Infinity;
  let packets = 0;
  for (let f = 0; f < flows; f++) {
    const st = stats.get(at + f);
    if (!st) continue;
    packets += st.n;
    const r = reverse[f]!;
    const rs = r >= 0 ? stats.get(at + r) : undefined;
    if (rs && r !== f) {
      // The direction whose delays sit higher travels A→B.
      if (st.lo >= rs.lo) {
        upper = Math.min(upper, st.lo);
        lower = Math.max(lower, rs.hi);
        twoWayPackets += st.n;
      }
    } else {
      oneLo = Math.min(oneLo, st.lo);
      oneHi = Math.max(oneHi, st.hi);
    }
  }
  if (packets === 0) return null;
  if (twoWayPackets > 0) {
    const theta = (upper + lower) / 2;
    // Inconsistent bounds (a busy host's queueing) still bracket θ loosely.
    const error = Math.abs(upper - lower) / 2;
    return { a, b, theta, error, twoWay: true, packets };
  }
  // One direction only, which one unknown. Clocks that agree are the simplest reading when
  // every packet shows up later at one end by no more than a plausible delay.
  if ((oneLo >= 0 && oneHi <= ONE_WAY_PLAUSIBLE_DELAY) || (oneHi <= 0 && oneLo >= -ONE_WAY_PLAUSIBLE_DELAY)) {
    return { a, b, theta: 0, error: Math.max(ONE_WAY_MIN_ERROR, Math.abs(oneLo), Math.abs(oneHi)), twoWay: false, packets };
  }
  // Else take the minimum delay as zero, in whichever direction needs the smaller offset.
  const theta = Math.abs(oneLo) <= Math.abs(oneHi) ? oneLo : oneHi;
  return { a, b, theta, error: Math.max(ONE_WAY_MIN_ERROR, oneHi - oneLo), twoWay: false, packets };
}

/** Offsets relative to capture 0 along the chain of pairs with the smallest summed error. */
function combine(pairs: PairClock[], C: number): ClockEstimate {
  const offset: Array<number | null> = new Array<number | null>(C).fill(null);
  const error: Array<number | null> = new Array<number | null>(C).fill(null);
  const method: ClockEstimate['method'] = new Array<'none'>(C).fill('none');
  const oneWay = new Array<boolean>(C).fill(false);
  if (C === 0) return { offset, error, method, pairs };
  offset[0] = 0;
  error[0] = 0;
  method[0] = 'reference';
  const done = new Array<boolean>(C).fill(false);
  for (;;) {
    let best = -1;
    for (let c = 0; c < C; c++) if (!done[c] && error[c] !== null && (best < 0 || error[c]! < error[best]!)) best = c;
    if (best < 0) break;
    done[best] = true;
    for (const p of pairs) {
      const other = p.a === best ? p.b : p.b === best ? p.a : -1;
      if (other < 0 || done[other]) continue;
      // d = tB − tA = θ: B's clock runs θ ahead of A's.
      const off = p.a === best ? offset[best]! - p.theta : offset[best]! + p.theta;
      const err = error[best]! + p.error;
      if (error[other] === null || err < error[other]!) {
        offset[other] = off;
        error[other] = err;
        oneWay[other] = oneWay[best]! || !p.twoWay;
      }
    }
  }
  for (let c = 1; c < C; c++) if (offset[c] !== null) method[c] = oneWay[c] ? 'one-way' : 'two-way';
  return { offset, error, method, pairs };
}
