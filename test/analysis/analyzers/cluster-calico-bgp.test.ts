import { describe, expect, it } from 'vitest';
import { clusterFindings, diagnoseWith, kubeList, objectOf, type KubeObject } from '../../k8s/lab-cluster.js';

const RUN = 'bgp-daemon-stop';

describe('Calico IPAM and BGP configuration against the BGP on the wire', () => {
  it('stays quiet when the API matches the full mesh run', async () => {
    expect(clusterFindings((await diagnoseWith(RUN, kubeList(RUN))).findings)).toEqual([]);
  });

  it('flags a block announced with a next hop other than its affine node', async () => {
    const list = kubeList(RUN);
    objectOf(list, 'BlockAffinity', 'node2-100-96-2-0-26').spec['node'] = 'node3';
    const found = clusterFindings((await diagnoseWith(RUN, list)).findings).filter((f) => f.id === 'cluster.calico-block-announced-elsewhere');
    expect(found.map((f) => f.node)).toEqual(['198.18.0.2']);
    expect(found[0]!.title).toContain('100.96.2.0/26');
    expect(found[0]!.title).toContain('node3');
    const [wire, api] = found[0]!.evidence;
    expect(wire!.capture).toMatch(/\.pcap$/);
    expect(wire!.packets.length).toBe(1);
    expect(api!.capture).toBe('cluster-state:BlockAffinity/node2-100-96-2-0-26');
  });

  it('flags an announced pool block that no affinity holds', async () => {
    const list = kubeList(RUN);
    list.items = list.items.filter((o) => !(o.kind === 'BlockAffinity' && o.metadata.name === 'node3-100-96-3-0-26'));
    const found = clusterFindings((await diagnoseWith(RUN, list)).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.calico-block-unallocated@198.18.0.3']);
  });

  it('flags a block its node never announces while its sessions carry UPDATEs', async () => {
    const list = kubeList(RUN);
    list.items.push({ apiVersion: 'crd.projectcalico.org/v1', kind: 'BlockAffinity', metadata: { name: 'node1-100-96-1-64-26' }, spec: { cidr: '100.96.1.64/26', node: 'node1', state: 'confirmed', deleted: 'false' } } as KubeObject);
    const found = clusterFindings((await diagnoseWith(RUN, list)).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.calico-block-not-announced@198.18.0.1']);
    expect(found[0]!.title).toContain('100.96.1.64/26');
  });

  it('flags sessions the configuration does not call for when the mesh is off and a route reflector is declared', async () => {
    const list = kubeList(RUN);
    objectOf(list, 'BGPConfiguration', 'default').spec['nodeToNodeMeshEnabled'] = false;
    objectOf(list, 'Node', 'node3').metadata.labels!['route-reflector'] = 'true';
    list.items.push({ apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name: 'peer-with-route-reflectors' }, spec: { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" } } as KubeObject);
    const found = clusterFindings((await diagnoseWith(RUN, list)).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.bgp-session-not-configured@198.18.0.1']);
    expect(found[0]!.title).toContain('node1 and node2');
    expect(found[0]!.evidence.map((e) => e.capture)).toContain('cluster-state:BGPConfiguration/default');
  });

  it("flags a mesh peer a node's capture never talks to", async () => {
    const list = kubeList(RUN);
    // A fourth node joined the mesh (it holds a block), but nobody peers with it.
    list.items.push(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node4', labels: {} }, spec: { podCIDR: '100.96.4.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.4' }] } } as KubeObject,
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'BlockAffinity', metadata: { name: 'node4-100-96-4-0-26' }, spec: { cidr: '100.96.4.0/26', node: 'node4', state: 'confirmed', deleted: 'false' } } as KubeObject,
    );
    const found = clusterFindings((await diagnoseWith(RUN, list)).findings).filter((f) => f.id === 'cluster.bgp-session-missing');
    expect(found.length).toBeGreaterThan(0);
    for (const f of found) expect(f.title).toContain('node4 (198.18.0.4)');
    expect(found.every((f) => f.node !== '198.18.0.4')).toBe(true);
  });
});
