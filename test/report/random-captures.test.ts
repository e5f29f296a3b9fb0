/**
 * Reports and evidence files of random, mutated and deeply tunnelled packets: nothing may
 * throw, no report may carry markup or a control character from a packet, and the
 * evidence file reads back with exactly the cited packets.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader, forEachRecord } from '../../src/capture/reader.js';
import { diagnose } from '../../src/analysis/diagnose.js';
import { analyzeCapture } from '../../src/analysis/pass.js';
import { createRegistry } from '../../src/decode/protocols.js';
import { writeEvidence } from '../../src/report/evidence.js';
import { renderHtml } from '../../src/report/html.js';
import { readCitedPackets } from '../../src/report/key-packets.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReport } from '../../src/report/report.js';
import { arbDispatchedGarbage, arbFieldMutation, arbMutatedSample, arbRandomPacket, arbTunnelStack, pcapOf, type RawPacket } from '../hostile/arbitraries.js';

const reg = createRegistry();
const dir = mkdtempSync(join(tmpdir(), 'netdiag-random-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Markup outside text content, and controls a terminal or renderer would obey.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let run = 0;

describe('reports of random captures', () => {
  it('render as HTML and Markdown and write evidence without throwing or leaking controls', async () => {
    const pkt = fc.oneof(arbMutatedSample(), arbFieldMutation(), arbDispatchedGarbage(reg), arbRandomPacket(reg), arbTunnelStack(12));
    await fc.assert(
      fc.asyncProperty(fc.array(pkt, { minLength: 1, maxLength: 40 }), async (list: RawPacket[]) => {
        const k = run++;
        const byLink = new Map<number, RawPacket[]>();
        for (const p of list) byLink.set(p.linktype, [...(byLink.get(p.linktype) ?? []), p]);
        const files = [...byLink.entries()].map(([lt, ps], i) => {
          const path = join(dir, `r${k}-${i}.pcap`);
          writeFileSync(path, pcapOf(ps, lt));
          return path;
        });
        const results = await Promise.all(files.map((path, i) => analyzeCapture({ name: `cap${i}\u001b[2J<evil x=1>`, path }, i)));
        const { model, findings } = diagnose(results, null);
        const report = buildReport(model, findings, '0.0.0', ['netdiag']);
        const cited = await readCitedPackets(report);
        const html = renderHtml(report, { cited: cited.packets, citedProblems: cited.problems });
        expect(html).not.toMatch(CONTROL);
        expect(html).not.toMatch(/<(script|img|iframe|evil)\b|<a\s/i);
        expect(html).toContain('cap0\\x1b[2J&#60;evil x=1&#62;');
        expect(renderMarkdown(report, { cited: cited.packets })).not.toMatch(CONTROL);
        const ev = join(dir, `r${k}.pcapng`);
        const w = await writeEvidence(ev, report, cited.packets);
        let n = 0;
        const r = await CaptureReader.open(ev);
        await forEachRecord(r, () => void n++);
        await r.close();
        expect(r.problems).toEqual([]);
        expect(n).toBe(w.packets);
      }),
      { seed: 1010, numRuns: 60 },
    );
  });
});
