import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import { CHROMIUM, launch, openHtml } from './browser.js';
import { labReport, labTruth, LAB_SCENARIOS } from './build.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe.skipIf(!CHROMIUM)('HTML report rendered in headless Chromium (needs /usr/bin/chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const scenario of LAB_SCENARIOS) {
    const truth = labTruth(scenario);
    const fault = truth.component !== null;
    it(`${scenario}: ${fault ? `the path marks the failing segment next to ${truth.node}` : 'the path marks no failing segment'}, offline and without errors`, async () => {
      const { report, cited } = await labReport(scenario);
      const { page, activity } = await openHtml(browser, renderHtml(report, { cited: cited.packets }));
      try {
        expect(await page.locator('#path-diagram').count()).toBe(1);
        const failing = page.locator('#path-diagram line.seg.failing');
        if (!fault) {
          expect(await failing.count()).toBe(0);
          expect(await page.locator('#verdict').innerText()).toMatch(/^No fault found/);
        } else {
          expect(await failing.count()).toBe(1);
          const seg = Number(await failing.getAttribute('data-segment'));
          // The two hops the failing segment joins; one of them sits on the faulty node when the path knows it.
          const ends = await Promise.all([seg, seg + 1].map((k) => page.locator(`#path-diagram [data-hop="${k}"]`).getAttribute('data-node')));
          const onPath = await page.locator(`#path-diagram [data-node="${truth.node}"]`).count();
          if (onPath > 0) expect(ends, `segment ${seg}`).toContain(truth.node);
          const label = await page.locator('#path-diagram .fault-label').textContent();
          expect(label).toContain(truth.component!);
          expect(label).toContain(truth.node!);
          // The red stroke is what a reader sees.
          expect(await failing.evaluate((el) => getComputedStyle(el).stroke)).toBe('rgb(198, 40, 40)');
        }
        expect(await page.locator('#timeline-chart .lane').count()).toBe(report.captures.filter((c) => c.packets > 0).length);
        const shot = await page.screenshot({ fullPage: true });
        expect(shot.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
        expect(shot.length).toBeGreaterThan(20_000);
        expect(activity).toEqual({ dialogs: [], consoleErrors: [], pageErrors: [], requests: [] });
      } finally {
        await page.close();
      }
    });
  }

  it('shows the cited packets decoded layer by layer with their hex, and each capture file with its time range', async () => {
    const { report, cited } = await labReport('flannel-vxlan-mtu');
    const { page } = await openHtml(browser, renderHtml(report, { cited: cited.packets }));
    try {
      const first = page.locator('#packets ~ section.packet').first();
      expect(await first.count()).toBe(1);
      const layers = await first.locator('details.layer > summary').allTextContents();
      expect(layers.some((l) => l.startsWith('VXLAN'))).toBe(true);
      expect(layers.some((l) => l.startsWith('TCP'))).toBe(true);
      const hex = (await first.locator('pre.hex').innerText()).split('\n');
      expect(hex.length).toBeGreaterThan(2);
      for (const line of hex) expect(line).toMatch(/^[0-9a-f]{4} {2}([0-9a-f]{2} ?){1,16} +.{1,16}$/);
      // Remedy commands one per line, as a shell takes them.
      const remedy = await page.locator('#finding-1 .remedy pre').innerText();
      expect(remedy.split('\n')).toEqual(report.findings[0]!.remedy);
      const files = await page.locator('table.captures tbody tr td:nth-child(2)').allTextContents();
      expect(files).toEqual(report.captures.map((c) => c.file));
    } finally {
      await page.close();
    }
  });

  it('prints to PDF, collapsed blocks shown on paper', async () => {
    const { report, cited } = await labReport('flannel-vxlan-nft-drop');
    const { page } = await openHtml(browser, renderHtml(report, { cited: cited.packets }));
    try {
      // Collapsed layers are shown on paper.
      const field = page.locator('section.packet details.layer:not([open]) li').first();
      expect(await field.isVisible()).toBe(false);
      await page.emulateMedia({ media: 'print' });
      expect(await field.isVisible()).toBe(true);
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    } finally {
      await page.close();
    }
  });
});
