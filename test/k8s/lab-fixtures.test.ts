import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClusterState } from '../../src/k8s/load.js';
import { kubectlList, type LabCluster, type LabTraffic } from '../lab/lib/kubectl-json.js';
import { LAB } from './lab-cluster.js';

const scenarios = readdirSync(LAB).filter((d) => statSync(join(LAB, d)).isDirectory()).sort();
const json = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown;

describe("the lab's kubectl JSON (fixtures/lab/*/k8s)", () => {
  for (const name of scenarios) {
    const dir = join(LAB, name);
    it(`${name}: is what the lab writes from cluster.json and traffic.json`, () => {
      expect(json(dir, 'k8s/cluster.json')).toEqual(kubectlList(json(dir, 'cluster.json') as LabCluster, json(dir, 'traffic.json') as LabTraffic[]));
    });

    it(`${name}: reads back as the cluster the lab built`, async () => {
      const lab = json(dir, 'cluster.json') as LabCluster & { nodes: Array<{ annotations: Record<string, string> }> };
      const s = await loadClusterState({ dirs: [join(dir, 'k8s')] });
      expect(s.problems).toEqual([]);
      expect(s.ignored).toEqual({});
      expect(s.nodes.map((n) => ({ name: n.name, ip: n.internalIPs[0], cidr: n.podCIDRs[0] }))).toEqual(lab.nodes.map((n) => ({ name: n.name, ip: n.internalIP, cidr: n.podCIDR })));
      for (const n of lab.nodes) expect(s.nodes.find((x) => x.name === n.name)!.annotations).toMatchObject(n.annotations);
      const workloads = s.pods.filter((p) => !p.hostNetwork);
      expect(workloads.map((p) => `${p.namespace}/${p.name}@${p.node} ${p.ips.join()}`)).toEqual(lab.pods.map((p) => `${p.namespace}/${p.name}@${p.node} ${p.podIP}`));
      // Every endpoint of the echo Service is a pod the traffic reached.
      const echo = s.endpointSlices.find((e) => e.service === 'echo');
      const dsts = new Set((json(dir, 'traffic.json') as LabTraffic[]).flatMap((t) => /-> (\d+\.\d+\.\d+\.\d+):\d+/.exec(t.what)?.[1] ?? []));
      expect(echo?.endpoints.flatMap((e) => e.addresses).sort()).toEqual([...dsts].sort());
      if (lab.mode === 'calico-bgp') {
        const blocks = (lab.nodes as unknown as Array<{ name: string; bgp: { blocks: string[] } }>).flatMap((n) => n.bgp.blocks.map((b) => `${b}@${n.name}`));
        expect(s.calico.blockAffinities.map((b) => `${b.cidr}@${b.node}`)).toEqual(blocks);
        expect(s.calico.ipPools.map((p) => p.cidr)).toEqual([lab.clusterCIDR]);
      } else {
        expect(s.calico.ipPools).toEqual([]);
      }
    });
  }

  it('has the API shape: List of objects with apiVersion, kind and full metadata', () => {
    const list = json(join(LAB, 'bgp-daemon-stop'), 'k8s/cluster.json') as { kind: string; items: Array<{ apiVersion: string; kind: string; metadata: Record<string, unknown> }> };
    expect(list.kind).toBe('List');
    for (const o of list.items) {
      expect(o.apiVersion).toMatch(/^(v1|discovery\.k8s\.io\/v1|crd\.projectcalico\.org\/v1)$/);
      expect(Object.keys(o.metadata)).toEqual(expect.arrayContaining(['name', 'uid', 'resourceVersion', 'creationTimestamp']));
    }
    expect(new Set(list.items.map((o) => o.kind))).toEqual(new Set(['Node', 'Pod', 'Service', 'EndpointSlice', 'IPPool', 'BGPConfiguration', 'BlockAffinity']));
    expect(new Set(list.items.map((o) => o.metadata['uid'])).size).toBe(list.items.length);
  });
});
