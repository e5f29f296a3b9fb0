import { afterEach, describe, expect, it } from 'vitest';
import { tsharkRows } from '../lab/tshark.js';
import { KEY, listedNumbers, mount, openSession, STALE_FDB, type Mounted } from './tui-harness.js';

const ANY = `${STALE_FDB}node1-any.pcap`;
let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

const type = (m: Mounted, text: string) => m.press(...text.split(''));

/** The frame once `filter` is applied and its pass over the capture is complete. */
const filtered = (m: Mounted, filter: string) =>
  m.waitFor((s) => s.split('\n').some((l) => l.trimEnd() === `filter: ${filter}`) && /filter: \d+ match/.test(s) && !/scanning/.test(s), `the filter ${filter}`);

describe('filter bar', () => {
  it('applies a display filter: the list holds the packets tshark selects with the same filter', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }));
    await ui.press('/');
    await type(ui, 'udp.port == 9000');
    expect(ui.frame()).toMatch(/✓ valid/);
    await ui.press(KEY.enter);
    const f = await filtered(ui, 'udp.port == 9000');
    const expected = tsharkRows(ANY, 'udp.port == 9000').map((r) => Number(r[0]));
    expect(expected.length).toBeGreaterThan(0);
    expect(listedNumbers(f)).toEqual(expected);
    expect(f).toMatch(new RegExp(`filter: ${expected.length} match`));
  });

  it('checks the filter as it is typed and shows the error under the offending column', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }));
    const before = listedNumbers(ui.frame());
    await ui.press('/');
    await type(ui, 'ip.src == ');
    let lines = ui.frame().split('\n');
    const input = lines.findIndex((l) => l.startsWith('/ ip.src =='));
    expect(input).toBeGreaterThan(0);
    const caret = lines[input + 1]!;
    expect(caret).toMatch(/\^ /);
    // The caret points past the '==' where a value is missing.
    expect(caret.indexOf('^')).toBeGreaterThanOrEqual('/ ip.src =='.length);
    await ui.press(KEY.enter);
    // Not applied: the bar stays open and the list is unchanged.
    expect(ui.frame()).toMatch(/\/ ip\.src ==/);
    await type(ui, 'bogus');
    expect(ui.frame()).toMatch(/\^ /);
    for (let k = 0; k < 'bogus'.length + 1; k++) await ui.press(KEY.backspace);
    await type(ui, ' 100.96.1.2');
    expect(ui.frame()).toMatch(/✓ valid/);
    await ui.press(KEY.esc);
    lines = ui.frame().split('\n');
    expect(lines.some((l) => l.startsWith('/ '))).toBe(false);
    expect(listedNumbers(ui.frame())).toEqual(before);
  });

  it('keeps a history: ↑ in the bar brings back the previous filter', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }));
    await ui.press('/');
    await type(ui, 'icmp');
    await ui.press(KEY.enter);
    await filtered(ui, 'icmp');
    // The bar opens on the filter in force; Ctrl-U clears it.
    await ui.press('/');
    expect(ui.frame()).toMatch(/^\/ icmp█/m);
    await ui.press('\u0015');
    await type(ui, 'arp');
    await ui.press(KEY.enter);
    const arp = await filtered(ui, 'arp');
    expect(listedNumbers(arp)).toEqual(tsharkRows(ANY, 'arp').map((r) => Number(r[0])));
    await ui.press('/');
    await ui.press(KEY.up);
    expect(ui.frame()).toMatch(/^\/ arp█/m);
    await ui.press(KEY.up);
    expect(ui.frame()).toMatch(/^\/ icmp█/m);
    await ui.press(KEY.enter);
    const icmp = await filtered(ui, 'icmp');
    // A screenful of them: the first matches, in order.
    const shown = listedNumbers(icmp);
    const expected = tsharkRows(ANY, 'icmp').map((r) => Number(r[0]));
    expect(shown.length).toBeGreaterThanOrEqual(Math.min(10, expected.length));
    expect(shown).toEqual(expected.slice(0, shown.length));
  });
});
