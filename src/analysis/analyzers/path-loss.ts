import { defineAnalyzer } from '../analyzer.js';
import type { Finding } from '../finding.js';
import { correlate } from '../../correlate/correlate.js';
import { lossFindings } from '../../correlate/findings.js';
import { spillFile } from '../../correlate/spill.js';
import { SightingCollector, type SightingStore } from '../../correlate/sightings.js';

/**
 * Follows packets across captures: each capture's pass keeps one sighting per IP packet
 * (in a temporary spill file when the run has a spill folder); the diagnosis streams them
 * back, puts every capture on the first one's clock, and names the segment and node where
 * packets stop.
 */
export const pathAnalyzer = defineAnalyzer<SightingCollector, SightingStore>({
  name: 'path',
  create: (ctx) => new SightingCollector(ctx.capture, undefined, ctx.spillDir !== undefined ? spillFile(ctx.spillDir, ctx.captureIndex) : null),
  packet: (s, f, p, ctx) => s.add(f, p, ctx.time),
  finish: (s) => s.finish(),
  diagnose(results, model): Finding[] {
    // A lone capture is correlated only for --trace (its packets' interfaces are a journey
    // of their own in an `any` capture): there is no other point to lose packets between.
    if (model.captures.length < 2 && model.trace === undefined) {
      model.correlation = null;
      return [];
    }
    const c = correlate({ sightings: results, captures: model.captures, flows: model.flows, topology: model.topology, nodeState: model.nodeState, ...(model.trace ? { trace: model.trace } : {}) });
    model.correlation = c;
    if (model.captures.length < 2) return [];
    c.points.forEach((pt, i) => {
      const s = model.captures[i];
      if (!s) return;
      s.clockOffset = pt.clockOffset ?? 0;
      s.clockOffsetError = pt.clockOffsetError;
    });
    return lossFindings(c, model.findings);
  },
});
