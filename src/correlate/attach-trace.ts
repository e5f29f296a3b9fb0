import type { Model } from '../analysis/model.js';
import type { CaptureResult } from '../analysis/pass.js';
import { correlate } from './correlate.js';
import type { SightingTable } from './sightings.js';
import { traceJourneys } from './trace.js';

/**
 * Put the --trace journeys on the model's correlation, correlating a lone capture too
 * (its packets' interfaces are a journey of their own in an `any` capture).
 */
export function attachTrace(model: Model, results: CaptureResult[], filter: string): void {
  if (!model.correlation) {
    const tables = results.map((r) => r.results['path'] as SightingTable | undefined);
    model.correlation = correlate({ tables, captures: model.captures, flows: model.flows, topology: model.topology, nodeState: model.nodeState });
  }
  model.correlation.trace = traceJourneys(model.correlation, results.map((r) => r.traced), filter);
}
