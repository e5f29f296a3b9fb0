/**
 * Regenerates the README's report screenshot: the HTML report of the committed MTU lab
 * scenario, rendered in headless Chromium, top of the page.
 *
 *   npm run report:screenshot            # writes fixtures/report/report.png
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { renderHtml } from '../../src/report/html.js';
import { launch, openHtml } from './browser.js';
import { labReport } from './build.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'fixtures/report/report.png');
const SCENARIO = 'flannel-vxlan-mtu';

async function main(): Promise<void> {
  process.chdir(ROOT);
  const { report, cited } = await labReport(SCENARIO);
  const browser = await launch();
  try {
    const { page } = await openHtml(browser, renderHtml(report, { cited: cited.packets }), 1100, 1300);
    mkdirSync(dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT, clip: { x: 0, y: 0, width: 1100, height: 1300 } });
  } finally {
    await browser.close();
  }
  console.log(OUT);
}

await main();
