import './force-color.js';
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tsharkRows } from '../lab/tshark.js';
import { render } from 'ink-testing-library';
import { FlowsView } from '../../src/tui/flows-view.js';
import { nameInCluster, renamedPod } from './cluster-fixture.js';
import { KEY, listedNumbers, mount, openSession, plain, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const truth = JSON.parse(readFileSync(`${STALE_FDB}truth.json`, 'utf8')) as {
  traffic: Record<'src' | 'dst', { ip: string; nodeIP: string }>;
};
const A = truth.traffic.src.ip;
const B = truth.traffic.dst.ip;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
    // Without cluster state nothing is named.
    expect(f).not.toContain(nameInCluster(STALE_FDB, A));
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

  it('with cluster state, names pods and nodes in the list and keeps the addresses beside the names below it', async () => {
    ui = await mount(await openSession(files, { cluster: { clusterState: `${STALE_FDB}k8s` } }));
    await ui.waitFor((s) => /problem|no fault/.test(s.split('\n')[0]!), 'the diagnosis');
    await ui.press('4');
    const podA = nameInCluster(STALE_FDB, A);
    const podB = nameInCluster(STALE_FDB, B);
    expect(podA).toMatch(/^\w[\w-]*\/\S+$/);
    expect(ui.frame()).toMatch(new RegExp(`tcp ${esc(podA)}:\\d+ → `));
    for (let k = 0; k < 30 && !/node1-underlay.*udp /.test(selectedLines(ui.raw())[0] ?? ''); k++) await ui.press(KEY.down);
    const detail = ui.frame().split('\n').slice(-12).join(' ').replace(/\s+/g, ' ');
    expect(detail).toMatch(new RegExp(`node1-underlay\\.pcap: udp ${esc(podA)} \\(${esc(A)}:\\d+\\) → ${esc(podB)} \\(${esc(B)}:\\d+\\)`));
    // The misdirected outer path (truth.json: node1 sends to node3), by the nodes' names.
    const node1 = nameInCluster(STALE_FDB, '198.18.0.1');
    const node3 = nameInCluster(STALE_FDB, '198.18.0.3');
    expect(detail).toContain(`outer: vxlan 1 ${node1} (198.18.0.1) → ${node3} (198.18.0.3)`);
  });

  it('cluster state with a pod name holding escape sequences: the pod is refused with a message, its address shown', async () => {
    const dir = renamedPod(STALE_FDB, B, 'pod-b\u001b[2J\u001b]0;owned\u0007');
    try {
      const session = await openSession(files, { cluster: { clusterState: dir } });
      expect(session.messages.join('\n')).toMatch(/not a valid Kubernetes name; ignored/);
      ui = await mount(session);
      await ui.waitFor((s) => /problem|no fault/.test(s.split('\n')[0]!), 'the diagnosis');
      await ui.press('4');
      expect(ui.raw()).not.toMatch(/\u001b\[2J|\u001b\]0;|\u0007/);
      expect(ui.frame()).toMatch(new RegExp(`tcp ${esc(nameInCluster(STALE_FDB, A))}:\\d+ → ${esc(B)}:`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws names holding control characters and escape sequences as visible escapes', async () => {
    const s = await openSession(files, { cluster: { clusterState: `${STALE_FDB}k8s` } });
    const report = s.report!;
    s.close();
    const hostile = 'default/pod-b\u001b[2J\u001b]0;owned\u0007\u009b31m';
    const names = Object.fromEntries(Object.entries(report.names!).map(([ip, n]) => [ip, ip === B ? { ...n, name: 'pod-b\u001b[2J\u001b]0;owned\u0007\u009b31m' } : n]));
    const flows = report.flows.map((f) => (f.dst === B ? { ...f, dstName: hostile } : f));
    const r = render(<FlowsView flows={flows} omitted={0} cursor={0} width={100} height={20} names={names} />);
    const frame = r.lastFrame() ?? '';
    r.unmount();
    const detail = plain(frame).split('\n').slice(-4).join(' ').replace(/\s+/g, ' ');
    expect(frame).not.toMatch(/\u001b\[2J|\u001b\]0;|\u0007|\u009b/);
    // The selected flow's detail spells the name out, escapes visible, the address beside it.
    expect(detail).toContain(`default/pod-b\\x1b[2J\\x1b]0;owned\\x07\\x9b31m (${B}:`);
  });
});
