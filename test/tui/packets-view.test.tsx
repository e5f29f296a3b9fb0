import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateCapture } from '../../bench/generate.js';
import { tsharkRows } from '../lab/tshark.js';
import { KEY, listedNumbers, mount, openSession, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const UNDERLAY = `${STALE_FDB}node1-underlay.pcap`;
let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

/** The last occurrence of a field in tshark's comma-joined list: the innermost header's. */
const innermost = (v: string | undefined) => (v ?? '').split(',').filter(Boolean).pop() ?? '';

describe('Packets view', () => {
  it('lists No., Source and Destination as tshark has them (the innermost addresses), with the encapsulation in Info', async () => {
    ui = await mount(await openSession([UNDERLAY], { analyze: false }));
    const f = ui.frame();
    expect(f).toMatch(/No\. Time\s+Source\s+Destination\s+Proto\s+Len Info/);
    const rows = f.split('\n').filter((l) => /^\s+\d+ \d/.test(l));
    expect(rows.length).toBeGreaterThan(10);
    const oracle = new Map(tsharkRows(UNDERLAY, 'ip', ['frame.number', 'ip.src', 'ip.dst', 'vxlan.vni']).map((r) => [Number(r[0]), r]));
    let checked = 0;
    for (const row of rows) {
      const [no, , src, dst] = row.trim().split(/\s+/);
      const t = oracle.get(Number(no));
      if (!t) continue;
      expect(src).toBe(innermost(t[1]));
      expect(dst).toBe(innermost(t[2]));
      // VXLAN frames show their outer path first (outer → inner).
      if (t[3]) expect(row).toMatch(/VXLAN/);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
    for (const l of f.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('moves with j/k, arrows, PgDn, g and G; G selects the last packet', async () => {
    ui = await mount(await openSession([`${STALE_FDB}node1-any.pcap`], { analyze: false }));
    const total = tsharkRows(`${STALE_FDB}node1-any.pcap`, 'frame').length;
    const sel = () => Number(/^\s*(\d+)/.exec(selectedLines(ui!.raw())[0] ?? '')?.[1]);
    expect(sel()).toBe(1);
    await ui.press('j', 'j', KEY.down);
    expect(sel()).toBe(4);
    await ui.press('k');
    expect(sel()).toBe(3);
    await ui.press(KEY.pageDown);
    expect(sel()).toBeGreaterThan(15);
    await ui.press('G');
    expect(sel()).toBe(total);
    expect(listedNumbers(ui.frame()).pop()).toBe(total);
    await ui.press('g');
    expect(sel()).toBe(1);
    expect(ui.frame()).toMatch(new RegExp(`1/${total}`));
  });

  describe('on a large capture', () => {
    let dir = '';
    let big = '';
    const N = 200_000;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'netdiag-tui-'));
      big = join(dir, 'big.pcap');
      await generateCapture({ packets: N, seed: '7' }, big);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('decodes only the rows on screen, wherever the list is scrolled to', async () => {
      const s = await openSession([big], { analyze: false });
      expect(s.stores[0]!.count).toBe(N);
      const row = vi.spyOn(s.stores[0]!, 'row');
      ui = await mount(s);
      const perScreen = 24 - 4 - 1; // at most: the chrome, the header
      const before = row.mock.calls.length;
      await ui.press('G');
      const atEnd = row.mock.calls.length - before;
      expect(listedNumbers(ui.frame()).pop()).toBe(N);
      const mid = row.mock.calls.length;
      await ui.press('g');
      const atStart = row.mock.calls.length - mid;
      // A redraw decodes one screen of rows, at the top as at the bottom (a few redraws per key at most).
      expect(atEnd).toBeLessThanOrEqual(3 * perScreen);
      expect(atStart).toBeLessThanOrEqual(3 * perScreen);
      const numbers = new Set(row.mock.calls.map((c) => c[0]));
      expect(numbers.size).toBeLessThan(5 * perScreen);
    });
  });
});
