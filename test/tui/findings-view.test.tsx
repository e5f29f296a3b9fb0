import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tsharkRows } from '../lab/tshark.js';
import { KEY, listedNumbers, mount, openSession, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const truth = JSON.parse(readFileSync(`${STALE_FDB}truth.json`, 'utf8')) as { component: string; node: string };
const files = ['pod-a.pcap', 'node1-underlay.pcap', 'node2-underlay.pcap', 'node3-underlay.pcap'].map((f) => STALE_FDB + f);

let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

describe('Findings view', () => {
  it('opens on the ranked findings once the diagnosis is in, the lab fault first with its remedy', async () => {
    ui = await mount(await openSession(files));
    const f = await ui.waitFor((s) => s.includes('1. ERROR'), 'the findings');
    const lines = f.split('\n');
    // The lab's injected fault (truth.json) is the top finding, on the node it was injected on.
    expect(lines[1]).toMatch(/1\. ERROR/);
    expect(f).toContain(`${truth.component} · node ${truth.node}`);
    expect(f).toMatch(/Evidence/);
    expect(f).toMatch(/\$ bridge fdb/);
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('Enter on an evidence item lists exactly the packets it cites, which are the misdirected VXLAN frames', async () => {
    ui = await mount(await openSession(files));
    await ui.waitFor((s) => s.includes('1. ERROR'), 'the findings');
    await ui.press(KEY.enter);
    const ev = ui.frame().split('\n').find((l) => /node1-underlay\.pcap: packets/.test(l))!;
    const cited = /packets ([\d, ]+)/.exec(ev)![1]!.split(', ').map(Number);
    await ui.press(KEY.enter);
    const f = await ui.waitFor((s) => /No\. Time/.test(s), 'the packet list');
    expect(f).toContain('node1-underlay.pcap');
    expect(listedNumbers(f)).toEqual(cited);
    // tshark, as the oracle: every cited frame is VXLAN from node1 to node3's address.
    const toNode3 = new Set(tsharkRows(`${STALE_FDB}node1-underlay.pcap`, 'vxlan && ip.dst == 198.18.0.3').map((r) => Number(r[0])));
    for (const n of cited) expect(toNode3.has(n)).toBe(true);
    // Esc returns to every packet, keeping the selected one.
    await ui.press(KEY.esc);
    const all = listedNumbers(ui.frame());
    expect(all.length).toBeGreaterThan(cited.length);
    expect(all[0]).toBe(1);
  });

  it('Tab moves between the findings and their evidence; arrows select the next finding', async () => {
    ui = await mount(await openSession(files));
    await ui.waitFor((s) => s.includes('1. ERROR'), 'the findings');
    expect(selectedLines(ui.raw())[0]).toMatch(/1\. ERROR/);
    await ui.press(KEY.down);
    const selected = selectedLines(ui.raw())[0]!;
    expect(selected).toMatch(/^ 2\. /);
    // The detail below the rule follows the selection: it starts with the selected title.
    const title = selected.replace(/^\s*\d+\.\s+\w+\s+/, '').replace(/….*$/, '').trim();
    const lines = ui.frame().split('\n');
    const rule = lines.findIndex((l) => l.startsWith('────'));
    expect(lines[rule + 1]!.startsWith(title.slice(0, 40))).toBe(true);
    // Back to the FDB finding: the misdirected frames are seen leaving node1 and arriving at node3.
    await ui.press('g', KEY.tab);
    const first = selectedLines(ui.raw()).find((l) => /packets/.test(l));
    expect(first).toBeDefined();
    await ui.press(KEY.down);
    const second = selectedLines(ui.raw()).find((l) => /packets/.test(l));
    expect(second).toBeDefined();
    expect(first).toMatch(/^\s+node1-underlay\.pcap: packets/);
    expect(second).toMatch(/^\s+node3-underlay\.pcap: packets/);
    await ui.press(KEY.tab);
    expect(selectedLines(ui.raw()).some((l) => /packets/.test(l))).toBe(false);
  });

  it('says the diagnosis is running while it is, and the packets are browsable meanwhile', async () => {
    const s = await openSession(files, { analyze: false });
    s.analysis = 'running';
    ui = await mount(s);
    await ui.press('1');
    expect(ui.frame()).toMatch(/Diagnosing 4 captures/);
    await ui.press('2');
    expect(listedNumbers(ui.frame())[0]).toBe(1);
  });
});
