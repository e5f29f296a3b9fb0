import type { Arrays } from './array-pool.js';
import { join, type Joined, type JoinedFlows } from './match.js';
import { buildPackets, type Packets } from './packets.js';
import type { SightingStore } from './sightings.js';
import { WindowCursor } from './stream.js';

/**
 * One step of the correlation's stream: the sightings of every capture whose corrected
 * time falls in [from, to) plus the match window's margins, joined into packets. The
 * packets that start inside [from, to) are the slice's to follow; the others belong to
 * the slices before or after it.
 */
export interface Slice {
  from: number;
  to: number;
  /** The join's columns and flows (its other arrays are the producer's own, and already reused). */
  j: JoinedFlows;
  /** Per flow id of the join: 1 when any of its sightings was encapsulated. */
  tunnelled: Uint8Array;
  /** The packets the slice follows (first sighting in [from, to)), in the join's packet order. */
  judged: number;
  /** Per followed packet: its flow id in the join and its first corrected time. */
  judgedFlow: Int32Array;
  judgedFirst: Float64Array;
  /** Sightings of followed packet x: rows[rowStart[x] .. rowStart[x+1]) of the join, with their corrected times. */
  rowStart: Int32Array;
  rows: Int32Array;
  times: Float64Array;
  /** Per capture: instances of the followed packets, and of those seen by two captures or more; how many such packets. */
  packetsAt: Float64Array;
  matchedAt: Float64Array;
  matched: number;
}

/** How the stream is cut: fixed once the clocks are known, before the first slice. */
export interface SliceParams {
  /** Per capture, seconds added to its times to put them on the reference clock. */
  offsets: number[];
  matchWindow: number;
  /** Margins joined before and after every slice (seconds). */
  before: number;
  after: number;
  /** Seconds a capture's rows may come out of time order. */
  reorder: number;
  /** Sightings (all captures) a slice aims to hold. */
  budget: number;
  /** Seconds of the first slice, the shortest and the longest. */
  first: number;
  minSlice: number;
  maxSlice: number;
}

/** Slices in time order; a slice is valid until the next call. */
export interface SliceSource {
  next(): Slice | null;
  close(): void;
}

/** Arrays of a slice its consumer reads; the rest of the producer's arrays are its working space. */
export function handedOver(name: string): boolean {
  return HANDED_OVER.has(name);
}
const HANDED_OVER = new Set(['j.capOf', 'c.tunnelled', 'c.judgedFlow', 'c.judgedFirst', 'c.rowStart', 'c.rows', 'c.times']);

/** Per flow of a joined slice: whether any of its sightings was encapsulated. */
export function tunnelledFlows(j: Joined, arrays: Arrays): Uint8Array {
  const out = arrays.uint8('c.tunnelled', j.flows).fill(0);
  for (let g = 0; g < j.total; g++) {
    const c = j.capOf[g]!;
    if (j.tables[c]!.tunnel[g - j.base[c]!] !== 0) out[j.groupFlow[j.groupOf[g]!]!] = 1;
  }
  return out;
}

/** Sightings of instance q are members[first[q] .. first[q+1]). */
function instanceMembers(j: Joined, arrays: Arrays): Int32Array {
  const first = arrays.int32('c.instFirst', j.instances + 1);
  let q = 0;
  for (let m = 0; m < j.total; m++) {
    const inst = j.instOf[j.members[m]!]!;
    while (q <= inst) first[q++] = m;
  }
  while (q <= j.instances) first[q++] = j.total;
  return first;
}

/**
 * Cuts the captures' sightings into slices in the calling thread. Each slice's length
 * adapts to the rows the last one held. With `shareTables`, a slice's sighting columns are
 * shared buffers that stay intact until the slice after next (see WindowCursor), for a
 * consumer in another thread.
 */
export class InlineSlices implements SliceSource {
  private readonly cursors: WindowCursor[];
  private from: number;
  private length: number;

  constructor(
    stores: SightingStore[],
    private readonly params: SliceParams,
    private readonly pool: () => Arrays,
    shareTables = false,
  ) {
    this.cursors = stores.map((s, c) => new WindowCursor(s, params.offsets[c]!, params.reorder, shareTables));
    this.length = params.first;
    this.from = this.earliest();
  }

  private earliest(): number {
    let t = Infinity;
    for (const k of this.cursors) t = Math.min(t, k.peek());
    return t;
  }

  next(): Slice | null {
    const p = this.params;
    const from = this.from;
    if (from === Infinity) return null;
    const to = from + this.length;
    const pool = this.pool();
    const tables = this.cursors.map((k) => k.window(from - p.before, to + p.after));
    const j = join(tables, pool);
    const packets = buildPackets(j, p.offsets, p.matchWindow, pool);
    const followed = follow(j, packets, instanceMembers(j, pool), p.offsets, from, to, pool);
    const tunnelled = tunnelledFlows(j, pool);
    const held = j.total;
    if (held > p.budget && this.length > p.minSlice) this.length = Math.max(p.minSlice, this.length / 2);
    else if (held < p.budget / 4 && this.length < p.maxSlice) this.length = Math.min(p.maxSlice, this.length * 2);
    // Nothing held starts at or after the slice's end: skip ahead to the next sighting.
    this.from = followed.later ? to : Math.max(to, this.earliest());
    return { from, to, j: { tables: j.tables, base: j.base, capOf: j.capOf, flowHead: j.flowHead, flows: j.flows }, tunnelled, ...followed.slice };
  }

  close(): void {
    for (const k of this.cursors) k.close();
  }
}

type Followed = Pick<Slice, 'judged' | 'judgedFlow' | 'judgedFirst' | 'rowStart' | 'rows' | 'times' | 'packetsAt' | 'matchedAt' | 'matched'>;

/**
 * The packets of a joined slice that start inside [from, to), each as its sightings (the
 * members of its instances) with corrected times; `later` when one starts at or after `to`.
 */
function follow(j: Joined, packets: Packets, instFirst: Int32Array, offsets: number[], from: number, to: number, pool: Arrays): { slice: Followed; later: boolean } {
  const C = j.tables.length;
  const judgedFlow = pool.int32('c.judgedFlow', packets.count);
  const judgedFirst = pool.float64('c.judgedFirst', packets.count);
  const rowStart = pool.int32('c.rowStart', packets.count + 1);
  const rows = pool.int32('c.rows', j.total);
  const times = pool.float64('c.times', j.total);
  const packetsAt = new Float64Array(C);
  const matchedAt = new Float64Array(C);
  let matched = 0;
  let n = 0;
  let r = 0;
  let later = false;
  for (let p = 0; p < packets.count; p++) {
    const head = packets.list[packets.start[p]!]!;
    const first = packets.instTime[head]!;
    if (first >= to) later = true;
    if (first < from || first >= to) continue;
    rowStart[n] = r;
    let mask = 0;
    let caps = 0;
    for (let x = packets.start[p]!; x < packets.start[p + 1]!; x++) {
      const q = packets.list[x]!;
      const c = j.instCap[q]!;
      if (((mask >>> c % 31) & 1) === 0 || c >= 31) caps++;
      mask |= 1 << c % 31;
      packetsAt[c]!++;
      const off = offsets[c]!;
      const time = j.tables[c]!.time;
      const base = j.base[c]!;
      for (let m = instFirst[q]!; m < instFirst[q + 1]!; m++) {
        const g = j.members[m]!;
        rows[r] = g;
        times[r++] = time[g - base]! + off;
      }
    }
    if (caps > 1) {
      matched++;
      for (let x = packets.start[p]!; x < packets.start[p + 1]!; x++) matchedAt[j.instCap[packets.list[x]!]!]!++;
    }
    judgedFlow[n] = j.groupFlow[j.instGroup[head]!]!;
    judgedFirst[n++] = first;
  }
  rowStart[n] = r;
  return { slice: { judged: n, judgedFlow, judgedFirst, rowStart, rows, times, packetsAt, matchedAt, matched }, later };
}
