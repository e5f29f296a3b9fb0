import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { topologyLines } from '../../src/tui/topology-lines.js';
import { mount, openSession, STALE_FDB, type Mounted } from './tui-harness.js';

const cluster = JSON.parse(readFileSync(`${STALE_FDB}cluster.json`, 'utf8')) as { mode: string; nodes: Array<{ internalIP: string; podCIDR: string; vtepMAC: string }> };
const files = ['pod-a.pcap', 'node1-underlay.pcap', 'node2-underlay.pcap', 'node3-underlay.pcap'].map((f) => STALE_FDB + f);
let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

describe('Topology view', () => {
  it('shows the CNI mode, and the nodes that send pod traffic with their VTEP and pod CIDR, as the lab built them', async () => {
    ui = await mount(await openSession(files), { height: 40 });
    await ui.waitFor((s) => /problem|no fault/.test(s.split('\n')[0]!), 'the diagnosis');
    await ui.press('5');
    const f = ui.frame();
    expect(f).toMatch(new RegExp(`^  ${cluster.mode} \\(\\d+%\\)`, 'm'));
    // node1 and node2 exchange pod traffic in this scenario; both must be placed right.
    for (const n of cluster.nodes.slice(0, 2)) {
      const at = f.indexOf(`  ${n.internalIP} `);
      expect(at).toBeGreaterThanOrEqual(0);
      const block = f.slice(at, at + 400);
      expect(block).toContain(`vtep ${n.vtepMAC}`);
      expect(block).toContain(`pods ${n.podCIDR}`);
    }
  });

  it('marks in red where the MTU scenario loses packets, from the real correlation of its captures', () => {
    const dir = 'fixtures/lab/flannel-vxlan-mtu/';
    const truth = JSON.parse(readFileSync(`${dir}truth.json`, 'utf8')) as { node: string };
    const pcaps = readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => dir + f);
    const json = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'read', ...pcaps, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const red = topologyLines(JSON.parse(json) as Report).filter((l) => l.color === 'red');
    const loss = red.find((l) => l.text.includes('lost underlay'));
    expect(loss?.text).toContain('last seen node1-underlay.pcap, never at node2-underlay.pcap');
    expect(loss?.text).toContain(`→ ${truth.node})`);
    expect(loss?.text).toMatch(/only above \d+ bytes/);
  }, 120_000);
});
