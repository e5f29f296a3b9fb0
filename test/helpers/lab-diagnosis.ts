import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Finding } from '../../src/analysis/finding.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import { loadNodeState } from '../../src/nodestate/load.js';

export interface Truth {
  scenario: string;
  component: string | null;
  node: string | null;
  captures: Record<string, { node: string; point: string }>;
}

/** Run netdiag's diagnosis over a lab scenario folder: every capture plus the nodes' state. */
export async function diagnoseScenario(dir: string): Promise<{ truth: Truth; findings: Finding[] }> {
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
  const files = readdirSync(dir)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  const { results, failures } = await analyzeAll(files.map(parseCaptureArg));
  expect(failures).toEqual([]);
  const state = existsSync(join(dir, 'nodes')) ? await loadNodeState(join(dir, 'nodes')) : null;
  return { truth, findings: diagnose(results, state).findings };
}

/**
 * The lab's contract: a faulty scenario's top finding names the right component and node
 * and cites a capture (or node state) of that scenario; a healthy one has no error or warning.
 */
export function expectDiagnosis(truth: Truth, findings: Finding[]): void {
  // Evidence always names one capture point of this run (or a node's state).
  const points = new Set(Object.keys(truth.captures));
  for (const f of findings) for (const e of f.evidence) expect(points.has(e.capture) || e.capture.startsWith('node-state:'), `${f.id} cites "${e.capture}"`).toBe(true);
  const problems = findings.filter((f) => f.severity !== 'info');
  const summary = problems.map((f) => `${f.severity} ${f.component}@${f.node} ${f.id}: ${f.title}`).join('\n');
  if (truth.component === null) {
    expect(problems, `healthy ${truth.scenario} must raise no error or warning:\n${summary}`).toEqual([]);
    return;
  }
  const top = problems[0];
  expect(top, `${truth.scenario}: no finding`).toBeDefined();
  expect(`${top!.component}@${top!.node}`, `${truth.scenario}:\n${summary}`).toBe(`${truth.component}@${truth.node}`);
  const cited = top!.evidence.map((e) => e.capture);
  const known = Object.keys(truth.captures);
  expect(cited.some((c) => known.includes(c) || c.startsWith('node-state:')), `${truth.scenario}: evidence cites ${cited.join(', ')}`).toBe(true);
}
