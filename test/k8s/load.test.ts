import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { addClusterText, loadClusterState } from '../../src/k8s/load.js';
import { emptyClusterState } from '../../src/k8s/types.js';
import { LAB } from './lab-cluster.js';

const tmp = mkdtempSync(join(tmpdir(), 'netdiag-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function dir(name: string, files: Record<string, string | Buffer>): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  for (const [f, body] of Object.entries(files)) writeFileSync(join(d, f), body);
  return d;
}

const parse = (file: string, text: string) => {
  const s = emptyClusterState();
  addClusterText(s, file, text);
  return s;
};

describe('loading kubectl output', () => {
  it("reads a lab fixture's kubectl List: nodes with addresses and pod CIDRs, pods, services, slices", async () => {
    const s = await loadClusterState({ dirs: [join(LAB, 'flannel-vxlan-healthy', 'k8s')] });
    expect(s.problems).toEqual([]);
    expect(s.nodes.map((n) => [n.name, n.internalIPs, n.podCIDRs])).toEqual([
      ['node1', ['198.18.0.1'], ['100.96.1.0/24']],
      ['node2', ['198.18.0.2'], ['100.96.2.0/24']],
      ['node3', ['198.18.0.3'], ['100.96.3.0/24']],
    ]);
    const pod = s.pods.find((p) => p.name === 'pod-b')!;
    expect(pod).toMatchObject({ namespace: 'default', node: 'node2', ips: ['100.96.2.2'], hostIP: '198.18.0.2', hostNetwork: false, phase: 'Running' });
    expect(s.pods.filter((p) => p.hostNetwork).map((p) => p.namespace)).toEqual(['kube-flannel', 'kube-flannel', 'kube-flannel']);
    expect(s.services.map((x) => `${x.namespace}/${x.name} ${x.clusterIPs.join()}`)).toEqual(['default/kubernetes 10.96.0.1', 'default/echo 10.96.0.20']);
    const echo = s.endpointSlices.find((e) => e.service === 'echo')!;
    expect(echo.endpoints.map((e) => [e.addresses, e.nodeName, e.target?.name])).toEqual([[['100.96.2.2'], 'node2', 'pod-b']]);
  });

  it('reads Calico objects in both API groups, CiliumNodes and Kube-OVN subnets/IPs from multi-document YAML', () => {
    const s = parse(
      'cni.yaml',
      [
        'apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: pool-a}\nspec: {cidr: 10.244.0.0/16, blockSize: 26, ipipMode: Always, vxlanMode: Never}',
        'apiVersion: crd.projectcalico.org/v1\nkind: BlockAffinity\nmetadata: {name: n1-10-244-0-0-26}\nspec: {cidr: 10.244.0.0/26, node: n1, state: confirmed, deleted: "false"}',
        'apiVersion: crd.projectcalico.org/v1\nkind: BlockAffinity\nmetadata: {name: gone}\nspec: {cidr: 10.244.0.64/26, node: n2, deleted: "true"}',
        'apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {name: rr}\nspec: {peerIP: 192.0.2.10, asNumber: 64512}',
        'apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {nodeToNodeMeshEnabled: false, asNumber: 64512}',
        'apiVersion: cilium.io/v2\nkind: CiliumNode\nmetadata: {name: n1}\nspec: {ipam: {podCIDRs: [10.0.1.0/24]}, addresses: [{type: InternalIP, ip: 192.0.2.1}]}',
        'apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: ovn-default}\nspec: {cidrBlock: 10.16.0.0/16, gateway: 10.16.0.1, gatewayType: distributed}',
        'apiVersion: kubeovn.io/v1\nkind: IP\nmetadata: {name: web-1.default}\nspec: {podName: web-1, namespace: default, nodeName: n1, ipAddress: 10.16.0.5, subnet: ovn-default}',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec: {}',
      ].join('\n---\n'),
    );
    expect(s.problems).toEqual([]);
    expect(s.calico.ipPools).toEqual([{ name: 'pool-a', cidr: '10.244.0.0/16', blockSize: 26, ipipMode: 'Always', vxlanMode: 'Never', disabled: false }]);
    expect(s.calico.blockAffinities.map((b) => `${b.cidr}@${b.node}`)).toEqual(['10.244.0.0/26@n1']);
    expect(s.calico.bgpPeers[0]).toMatchObject({ name: 'rr', peerIP: '192.0.2.10', asNumber: 64512, node: null });
    expect(s.calico.bgpConfigurations[0]).toMatchObject({ nodeToNodeMeshEnabled: false });
    expect(s.ciliumNodes[0]).toEqual({ name: 'n1', podCIDRs: ['10.0.1.0/24'], addresses: [{ type: 'InternalIP', ip: '192.0.2.1' }] });
    expect(s.kubeOvn.subnets[0]).toMatchObject({ cidr: '10.16.0.0/16', gateway: '10.16.0.1' });
    expect(s.kubeOvn.ips[0]).toMatchObject({ ip: '10.16.0.5', podName: 'web-1', node: 'n1' });
    expect(s.ignored).toEqual({ Deployment: 1 });
  });

  it('reads single objects and kubectl *List kinds alike', () => {
    const s = parse('one.json', JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [{ kind: 'Pod', metadata: { name: 'a', namespace: 'x' }, spec: { nodeName: 'n1', hostNetwork: true }, status: { podIP: '192.0.2.1' } }] }));
    expect(s.pods).toEqual([{ name: 'a', namespace: 'x', node: 'n1', ips: ['192.0.2.1'], hostIP: null, hostNetwork: true, phase: null }]);
    const one = parse('node.yaml', 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n9\nspec:\n  podCIDR: 10.0.9.0/24\nstatus:\n  addresses:\n  - {type: InternalIP, address: 192.0.2.9}\n');
    expect(one.nodes.map((n) => n.name)).toEqual(['n9']);
  });

  it('names the file and what was wrong for malformed files, and still loads the others', async () => {
    const d = dir('mixed', {
      'good.json': JSON.stringify({ kind: 'List', items: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {}, status: {} }] }),
      'broken.json': '{"kind": "List", "items": [',
      'broken.yaml': 'kind: Node\nmetadata: {name: [unclosed\n',
      'blob.json': Buffer.from([0x7b, 0, 1, 2, 3]),
      'notes.txt': 'not read',
    });
    const s = await loadClusterState({ dirs: [d] });
    expect(s.nodes.map((n) => n.name)).toEqual(['n1']);
    expect(s.problems).toHaveLength(3);
    expect(s.problems.find((p) => p.startsWith(join(d, 'broken.json')))).toMatch(/not valid JSON/);
    expect(s.problems.find((p) => p.startsWith(join(d, 'broken.yaml')))).toMatch(/not valid YAML at offset \d+/);
    expect(s.problems.find((p) => p.startsWith(join(d, 'blob.json')))).toMatch(/binary/);
    expect(s.sources).not.toContain(join(d, 'notes.txt'));
  });

  it('refuses a file larger than the limit without reading it', async () => {
    const d = dir('big', { 'huge.json': `{"kind":"List","items":[]}${' '.repeat(5000 - 26)}` });
    const s = await loadClusterState({ files: [join(d, 'huge.json')] }, { maxFileBytes: 1024 });
    expect(s.problems).toEqual([`${join(d, 'huge.json')}: 5000 bytes, more than the 1024 a kubectl dump needs; not read`]);
    expect(s.sources).toEqual([]);
  });

  it('reports a missing file and an empty folder', async () => {
    const empty = dir('empty', {});
    const s = await loadClusterState({ dirs: [empty], files: [join(tmp, 'nope.json')] });
    expect(s.problems).toEqual([`${empty}: no *.json, *.yaml or *.yml files`, expect.stringMatching(/nope\.json: cannot read: ENOENT/)]);
  });

  it('keeps hostile keys as data and wrong types out', () => {
    const s = parse(
      'hostile.json',
      '{"kind":"List","items":[{"kind":"Node","metadata":{"name":"n1","annotations":{"__proto__":"x","a":{"nested":1}}},"spec":{"podCIDR":7},"status":{"addresses":"nope"}},{"kind":"__proto__","metadata":{"name":"y"}},{"kind":"Pod","metadata":{}}]}',
    );
    expect(s.nodes[0]!.podCIDRs).toEqual([]);
    expect(s.nodes[0]!.internalIPs).toEqual([]);
    expect(Object.keys(s.nodes[0]!.annotations)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(s.nodes[0]!.annotations)).toBe(Object.prototype);
    expect(Object.keys(s.ignored).sort()).toEqual(['Pod', '__proto__']);
    expect(({} as Record<string, unknown>)['y']).toBeUndefined();
  });

  it('never throws on arbitrary objects of the known kinds, nor on arbitrary text', () => {
    const kinds = ['Node', 'Pod', 'Service', 'EndpointSlice', 'IPPool', 'BlockAffinity', 'BGPPeer', 'BGPConfiguration', 'CiliumNode', 'Subnet', 'IP', 'List', 'PodList'];
    const apis = ['v1', 'discovery.k8s.io/v1', 'crd.projectcalico.org/v1', 'projectcalico.org/v3', 'cilium.io/v2', 'kubeovn.io/v1'];
    const object = fc.record({ apiVersion: fc.constantFrom(...apis), kind: fc.constantFrom(...kinds), metadata: fc.jsonValue(), spec: fc.jsonValue(), status: fc.jsonValue(), items: fc.jsonValue(), endpoints: fc.jsonValue() }, { requiredKeys: ['kind'] });
    fc.assert(
      fc.property(fc.array(object, { maxLength: 5 }), (items) => {
        const s = parse('random.json', JSON.stringify({ kind: 'List', items }));
        for (const p of s.problems) expect(typeof p).toBe('string');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('x.json', 'x.yaml'), (text, file) => {
        const s = parse(file, text);
        expect(Array.isArray(s.problems)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('does not expand YAML alias bombs', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    const s = parse('bomb.yaml', bomb);
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0]).toMatch(/^bomb\.yaml: .*alias/i);
  });
});
