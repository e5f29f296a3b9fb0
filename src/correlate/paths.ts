import { encapOf } from './describe.js';
import type { Joined } from './match.js';
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
  packets: number;
  /** Hop index by capture × 2^32 + interface; hops in first-seen order. */
  index: Map<number, number>;
  hops: HopAcc[];
  /** Every ordered hop pair a packet crossed (from-hop × 2^16 + to-hop), not only neighbours: a later hop's latency counts packets an intermediate point missed. */
  segs: Map<number, SegAcc>;
}

const hopKey = (capture: number, iface: number): number => capture * 4294967296 + iface;
const segKey = (from: number, to: number): number => from * 65536 + to;

/** Accumulates, per flow direction, the points its packets crossed and the time between them. */
export class PathBuilder {
  private readonly acc: Array<FlowAcc | undefined> = [];
  private order = new Int32Array(64);
  private seen = new Int32Array(64);

  constructor(
    /** Capture point names, by capture index. */
    private readonly names: readonly string[],
    /** Flow keys by flow id (grows as flows appear). */
    private readonly keys: ReadonlyArray<{ flow: FlowKey }>,
  ) {}

  /** One packet: its sightings (rows of `j`) and their corrected times. */
  packet(flow: number, rows: number[], times: number[], j: Joined): void {
    let a = this.acc[flow];
    if (!a) a = this.acc[flow] = { packets: 0, index: new Map(), hops: [], segs: new Map() };
    a.packets++;
    const n = rows.length;
    if (this.order.length < n) this.order = new Int32Array(n * 2);
    const order = this.order;
    // Insertion sort by time: a packet has a handful of sightings.
    for (let k = 0; k < n; k++) {
      let x = k;
      while (x > 0 && times[order[x - 1]!]! > times[k]!) {
        order[x] = order[x - 1]!;
        x--;
      }
      order[x] = k;
    }
    const t0 = times[order[0]!]!;
    const seen = this.seen.length < n ? (this.seen = new Int32Array(n * 2)) : this.seen;
    for (let x = 0; x < n; x++) {
      const k = order[x]!;
      const g = rows[k]!;
      const c = j.capOf[g]!;
      const t = j.tables[c]!;
      const i = g - j.base[c]!;
      const key = hopKey(c, t.iface[i]!);
      let hi = a.index.get(key);
      if (hi === undefined) {
        hi = a.hops.length;
        a.index.set(key, hi);
        a.hops.push({ capture: c, iface: t.iface[i]!, encap: encapOf(t, i), packets: 0, sample: [], relSum: 0, rankSum: 0 });
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
        const sk = segKey(from, hi);
        const d = times[k]! - times[order[y]!]!;
        let sg = a.segs.get(sk);
        if (!sg) a.segs.set(sk, (sg = { n: 0, min: d, max: d, values: [] }));
        sg.n++;
        if (d < sg.min) sg.min = d;
        if (d > sg.max) sg.max = d;
        if (sg.values.length < LATENCY_SAMPLE) sg.values.push(d);
      }
    }
  }

  /** Paths, lossy and busy flows first; `lost` per flow and per (last capture > missing capture). */
  build(lost: Map<number, { total: number; bySegment: Map<string, number> }>): { paths: FlowPath[]; omitted: number } {
    const flows: number[] = [];
    this.acc.forEach((a, f) => {
      if (a) flows.push(f);
    });
    const lostOf = (f: number) => lost.get(f)?.total ?? 0;
    flows.sort((x, y) => lostOf(y) - lostOf(x) || this.acc[y]!.packets - this.acc[x]!.packets);
    const paths = flows.slice(0, REPORT_PATHS).map((f) => this.path(f, lost.get(f)));
    return { paths, omitted: Math.max(0, flows.length - REPORT_PATHS) };
  }

  private path(f: number, lost: { total: number; bySegment: Map<string, number> } | undefined): FlowPath {
    const a = this.acc[f]!;
    // Order by how many other hops each one follows in the packets that saw both (a point that
    // missed some packets keeps its place), then by its mean position.
    const after = a.hops.map((_, x) => {
      let n = 0;
      for (let y = 0; y < a.hops.length; y++) {
        if (y === x || x >= 65536 || y >= 65536) continue;
        const yx = a.segs.get(segKey(y, x))?.n ?? 0;
        const xy = a.segs.get(segKey(x, y))?.n ?? 0;
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
      const s = a.segs.get(segKey(from.idx, to.idx));
      const sorted = s ? [...s.values].sort((x, y) => x - y) : [];
      segments.push({
        from: name(from.h.capture),
        fromIface: from.h.iface,
        to: name(to.h.capture),
        toIface: to.h.iface,
        packets: s?.n ?? 0,
        lost: from.h.capture === to.h.capture ? 0 : (lost?.bySegment.get(`${from.h.capture}>${to.h.capture}`) ?? 0),
        latency: s ? { min: s.min, median: sorted[Math.floor(sorted.length / 2)]!, max: s.max } : null,
      });
    }
    return { flow: this.keys[f]!.flow, packets: a.packets, lost: lost?.total ?? 0, hops: outHops, segments };
  }
}
