import { afterEach, describe, expect, it } from 'vitest';
import { tsharkRows } from '../lab/tshark.js';
import { KEY, LAB, listedNumbers, mount, openSession, selectedLines, type Mounted } from './tui-harness.js';

/** What xterm sends for the wheel in SGR mode (1006): button 64 up, 65 down, at column 10, row 5. */
const WHEEL_UP = '\u001b[<64;10;5M';
const WHEEL_DOWN = '\u001b[<65;10;5M';
const FILE = `${LAB}bgp-daemon-stop/node2-any.pcap`;

let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

const selectedNumber = (raw: string) => Number(/^\s*(\d+) /.exec(selectedLines(raw)[0] ?? '')?.[1] ?? NaN);

describe('keys and the mouse wheel', () => {
  it('the wheel scrolls the packet list three rows a turn, the selection moving with it', async () => {
    ui = await mount(await openSession([FILE], { analyze: false }));
    const before = listedNumbers(ui.frame());
    expect(before.slice(0, 3)).toEqual([1, 2, 3]);
    const rows = before.length;
    await ui.press(WHEEL_DOWN);
    expect(listedNumbers(ui.frame())[0]).toBe(4);
    expect(selectedNumber(ui.raw())).toBe(4);
    await ui.press(WHEEL_DOWN, WHEEL_DOWN);
    expect(listedNumbers(ui.frame())[0]).toBe(10);
    expect(listedNumbers(ui.frame())).toHaveLength(rows);
    await ui.press(WHEEL_UP);
    expect(listedNumbers(ui.frame())[0]).toBe(7);
    expect(selectedNumber(ui.raw())).toBe(7);
    // Several reports in one read, as a fast wheel sends them.
    await ui.press(WHEEL_UP + WHEEL_UP + WHEEL_UP);
    await ui.waitFor((f) => listedNumbers(f)[0] === 1, 'the list back at the top');
    expect(selectedNumber(ui.raw())).toBe(1);
  });

  it('a legacy report (ESC [ M and three bytes) scrolls too, and its bytes are never keys', async () => {
    ui = await mount(await openSession([FILE], { analyze: false }));
    // Wheel down ('a' = 32 + 65) at column 'q' - 32, row '[' - 32: typed, q would quit and [ switch captures.
    await ui.press('\u001b[Maq[');
    expect(listedNumbers(ui.frame())[0]).toBe(4);
    await ui.press(KEY.down);
    expect(selectedNumber(ui.raw())).toBe(5);
  });

  it('mouse reports are never typed into the filter bar', async () => {
    ui = await mount(await openSession([FILE], { analyze: false }));
    await ui.press('/', 'b', 'g');
    // A wheel turn, a click and its release while the filter is being typed.
    await ui.press(WHEEL_DOWN, '\u001b[<0;12;7M', '\u001b[<0;12;7m', '\u001b[M !!', 'p');
    const bar = ui.frame().split('\n').find((l) => l.startsWith('/'));
    expect(bar).toMatch(/^\/ ?bgp█?\s*$/);
    await ui.press(KEY.enter);
    const f = await ui.waitFor((s) => /filter: \d+ match/.test(s) && !/scanning/.test(s), 'the filter');
    const expected = tsharkRows(FILE, 'bgp').map((r) => Number(r[0]));
    expect(expected.length).toBeGreaterThan(0);
    expect(listedNumbers(f)).toEqual(expected.slice(0, listedNumbers(f).length));
  });
});
