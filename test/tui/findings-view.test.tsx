import './force-color.js';
import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { FindingsView } from '../../src/tui/findings-view.js';
import { tsharkRows } from '../lab/tshark.js';
import { nameInCluster } from './cluster-fixture.js';
import { KEY, listedNumbers, mount, openSession, plain, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const truth = JSON.parse(readFileSync(`${STALE_FDB}truth.json`, 'utf8')) as { component: string; node: string; nodeName: string };
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
    expect(f).toContain(`${truth.component} · node ${truth.node} ·`);
    expect(f).not.toContain(`(${truth.nodeName})`);
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

  it('with cluster state, names the finding\'s node and the addresses in its text', async () => {
    ui = await mount(await openSession(files, { cluster: { clusterState: `${STALE_FDB}k8s` } }));
    const f = await ui.waitFor((s) => s.includes('1. ERROR'), 'the findings');
    expect(nameInCluster(STALE_FDB, truth.node)).toBe(truth.nodeName);
    expect(f).toContain(`${truth.component} · node ${truth.nodeName} (${truth.node}) ·`);
    // The detail speaks of the node the frames wrongly go to (node3 in truth.json) by its name too.
    const detail = f.split('\n').join(' ').replace(/\s+/g, ' ');
    expect(detail).toContain(`198.18.0.3 (${nameInCluster(STALE_FDB, '198.18.0.3')})`);
  });

  it('draws node and pod names holding control characters and escape sequences as visible escapes', async () => {
    const s = await openSession(files, { cluster: { clusterState: `${STALE_FDB}k8s` } });
    const report = s.report!;
    s.close();
    const evil = 'node1\u001b[2J\u001b]0;owned\u0007\u009b31m';
    const names = Object.fromEntries(Object.entries(report.names!).map(([ip, n]) => [ip, { ...n, name: n.name + '\u001b[2J\u001b]0;owned\u0007\u009b31m' }]));
    const findings = report.findings.map((f) => ({ ...f, nodeName: evil }));
    const r = render(<FindingsView report={{ ...report, names, findings }} analysis="done" captures={4} cursor={0} evidenceCursor={0} focus="list" width={80} height={22} />);
    const frame = r.lastFrame() ?? '';
    r.unmount();
    expect(frame).not.toMatch(/\u001b\[2J|\u001b\]0;|\u0007|\u009b/);
    const text = plain(frame).split('\n').join(' ').replace(/\s+/g, ' ');
    expect(text).toContain(`node node1\\x1b[2J\\x1b]0;owned\\x07\\x9b31m (${truth.node})`);
    expect(text).toMatch(/198\.18\.0\.3 \(node3\\x1b\[2J\\x1b\]0;owned\\x07\\x9b31m\)/);
  });
});
