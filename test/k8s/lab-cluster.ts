/**
 * A committed lab scenario with its kubectl JSON, analyzed once per test file; checks run the
 * diagnosis again with the cluster's objects edited to disagree with the wire.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Analyzer } from '../../src/analysis/analyzer.js';
import { analyzers } from '../../src/analysis/analyzers/index.js';
import type { Finding } from '../../src/analysis/finding.js';
import type { Model } from '../../src/analysis/model.js';
import { parseCaptureArg, type CaptureResult } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import { addClusterText } from '../../src/k8s/load.js';
import { emptyClusterState, type ClusterState } from '../../src/k8s/types.js';
import { loadNodeState } from '../../src/nodestate/load.js';
import type { NodeState } from '../../src/nodestate/types.js';

export const LAB = join(import.meta.dirname, '../../fixtures/lab');

export type KubeObject = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; spec: Record<string, unknown>; status?: Record<string, unknown> } & Record<string, unknown>;
export type KubeList = { kind: 'List'; items: KubeObject[] };

export interface LabRun {
  dir: string;
  results: CaptureResult[];
  nodeState: NodeState | null;
}

const runs = new Map<string, Promise<LabRun>>();

export function labRun(name: string): Promise<LabRun> {
  let r = runs.get(name);
  if (!r) {
    r = (async () => {
      const dir = join(LAB, name);
      const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => join(dir, f));
      const { results } = await analyzeAll(files.map(parseCaptureArg));
      const nodeState = existsSync(join(dir, 'nodes')) ? await loadNodeState(join(dir, 'nodes')) : null;
      return { dir, results, nodeState };
    })();
    runs.set(name, r);
  }
  return r;
}

/** The scenario's committed kubectl JSON (a fresh copy to edit). */
export function kubeList(name: string): KubeList {
  return JSON.parse(readFileSync(join(LAB, name, 'k8s', 'cluster.json'), 'utf8')) as KubeList;
}

export function objectOf(list: KubeList, kind: string, name: string): KubeObject {
  const o = list.items.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in the fixture`);
  return o;
}

export function stateOf(list: KubeList): ClusterState {
  const s = emptyClusterState();
  addClusterText(s, 'k8s/cluster.json', JSON.stringify(list));
  return s;
}

/** The diagnosis of a scenario with the given cluster objects (and, optionally, without some analyzers). */
export async function diagnoseWith(name: string, list: KubeList | null, opts: { without?: string[]; nodeState?: (state: NodeState) => NodeState } = {}): Promise<{ findings: Finding[]; model: Model }> {
  const run = await labRun(name);
  const chosen: readonly Analyzer[] = opts.without ? analyzers.filter((a) => !opts.without!.includes(a.name)) : analyzers;
  const nodeState = run.nodeState && opts.nodeState ? opts.nodeState(structuredClone(run.nodeState)) : run.nodeState;
  return diagnose(run.results, nodeState, chosen, list ? stateOf(list) : null);
}

export const clusterFindings = (findings: Finding[]) => findings.filter((f) => f.id.startsWith('cluster.'));
