import { EVIDENCE_SAMPLE } from './finding.js';

/** Counts of one observed association (e.g. "MAC m sent from IP x") with sample packets. */
export interface PairStat {
  a: number;
  b: number;
  /** Extra small key (VNI, UDP port...), -1 when unused. */
  c: number;
  count: number;
  firstPacket: number;
  lastPacket: number;
  firstTime: number;
  lastTime: number;
  packets: number[];
}

const EMPTY = -1;
const INITIAL_SLOTS = 64;
const TWO_32 = 4294967296;

/** Low and high 32-bit halves of a non-negative integer below 2^53 (MACs, IPs, packed keys) mixed into a hash. */
function mixNumber(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
  h = Math.imul((h ^ (h >>> 15)) ^ ((v / TWO_32) | 0), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * A bounded map of (a, b, c) → PairStat for facts seen on many packets, called several
 * times per packet. Entries live in typed arrays behind an open-addressing hash index, so
 * a lookup is a few array reads and never allocates; objects are made only by `all()`.
 * Keys are doubles because MACs need 48 bits and some callers pack a kind above 2^40.
 * Beyond `cap` distinct pairs new ones are only counted.
 */
export class PairCounter {
  size = 0;
  overflow = 0;
  /** Hash index: slot → entry, EMPTY when free. Twice the entries or more, a power of two. */
  private index = new Int32Array(INITIAL_SLOTS * 2).fill(EMPTY);
  private keys = new Float64Array(INITIAL_SLOTS * 3);
  private counts = new Float64Array(INITIAL_SLOTS);
  private packetNumbers = new Float64Array(INITIAL_SLOTS * 2); // first, last
  private times = new Float64Array(INITIAL_SLOTS * 2); // first, last
  private samples = new Float64Array(INITIAL_SLOTS * EVIDENCE_SAMPLE);
  /** Consecutive packets of one flow repeat a pair: the last entry is checked first. */
  private last = EMPTY;

  constructor(private readonly cap = 20000) {}

  add(a: number, b: number, c: number, packet: number, time: number): void {
    const keys = this.keys;
    let e = this.last;
    if (e === EMPTY || keys[e * 3] !== a || keys[e * 3 + 1] !== b || keys[e * 3 + 2] !== c) {
      e = this.find(a, b, c);
      if (e === EMPTY) return;
      this.last = e;
    }
    const n = this.counts[e]!;
    this.counts[e] = n + 1;
    this.packetNumbers[e * 2 + 1] = packet;
    this.times[e * 2 + 1] = time;
    if (n < EVIDENCE_SAMPLE) this.samples[e * EVIDENCE_SAMPLE + n] = packet;
    if (n === 0) {
      this.packetNumbers[e * 2] = packet;
      this.times[e * 2] = time;
    }
  }

  /** The entry for (a, b, c), created when new and room is left; EMPTY (and counted) when full. */
  private find(a: number, b: number, c: number): number {
    const keys = this.keys;
    let mask = this.index.length - 1;
    let slot = mixNumber(mixNumber(mixNumber(0x2545f491, a), b), c + 1) & mask;
    for (;;) {
      const e = this.index[slot]!;
      if (e === EMPTY) break;
      if (keys[e * 3] === a && keys[e * 3 + 1] === b && keys[e * 3 + 2] === c) return e;
      slot = (slot + 1) & mask;
    }
    if (this.size >= this.cap) {
      this.overflow++;
      return EMPTY;
    }
    if (this.size === this.counts.length) {
      this.grow();
      mask = this.index.length - 1;
      slot = mixNumber(mixNumber(mixNumber(0x2545f491, a), b), c + 1) & mask;
      while (this.index[slot] !== EMPTY) slot = (slot + 1) & mask;
    }
    const e = this.size++;
    this.index[slot] = e;
    this.keys[e * 3] = a;
    this.keys[e * 3 + 1] = b;
    this.keys[e * 3 + 2] = c;
    this.counts[e] = 0;
    return e;
  }

  /** Double the entry arrays and rebuild the index (amortized: a few times per capture at most). */
  private grow(): void {
    const entries = Math.min(this.counts.length * 2, Math.max(this.cap, INITIAL_SLOTS));
    const widen = (old: Float64Array, per: number): Float64Array<ArrayBuffer> => {
      const next = new Float64Array(entries * per);
      next.set(old);
      return next;
    };
    this.keys = widen(this.keys, 3);
    this.counts = widen(this.counts, 1);
    this.packetNumbers = widen(this.packetNumbers, 2);
    this.times = widen(this.times, 2);
    this.samples = widen(this.samples, EVIDENCE_SAMPLE);
    let slots = this.index.length;
    while (slots < entries * 2) slots <<= 1;
    const index = new Int32Array(slots).fill(EMPTY);
    const mask = slots - 1;
    const keys = this.keys;
    for (let e = 0; e < this.size; e++) {
      let slot = mixNumber(mixNumber(mixNumber(0x2545f491, keys[e * 3]!), keys[e * 3 + 1]!), keys[e * 3 + 2]! + 1) & mask;
      while (index[slot] !== EMPTY) slot = (slot + 1) & mask;
      index[slot] = e;
    }
    this.index = index;
  }

  /** Every pair as plain data, grouped by a then b in the order each was first seen. */
  all(): PairStat[] {
    const byA = new Map<number, Map<number, PairStat[]>>();
    for (let e = 0; e < this.size; e++) {
      const a = this.keys[e * 3]!;
      const b = this.keys[e * 3 + 1]!;
      const count = this.counts[e]!;
      const packets: number[] = [];
      for (let k = 0; k < Math.min(count, EVIDENCE_SAMPLE); k++) packets.push(this.samples[e * EVIDENCE_SAMPLE + k]!);
      const stat: PairStat = {
        a,
        b,
        c: this.keys[e * 3 + 2]!,
        count,
        firstPacket: this.packetNumbers[e * 2]!,
        lastPacket: this.packetNumbers[e * 2 + 1]!,
        firstTime: this.times[e * 2]!,
        lastTime: this.times[e * 2 + 1]!,
        packets,
      };
      let inner = byA.get(a);
      if (inner === undefined) byA.set(a, (inner = new Map()));
      const list = inner.get(b);
      if (list === undefined) inner.set(b, [stat]);
      else list.push(stat);
    }
    const out: PairStat[] = [];
    for (const inner of byA.values()) for (const list of inner.values()) out.push(...list);
    return out;
  }
}
