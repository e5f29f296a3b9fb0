import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectDiagnosis, type Truth } from '../helpers/lab-diagnosis.js';
import { clusterFindings, diagnoseWith, kubeList, LAB, labRun, type KubeList } from './lab-cluster.js';

const SCENARIOS = ['bgp-daemon-stop', 'flannel-vxlan-healthy', 'flannel-vxlan-mtu', 'flannel-vxlan-nft-drop', 'flannel-vxlan-stale-fdb', 'host-gw-offsegment'];

describe('the committed lab scenarios with their kubectl JSON', () => {
  for (const name of SCENARIOS) {
    it(`${name}: the verdict stands and the API agrees with the wire`, async () => {
      const truth = JSON.parse(readFileSync(join(LAB, name, 'truth.json'), 'utf8')) as Truth;
      const { findings } = await diagnoseWith(name, kubeList(name));
      // Their faults live in the data path, not in the API records: no cluster finding, same diagnosis.
      expect(clusterFindings(findings)).toEqual([]);
      expectDiagnosis(truth, findings);
    });
  }
});

describe('the checks with damaged or contradictory cluster objects', () => {
  const ip = fc.oneof(fc.constantFrom('198.18.0.1', '198.18.0.2', '198.18.0.3', '100.96.1.2', '100.96.2.2', '0.0.0.0', '255.255.255.255', 'x', ''), fc.ipV4());
  const cidr = fc.oneof(fc.constantFrom('100.96.1.0/24', '100.96.2.0/26', '0.0.0.0/0', '100.96.0.0/33', '/', 'x/24'), fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, l]) => `${a}/${l}`));
  const name = fc.constantFrom('node1', 'node2', 'node3', 'node4', '', '__proto__');
  const mac = fc.constantFrom('2e:7d:a4:c6:12:01', '2e:7d:a4:c6:12:02', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', 'zz');
  const node = fc.record({
    kind: fc.constant('Node'),
    metadata: fc.record({
      name,
      labels: fc.dictionary(fc.constantFrom('route-reflector', 'a'), fc.constantFrom('true', 'x')),
      annotations: fc.record({
        'flannel.alpha.coreos.com/backend-data': fc.oneof(mac.map((m) => JSON.stringify({ VNI: 1, VtepMAC: m })), fc.string()),
        'flannel.alpha.coreos.com/public-ip': ip,
        'flannel.alpha.coreos.com/backend-type': fc.constantFrom('vxlan', 'host-gw', 'udp', 'wireguard'),
      }),
    }),
    spec: fc.record({ podCIDR: cidr }),
    status: fc.record({ addresses: fc.array(fc.record({ type: fc.constantFrom('InternalIP', 'ExternalIP'), address: ip }), { maxLength: 2 }) }),
  });
  const pod = fc.record({ kind: fc.constant('Pod'), metadata: fc.record({ name: fc.constantFrom('pod-a', 'pod-b'), namespace: fc.constant('default') }), spec: fc.record({ nodeName: name, hostNetwork: fc.boolean() }), status: fc.record({ podIP: ip }) });
  const calico = fc.oneof(
    fc.record({ apiVersion: fc.constant('crd.projectcalico.org/v1'), kind: fc.constant('BlockAffinity'), metadata: fc.record({ name: fc.string() }), spec: fc.record({ cidr, node: name }) }),
    fc.record({ apiVersion: fc.constant('crd.projectcalico.org/v1'), kind: fc.constant('IPPool'), metadata: fc.record({ name: fc.string() }), spec: fc.record({ cidr, ipipMode: fc.constantFrom('Always', 'Never'), blockSize: fc.integer({ min: 0, max: 40 }) }) }),
    fc.record({ apiVersion: fc.constant('crd.projectcalico.org/v1'), kind: fc.constant('BGPPeer'), metadata: fc.record({ name: fc.string() }), spec: fc.record({ peerIP: ip, nodeSelector: fc.constantFrom('all()', "a == 'x'", 'has(a)', '!weird'), peerSelector: fc.constantFrom("route-reflector == 'true'", 'all()', '&&') }) }),
    fc.record({ apiVersion: fc.constant('crd.projectcalico.org/v1'), kind: fc.constant('BGPConfiguration'), metadata: fc.record({ name: fc.constant('default') }), spec: fc.record({ nodeToNodeMeshEnabled: fc.boolean() }) }),
    fc.record({ apiVersion: fc.constant('v1'), kind: fc.constant('Service'), metadata: fc.record({ name: fc.constant('s'), namespace: fc.constant('default') }), spec: fc.record({ clusterIP: ip, ports: fc.constant([{ port: 8080, protocol: 'TCP' }]) }) }),
  );

  for (const run of ['flannel-vxlan-stale-fdb', 'bgp-daemon-stop']) {
    it(`${run}: never throws, and every finding cites evidence`, async () => {
      await labRun(run);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(node, pod, calico), { maxLength: 8 }), async (items) => {
          const { findings } = await diagnoseWith(run, { kind: 'List', items } as unknown as KubeList);
          for (const f of clusterFindings(findings)) expect(f.evidence.length).toBeGreaterThan(0);
        }),
        { numRuns: 60 },
      );
    });
  }
});
