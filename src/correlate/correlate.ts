import { v4String } from '../analysis/addr.js';
import type { FlowSummary } from '../analysis/flow-table.js';
import type { CaptureSummary } from '../analysis/model.js';
import type { Topology } from '../analysis/topology/types.js';
import type { NodeState } from '../nodestate/types.js';
import { estimateClocks, type ClockEstimate } from './clock.js';
import { flowKeyOf } from './describe.js';
import { expectedChain, flowEnds, NodeLocator, type ChainStep, type FlowEnds } from './expect.js';
import { join, type Joined } from './match.js';
import { buildPackets, type Packets } from './packets.js';
import { PathBuilder } from './paths.js';
import { guessPoints, nodeStatePodCidrs, settlePoints, type PointGuess } from './points.js';
import { LossCollector } from './losses.js';
import { DEFAULT_SIGHTING_LIMIT, SightingCollector, type SightingTable } from './sightings.js';
import type { CapturePoint, Correlation, FlowKey } from './types.js';

export interface CorrelateInput {
  /** Per capture, in capture order; undefined where a capture produced none. */
  tables: ReadonlyArray<SightingTable | undefined>;
  captures: CaptureSummary[];
  flows: FlowSummary[][];
  topology: Topology;
  /** Node state (--node-state): names capture points after nodes and places pod CIDRs. */
  nodeState?: NodeState | null;
}

/** What correlation keeps besides its JSON result, for `--trace` and the terminal UI. */
export interface CorrelationIndex {
  joined: Joined;
  packets: Packets;
  clocks: ClockEstimate;
  points: PointGuess[];
  chains: Array<{ flow: FlowKey; ends: FlowEnds; chain: ChainStep[] }>;
  /** Sightings of instance q are members[instFirst[q] .. instFirst[q+1]). */
  instFirst: Int32Array;
  /** Per packet: the first chain step it missed (-1 none) and its flow id. */
  missing: Int32Array;
  packetFlow: Int32Array;
}

const indexes = new WeakMap<Correlation, CorrelationIndex>();

export function correlationIndex(c: Correlation): CorrelationIndex | undefined {
  return indexes.get(c);
}

/**
 * Follow every packet across the captures: join sightings by identity, estimate the
 * clocks, join instances into packets, then walk each packet along the points its flow
 * should cross to get paths, latencies and where the lost ones stopped.
 */
export function correlate(input: CorrelateInput): Correlation {
  const tables = input.captures.map((s, c) => input.tables[c] ?? new SightingCollector(s.name).finish());
  const C = tables.length;
  const joined = join(tables);
  const clocks = estimateClocks(joined, C);
  const packets = buildPackets(joined, clocks.offset);
  const known = new Set(input.topology.podCidrs.map((p) => p.cidr));
  const extra = nodeStatePodCidrs(input.nodeState ?? null).filter((p) => !known.has(p.cidr));
  const topology: Topology = extra.length ? { ...input.topology, podCidrs: [...input.topology.podCidrs, ...extra.map((p) => ({ ...p, source: 'node-state' as const, evidence: [] }))] } : input.topology;
  const points = guessPoints(tables, input.flows, topology, input.captures.map((c) => c.name), input.nodeState ?? null);

  // Sightings of instance q are members[instFirst[q] .. instFirst[q+1]).
  const instFirst = new Int32Array(joined.instances + 1);
  {
    let q = 0;
    for (let m = 0; m < joined.total; m++) {
      const inst = joined.instOf[joined.members[m]!]!;
      while (q <= inst) instFirst[q++] = m;
    }
    while (q <= joined.instances) instFirst[q++] = joined.total;
  }

  settlePoints(points, endVotes(joined, packets, points), topology);

  const flowInfo: CorrelationIndex['chains'] = [];
  const tunnelledFlow = new Uint8Array(joined.flows);
  for (let g = 0; g < joined.total; g++) {
    const c = joined.capOf[g]!;
    if (tables[c]!.tunnel[g - joined.base[c]!] !== 0) tunnelledFlow[joined.groupFlow[joined.groupOf[g]!]!] = 1;
  }
  const locator = new NodeLocator(topology);
  const chains = new Map<string, ChainStep[]>();
  for (let f = 0; f < joined.flows; f++) {
    const g = joined.flowHead[f]!;
    const c = joined.capOf[g]!;
    const flow = flowKeyOf(tables[c]!, g - joined.base[c]!);
    const ends = flowEnds(flow, locator);
    // The chain depends on the addresses only: flows between two pods share it.
    const ck = `${flow.src}|${flow.dst}|${tunnelledFlow[f]}`;
    let chain = chains.get(ck);
    if (!chain) chains.set(ck, (chain = expectedChain(flow, ends, points, tunnelledFlow[f] === 1)));
    flowInfo.push({ flow, ends, chain });
  }

  const offsets = clocks.offset.map((o) => o ?? 0);
  const window = input.captures.map((s, c) => ({
    from: s.firstTime === null ? Infinity : s.firstTime + offsets[c]!,
    to: s.lastTime === null ? -Infinity : s.lastTime + offsets[c]!,
  }));
  const paths = new PathBuilder(joined, flowInfo.map((f) => f.flow));
  const losses = new LossCollector(joined, tables, flowInfo, window, topology);
  const matchedAt = new Float64Array(C);
  const packetsAt = new Float64Array(C);
  const missing = new Int32Array(packets.count).fill(-1);
  const packetFlow = new Int32Array(packets.count);
  let matched = 0;
  const rows: number[] = [];
  const times: number[] = [];
  for (let p = 0; p < packets.count; p++) {
    rows.length = 0;
    times.length = 0;
    let mask = 0;
    let caps = 0;
    for (let x = packets.start[p]!; x < packets.start[p + 1]!; x++) {
      const q = packets.list[x]!;
      const c = joined.instCap[q]!;
      if (((mask >>> c % 31) & 1) === 0 || c >= 31) caps++;
      mask |= 1 << c % 31;
      packetsAt[c]!++;
      const off = offsets[c]!;
      for (let m = instFirst[q]!; m < instFirst[q + 1]!; m++) {
        const g = joined.members[m]!;
        rows.push(g);
        times.push(tables[c]!.time[g - joined.base[c]!]! + off);
      }
    }
    const first = packets.list[packets.start[p]!]!;
    const flow = joined.groupFlow[joined.instGroup[first]!]!;
    packetFlow[p] = flow;
    if (caps > 1) {
      matched++;
      for (let x = packets.start[p]!; x < packets.start[p + 1]!; x++) matchedAt[joined.instCap[packets.list[x]!]!]!++;
    }
    paths.packet(flow, rows, times);
    missing[p] = losses.packet(flow, rows, times);
  }

  const lossGroups = losses.groups();
  const built = paths.build(losses.lostPerFlow);
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
  const result: Correlation = {
    points: capturePoints,
    matched,
    paths: built.paths,
    pathsOmitted: built.omitted,
    losses: lossGroups,
    trace: null,
    truncated: tables.filter((t) => t.truncated).map((t) => t.capture),
    sightingLimit: Math.max(DEFAULT_SIGHTING_LIMIT, ...tables.map((t) => t.limit)),
  };
  indexes.set(result, { joined, packets, clocks, points, chains: flowInfo, instFirst, missing, packetFlow });
  return result;
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
