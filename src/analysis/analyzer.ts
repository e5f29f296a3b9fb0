import type { PacketView } from '../decode/packet-view.js';
import type { PacketFacts } from './facts.js';
import type { FlowTable } from './flow-table.js';
import type { Finding } from './finding.js';
import type { Model } from './model.js';
import type { BgpHint, ExtraPodCidr } from './topology/build.js';

/** What a per-capture pass knows about the capture it is reading. */
export interface PassContext {
  captureIndex: number;
  /** Capture point name, as evidence cites it. */
  capture: string;
  /** Packet time in seconds since the epoch (double). */
  time: number;
  /** The flow row this packet was accounted to (-1: not a flow) and its direction. */
  flowRow: number;
  flowDir: number;
  /** The capture's flow table (read-only for analyzers: e.g. whether this packet was a retransmission). */
  flows?: FlowTable;
  /** A folder for state too large to hold per packet in memory (removed by the run's owner). */
  spillDir?: string;
}

/**
 * One fault family (MTU, FDB, ARP, BGP ...). Runs in two steps so captures can be read in
 * parallel workers:
 *  1. per capture: `create` state, `packet` for every packet (hot path: cheap, no
 *     allocation in the common case), `finish` → a structured-cloneable result;
 *  2. across captures: `diagnose` reads every capture's result plus the shared model
 *     (topology, flows, node state) and emits findings.
 */
export interface Analyzer<S = unknown, R = unknown> {
  readonly name: string;
  create(ctx: PassContext): S;
  packet?(state: S, f: PacketFacts, p: PacketView, ctx: PassContext): void;
  finish(state: S, ctx: PassContext): R;
  diagnose?(results: ReadonlyArray<R | undefined>, model: Model): Finding[];
  /** Facts this analyzer offers the topology (pod CIDRs from BGP NLRI, BGP speakers). */
  topology?(results: ReadonlyArray<R | undefined>): TopologyContribution;
}

export interface TopologyContribution {
  podCidrs?: ExtraPodCidr[];
  bgp?: BgpHint;
}

/** Helper for typing analyzer modules. */
export function defineAnalyzer<S, R>(a: Analyzer<S, R>): Analyzer<S, R> {
  return a;
}
