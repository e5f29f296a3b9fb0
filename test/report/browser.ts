import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, as CI installs it; the HTML report tests render in it. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

export async function launch(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no chromium at /usr/bin/chromium');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** What a page did while it loaded: dialogs opened, console errors, requests it tried to make. */
export interface PageActivity {
  dialogs: string[];
  consoleErrors: string[];
  pageErrors: string[];
  requests: string[];
}

/** Open the HTML in a fresh page with scripts allowed, recording anything it tries to do. */
export async function openHtml(browser: Browser, html: string, width = 1100, height = 900): Promise<{ page: Page; activity: PageActivity }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const activity: PageActivity = { dialogs: [], consoleErrors: [], pageErrors: [], requests: [] };
  page.on('dialog', (d) => {
    activity.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') activity.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => activity.pageErrors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith('data:') && r.url() !== 'about:blank') activity.requests.push(r.url());
  });
  await page.setContent(html, { waitUntil: 'load' });
  return { page, activity };
}
