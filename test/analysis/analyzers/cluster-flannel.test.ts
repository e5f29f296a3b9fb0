import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../src/capture/reader.js';
import { analyzeReader } from '../../../src/analysis/pass.js';
import { diagnose } from '../../../src/analysis/diagnose.js';
import { Capture, node, vxlanTcp } from '../../helpers/scenario.js';
import { clusterFindings, diagnoseWith, kubeList, objectOf, stateOf, type KubeList } from '../../k8s/lab-cluster.js';

const BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
const PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';

function setVtepMac(list: KubeList, nodeName: string, mac: string): void {
  const ann = objectOf(list, 'Node', nodeName).metadata.annotations!;
  ann[BACKEND_DATA] = JSON.stringify({ VNI: 1, VtepMAC: mac });
}

describe('flannel annotations against the wire', () => {
  it('stays quiet on the healthy flannel vxlan run', async () => {
    const { findings } = await diagnoseWith('flannel-vxlan-healthy', kubeList('flannel-vxlan-healthy'));
    expect(clusterFindings(findings)).toEqual([]);
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it("calls a node's VtepMAC annotation stale when its VTEP sends with another MAC", async () => {
    const list = kubeList('flannel-vxlan-healthy');
    setVtepMac(list, 'node2', '2e:7d:a4:c6:99:99');
    const found = clusterFindings((await diagnoseWith('flannel-vxlan-healthy', list)).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.flannel-vtep-annotation-stale@198.18.0.2']);
    const f = found[0]!;
    expect(f.title).toContain('2e:7d:a4:c6:12:02');
    expect(f.title).toContain('2e:7d:a4:c6:99:99');
    // Both sides: packets of a capture and the Node object.
    expect(f.evidence.some((e) => e.capture.endsWith('.pcap') && e.packets.length > 0)).toBe(true);
    expect(f.evidence.some((e) => e.capture === 'cluster-state:Node/node2' && e.note.includes('2e:7d:a4:c6:99:99'))).toBe(true);
  });

  it("flags a VTEP sending from an address other than its public-ip annotation, and nothing else", async () => {
    const list = kubeList('flannel-vxlan-healthy');
    objectOf(list, 'Node', 'node2').metadata.annotations![PUBLIC_IP] = '198.18.0.22';
    const found = clusterFindings((await diagnoseWith('flannel-vxlan-healthy', list)).findings);
    expect(found.map((f) => f.id)).toEqual(['cluster.flannel-public-ip-mismatch']);
    expect(found[0]!.title).toContain('sends from 198.18.0.2,');
    expect(found[0]!.evidence.map((e) => e.capture)).toContain('cluster-state:Node/node2');
  });

  it('names the stale FDB entry of the stale-fdb run from the annotations, with wire and node-state evidence', async () => {
    const list = kubeList('flannel-vxlan-stale-fdb');
    // Without the wire-only FDB checks, which find this fault on their own.
    const { findings } = await diagnoseWith('flannel-vxlan-stale-fdb', list, { without: ['fdb', 'node-state'] });
    const found = clusterFindings(findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.flannel-fdb-wrong-node@198.18.0.1']);
    const captures = found[0]!.evidence.map((e) => e.capture);
    expect(captures).toContain('node1-underlay.pcap');
    expect(captures).toContain('node-state:node1');
    expect(captures).toContain('cluster-state:Node/node2');
    expect(found[0]!.remedy.join('\n')).toContain('bridge fdb replace 2e:7d:a4:c6:12:02 dev flannel.1 dst 198.18.0.2');
  });

  it('does not repeat a stale FDB entry the wire-only checks already name', async () => {
    const { findings } = await diagnoseWith('flannel-vxlan-stale-fdb', kubeList('flannel-vxlan-stale-fdb'));
    expect(findings.some((f) => f.id === 'fdb.wrong-destination')).toBe(true);
    expect(clusterFindings(findings)).toEqual([]);
  });

  it('finds a peer still sending to the old VTEP MAC of a node that rebooted (the node itself silent)', async () => {
    const n1 = node(1);
    const n2 = node(2, { vtepMac: '0a:00:00:00:00:22' });
    const old = '0a:00:00:00:00:02';
    const c = new Capture('node1-underlay.pcap');
    for (let k = 0; k < 4; k++) c.add(k, vxlanTcp(n1, n2, { sport: 40000, dport: 80, seq: 1, flags: 'S' }, 0, { innerDstMac: old }));
    const result = await analyzeReader(CaptureReader.fromBuffer(c.bytes(), c.name), { name: c.name, path: c.name }, 0);
    const nodeObj = (n: typeof n1, name: string) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, annotations: { [BACKEND_DATA]: JSON.stringify({ VNI: 1, VtepMAC: n.vtepMac }), [PUBLIC_IP]: n.ip, 'flannel.alpha.coreos.com/backend-type': 'vxlan' } },
      spec: { podCIDR: `${n.pods}.0/24` },
      status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
    });
    const cluster = stateOf({ kind: 'List', items: [nodeObj(n1, 'node1'), nodeObj(n2, 'node2')] } as unknown as KubeList);
    const found = clusterFindings(diagnose([result], null, undefined, cluster).findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.flannel-stale-vtep-mac@198.18.0.1']);
    expect(found[0]!.title).toContain(old);
    expect(found[0]!.title).toContain('0a:00:00:00:00:22');
    expect(found[0]!.evidence[0]).toMatchObject({ capture: 'node1-underlay.pcap', count: 4 });
    // Without the cluster's records the same capture cannot say which MAC is current.
    expect(clusterFindings(diagnose([result], null).findings)).toEqual([]);
  });
});

describe("the nodes' FDB tables against the flannel annotations", () => {
  it('flags an FDB entry for a VTEP MAC no node announces, pointing at a node', async () => {
    const { findings } = await diagnoseWith('flannel-vxlan-healthy', kubeList('flannel-vxlan-healthy'), {
      nodeState: (s) => {
        s.nodes.find((n) => n.name === 'node1')!.fdb.push({ mac: '2e:7d:a4:c6:77:02', dev: 'flannel.1', dst: '198.18.0.2', master: null, flags: ['self'], state: 'permanent' });
        return s;
      },
    });
    const found = clusterFindings(findings);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.flannel-fdb-stale-entry@198.18.0.1']);
    expect(found[0]!.evidence.map((e) => e.capture)).toEqual(['node-state:node1', 'cluster-state:Node/node2']);
    expect(found[0]!.remedy[0]).toBe('bridge fdb del 2e:7d:a4:c6:77:02 dev flannel.1 dst 198.18.0.2   # on node1');
  });

  it("flags an FDB entry sending a node's annotated VTEP MAC to another node (no packets, so a warning)", async () => {
    const { findings } = await diagnoseWith('flannel-vxlan-healthy', kubeList('flannel-vxlan-healthy'), {
      without: ['node-state'],
      nodeState: (s) => {
        const fdb = s.nodes.find((n) => n.name === 'node1')!.fdb.find((e) => e.mac === '2e:7d:a4:c6:12:03')!;
        fdb.dst = '198.18.0.2';
        return s;
      },
    });
    const found = clusterFindings(findings);
    expect(found.map((f) => `${f.id}@${f.node} ${f.severity}`)).toEqual(['cluster.flannel-fdb-wrong-node@198.18.0.1 warning']);
    expect(found[0]!.title).toContain("node3's VTEP MAC 2e:7d:a4:c6:12:03 to node2 (198.18.0.2)");
  });
});
