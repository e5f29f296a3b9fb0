/**
 * The whole pipeline on hostile input, in audit mode: the analysis pass (facts, flows,
 * every analyzer), the diagnosis across captures, the report and its text and Markdown
 * renderings. None of it may throw, and no rendering may carry a control character.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { CaptureResult } from '../../src/analysis/pass.js';
import { buildReport } from '../../src/report/report.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { COLOR, renderText } from '../../src/report/text.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { auditPipeline, CONTROL } from '../../fuzz/target.js';
import {
  arbDispatchedGarbage,
  arbFieldMutation,
  arbMutatedSample,
  arbRandomPacket,
  arbTunnelStack,
  captureFiles,
  pcapOf,
  plainBytes,
  type RawPacket,
} from './arbitraries.js';

const reg = createRegistry();

/** A capture of mixed packets: each keeps its own linktype by going into its own file when it is not Ethernet. */
function capturesOf(list: ReadonlyArray<RawPacket>): Buffer[] {
  const byLink = new Map<number, RawPacket[]>();
  for (const p of list) byLink.set(p.linktype, [...(byLink.get(p.linktype) ?? []), p]);
  return [...byLink.entries()].map(([lt, ps]) => pcapOf(ps, lt));
}

describe('analysis, diagnosis and reports on hostile input (audit mode)', () => {
  it('every fixture and corpus file, with random bytes changed', async () => {
    const files = captureFiles()
      .map((f) => ({ name: f.name, data: plainBytes(f).subarray(0, 65536) }))
      .filter((f) => f.data.length > 24);
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...files), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), async (f, flips) => {
        const buf = Buffer.from(f.data);
        for (const [at, v] of flips) buf[at % buf.length] = v;
        const r = await auditPipeline(buf, `${f.name}\u001b[31m`);
        if (r.opened) ran++;
      }),
      { seed: 8001, numRuns: 300 },
    );
    expect(ran).toBeGreaterThan(200);
  });

  it('captures of random, mutated and deeply tunnelled packets, diagnosed together', async () => {
    const pkt = fc.oneof(arbMutatedSample(), arbFieldMutation(), arbDispatchedGarbage(reg), arbRandomPacket(reg), arbTunnelStack(20));
    await fc.assert(
      fc.asyncProperty(fc.array(pkt, { minLength: 1, maxLength: 60 }), async (list) => {
        const results: CaptureResult[] = [];
        for (const [k, buf] of capturesOf(list).entries()) {
          const r = await auditPipeline(buf, `capture-${k}`);
          expect(r.opened).toBe(true);
          results.push(r.result!);
        }
        results.forEach((r, i) => (r.summary.index = i));
        const { model, findings } = diagnose(results, null);
        const report = buildReport(model, findings, '0.0.0', ['netdiag']);
        for (const text of [renderText(report), renderText(report, COLOR).replace(/\u001b\[\d+m/g, ''), renderMarkdown(report)]) {
          expect(CONTROL.exec(text)?.[0]).toBeUndefined();
        }
        JSON.stringify(report);
      }),
      { seed: 8002, numRuns: 150 },
    );
  });
});
