import { IdSet, putAt } from './by-id.js';
import { encapOf } from './describe.js';
import type { JoinedRows } from './match.js';
import type { Encapsulation, FlowKey, FlowPath, Hop, Segment } from './types.js';

/** Flow paths listed in the report; the rest are counted. Lossy flows come first. */
export const REPORT_PATHS = 100;
const HOP_SAMPLE = 10;
/** Latencies kept per segment for its median; min and max see every packet. */
const LATENCY_SAMPLE = 256;

interface HopAcc {
  capture: number;
  iface: number;
  /** How the first packet seen here was wrapped. */
  encap: Encapsulation;
  packets: number;
  sample: number[];
  relSum: number;
  /** Sum of the hop's position in each packet's time order: orders hops even when later ones see only some packets. */
  rankSum: number;
}

interface SegAcc {
  n: number;
  min: number;
  max: number;
  values: number[];
}

interface FlowAcc {
  flow: number;
  packets: number;
  /** Corrected time of the flow's latest packet: a flow idle long enough is retired. */
  lastSeen: number;
  lost: number;
  /** Lost packets by segment (last capture × 2^16 + missing capture). */
  lostBySegment: Map<number, number>;
  /** Hop index by capture × 2^32 + interface, once the flow has more hops than a scan is quick for; hops in first-seen order. */
  index: Map<number, number> | null;
  hops: HopAcc[];
  /**
   * Every ordered hop pair a packet crossed, not only neighbours: a later hop's latency
   * counts packets an intermediate point missed. Between the first SMALL hops at
   * from × SMALL + to in `near`; the rest by from-hop × 2^16 + to-hop in `far`.
   */
  near: Array<SegAcc | undefined>;
  far: Map<number, SegAcc> | null;
}

/** Hops a flow's hop lookup scans before it keeps an index; segments between them sit in a flat array. */
const SMALL = 8;

/** Retired flows held in full: as many as the report lists. */
const KEPT = REPORT_PATHS;

const hopKey = (capture: number, iface: number): number => capture * 4294967296 + iface;
const segKey = (from: number, to: number): number => from * 65536 + to;

/**
 * Accumulates, per flow direction, the points its packets crossed and the time between
 * them. Only flows active within the idle time are held in full: a flow idle longer is
 * retired, kept only while it ranks among the flows the report lists (lossy, then busy),
 * so memory follows the flows of the last seconds, not every flow of the captures. A
 * retired flow that was dropped and resumes is followed afresh from then on.
 */
export class PathBuilder {
  private readonly active = new Map<number, FlowAcc>();
  /** The active flows again, by flow id: found without hashing for every packet. */
  private readonly activeById: Array<FlowAcc | undefined> = [];
  /** Retired flows that rank among the reported ones (at most KEPT). */
  private readonly kept = new Map<number, FlowAcc>();
  /** Flow ids that had a packet: flows counted once however often retired. */
  private readonly seenFlows = new IdSet();
  private distinct = 0;
  private order = new Int32Array(64);
  private seen = new Int32Array(64);

  constructor(
    /** Capture point names, by capture index. */
    private readonly names: readonly string[],
    /** Flow keys by flow id (grows as flows appear). */
    private readonly keys: ReadonlyArray<{ flow: FlowKey } | undefined>,
  ) {}

  private accOf(flow: number): FlowAcc {
    let a = this.activeById[flow];
    if (a) return a;
    a = this.kept.get(flow);
    if (a) this.kept.delete(flow);
    else {
      a = { flow, packets: 0, lastSeen: 0, lost: 0, lostBySegment: new Map(), index: null, hops: [], near: [], far: null };
      if (this.seenFlows.add(flow)) this.distinct++;
    }
    this.active.set(flow, a);
    putAt(this.activeById, flow, a);
    return a;
  }

  /** One packet: its sightings, rows[start .. end) of `j`, and their corrected times. */
  packet(flow: number, rows: Int32Array, times: Float64Array, start: number, end: number, j: JoinedRows): void {
    const a = this.accOf(flow);
    a.packets++;
    const n = end - start;
    if (this.order.length < n) this.order = new Int32Array(n * 2);
    const order = this.order;
    // Insertion sort by time: a packet has a handful of sightings.
    for (let k = 0; k < n; k++) {
      let x = k;
      while (x > 0 && times[start + order[x - 1]!]! > times[start + k]!) {
        order[x] = order[x - 1]!;
        x--;
      }
      order[x] = k;
    }
    const t0 = times[start + order[0]!]!;
    if (t0 > a.lastSeen) a.lastSeen = t0;
    const seen = this.seen.length < n ? (this.seen = new Int32Array(n * 2)) : this.seen;
    for (let x = 0; x < n; x++) {
      const k = start + order[x]!;
      const g = rows[k]!;
      const c = j.capOf[g]!;
      const t = j.tables[c]!;
      const i = g - j.base[c]!;
      const iface = t.iface[i]!;
      let hi = hopOf(a, c, iface);
      if (hi < 0) {
        hi = a.hops.length;
        a.hops.push({ capture: c, iface, encap: encapOf(t, i), packets: 0, sample: [], relSum: 0, rankSum: 0 });
        if (a.index) a.index.set(hopKey(c, iface), hi);
        else if (a.hops.length > SMALL) a.index = new Map(a.hops.map((h, x) => [hopKey(h.capture, h.iface), x]));
      }
      const h = a.hops[hi]!;
      h.packets++;
      h.relSum += times[k]! - t0;
      h.rankSum += x;
      if (h.sample.length < HOP_SAMPLE) h.sample.push(t.frame[i]!);
      seen[x] = hi;
      if (hi >= 65536) continue;
      for (let y = 0; y < x; y++) {
        const from = seen[y]!;
        if (from === hi || from >= 65536) continue;
        const d = times[k]! - times[start + order[y]!]!;
        let sg = segOf(a, from, hi);
        if (!sg) sg = addSeg(a, from, hi, d);
        sg.n++;
        if (d < sg.min) sg.min = d;
        if (d > sg.max) sg.max = d;
        if (sg.values.length < LATENCY_SAMPLE) sg.values.push(d);
      }
    }
  }

  /** A packet of `flow` lost after capture `last`, before capture `missing` (-1 when no capture covers it). */
  lost(flow: number, last: number, missing: number): void {
    const a = this.accOf(flow);
    a.lost++;
    if (missing >= 0) {
      const k = last * 65536 + missing;
      a.lostBySegment.set(k, (a.lostBySegment.get(k) ?? 0) + 1);
    }
  }

  /**
   * Retire the flows whose latest packet is older than `before` (corrected time). Returns
   * the ids of the retired flows that no longer rank among the reported ones.
   */
  retire(before: number): number[] {
    const dropped: number[] = [];
    for (const [f, a] of this.active) {
      if (a.lastSeen >= before) continue;
      this.active.delete(f);
      putAt(this.activeById, f, undefined);
      if (this.kept.size < KEPT) {
        this.kept.set(f, a);
        continue;
      }
      let low: FlowAcc | null = null;
      for (const k of this.kept.values()) if (low === null || rank(k, low) > 0) low = k;
      if (rank(a, low!) < 0) {
        this.kept.delete(low!.flow);
        this.kept.set(f, a);
        dropped.push(low!.flow);
      } else dropped.push(f);
    }
    return dropped;
  }

  /** Paths, lossy and busy flows first. */
  build(): { paths: FlowPath[]; omitted: number } {
    const flows = [...this.active.values(), ...this.kept.values()].sort(rank);
    const paths = flows.slice(0, REPORT_PATHS).map((a) => this.path(a));
    return { paths, omitted: Math.max(0, this.distinct - paths.length) };
  }

  private path(a: FlowAcc): FlowPath {
    // Order by how many other hops each one follows in the packets that saw both (a point that
    // missed some packets keeps its place), then by its mean position.
    const after = a.hops.map((_, x) => {
      let n = 0;
      for (let y = 0; y < a.hops.length; y++) {
        if (y === x || x >= 65536 || y >= 65536) continue;
        const yx = segOf(a, y, x)?.n ?? 0;
        const xy = segOf(a, x, y)?.n ?? 0;
        if (yx > xy) n++;
      }
      return n;
    });
    const hops = a.hops
      .map((h, idx) => ({ h, idx }))
      .sort((x, y) => after[x.idx]! - after[y.idx]! || x.h.rankSum / x.h.packets - y.h.rankSum / y.h.packets || x.h.relSum / x.h.packets - y.h.relSum / y.h.packets);
    const name = (c: number) => this.names[c]!;
    const outHops: Hop[] = hops.map(({ h }) => ({ capture: name(h.capture), iface: h.iface, encap: h.encap, packets: h.packets, sample: h.sample }));
    const segments: Segment[] = [];
    for (let k = 1; k < hops.length; k++) {
      const from = hops[k - 1]!;
      const to = hops[k]!;
      const s = segOf(a, from.idx, to.idx);
      const sorted = s ? [...s.values].sort((x, y) => x - y) : [];
      segments.push({
        from: name(from.h.capture),
        fromIface: from.h.iface,
        to: name(to.h.capture),
        toIface: to.h.iface,
        packets: s?.n ?? 0,
        lost: from.h.capture === to.h.capture ? 0 : (a.lostBySegment.get(from.h.capture * 65536 + to.h.capture) ?? 0),
        latency: s ? { min: s.min, median: sorted[Math.floor(sorted.length / 2)]!, max: s.max } : null,
      });
    }
    return { flow: this.keys[a.flow]!.flow, packets: a.packets, lost: a.lost, hops: outHops, segments };
  }
}

function hopOf(a: FlowAcc, capture: number, iface: number): number {
  if (a.index) return a.index.get(hopKey(capture, iface)) ?? -1;
  const hops = a.hops;
  for (let x = 0; x < hops.length; x++) if (hops[x]!.capture === capture && hops[x]!.iface === iface) return x;
  return -1;
}

function segOf(a: FlowAcc, from: number, to: number): SegAcc | undefined {
  if (from < SMALL && to < SMALL) return a.near[from * SMALL + to];
  return a.far?.get(segKey(from, to));
}

function addSeg(a: FlowAcc, from: number, to: number, d: number): SegAcc {
  const sg: SegAcc = { n: 0, min: d, max: d, values: [] };
  if (from < SMALL && to < SMALL) {
    // Holes would make the array sparse (a dictionary): fill up to the slot.
    const at = from * SMALL + to;
    putAt(a.near, at, sg);
  } else (a.far ??= new Map()).set(segKey(from, to), sg);
  return sg;
}

/** Report order: more lost packets first, then more packets, then the earlier flow. */
function rank(x: FlowAcc, y: FlowAcc): number {
  return y.lost - x.lost || y.packets - x.packets || x.flow - y.flow;
}
