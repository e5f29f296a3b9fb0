import { v4String } from '../analysis/addr.js';
import type { Topology } from '../analysis/topology/types.js';
import { IdSet, putAt } from './by-id.js';
import { flowLabel } from './describe.js';
import { stepOf, type ChainStep, type FlowEnds } from './expect.js';
import type { JoinedRows } from './match.js';
import { SIGHTING_FLAG_OUTER_V6 } from './sightings.js';
import type { FlowKey, LossGroup, LossPlace } from './types.js';

/** A packet this close to the end of the capture that should have seen it next is not called lost. */
export const END_MARGIN = 1;
/**
 * Losses this close to the start of the capture that should have seen them count only
 * beside losses after it: a capture's first packet is not when it began taking every
 * packet (libpcap discards what queued on the socket before its filter was attached), so a
 * few packets missing there alone are the capture's start, not a drop.
 */
export const START_MARGIN = 0.5;
const LOSS_SAMPLE = 10;
/** Chains longer than this are judged on their first 31 steps (a bitmask per packet). */
const MAX_STEPS = 31;

/** Told of every lost packet: its flow, the capture it was last seen at and the one it missed (-1 none). */
export interface LossSink {
  lost(flow: number, last: number, missing: number): void;
}

/** Captures a loss code covers: the code stays a small integer (below 2^30). */
const MAX_CODED = 1024;
const PLACES: readonly LossPlace[] = ['source-node', 'underlay', 'destination-node', 'misdirected'];

function stepCode(s: ChainStep): number {
  return s.capture * 3 + (s.form === 'all' ? 0 : s.form === 'outer' ? 1 : 2);
}

/** The loss group's key as one integer: place, then the last and the missing step. */
function lossCode(place: LossPlace, last: ChainStep, miss: ChainStep): number {
  return (stepCode(last) * MAX_CODED * 3 + stepCode(miss)) * 4 + PLACES.indexOf(place);
}

interface Reach {
  mask: number;
  n: number;
  maxSize: number;
}

interface FlowChain {
  flow: FlowKey;
  ends: FlowEnds;
  chain: ChainStep[];
}

interface GroupAcc {
  place: LossPlace;
  last: ChainStep;
  miss: ChainStep | null;
  lost: number;
  /** Of those, lost after the missing capture's first START_MARGIN seconds. */
  afterStart: number;
  flows: Set<number>;
  /** The flow last added to `flows`. */
  lastFlow: number;
  sample: number[];
  min: number;
  max: number;
  dstNodes: Set<string>;
  outerDsts: Set<number>;
  /** The outer destination last added to `outerDsts` (-1 none). */
  lastOuterDst: number;
  misdirectedTo: number;
}

/**
 * Judges each packet against the chain of points its flow should cross: it was lost when
 * it stops short of the last one while the next point's capture was running. Lost
 * packets are grouped by where they stopped; what they have in common comes from the
 * packets of the same flows that got through.
 */
export class LossCollector {
  private readonly acc = new Map<string, GroupAcc>();
  /**
   * The same groups by a small-integer code of place and the two steps' capture and form,
   * so a lost packet finds its group without building the text key. Misdirected losses
   * (grouped by their outer destination too) and runs of more captures than the code
   * holds go by the key.
   */
  private readonly byCode = new Map<number, GroupAcc>();
  /**
   * Judged packets by flow, then by the chain steps they reached (a bitmask): how many,
   * and the largest inner size. Bounded by the flows held, not packets: a retired flow
   * keeps its entry only when it had losses.
   */
  private readonly reached: Array<Map<number, Reach> | undefined> = [];
  /** By flow, its entry in `reached` the last packet counted on: a flow's packets mostly reach the same steps. */
  private readonly lastReach: Array<Reach | undefined> = [];
  /** Flows with at least one lost packet. */
  private readonly lossy = new IdSet();
  private readonly podCidrNodes: Set<string>;
  private j!: JoinedRows;

  constructor(
    /** Capture point names, by capture index. */
    private readonly names: readonly string[],
    /** Flow chains by flow id (grows as flows appear; a flow's is there while it is followed, and kept once it had losses). */
    private readonly chains: ReadonlyArray<FlowChain | undefined>,
    private readonly window: Array<{ from: number; to: number }>,
    topology: Topology,
    private readonly sink: LossSink,
    /** The flow id of the opposite direction, or -1. */
    private readonly reverseOf: (flow: number) => number,
  ) {
    this.podCidrNodes = new Set(topology.podCidrs.map((c) => c.nodeIp));
  }

  /** Returns the chain step the packet missed, or -1. Its sightings are rows[from .. to) of `j`. */
  packet(flow: number, rows: Int32Array, times: Float64Array, from: number, to: number, j: JoinedRows): number {
    this.j = j;
    const fc = this.chains[flow]!;
    const chain = fc.chain;
    let maxPos = -1;
    let maxRow = -1;
    let maxTime = 0;
    let mask = 0;
    let misdirected = -1;
    let size = 0;
    const dstNode = fc.ends.dstNodeV4;
    for (let k = from; k < to; k++) {
      const g = rows[k]!;
      const c = j.capOf[g]!;
      const t = j.tables[c]!;
      const i = g - j.base[c]!;
      size = t.size[i]!;
      const enc = t.tunnel[i] !== 0;
      // Encapsulated toward a node that does not host the destination pod.
      if (enc && fc.ends.dstIsPod && dstNode !== null && t.outerDst[i] !== dstNode && (t.flags[i]! & SIGHTING_FLAG_OUTER_V6) === 0 && t.outerSrc[i] !== dstNode) misdirected = g;
      const pos = stepOf(chain, c, enc);
      if (pos < 0) continue;
      if (pos < MAX_STEPS) mask |= 1 << pos;
      if (pos > maxPos) {
        maxPos = pos;
        maxRow = g;
        maxTime = times[k]!;
      }
    }
    if (misdirected >= 0 && (maxPos < 0 || chain[maxPos]!.side === 'src')) {
      const c = j.capOf[misdirected]!;
      const t = j.tables[c]!;
      const i = misdirected - j.base[c]!;
      const last = chain[Math.max(0, maxPos)] ?? { capture: c, form: 'all' as const, side: 'src' as const, node: fc.ends.srcNode };
      const miss = chain.find((s) => s.side === 'dst') ?? null;
      this.lose('misdirected', flow, last, miss, maxRow >= 0 ? maxRow : misdirected, size, t.outerDst[i]!);
      return miss ? chain.indexOf(miss) : -1;
    }
    if (chain.length < 2 || maxPos < 0) return -1;
    let r = this.lastReach[flow];
    if (r === undefined || r.mask !== mask) {
      let byMask = this.reached[flow];
      if (!byMask) {
        putAt(this.reached, flow, (byMask = new Map()));
      }
      r = byMask.get(mask);
      if (!r) byMask.set(mask, (r = { mask, n: 0, maxSize: size }));
      putAt(this.lastReach, flow, r);
    }
    r.n++;
    if (size > r.maxSize) r.maxSize = size;
    if (maxPos === chain.length - 1) return -1;
    const miss = chain[maxPos + 1]!;
    const w = this.window[miss.capture]!;
    if (maxTime < w.from || maxTime + END_MARGIN > w.to) return -1;
    const last = chain[maxPos]!;
    const place: LossPlace = last.side === 'src' ? (miss.side === 'src' ? 'source-node' : 'underlay') : 'destination-node';
    this.lose(place, flow, last, miss, maxRow, size, -1, maxTime < w.from + START_MARGIN);
    return maxPos + 1;
  }

  private lose(place: LossPlace, flow: number, last: ChainStep, miss: ChainStep | null, row: number, size: number, misdirectedTo: number, atStart = false): void {
    const code = place !== 'misdirected' && miss && last.capture < MAX_CODED && miss.capture < MAX_CODED ? lossCode(place, last, miss) : -1;
    let a = code >= 0 ? this.byCode.get(code) : undefined;
    if (!a) {
      const key = `${place}|${last.capture}|${last.form}|${miss ? `${miss.capture}|${miss.form}` : '-'}|${misdirectedTo}`;
      a = this.acc.get(key);
      if (!a) {
        a = { place, last, miss, lost: 0, afterStart: 0, flows: new Set(), lastFlow: -1, sample: [], min: size, max: size, dstNodes: new Set(), outerDsts: new Set(), lastOuterDst: -1, misdirectedTo };
        this.acc.set(key, a);
      }
      if (code >= 0) this.byCode.set(code, a);
    }
    a.lost++;
    if (!atStart) a.afterStart++;
    // Lost packets come in runs of one flow: the sets are asked once per run (a flow has one destination node).
    if (a.lastFlow !== flow) {
      a.flows.add(flow);
      a.lastFlow = flow;
      const dn = this.chains[flow]!.ends.dstNode;
      if (dn) a.dstNodes.add(dn);
    }
    const c = this.j.capOf[row]!;
    const t = this.j.tables[c]!;
    const i = row - this.j.base[c]!;
    if (c === last.capture && a.sample.length < LOSS_SAMPLE) a.sample.push(t.frame[i]!);
    if (size < a.min) a.min = size;
    if (size > a.max) a.max = size;
    if (t.tunnel[i] !== 0 && t.outerDst[i] !== a.lastOuterDst) a.outerDsts.add((a.lastOuterDst = t.outerDst[i]!));
    this.lossy.add(flow);
    this.sink.lost(flow, last.capture, miss ? miss.capture : -1);
  }

  /**
   * A flow no longer followed: what its packets reached matters only if some were lost.
   * Returns whether the flow can be let go (it had no losses).
   */
  retire(flow: number): boolean {
    if (this.lossy.has(flow)) return false;
    putAt(this.reached, flow, undefined);
    putAt(this.lastReach, flow, undefined);
    return true;
  }

  groups(): LossGroup[] {
    const lostFlows = new Set<number>();
    for (const a of this.acc.values()) for (const f of a.flows) lostFlows.add(f);
    const out: LossGroup[] = [];
    for (const a of this.acc.values()) {
      if (a.afterStart === 0) continue;
      // Packets of the same flows that crossed this segment.
      let delivered = 0;
      let maxDelivered = 0;
      if (a.miss) {
        const steps = new Map<number, [number, number]>();
        for (const f of a.flows) {
          const ch = this.chains[f]!.chain;
          const sl = ch.findIndex((s) => s.capture === a.last.capture && s.form === a.last.form);
          const sm = ch.findIndex((s) => s.capture === a.miss!.capture && s.form === a.miss!.form);
          if (sl >= 0 && sm >= 0 && sl < MAX_STEPS && sm < MAX_STEPS) steps.set(f, [sl, sm]);
        }
        for (const [f, st] of steps) {
          for (const [m, r] of this.reached[f] ?? []) {
            if ((m >>> st[0]) & 1 && (m >>> st[1]) & 1) {
              delivered += r.n;
              if (r.maxSize > maxDelivered) maxDelivered = r.maxSize;
            }
          }
        }
      }
      const reverses = [...a.flows].map((f) => this.reverseOf(f));
      const oneDirection = reverses.some((r) => r >= 0) && reverses.every((r) => r < 0 || !lostFlows.has(r));
      const name = (c: number) => this.names[c]!;
      const form = (s: ChainStep) => (s.form === 'outer' ? ('encapsulated' as const) : s.form === 'inner' ? ('bare' as const) : null);
      out.push({
        place: a.place,
        lastSeen: name(a.last.capture),
        firstMissing: a.miss ? name(a.miss.capture) : null,
        lastSeenForm: form(a.last),
        firstMissingForm: a.miss ? form(a.miss) : null,
        fromNode: a.last.node,
        toNode: a.place === 'misdirected' ? v4String(a.misdirectedTo) : (a.miss?.node ?? null),
        toNodeOwnsPods: a.place === 'misdirected' ? this.podCidrNodes.has(v4String(a.misdirectedTo)) : null,
        lost: a.lost,
        delivered,
        pattern: {
          allPackets: delivered === 0,
          sizeAbove: delivered > 0 && a.min > maxDelivered ? maxDelivered : null,
          oneDirection,
          dstNode: a.dstNodes.size === 1 ? [...a.dstNodes][0]! : null,
          outerDst: a.outerDsts.size === 1 ? v4String([...a.outerDsts][0]!) : null,
        },
        flows: [...a.flows].map((f) => flowLabel(this.chains[f]!.flow)),
        sample: a.sample,
        sizes: { min: a.min, max: a.max },
      });
    }
    return out.sort((x, y) => y.lost - x.lost);
  }

}


