import type { Finding } from '../analysis/finding.js';
import type { FlowSummary } from '../analysis/flow-table.js';
import type { CaptureSummary, Model } from '../analysis/model.js';
import type { Topology } from '../analysis/topology/types.js';
import type { Correlation } from '../correlate/types.js';
import type { PacketTimeline } from '../analysis/packet-timeline.js';
import type { AddressName } from '../k8s/names.js';
import { nameReport } from '../k8s/report-names.js';

export const SCHEMA_VERSION = 1;
/** Flows listed in reports; the rest are counted. Flows with trouble always come first. */
export const REPORT_FLOWS = 200;

export interface ReportFlow extends FlowSummary {
  capture: string;
  /** The cluster's names of src and dst (`namespace/pod`, node, `namespace/service`), with --cluster-state. */
  srcName?: string;
  dstName?: string;
}

/** A finding as reported: with --cluster-state, the name of its node too. */
export type ReportFinding = Finding & { nodeName?: string };

/** A capture as reported: its summary plus packets over time (absent from older passes). */
export type ReportCapture = CaptureSummary & { timeline?: PacketTimeline | null };

/** The JSON document `netdiag read --format json` prints (see README, "JSON schema"). */
export interface Report {
  schemaVersion: number;
  netdiag: { version: string; command: string[] };
  verdict: string;
  captures: ReportCapture[];
  topology: Topology;
  flows: ReportFlow[];
  flowsOmitted: number;
  findings: ReportFinding[];
  /** Every address the report mentions that the cluster state names (empty without it). */
  names?: Record<string, AddressName>;
  /** Packets followed across captures (null with a single capture). */
  correlation?: Correlation | null;
}

/** How much trouble a flow shows, for ordering the flow table. */
export function flowTrouble(f: FlowSummary): number {
  let t = 0;
  if (f.tcp) {
    if (f.tcp.handshake === 'syn-only' || f.tcp.handshake === 'reset') t += 100;
    t += f.tcp.retransmissions[0] + f.tcp.retransmissions[1];
    t += 10 * (f.tcp.rst[0] + f.tcp.rst[1]);
  }
  if (f.packets[1] === 0) t += 5;
  return t;
}

export function verdict(findings: Finding[], captures: CaptureSummary[]): string {
  const packets = captures.reduce((a, c) => a + c.packets, 0);
  const top = findings[0];
  if (!top || top.severity === 'info') {
    return `No fault found in ${packets} packet${packets === 1 ? '' : 's'} from ${captures.length} capture${captures.length === 1 ? '' : 's'}.`;
  }
  const more = findings.filter((f) => f.severity !== 'info').length - 1;
  return `${top.title}${top.node ? ` (node ${top.node})` : ''}${more > 0 ? `; ${more} more problem${more === 1 ? '' : 's'} found` : ''}.`;
}

export function buildReport(model: Model, findings: Finding[], version: string, command: string[]): Report {
  const all: ReportFlow[] = [];
  model.flows.forEach((list, i) => {
    const capture = model.captures[i]?.name ?? String(i);
    for (const f of list) all.push({ ...f, capture });
  });
  all.sort((a, b) => flowTrouble(b) - flowTrouble(a) || b.packets[0] + b.packets[1] - (a.packets[0] + a.packets[1]));
  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    netdiag: { version, command },
    verdict: verdict(findings, model.captures),
    captures: model.captures,
    topology: model.topology,
    flows: all.slice(0, REPORT_FLOWS),
    // Large captures materialize only some flows; the captures count them all.
    flowsOmitted: Math.max(0, Math.max(all.length, model.captures.reduce((n, c) => n + c.flows, 0)) - REPORT_FLOWS),
    findings,
    names: {},
    correlation: model.correlation ?? null,
  };
  return model.cluster ? nameReport(report, model.cluster) : report;
}
