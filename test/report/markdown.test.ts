import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { labReport, labTruth, LAB_SCENARIOS } from './build.js';

/**
 * The Markdown report of each committed lab scenario, compared with its golden file.
 * After a deliberate change, regenerate with:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/report/markdown.test.ts
 *
 * and review the diff of test/report/golden/ before committing it.
 */
const GOLDEN = join(import.meta.dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('Markdown report on the lab scenarios', () => {
  for (const scenario of LAB_SCENARIOS) {
    it(`${scenario} matches its golden file`, async () => {
      const { report, cited } = await labReport(scenario);
      const md = renderMarkdown(report, { cited: cited.packets });
      const file = join(GOLDEN, `${scenario}.md`);
      if (UPDATE) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, md);
      }
      expect(existsSync(file), `${file} missing: run with UPDATE_GOLDEN=1 once`).toBe(true);
      expect(md).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('draws the path with the failing hop marked where the lab put the fault, and none when healthy', async () => {
    for (const scenario of LAB_SCENARIOS) {
      const truth = labTruth(scenario);
      const { report } = await labReport(scenario);
      const md = renderMarkdown(report);
      const path = /\*\*Path\*\*[^\n]*\n\n```text\n([\s\S]*?)\n```/.exec(md)?.[1];
      expect(path, scenario).toBeDefined();
      if (truth.component === null) expect(path, scenario).not.toContain('✕');
      else expect(path, scenario).toContain(`✕ ${truth.component} at ${truth.node}`);
    }
  });

  it('keeps tables, collapsible blocks and code fences balanced for ticket renderers', async () => {
    const { report, cited } = await labReport('flannel-vxlan-mtu');
    const md = renderMarkdown(report, { cited: cited.packets });
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
    expect((md.match(/^```/gm)?.length ?? 0) % 2).toBe(0);
    for (const summary of ['Topology', 'Timeline', 'Flows', 'Key packets', 'Captures']) expect(md).toContain(`<details><summary>${summary}</summary>\n\n`);
    // Every table row has as many cells as its header.
    const lines = md.split('\n');
    lines.forEach((l, k) => {
      if (!/^\|---/.test(l)) return;
      const cols = l.split('|').length;
      for (let j = k + 1; j < lines.length && lines[j]!.startsWith('|'); j++) expect(lines[j]!.replace(/\\\|/g, '').split('|').length, lines[j]).toBe(cols);
    });
  });
});
