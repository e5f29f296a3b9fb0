import type { Model } from '../analysis/model.js';
import type { CaptureResult } from '../analysis/pass.js';
import { correlate } from './correlate.js';
import type { SightingStore } from './sightings.js';

/**
 * Put the --trace journeys on the model's correlation, correlating a lone capture too
 * (its packets' interfaces are a journey of their own in an `any` capture). The journeys
 * are recorded while the sightings stream by, so this is a second pass over them.
 */
export function attachTrace(model: Model, results: CaptureResult[], filter: string): void {
  const sightings = results.map((r) => r.results['path'] as SightingStore | undefined);
  const traced = correlate({ sightings, captures: model.captures, flows: model.flows, topology: model.topology, nodeState: model.nodeState, trace: { filter, frames: results.map((r) => r.traced) } });
  if (!model.correlation) model.correlation = traced;
  else model.correlation.trace = traced.trace;
}
