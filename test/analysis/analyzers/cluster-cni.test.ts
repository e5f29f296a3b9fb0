import { describe, expect, it } from 'vitest';
import { clusterFindings, diagnoseWith, kubeList, objectOf } from '../../k8s/lab-cluster.js';

describe('the CNI mode the API declares against the one the packets show', () => {
  it('stays quiet when the declaration matches (flannel vxlan, Calico native BGP)', async () => {
    expect(clusterFindings((await diagnoseWith('flannel-vxlan-healthy', kubeList('flannel-vxlan-healthy'))).findings)).toEqual([]);
    expect(clusterFindings((await diagnoseWith('bgp-daemon-stop', kubeList('bgp-daemon-stop'))).findings)).toEqual([]);
  });

  it('flags flannel annotated host-gw while the nodes carry VXLAN', async () => {
    const list = kubeList('flannel-vxlan-healthy');
    for (const n of ['node1', 'node2', 'node3']) {
      const ann = objectOf(list, 'Node', n).metadata.annotations!;
      ann['flannel.alpha.coreos.com/backend-type'] = 'host-gw';
      ann['flannel.alpha.coreos.com/backend-data'] = 'null';
    }
    const found = clusterFindings((await diagnoseWith('flannel-vxlan-healthy', list)).findings);
    expect(found.map((f) => f.id)).toEqual(['cluster.cni-mode-mismatch']);
    expect(found[0]!.title).toBe('The cluster declares flannel-host-gw, but the packets show flannel-vxlan');
    expect(found[0]!.evidence[0]!.capture).toBe('cluster-state:Node/node1');
    expect(found[0]!.evidence[1]!.packets.length).toBeGreaterThan(0);
  });

  it('flags a Calico pool in IPIP mode whose pods travel unencapsulated', async () => {
    const list = kubeList('bgp-daemon-stop');
    objectOf(list, 'IPPool', 'default-ipv4-ippool').spec['ipipMode'] = 'Always';
    const found = clusterFindings((await diagnoseWith('bgp-daemon-stop', list)).findings);
    expect(found.map((f) => f.id)).toEqual(['cluster.cni-mode-mismatch']);
    expect(found[0]!.title).toContain('calico-ipip');
    expect(found[0]!.evidence[0]!.capture).toBe('cluster-state:IPPool/default-ipv4-ippool');
  });
});
