import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../../src/capture/reader.js';
import { analyzeReader } from '../../../src/analysis/pass.js';
import { diagnose } from '../../../src/analysis/diagnose.js';
import { ethernet, ETHERTYPE, ipTcp } from '../../../src/craft/index.js';
import { Capture, node, vxlanTcp } from '../../helpers/scenario.js';
import { clusterFindings, stateOf, type KubeList } from '../../k8s/lab-cluster.js';

const CLUSTER_IP = '10.96.0.20';
const CLIENT = '100.96.1.10';
const ENDPOINT = '100.96.2.10';

/** A Service web/api on 10.96.0.20:80 -> 8080 whose EndpointSlice lists only 100.96.2.10. */
const serviceObjects = {
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'web' }, spec: { clusterIP: CLUSTER_IP, clusterIPs: [CLUSTER_IP], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], type: 'ClusterIP' } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'api-abcde', namespace: 'web', labels: { 'kubernetes.io/service-name': 'api' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ENDPOINT], conditions: { ready: true }, nodeName: 'node2', targetRef: { kind: 'Pod', name: 'api-1', namespace: 'web' } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'web' }, spec: { nodeName: 'node1' }, status: { podIP: CLIENT, phase: 'Running' } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '198.18.0.1' }] } },
  ],
} as unknown as KubeList;

const syn = (dst: string, dport: number, t: number) =>
  ethernet({ src: '0a:58:64:60:01:0a', dst: '0a:58:64:60:01:01', type: ETHERTYPE.IPV4 }, ipTcp({ src: CLIENT, dst, ttl: 64, sport: 43210, dport, seq: 1000 + t, flags: 'S' }, Buffer.alloc(0)));

async function findingsOf(c: Capture) {
  const result = await analyzeReader(CaptureReader.fromBuffer(c.bytes(), c.name), { name: c.name, path: c.name }, 0);
  return clusterFindings(diagnose([result], null, undefined, stateOf(serviceObjects)).findings);
}

describe('Service traffic against the EndpointSlices', () => {
  it('stays quiet when the translated connection goes to a listed endpoint', async () => {
    const c = new Capture('node1-any.pcap').add(0, syn(CLUSTER_IP, 80, 0)).add(0.001, syn(ENDPOINT, 8080, 0));
    expect(await findingsOf(c)).toEqual([]);
  });

  it('flags a Service connection translated to an address its EndpointSlices do not list', async () => {
    const c = new Capture('node1-any.pcap').add(0, syn(CLUSTER_IP, 80, 0)).add(0.001, syn('100.96.3.10', 8080, 0));
    const found = await findingsOf(c);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.service-stale-endpoint@198.18.0.1']);
    expect(found[0]!.title).toContain('web/api');
    expect(found[0]!.title).toContain('100.96.3.10');
    expect(found[0]!.evidence.map((e) => [e.capture, e.packets])).toEqual([
      ['node1-any.pcap', [1]],
      ['node1-any.pcap', [2]],
      ['cluster-state:EndpointSlice/web/api-abcde', []],
    ]);
  });

  it('flags a ClusterIP carried inside the tunnel (no Service rules on the sending node)', async () => {
    const c = new Capture('node1-underlay.pcap').add(0, vxlanTcp(node(1), node(2), { sport: 43210, dport: 80, seq: 1, flags: 'S' }, 0, { innerSrc: CLIENT, innerDst: CLUSTER_IP }));
    const found = await findingsOf(c);
    expect(found.map((f) => `${f.id}@${f.node}`)).toEqual(['cluster.service-not-translated@198.18.0.1']);
    expect(found[0]!.evidence[1]!.capture).toBe('cluster-state:Service/web/api');
  });
});
