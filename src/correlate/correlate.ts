import { v4String } from '../analysis/addr.js';
import type { FlowSummary } from '../analysis/flow-table.js';
import type { CaptureSummary } from '../analysis/model.js';
import type { Topology } from '../analysis/topology/types.js';
import type { NodeState } from '../nodestate/types.js';
import { ArrayPool } from './array-pool.js';
import { estimateClocks } from './clock.js';
import { NodeLocator } from './expect.js';
import { FlowRegistry } from './flow-registry.js';
import { INSTANCE_SPAN, join, type Joined } from './match.js';
import { tunnelledFlows, type SliceParams } from './slices.js';
import { openSlices, ThreadedSlices, type SliceMode } from './threaded-slices.js';
import { buildPackets, MATCH_WINDOW, type Packets } from './packets.js';
import { PathBuilder } from './paths.js';
import { guessPoints, nodeStatePodCidrs, settlePoints, type PointGuess } from './points.js';
import { LossCollector } from './losses.js';
import { DEFAULT_SIGHTING_LIMIT, SightingCollector, type SightingStore } from './sightings.js';
import { readPrefix } from './stream.js';
import { TraceRecorder } from './trace.js';
import type { TracedFrames } from './trace-frames.js';
import type { CapturePoint, Correlation } from './types.js';

export interface CorrelateInput {
  /** Per capture, in capture order; undefined where a capture produced none. */
  sightings: ReadonlyArray<SightingStore | undefined>;
  captures: CaptureSummary[];
  flows: FlowSummary[][];
  topology: Topology;
  /** Node state (--node-state): names capture points after nodes and places pod CIDRs. */
  nodeState?: NodeState | null;
  /** --trace: the filter and, per capture, the frames it matched. */
  trace?: { filter: string; frames: ReadonlyArray<TracedFrames | undefined> };
  /** Seconds two sightings of one packet may lie apart (corrected clocks); further apart they are two packets. */
  window?: number;
  /** Sightings per capture the clock offsets and point kinds are estimated from. */
  clockSample?: number;
  /** Sightings (all captures) a slice of the stream aims to hold: sets how much time one slice covers. */
  sliceRows?: number;
  /** Seconds the first slice covers (later slices adapt to `sliceRows`). */
  slice?: number;
  /** Where the stream's slices are cut (see openSlices): `auto` unless a test pins it. */
  slices?: SliceMode;
  /** Seconds without a packet after which a flow's path is summed up and, unless it ranks among the reported ones, let go. */
  idle?: number;
}

/** Sightings per capture read for the clock estimate: the start of each capture. */
export const CLOCK_SAMPLE = 65536;
/** Seconds a capture's rows may come out of time order and still be matched. */
export const REORDER_SLACK = 0.1;
/** Sightings held per slice (all captures): about 200 bytes each while a slice is joined. */
export const SLICE_ROWS = 262_144;
/**
 * Seconds a flow may go without packets before its path is summed up (see PathBuilder):
 * about the span one packet's sightings may cover, so only the flows of the last seconds
 * are held in full however long the captures run.
 */
export const FLOW_IDLE = 2;
/** The window's margins never widen beyond this for a clock error. */
const MAX_ERROR_MARGIN = 5;
const MIN_SLICE = 0.25;
const MAX_SLICE = 3600;

/**
 * Follow every packet across the captures. The clock offsets and what each capture point
 * is come from a bounded sample (the start of every capture). Then the captures stream by
 * in corrected time, a slice at a time: each slice's sightings (with margins of the match
 * window on both sides) are joined into packets, and the packets that start inside the
 * slice are walked along the points their flow should cross for paths, latencies and
 * where the lost ones stopped. Memory follows the slice, never the captures' length. With
 * a second core the slices are cut and joined in a worker thread, one ahead of the packets
 * followed here (see openSlices); the result is the same either way.
 */
export function correlate(input: CorrelateInput): Correlation {
  const stores = input.captures.map((s, c) => input.sightings[c] ?? new SightingCollector(s.name).finish());
  const C = stores.length;
  const names = stores.map((s) => s.capture);
  const matchWindow = input.window ?? MATCH_WINDOW;
  const known = new Set(input.topology.podCidrs.map((p) => p.cidr));
  const extra = nodeStatePodCidrs(input.nodeState ?? null).filter((p) => !known.has(p.cidr));
  const topology: Topology = extra.length ? { ...input.topology, podCidrs: [...input.topology.podCidrs, ...extra.map((p) => ({ ...p, source: 'node-state' as const, evidence: [] }))] } : input.topology;
  const points = guessPoints(stores, input.flows, topology, input.captures.map((c) => c.name), input.nodeState ?? null);

  const flows = new FlowRegistry(new NodeLocator(topology), points);
  const budget = input.sliceRows ?? SLICE_ROWS;
  // One set of arrays for every join of the run, the sample's included.
  const pool = new ArrayPool();
  const { clocks, rate } = calibrate(stores, input.clockSample ?? CLOCK_SAMPLE, matchWindow, points, topology, flows, pool);

  const offsets = clocks.offset.map((o) => o ?? 0);
  const spans = input.captures.map((s, c) => ({
    from: s.firstTime === null ? Infinity : s.firstTime + offsets[c]!,
    to: s.lastTime === null ? -Infinity : s.lastTime + offsets[c]!,
  }));
  const paths = new PathBuilder(names, flows.list);
  const losses = new LossCollector(names, flows.list, spans, topology, paths, (f) => flows.reverse(f));
  const idle = input.idle ?? FLOW_IDLE;
  const trace = input.trace ? new TraceRecorder(input.trace.frames, names, flows.list) : null;
  const matchedAt = new Float64Array(C);
  const packetsAt = new Float64Array(C);
  let matched = 0;

  // A packet's sightings lie within the match window (plus an `any` capture's spread and the
  // clocks' error) of its first; a window before the slice decides where the packets around
  // its start begin.
  const maxError = Math.min(MAX_ERROR_MARGIN, Math.max(0, ...clocks.error.map((e) => e ?? 0)));
  const before = matchWindow + maxError;
  const after = matchWindow + INSTANCE_SPAN + maxError;
  // Every slice also joins its margins: one much shorter than them would join each sighting many times over.
  const minSlice = input.slice ?? Math.max(MIN_SLICE, before + after);
  const params: SliceParams = {
    offsets,
    matchWindow,
    before,
    after,
    reorder: REORDER_SLACK,
    budget,
    first: input.slice ?? firstSlice(rate, budget, before + after + REORDER_SLACK, minSlice),
    minSlice,
    maxSlice: MAX_SLICE,
  };
  const slices = openSlices(stores, params, pool, input.slices);
  // The sample's join arrays are reused by slices cut here; cut in a worker, they are garbage.
  if (slices instanceof ThreadedSlices) pool.clear();
  try {
    for (let s = slices.next(); s !== null; s = slices.next()) {
      const { j, rows, times, rowStart } = s;
      const flowId = pool.int32('c.flowId', j.flows).fill(-1);
      for (let x = 0; x < s.judged; x++) {
        const sf = s.judgedFlow[x]!;
        let flow = flowId[sf]!;
        if (flow < 0) flow = flowId[sf] = flows.id(j, sf, s.tunnelled[sf] === 1);
        const a = rowStart[x]!;
        const b = rowStart[x + 1]!;
        paths.packet(flow, rows, times, a, b, j);
        const missed = losses.packet(flow, rows, times, a, b, j);
        if (trace) trace.packet(flow, rows, times, a, b, s.judgedFirst[x]!, missed, j);
      }
      for (let c = 0; c < C; c++) {
        packetsAt[c]! += s.packetsAt[c]!;
        matchedAt[c]! += s.matchedAt[c]!;
      }
      matched += s.matched;
      for (const f of paths.retire(s.from - idle)) if (losses.retire(f)) flows.release(f);
    }
  } finally {
    slices.close();
  }

  const built = paths.build();
  const capturePoints: CapturePoint[] = points.map((pt, c) => ({
    capture: input.captures[c]!.name,
    index: c,
    kind: pt.kind,
    node: pt.node,
    pod: pt.pod,
    confidence: round3(pt.confidence),
    why: pt.why,
    clockOffset: clocks.offset[c] ?? null,
    clockOffsetError: clocks.error[c] ?? null,
    clockMethod: clocks.method[c]!,
    matchedPackets: matchedAt[c]!,
    packets: packetsAt[c]!,
  }));
  return {
    points: capturePoints,
    matched,
    paths: built.paths,
    pathsOmitted: built.omitted,
    losses: losses.groups(),
    trace: trace ? trace.result(input.trace!.filter) : null,
    truncated: stores.filter((t) => t.truncated).map((t) => t.capture),
    sightingLimit: Math.max(DEFAULT_SIGHTING_LIMIT, ...stores.map((t) => t.limit)),
  };
}

/**
 * The clock offsets, what each capture point is and the flows, from the start of every
 * capture; the sample is garbage once this returns, before the stream starts. `rate` is
 * the sampled sightings per second, all captures together.
 */
function calibrate(stores: SightingStore[], rows: number, matchWindow: number, points: PointGuess[], topology: Topology, flows: FlowRegistry, pool: ArrayPool): { clocks: ReturnType<typeof estimateClocks>; rate: number } {
  const sample = join(stores.map((s) => readPrefix(s, rows)), pool);
  const clocks = estimateClocks(sample, stores.length);
  settlePoints(points, endVotes(sample, buildPackets(sample, clocks.offset, matchWindow, pool), points), topology);
  const tunnelled = tunnelledFlows(sample, pool);
  for (let f = 0; f < sample.flows; f++) flows.id(sample, f, tunnelled[f] === 1);
  let rate = 0;
  for (const t of sample.tables) {
    if (t.count < 2) continue;
    const span = t.time[t.count - 1]! - t.time[0]!;
    rate += span > 0 ? t.count / span : t.count;
  }
  return { clocks, rate };
}

/**
 * Seconds of the first slice: what the sampled packet rate fills the row budget with,
 * less the margins every slice also holds. Later slices adapt to the rows they held.
 */
function firstSlice(rate: number, budget: number, margins: number, minSlice: number): number {
  if (rate === 0) return MAX_SLICE;
  return Math.min(MAX_SLICE, Math.max(minSlice, budget / rate - margins));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Per capture, how many followed packets started (first sighting) or ended (last) there,
 * by address: inner addresses at pod points, tunnel endpoints at underlay points (first
 * and last of the packet's encapsulated sightings).
 */
function endVotes(j: Joined, packets: Packets, points: PointGuess[]): Array<Map<string, number>> {
  const byNumber = points.map(() => new Map<number, number>());
  const vote = (c: number, v: number) => {
    const m = byNumber[c]!;
    m.set(v, (m.get(v) ?? 0) + 1);
  };
  const pod = points.map((p) => p.kind === 'pod');
  const underlay = points.map((p) => p.kind === 'underlay');
  for (let p = 0; p < packets.count; p++) {
    const a = packets.start[p]!;
    const b = packets.start[p + 1]!;
    if (b - a < 2) continue;
    const fq = packets.list[a]!;
    const lq = packets.list[b - 1]!;
    const fc = j.instCap[fq]!;
    const lc = j.instCap[lq]!;
    if (pod[fc]) vote(fc, j.tables[fc]!.src[j.instHead[fq]! - j.base[fc]!]!);
    if (pod[lc]) vote(lc, j.tables[lc]!.dst[j.instHead[lq]! - j.base[lc]!]!);
    let lo = -1;
    let hi = -1;
    for (let x = a; x < b; x++) {
      const q = packets.list[x]!;
      const c = j.instCap[q]!;
      if (!underlay[c] || j.tables[c]!.tunnel[j.instHead[q]! - j.base[c]!] === 0) continue;
      if (lo < 0) lo = q;
      hi = q;
    }
    if (lo >= 0 && hi !== lo) {
      const c1 = j.instCap[lo]!;
      const c2 = j.instCap[hi]!;
      vote(c1, j.tables[c1]!.outerSrc[j.instHead[lo]! - j.base[c1]!]!);
      vote(c2, j.tables[c2]!.outerDst[j.instHead[hi]! - j.base[c2]!]!);
    }
  }
  return byNumber.map((m) => new Map([...m].map(([v, n]) => [v4String(v), n] as [string, number])));
}
