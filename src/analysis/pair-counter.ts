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

/**
 * Where `addInput()` reads the pair and the packet showing it. A double passed as an
 * argument to a call the compiler does not inline is boxed on the heap (MACs, addresses
 * above 2^31, timestamps): written into a typed array it is not, so a collector making
 * a dozen associations per packet allocates nothing.
 */
export const PAIR_A = 0;
export const PAIR_B = 1;
export const PAIR_C = 2;
export const PAIR_PACKET = 3;
export const PAIR_TIME = 4;
const INPUT_SIZE = 5;

/** One input for the counters of a collector: the packet and time are written once per packet. */
export function pairInput(): Float64Array {
  return new Float64Array(INPUT_SIZE);
}

/** One row of doubles per entry: the key, then the counters every add touches. */
const D_A = 0;
const D_B = 1;
const D_C = 2;
const D_COUNT = 3;
const D_FIRST_PACKET = 4;
const D_LAST_PACKET = 5;
const D_FIRST_TIME = 6;
const D_LAST_TIME = 7;
const D_STRIDE = 8;
/**
 * One row of 32-bit words per entry: the bucket chain and the hash (for the chain walk
 * and regrowth), then the sampled packet numbers (read back unsigned).
 */
const W_NEXT = 0;
const W_HASH = 1;
const W_SAMPLES = 2;
const W_STRIDE = W_SAMPLES + EVIDENCE_SAMPLE;

const NIL = -1;
const INITIAL_ENTRIES = 64;
/** 2^-32: multiplying by it is exact, as dividing by 2^32 is, and cheaper. */
const INV_TWO_32 = 1 / 4294967296;
/**
 * Hint slots kept per counter (see addInputAt): slots beyond share one by their number
 * modulo this, so the hints cover the flows of the moment in 128 KiB however many a long
 * capture has had. A hint is checked against the key, so a shared one only costs a lookup.
 */
const MAX_HINTS = 1 << 15;

/** Low and high 32-bit halves of a non-negative integer below 2^53 (MACs, IPs, packed keys) mixed into a hash. */
function mixNumber(h: number, v: number): number {
  h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
  h = Math.imul((h ^ (h >>> 15)) ^ ((v * INV_TWO_32) | 0), 0x85ebca6b);
  return h ^ (h >>> 13);
}

function hashKey(a: number, b: number, c: number): number {
  return mixNumber(mixNumber(mixNumber(0x2545f491, a), b), c + 1);
}

/**
 * A bounded map of (a, b, c) → PairStat for facts seen on many packets, called several
 * times per packet. An entry is a row number into two typed arrays (its key and counters
 * in one row of doubles, its chain link, hash and sampled packets in one row of words),
 * found through a numeric hash with collision chains over a bucket index that grows with
 * the entries; a lookup is a few array reads and never allocates, objects are made only
 * by `all()`. Keys are doubles because MACs need 48 bits and some callers pack a kind
 * above 2^40. Beyond `cap` distinct pairs new ones are only counted.
 */
export class PairCounter {
  size = 0;
  overflow = 0;
  private d = new Float64Array(INITIAL_ENTRIES * D_STRIDE);
  private w = new Int32Array(INITIAL_ENTRIES * W_STRIDE);
  /** Bucket heads, at most half full so chains stay short. */
  private buckets = new Int32Array(INITIAL_ENTRIES * 2).fill(NIL);
  /** Consecutive packets of one flow repeat a pair: the last entry is checked first. */
  private last = NIL;
  /** Hint slot → entry + 1 (0: none yet), grown as slots are used. */
  private hints = new Int32Array(0);

  /** `input` may be shared by several counters (see pairInput). */
  constructor(
    private readonly cap = 20000,
    readonly input: Float64Array = pairInput(),
  ) {}

  /** Count (a, b, c) seen in `packet` at `time`. */
  add(a: number, b: number, c: number, packet: number, time: number): void {
    const i = this.input;
    i[PAIR_A] = a;
    i[PAIR_B] = b;
    i[PAIR_C] = c;
    i[PAIR_PACKET] = packet;
    i[PAIR_TIME] = time;
    this.addInput();
  }

  /**
   * Count the pair and packet written in `input`; returns the pair's entry (for `count`),
   * -1 when the counter is full and the pair new.
   */
  addInput(): number {
    const i = this.input;
    const d = this.d;
    let e = this.last;
    if (e === NIL || d[e * D_STRIDE + D_A] !== i[PAIR_A] || d[e * D_STRIDE + D_B] !== i[PAIR_B] || d[e * D_STRIDE + D_C] !== i[PAIR_C]) {
      e = this.find();
      if (e === NIL) return NIL;
      this.last = e;
    }
    this.count(e);
    return e;
  }

  /**
   * Count the pair in `input`, trying first the entry found by the last call with the same
   * `slot`: a small non-negative number the caller gives calls that most likely repeat a
   * pair (a flow and direction, whose packets interleave with other flows' and so defeat
   * the last-entry check); -1 for none. Results are those of addInput either way.
   */
  addInputAt(slot: number): void {
    if (slot < 0) {
      this.addInput();
      return;
    }
    if (slot >= this.hints.length) {
      if (this.hints.length < MAX_HINTS) this.growHints(slot);
      slot &= this.hints.length - 1;
    }
    const hints = this.hints;
    const i = this.input;
    const d = this.d;
    let e = hints[slot]! - 1;
    if (e < 0 || d[e * D_STRIDE + D_A] !== i[PAIR_A] || d[e * D_STRIDE + D_B] !== i[PAIR_B] || d[e * D_STRIDE + D_C] !== i[PAIR_C]) {
      e = this.find();
      if (e === NIL) return;
      hints[slot] = e + 1;
    }
    this.count(e);
  }

  private growHints(slot: number): void {
    let size = Math.max(256, this.hints.length * 2);
    while (size <= slot) size *= 2;
    const hints = new Int32Array(Math.min(size, MAX_HINTS));
    hints.set(this.hints);
    this.hints = hints;
  }

  /**
   * One more packet, the one in `input`, for entry `e` (from addInput): for callers that
   * know the entry of a pair they counted before and so need no lookup.
   */
  count(e: number): void {
    const i = this.input;
    const d = this.d;
    const row = e * D_STRIDE;
    const n = d[row + D_COUNT]!;
    d[row + D_COUNT] = n + 1;
    d[row + D_LAST_PACKET] = i[PAIR_PACKET]!;
    d[row + D_LAST_TIME] = i[PAIR_TIME]!;
    if (n < EVIDENCE_SAMPLE) this.w[e * W_STRIDE + W_SAMPLES + n] = i[PAIR_PACKET]!;
  }

  /** Whether entry `e` holds its full sample of packet numbers: what is counted on it after that only adds up. */
  sampled(e: number): boolean {
    return this.d[e * D_STRIDE + D_COUNT]! >= EVIDENCE_SAMPLE;
  }

  /**
   * `n` more packets for entry `e`, counted after they came: the last of them, `packet` at
   * `time`, becomes the entry's last unless a later packet was counted on it since. Only for
   * sampled entries (see sampled), whose sample the order of counting no longer changes.
   */
  countLater(e: number, n: number, packet: number, time: number): void {
    const d = this.d;
    const row = e * D_STRIDE;
    d[row + D_COUNT]! += n;
    if (packet > d[row + D_LAST_PACKET]!) {
      d[row + D_LAST_PACKET] = packet;
      d[row + D_LAST_TIME] = time;
    }
  }

  /** The entry for the input's pair, created when new and room is left; NIL (and counted) when full. */
  private find(): number {
    const i = this.input;
    const a = i[PAIR_A]!;
    const b = i[PAIR_B]!;
    const c = i[PAIR_C]!;
    const h = hashKey(a, b, c);
    const d = this.d;
    const w = this.w;
    for (let e = this.buckets[h & (this.buckets.length - 1)]!; e !== NIL; e = w[e * W_STRIDE + W_NEXT]!) {
      const row = e * D_STRIDE;
      if (w[e * W_STRIDE + W_HASH] === h && d[row + D_A] === a && d[row + D_B] === b && d[row + D_C] === c) return e;
    }
    if (this.size >= this.cap) {
      this.overflow++;
      return NIL;
    }
    return this.insert(h, a, b, c, i[PAIR_PACKET]!, i[PAIR_TIME]!);
  }

  private insert(h: number, a: number, b: number, c: number, packet: number, time: number): number {
    if (this.size * D_STRIDE === this.d.length) this.growEntries();
    if ((this.size + 1) * 2 > this.buckets.length) this.growBuckets();
    const e = this.size++;
    const row = e * D_STRIDE;
    const d = this.d;
    d[row + D_A] = a;
    d[row + D_B] = b;
    d[row + D_C] = c;
    d[row + D_COUNT] = 0;
    d[row + D_FIRST_PACKET] = packet;
    d[row + D_FIRST_TIME] = time;
    const bucket = h & (this.buckets.length - 1);
    this.w[e * W_STRIDE + W_HASH] = h;
    this.w[e * W_STRIDE + W_NEXT] = this.buckets[bucket]!;
    this.buckets[bucket] = e;
    return e;
  }

  /** Twice the entry rows, up to the cap (amortized: a few times per capture at most). */
  private growEntries(): void {
    const entries = Math.min((this.d.length / D_STRIDE) * 2, Math.max(this.cap, INITIAL_ENTRIES));
    const d = new Float64Array(entries * D_STRIDE);
    d.set(this.d);
    this.d = d;
    const w = new Int32Array(entries * W_STRIDE);
    w.set(this.w);
    this.w = w;
  }

  /** Twice the buckets, every entry relinked by its kept hash. */
  private growBuckets(): void {
    const buckets = new Int32Array(this.buckets.length * 2).fill(NIL);
    const mask = buckets.length - 1;
    const w = this.w;
    for (let e = 0; e < this.size; e++) {
      const bucket = w[e * W_STRIDE + W_HASH]! & mask;
      w[e * W_STRIDE + W_NEXT] = buckets[bucket]!;
      buckets[bucket] = e;
    }
    this.buckets = buckets;
  }

  /** Every pair as plain data, grouped by a then b in the order each was first seen. */
  all(): PairStat[] {
    const byA = new Map<number, Map<number, PairStat[]>>();
    const d = this.d;
    for (let e = 0; e < this.size; e++) {
      const row = e * D_STRIDE;
      const a = d[row + D_A]!;
      const b = d[row + D_B]!;
      const count = d[row + D_COUNT]!;
      const packets: number[] = [];
      for (let k = 0; k < Math.min(count, EVIDENCE_SAMPLE); k++) packets.push(this.w[e * W_STRIDE + W_SAMPLES + k]! >>> 0);
      const stat: PairStat = {
        a,
        b,
        c: d[row + D_C]!,
        count,
        firstPacket: d[row + D_FIRST_PACKET]!,
        lastPacket: d[row + D_LAST_PACKET]!,
        firstTime: d[row + D_FIRST_TIME]!,
        lastTime: d[row + D_LAST_TIME]!,
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
