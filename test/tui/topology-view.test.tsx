import { readFileSync } from 'node:fs';
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

  it('renders pod names and a per-hop journey when the report carries them, escaped', () => {
    const report = {
      topology: { nodes: [], vteps: [], podCidrs: [], arp: [], mtu: [], cni: [] },
      names: { '100.96.1.2': { namespace: 'default', pod: 'client\u001b[31m' } },
      correlation: {
        journeys: [
          {
            label: 'tcp 100.96.1.2:40000 → 100.96.2.2:8080',
            hops: [
              { capture: 'pod-a.pcap', packets: 3, status: 'seen' },
              { capture: 'node2-underlay.pcap', packets: 0, status: 'lost here' },
            ],
          },
        ],
      },
    } as unknown as Report;
    const text = topologyLines(report).map((l) => l.text);
    expect(text).toContain('  100.96.1.2  default/client\\x1b[31m');
    expect(text).toContain('  tcp 100.96.1.2:40000 → 100.96.2.2:8080');
    expect(text).toContain('    → node2-underlay.pcap  0 pkts  lost here');
    const lost = topologyLines(report).find((l) => l.text.includes('lost here'));
    expect(lost?.color).toBe('red');
  });
});
