import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { HOSTILE, writeHostile } from '../../fixtures/hostile-report/generate.js';
import { CHROMIUM, launch, openHtml } from './browser.js';
import { reportOf } from './build.js';

const FIXTURE = 'fixtures/hostile-report/hostile.pcapng';
/** A capture point name is text from the command line or a file name: it may carry markup too. */
const HOSTILE_NAME = '<img src=x onerror=window.__pwned=1><svg onload=alert(9)>';

const hostileReport = () => reportOf([{ name: HOSTILE_NAME, path: FIXTURE }]);

it('the hostile fixture is what its generator writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-hostile-'));
  expect(readFileSync(await writeHostile(dir)).equals(readFileSync(FIXTURE))).toBe(true);
});

it('the hostile capture reaches the report: the shutdown communication in a finding, payloads in key packets', async () => {
  const { report, cited } = await hostileReport();
  expect(report.findings.some((f) => f.detail.includes('<script>window.__pwned=1'))).toBe(true);
  expect(cited.packets.filter((p) => p.detail !== null).length).toBeGreaterThan(0);
  expect(report.captures[0]!.interfaces[0]!.name).toContain('<script>');
});

describe('Markdown of a hostile capture', () => {
  it('carries no HTML, links, terminal escapes or bidi overrides from packets', async () => {
    const { report, cited } = await hostileReport();
    const md = renderMarkdown(report, { cited: cited.packets });
    // Outside code fences nothing may be markup; inside them nothing may close the fence.
    const prose = md.replace(/^```[a-z]*\n[\s\S]*?\n```$/gm, '');
    expect(prose).not.toMatch(/<(script|img|svg|a|iframe)\b/i);
    expect(prose).not.toMatch(/<\/(svg|pre|script)/i);
    expect(prose).not.toMatch(/\]\(\s*javascript:/i);
    expect(md).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    expect(md.match(/^```/gm)!.length % 2).toBe(0);
    expect(md).toContain('window.__pwned=1');
  });
});

describe.skipIf(!CHROMIUM)('HTML of a hostile capture in headless Chromium (needs /usr/bin/chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  // With the page's Content-Security-Policy and without it: escaping alone must hold.
  for (const csp of [true, false]) {
    it(`executes nothing and shows the text literally${csp ? '' : ' (Content-Security-Policy removed)'}`, async () => {
      const { report, cited } = await hostileReport();
      let html = renderHtml(report, { cited: cited.packets });
      if (!csp) {
        html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
        expect(html).not.toContain('Content-Security-Policy');
      }
      const { page, activity } = await openHtml(browser, html);
      try {
        await page.waitForTimeout(300);
        expect(activity).toEqual({ dialogs: [], consoleErrors: [], pageErrors: [], requests: [] });
        expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
        const dom = await page.evaluate(() => ({
          scripts: document.querySelectorAll('script').length,
          images: document.querySelectorAll('img').length,
          links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
          handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => `${el.tagName} ${a.name}`)),
          svgs: document.querySelectorAll('svg').length,
        }));
        expect(dom).toEqual({ scripts: 0, images: 0, links: [], handlers: [], svgs: 2 });
        const text = await page.locator('body').innerText();
        // The finding quoting the shutdown communication, the capture point name and the interface name, as text.
        expect(text).toContain('("<script>window.__pwned=1;alert(1)</script></svg></pre><img src=x onerror=');
        expect(text).toContain(HOSTILE_NAME);
        expect(text).toContain(`eth0<script>window.__pwned=1;alert(1)</script>`);
        // The payload in the key packets' hex dump, ASCII column.
        const hex = await page.locator('pre.hex').first().innerText();
        expect(hex).toContain('<script>');
        expect(hex).toContain('t></svg></pre><i');
        expect(text).toContain('\\x1b[31mRED');
      } finally {
        await page.close();
      }
    });
  }
});
