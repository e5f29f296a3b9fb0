import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInProcess } from '../commands/harness.js';
import { LAB } from './lab-cluster.js';

const RUN = join(LAB, 'flannel-vxlan-stale-fdb');
const captures = readdirSync(RUN).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(RUN, f));
const K8S = join(RUN, 'k8s');

describe('netdiag read --cluster-state', () => {
  it('keeps both addresses and names in the JSON report', async () => {
    const r = await readInProcess({ files: captures, format: 'json', clusterState: K8S, nodeState: join(RUN, 'nodes') });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      names: Record<string, { kind: string; name: string; namespace?: string; node?: string }>;
      flows: Array<{ src: string; srcName?: string; dst: string; dstName?: string }>;
      findings: Array<{ node: string | null; nodeName?: string }>;
      topology: { nodes: Array<{ ip: string; name: string | null }> };
    };
    expect(doc.names['100.96.2.2']).toEqual({ kind: 'pod', name: 'pod-b', namespace: 'default', node: 'node2' });
    // The flannel DaemonSet pods share the node addresses: those stay the nodes'.
    expect(doc.names['198.18.0.1']).toEqual({ kind: 'node', name: 'node1' });
    const flow = doc.flows.find((f) => f.dst === '100.96.2.2')!;
    expect([flow.srcName, flow.dstName]).toEqual(['default/pod-a', 'default/pod-b']);
    expect(doc.findings[0]).toMatchObject({ node: '198.18.0.1', nodeName: 'node1' });
    expect(doc.topology.nodes.map((n) => `${n.ip}=${n.name}`)).toEqual(['198.18.0.1=node1', '198.18.0.2=node2', '198.18.0.3=node3']);
    expect(r.stderr).toContain('cluster state: 3 nodes, 6 pods, 2 services, 2 endpoint slices');
  });

  it('an empty names map and no name fields without cluster state', async () => {
    const r = await readInProcess({ files: captures, format: 'json' });
    const doc = JSON.parse(r.stdout) as { names: object; flows: Array<Record<string, unknown>> };
    expect(doc.names).toEqual({});
    expect(doc.flows.some((f) => 'srcName' in f || 'dstName' in f)).toBe(false);
  });

  it('shows names next to addresses in the text report', async () => {
    const r = await readInProcess({ files: captures, format: 'text', k8s: [join(K8S, 'cluster.json')] });
    expect(r.stdout).toMatch(/Names \(cluster state\)\n {2}100\.96\.1\.2 +pod +default\/pod-a on node1\n/);
    expect(r.stdout).toContain('fdb · node 198.18.0.1 (node1)');
    expect(r.stdout).toContain('VTEP 2e:7d:a4:c6:12:02 points at 198.18.0.3 (node3) instead of 198.18.0.2 (node2)');
    expect(r.stdout).toContain('[default/pod-a → default/pod-b]');
    const plain = await readInProcess({ files: captures, format: 'text' });
    expect(plain.stdout).not.toContain('(node1)');
  });

  it('shows names next to addresses in the Markdown report', async () => {
    const r = await readInProcess({ files: captures, format: 'markdown', clusterState: K8S });
    expect(r.stdout).toContain('| 198.18.0.1 (node1) |');
    expect(r.stdout).toContain('<details><summary>Names (cluster state)</summary>');
    // Markdown-escaped, as every text from the cluster files is.
    expect(r.stdout).toContain('| 100\\.96\\.2\\.2 | pod | default/pod\\-b | node2 |');
    expect(r.stdout).toContain('TCP connections to 100\\.96\\.2\\.2:8080 \\(default/pod\\-b\\)');
  });

  it('names Source and Destination in the packet list only when cluster state is given', async () => {
    const pod = join(RUN, 'pod-a.pcap');
    const plain = await readInProcess({ files: [pod], list: true, c: 3 });
    const named = await readInProcess({ files: [pod], list: true, c: 3, clusterState: K8S });
    expect(plain.stdout.split('\n')[2]).toMatch(/ 100\.96\.1\.2 → 100\.96\.2\.2 ICMP /);
    expect(named.stdout.split('\n')[2]).toMatch(/ default\/pod-a → default\/pod-b ICMP /);
    // Everything else on the line is the same.
    expect(named.stdout.replace(/default\/pod-a/g, '100.96.1.2').replace(/default\/pod-b/g, '100.96.2.2')).toBe(plain.stdout);
    const fields = await readInProcess({ files: [pod], T: 'fields', e: ['ip.src'], c: 3, clusterState: K8S });
    expect(fields.stdout).toBe((await readInProcess({ files: [pod], T: 'fields', e: ['ip.src'], c: 3 })).stdout);
  });

  it('reports a broken cluster file and still analyzes', async () => {
    const r = await readInProcess({ files: [join(RUN, 'pod-a.pcap')], format: 'json', k8s: [join(RUN, 'truth.json'), join(RUN, 'nope.yaml')] });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/nope\.yaml: cannot read/);
    expect(r.stderr).toContain('cluster state: 0 nodes, 0 pods');
    expect(JSON.parse(r.stdout)).toHaveProperty('findings');
  });
});
