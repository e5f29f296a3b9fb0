/**
 * The lab's README and committed samples against the scenario definitions.
 * Needs no root: it only reads files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIOS, scenarioByName, scenarioTable } from './scenarios.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'fixtures', 'lab');
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL2 = 276;
const COMPONENTS = ['mtu', 'fdb', 'neighbor', 'vni', 'firewall', 'l2-nexthop', 'route', 'bgp-session', 'bgp-routes', 'arp', 'checksum', 'tcp', 'icmp', 'capture'];

interface Truth {
  scenario: string;
  mode: string;
  fault: string | null;
  component: string | null;
  node: string | null;
  captures: Record<string, { node: string; nodeName: string; point: string; interface: string; pod?: string }>;
}

interface Cluster {
  mode: string;
  nodes: { name: string; internalIP: string; podCIDR: string; vtepMAC?: string }[];
  pods: { name: string; node: string; podIP: string }[];
}

function pcapLinktype(file: string): number {
  const head = readFileSync(file).subarray(0, 24);
  const magic = head.readUInt32LE(0);
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) return head.readUInt32LE(20);
  if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) return head.readUInt32BE(20);
  throw new Error(`${file}: not a pcap file (magic ${magic.toString(16)})`);
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

describe('lab README', () => {
  it('has the scenario table generated from the scenario definitions', () => {
    const readme = readFileSync(join(ROOT, 'test/lab/README.md'), 'utf8');
    const m = /<!-- scenario-table:begin -->\n([\s\S]*?)<!-- scenario-table:end -->/.exec(readme);
    expect(m, 'scenario table markers in test/lab/README.md').not.toBeNull();
    expect(m?.[1], 'run `npm run lab -- table` and paste its output between the markers').toBe(scenarioTable());
  });

  it('names a known component and a node for every fault, none for healthy runs', () => {
    for (const s of SCENARIOS) {
      if (s.fault === null) {
        expect([s.component, s.faultNode], s.name).toEqual([null, null]);
      } else {
        expect(COMPONENTS, s.name).toContain(s.component);
        expect(s.faultNode, s.name).toMatch(/^node[1-9]$/);
        expect(Number(s.faultNode?.slice(4)), s.name).toBeLessThanOrEqual(s.nodes);
      }
    }
  });
});

const samples = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory()) : [];

describe('committed lab samples (fixtures/lab)', () => {
  it('include the representative scenarios and stay small', () => {
    for (const name of ['flannel-vxlan-healthy', 'flannel-vxlan-stale-fdb', 'flannel-vxlan-mtu', 'flannel-vxlan-nft-drop', 'host-gw-offsegment']) {
      expect(samples).toContain(name);
    }
    expect(samples.some((s) => s === 'bgp-wrong-as' || s === 'bgp-daemon-stop')).toBe(true);
    expect(dirBytes(FIXTURES)).toBeLessThan(2 * 1024 * 1024);
  });

  for (const name of samples) {
    it(`${name}: truth, cluster, captures and node state agree with the scenario`, () => {
      const dir = join(FIXTURES, name);
      const sc = scenarioByName(name);
      expect(sc, `${name} is a lab scenario`).toBeDefined();
      const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
      const cluster = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as Cluster;
      const nodeIP = (n: string) => cluster.nodes.find((x) => x.name === n)?.internalIP;

      expect(truth.scenario).toBe(name);
      expect(truth.mode).toBe(sc?.mode);
      expect(truth.fault).toBe(sc?.fault);
      expect(truth.component).toBe(sc?.component);
      expect(truth.node).toBe(sc?.faultNode ? nodeIP(sc.faultNode) : null);
      expect(cluster.mode).toBe(sc?.mode);
      expect(cluster.nodes).toHaveLength(sc?.nodes ?? 0);

      const points = Object.entries(truth.captures);
      expect(points.map(([, p]) => p.point).sort()).toEqual(expect.arrayContaining(['node-any', 'node-underlay', 'pod-eth0']));
      for (const [file, p] of points) {
        expect(p.node, file).toBe(nodeIP(p.nodeName));
        expect(pcapLinktype(join(dir, file)), file).toBe(p.point === 'node-any' ? LINKTYPE_LINUX_SLL2 : LINKTYPE_ETHERNET);
      }

      for (const n of cluster.nodes) {
        for (const f of ['ip-addr', 'ip-route', 'ip-neigh', 'bridge-fdb', 'ip-d-link']) {
          expect(existsSync(join(dir, 'nodes', n.name, `${f}.txt`)), `${n.name}/${f}.txt`).toBe(true);
          JSON.parse(readFileSync(join(dir, 'nodes', n.name, `${f}.json`), 'utf8'));
        }
        if (cluster.mode === 'calico-bgp') expect(existsSync(join(dir, 'nodes', n.name, 'birdc-protocols.txt'))).toBe(true);
        const addrs = JSON.parse(readFileSync(join(dir, 'nodes', n.name, 'ip-addr.json'), 'utf8')) as { ifname: string; addr_info: { local: string }[] }[];
        expect(addrs.find((a) => a.ifname === 'eth0')?.addr_info.map((a) => a.local), n.name).toContain(n.internalIP);
      }
    });
  }
});
