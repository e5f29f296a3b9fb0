import { describe, expect, it } from 'vitest';
import { clusterFindings, diagnoseWith, kubeList, objectOf } from '../../k8s/lab-cluster.js';

describe('pod addresses against the nodes the API puts them on', () => {
  it('stays quiet on the healthy flannel vxlan run and the Calico run', async () => {
    expect(clusterFindings((await diagnoseWith('flannel-vxlan-healthy', kubeList('flannel-vxlan-healthy'))).findings)).toEqual([]);
    expect(clusterFindings((await diagnoseWith('bgp-daemon-stop', kubeList('bgp-daemon-stop'))).findings)).toEqual([]);
  });

  it('flags a pod IP sent from a node other than its pod spec.nodeName (tunnelled)', async () => {
    const list = kubeList('flannel-vxlan-healthy');
    // The API says pod-b runs on node3; its address comes from behind node2.
    const pod = objectOf(list, 'Pod', 'pod-b');
    pod.spec['nodeName'] = 'node3';
    const found = clusterFindings((await diagnoseWith('flannel-vxlan-healthy', list)).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.pod-ip-on-wrong-node@198.18.0.2']);
    const f = found[0]!;
    expect(f.title).toContain('100.96.2.2 (default/pod-b)');
    expect(f.title).toContain('node3');
    expect(f.evidence.some((e) => e.capture.endsWith('.pcap') && e.packets.length > 0 && e.note.includes('node2'))).toBe(true);
    expect(f.evidence.map((e) => e.capture)).toContain('cluster-state:Pod/default/pod-b');
  });

  it('flags pod addresses behind a node outside its spec.podCIDR', async () => {
    const list = kubeList('flannel-vxlan-healthy');
    // node2 and node3 swapped their pod CIDRs in the API (a node re-registered with a new range).
    const set = (name: string, cidr: string) => {
      const n = objectOf(list, 'Node', name);
      n.spec['podCIDR'] = cidr;
      n.spec['podCIDRs'] = [cidr];
    };
    set('node2', '100.96.3.0/24');
    set('node3', '100.96.2.0/24');
    const found = clusterFindings((await diagnoseWith('flannel-vxlan-healthy', list)).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.pod-cidr-mismatch@198.18.0.2']);
    expect(found[0]!.title).toContain("node3's pod CIDR 100.96.2.0/24");
    expect(found[0]!.evidence.map((e) => e.capture)).toContain('cluster-state:Node/node2');
  });

  it('flags pod addresses routed by a node that does not hold their Calico block (unencapsulated)', async () => {
    const list = kubeList('bgp-daemon-stop');
    // IPAM says node1's pods (100.96.1.0/26) belong to node3.
    objectOf(list, 'BlockAffinity', 'node1-100-96-1-0-26').spec['node'] = 'node3';
    const found = clusterFindings((await diagnoseWith('bgp-daemon-stop', list)).findings);
    const placement = found.filter((f) => f.id === 'cluster.calico-block-wrong-node');
    expect(placement.map((f) => f.node)).toEqual(['198.18.0.1']);
    expect(placement[0]!.evidence.some((e) => e.capture.endsWith('.pcap') && e.packets.length > 0)).toBe(true);
    expect(placement[0]!.evidence.map((e) => e.capture)).toContain('cluster-state:BlockAffinity/node1-100-96-1-0-26');
  });
});

describe("Cilium's per-node pod CIDRs", () => {
  it('are the allocation when the Node has no spec.podCIDR', async () => {
    const list = kubeList('flannel-vxlan-healthy');
    for (const [name, cidr] of [['node1', '100.96.1.0/24'], ['node2', '100.96.3.0/24'], ['node3', '100.96.2.0/24']] as const) {
      const n = objectOf(list, 'Node', name);
      delete n.spec['podCIDR'];
      delete n.spec['podCIDRs'];
      list.items.push({ apiVersion: 'cilium.io/v2', kind: 'CiliumNode', metadata: { name }, spec: { ipam: { podCIDRs: [cidr] } } } as unknown as (typeof list.items)[number]);
    }
    const found = clusterFindings((await diagnoseWith('flannel-vxlan-healthy', list)).findings).filter((f) => f.id === 'cluster.pod-cidr-mismatch');
    expect(found.map((f) => f.node)).toEqual(['198.18.0.2']);
  });
});
