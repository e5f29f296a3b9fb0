import './force-color.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/tui/app.js';
import { tsharkRows } from '../lab/tshark.js';
import { KEY, listedNumbers, mount, openSession, plain, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const ANY = `${STALE_FDB}node1-any.pcap`;
const out = mkdtempSync(join(tmpdir(), 'netdiag-tui-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

describe('keys', () => {
  it('? shows the key map and any key closes it', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }));
    await ui.press('?');
    expect(ui.frame()).toMatch(/Keys \(any key closes this help\)/);
    expect(ui.frame()).toMatch(/q  Ctrl-C\s+quit/);
    await ui.press('x');
    expect(ui.frame()).not.toMatch(/Keys \(any key/);
    expect(ui.frame()).toMatch(/No\. Time/);
  });

  it('number keys and Tab switch views; the key bar names the current one', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }));
    expect(ui.frame().split('\n').pop()).toMatch(/2 Packets/);
    await ui.press('4');
    expect(ui.frame().split('\n').pop()).toMatch(/4 Flows/);
    await ui.press(KEY.tab);
    expect(ui.frame().split('\n').pop()).toMatch(/5 Topology/);
    await ui.press(KEY.tab);
    expect(ui.frame().split('\n').pop()).toMatch(/1 Findings/);
  });

  it('[ and ] switch captures, keeping the filter', async () => {
    const files = ['pod-a.pcap', 'node1-underlay.pcap'].map((f) => STALE_FDB + f);
    ui = await mount(await openSession(files, { analyze: false }));
    expect(ui.frame().split('\n')[0]).toMatch(/\[1\/2\] pod-a\.pcap/);
    await ui.press('/', ...'icmp'.split(''), KEY.enter);
    await ui.press(']');
    const f = await ui.waitFor((s) => /\[2\/2\] node1-underlay\.pcap/.test(s) && /filter: \d+ match/.test(s) && !/scanning/.test(s), 'the second capture, filtered');
    // A screenful of them: the first matches, in order.
    const shown = listedNumbers(f);
    const expected = tsharkRows(files[1]!, 'icmp').map((r) => Number(r[0]));
    expect(shown.length).toBeGreaterThanOrEqual(Math.min(10, expected.length));
    expect(shown).toEqual(expected.slice(0, shown.length));
    await ui.press('[');
    expect(ui.frame().split('\n')[0]).toMatch(/\[1\/2\] pod-a\.pcap/);
  });

  it('w writes the packets in view to a pcap that tshark reads back as the same packets', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }), { outDir: out });
    await ui.press('/', ...'tcp'.split(''), KEY.enter);
    await ui.waitFor((s) => /filter: \d+ match/.test(s) && !/scanning/.test(s), 'the filter');
    await ui.press('w');
    const f = await ui.waitFor((s) => /wrote \d+ packets? to\s+\S+\.pcap/.test(s), 'the write');
    const [, count, path] = /wrote (\d+) packets? to\s+(\S+\.pcap)/.exec(f)!;
    expect(path!.startsWith(out)).toBe(true);
    const n = Number(count);
    const source = tsharkRows(ANY, 'tcp', ['frame.time_epoch', 'frame.len', 'tcp.seq_raw']);
    const copy = tsharkRows(path!, 'frame', ['frame.time_epoch', 'frame.len', 'tcp.seq_raw']);
    expect(n).toBe(source.length);
    expect(copy).toEqual(source);
  });

  it('r writes the report as Markdown and says where', async () => {
    ui = await mount(await openSession([ANY]), { outDir: out });
    await ui.press('r');
    const f = await ui.waitFor((s) => /report written to\s+\S+\.md/.test(s), 'the report');
    const path = /report written to\s+(\S+\.md)/.exec(f)![1]!;
    expect(path.startsWith(out)).toBe(true);
    const md = readFileSync(path, 'utf8');
    expect(md).toMatch(/^#/m);
    expect(md).toContain('node1-any.pcap');
  });

  it('keys that arrive together (fast typing, a paste) each count; a / starts the filter with what follows', async () => {
    ui = await mount(await openSession([ANY], { analyze: false }));
    const selected = () => selectedLines(ui!.raw())[0] ?? '';
    await ui.press('jjj');
    await ui.waitFor(() => /^\s+4 /.test(selected()), 'the fourth packet selected');
    await ui.press('k/icmp');
    await ui.waitFor((f) => /^\/ icmp█/m.test(f), 'the filter typed');
    expect(selected()).toMatch(/^\s+3 /);
    expect(ui.frame()).toMatch(/✓ valid/);
    // ↓↓ then Enter in one read: Enter acts on the packet the arrows reached.
    await ui.press(KEY.esc, '\u001b[B\u001b[B\r');
    await ui.waitFor((f) => /Frame 5: /.test(f), 'the detail of packet 5');
  });

  it('q quits', async () => {
    const s = await openSession([ANY], { analyze: false });
    const r = render(<App session={s} width={80} height={24} />);
    let exited = false;
    // ink-testing-library has no waitUntilExit: a quit unmounts, after which frames stop.
    r.stdin.write('q');
    await new Promise((res) => setTimeout(res, 100));
    const frames = r.frames.length;
    r.stdin.write('j');
    await new Promise((res) => setTimeout(res, 100));
    exited = r.frames.length === frames;
    expect(exited).toBe(true);
    r.unmount();
  });

  it('redraws to a new terminal size; nothing is wider than the terminal', async () => {
    const s = await openSession([ANY], { analyze: false });
    const r = render(<App session={s} width={120} height={30} />);
    await new Promise((res) => setTimeout(res, 80));
    const wide = plain(r.lastFrame()!).split('\n');
    expect(wide.length).toBe(29);
    expect(Math.max(...wide.map((l) => l.length))).toBeLessThanOrEqual(120);
    expect(wide.some((l) => l.length > 80)).toBe(true);
    r.rerender(<App session={s} width={80} height={24} />);
    await new Promise((res) => setTimeout(res, 80));
    const narrow = plain(r.lastFrame()!).split('\n');
    expect(narrow.length).toBe(23);
    expect(Math.max(...narrow.map((l) => l.length))).toBeLessThanOrEqual(80);
    r.unmount();
    s.close();
  });
});
