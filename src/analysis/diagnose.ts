import type { NodeState } from '../nodestate/types.js';
import type { ClusterState } from '../k8s/types.js';
import { analyzers } from './analyzers/index.js';
import type { Analyzer, TopologyContribution } from './analyzer.js';
import { rankFindings, type Finding } from './finding.js';
import type { Model } from './model.js';
import type { CaptureResult } from './pass.js';
import { buildTopology } from './topology/build.js';
import type { TopologyObservations } from './topology/collect.js';
import type { CniSignals } from './topology/cni-signals.js';


/**
 * Join every capture's pass into one model and let each analyzer name what it finds.
 * Findings come back ranked: most important first.
 */
export function diagnose(
  captures: CaptureResult[],
  nodeState: NodeState | null,
  list: readonly Analyzer[] = analyzers,
  cluster: ClusterState | null = null,
  trace?: string,
): { model: Model; findings: Finding[] } {
  const results: Record<string, unknown[]> = {};
  for (const a of list) results[a.name] = captures.map((c) => c.results[a.name]);
  const flows = captures.map((c) => c.flows);
  const contributions: TopologyContribution[] = [];
  for (const a of list) {
    if (a.topology) contributions.push(a.topology(results[a.name]!));
  }
  const extra = contributions.flatMap((c) => c.podCidrs ?? []);
  const bgp = contributions.find((c) => c.bgp)?.bgp ?? null;
  const topology = buildTopology(results['topology'] as (TopologyObservations | undefined)[] ?? [], flows, extra, bgp, (results['cni-signals'] ?? []) as (CniSignals | undefined)[]);
  const findings: Finding[] = [];
  const model: Model = { captures: captures.map((c) => c.summary), flows, topology, results, nodeState, cluster, findings, ...(trace !== undefined ? { trace: { filter: trace, frames: captures.map((c) => c.traced) } } : {}) };
  for (const a of list) {
    if (!a.diagnose) continue;
    findings.push(...a.diagnose(results[a.name]!, model));
  }
  const ranked = rankFindings(findings);
  model.findings = ranked;
  return { model, findings: ranked };
}
