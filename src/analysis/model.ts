import type { FlowSummary } from './flow-table.js';
import type { Finding } from './finding.js';
import type { NodeState } from '../nodestate/types.js';
import type { Topology } from './topology/types.js';
import type { Correlation } from '../correlate/types.js';
import type { TracedFrames } from '../correlate/trace-frames.js';
import type { ClusterState } from '../k8s/types.js';

export interface CaptureProblemSummary {
  offset: number;
  packet?: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface InterfaceSummary {
  index: number;
  linktype: number;
  linktypeName: string;
  snaplen: number;
  name?: string;
  recv?: number;
  drop?: number;
}

export interface AnomalyCount {
  id: string;
  severity: string;
  description: string;
  count: number;
  packets: number[];
}

/** One capture as read: its metadata, health and what the pass counted. */
export interface CaptureSummary {
  index: number;
  /** Capture point name (NAME=FILE on the command line, else the file name). */
  name: string;
  file: string;
  format: string;
  formatDetail: string;
  sizeBytes: number | null;
  packets: number;
  bytes: number;
  /** Seconds since the epoch of the first and last packet (null when empty). */
  firstTime: number | null;
  lastTime: number | null;
  interfaces: InterfaceSummary[];
  problems: CaptureProblemSummary[];
  anomalies: AnomalyCount[];
  /** Packets whose captured length is below their wire length (snaplen cut). */
  snappedPackets: number;
  maxCapturedLength: number;
  flows: number;
  flowsEvicted: number;
  /** Seconds to add to this capture's timestamps to put it on the first capture's clock. */
  clockOffset: number;
  clockOffsetError: number | null;
  durationMs: number;
}

/** Everything the diagnosis step sees. */
export interface Model {
  captures: CaptureSummary[];
  /** Flows per capture, same order as captures. */
  flows: FlowSummary[][];
  topology: Topology;
  /** Per analyzer name: its per-capture results (undefined where a capture produced none). */
  results: Record<string, unknown[]>;
  nodeState: NodeState | null;
  /** The cluster's API objects (--cluster-state / --k8s), when given. */
  cluster: ClusterState | null;
  /** Findings of the analyzers that ran before this one (registration order), so a symptom can defer to its cause. */
  findings: Finding[];
  /** Packets followed across the captures; set during diagnosis by the path analyzer. */
  correlation?: Correlation | null;
  /** --trace: the display filter and, per capture, the frames it matched, which the correlation follows (a lone capture too). */
  trace?: { filter: string; frames: ReadonlyArray<TracedFrames | undefined> };
}
