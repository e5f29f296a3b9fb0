import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose } from '../../src/analysis/diagnose.js';
import { parseCaptureArg, type CaptureInput } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import { loadNodeState } from '../../src/nodestate/load.js';
import { readCitedPackets, type CitedPackets } from '../../src/report/key-packets.js';
import { buildReport, type Report } from '../../src/report/report.js';

/** The lab scenarios committed under fixtures/lab, and where each one's fault lives. */
export const LAB = 'fixtures/lab';
export const LAB_SCENARIOS = readdirSync(LAB)
  .filter((d) => existsSync(join(LAB, d, 'truth.json')))
  .sort();

export interface LabTruth {
  scenario: string;
  component: string | null;
  node: string | null;
  nodeName?: string;
}

export function labTruth(scenario: string): LabTruth {
  return JSON.parse(readFileSync(join(LAB, scenario, 'truth.json'), 'utf8')) as LabTruth;
}

/** A fixed version and command line, so rendered reports do not change with the release. */
export const TEST_VERSION = '0.0.0-test';

export async function reportOf(inputs: CaptureInput[], nodeStateDir?: string): Promise<{ report: Report; cited: CitedPackets }> {
  const { results, failures } = await analyzeAll(inputs);
  if (failures.length) throw new Error(failures.map((f) => f.message).join('; '));
  const state = nodeStateDir && existsSync(nodeStateDir) ? await loadNodeState(nodeStateDir) : null;
  const { model, findings } = diagnose(results, state);
  const command = ['netdiag', 'read', ...inputs.map((i) => i.path), ...(state ? ['--node-state', nodeStateDir!] : [])];
  const report = buildReport(model, findings, TEST_VERSION, command);
  return { report, cited: await readCitedPackets(report) };
}

/** Every capture of a lab scenario (relative paths, so reports name them the same on any machine) and its node state. */
export function labReport(scenario: string): Promise<{ report: Report; cited: CitedPackets }> {
  const dir = join(LAB, scenario);
  const files = readdirSync(dir)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => parseCaptureArg(join(dir, f)));
  return reportOf(files, join(dir, 'nodes'));
}
