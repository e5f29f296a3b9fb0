import { afterEach, describe, expect, it } from 'vitest';
import { tsharkRows } from '../lab/tshark.js';
import { KEY, listedNumbers, mount, openSession, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const files = ['pod-a.pcap', 'node1-underlay.pcap'].map((f) => STALE_FDB + f);
let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

describe('Flows view', () => {
  it('lists inner flows with their outer path and health, and Enter narrows the packets to the flow', async () => {
    ui = await mount(await openSession(files));
    await ui.waitFor((s) => /problem|no fault/.test(s.split('\n')[0]!), 'the diagnosis');
    await ui.press('4');
    const f = ui.frame();
    expect(f).toMatch(/Capture\s+Flow \(inner, via outer path\)/);
    // The pod's SYNs to the service port never get an answer in the lab's fault.
    expect(f).toMatch(/tcp 100\.96\.1\.2:\d+ → 100\.96\.2\.2:8080 .*syn-only/);
    // Select the UDP flow seen on the underlay: below the list, its outer path in full.
    for (let k = 0; k < 30 && !/node1-underlay.*udp /.test(selectedLines(ui.raw())[0] ?? ''); k++) await ui.press(KEY.down);
    const sel = selectedLines(ui.raw())[0]!;
    expect(sel).toMatch(/node1-underlay.*udp 100\.96\.1\.2:(\d+) → 100\.96\.2\.2:(\d+)/);
    // The pane under the list has the flow uncut.
    const [, sport, dport] = /^node1-underlay\.pcap: udp 100\.96\.1\.2:(\d+) → 100\.96\.2\.2:(\d+)/m.exec(ui.frame())!;
    // The lab's stale FDB sends node2's traffic to node3 (truth.json): the outer path shows it.
    expect(ui.frame()).toMatch(/^  outer: vxlan 1 198\.18\.0\.1 → 198\.18\.0\.3\s*$/m);
    await ui.press(KEY.enter);
    const list = await ui.waitFor((s) => /filter: \d+ match/.test(s) && !/scanning/.test(s) && /node1-underlay/.test(s.split('\n')[0]!), 'the flow filter');
    const expected = tsharkRows(`${STALE_FDB}node1-underlay.pcap`, `ip.addr == 100.96.1.2 && ip.addr == 100.96.2.2 && udp.port == ${sport} && udp.port == ${dport}`).map((r) => Number(r[0]));
    expect(expected.length).toBeGreaterThan(0);
    expect(listedNumbers(list)).toEqual(expected);
  });

  it('says so while there are no flows yet', async () => {
    const s = await openSession(files, { analyze: false });
    ui = await mount(s);
    await ui.press('4');
    expect(ui.frame()).toMatch(/no flows \(yet\)/);
  });
});
