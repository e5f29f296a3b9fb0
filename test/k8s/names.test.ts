import { describe, expect, it } from 'vitest';
import { annotateAddresses, NameResolver } from '../../src/k8s/names.js';
import { addClusterText } from '../../src/k8s/load.js';
import { emptyClusterState } from '../../src/k8s/types.js';

function state(items: unknown[]) {
  const s = emptyClusterState();
  addClusterText(s, 'cluster.json', JSON.stringify({ kind: 'List', items }));
  return s;
}

const cluster = state([
  { kind: 'Node', metadata: { name: 'worker-1' }, spec: {}, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.11' }, { type: 'Hostname', address: 'worker-1' }] } },
  { kind: 'Pod', metadata: { name: 'checkout-7d9f', namespace: 'shop' }, spec: { nodeName: 'worker-1' }, status: { podIP: '100.96.1.10', phase: 'Running' } },
  { kind: 'Pod', metadata: { name: 'redis-0', namespace: 'shop' }, spec: { nodeName: 'worker-2' }, status: { podIPs: [{ ip: '100.96.2.10' }, { ip: 'fd00::a' }], phase: 'Running' } },
  // hostNetwork pods carry their node's address: the address is the node's.
  { kind: 'Pod', metadata: { name: 'kube-proxy-x', namespace: 'kube-system' }, spec: { nodeName: 'worker-1', hostNetwork: true }, status: { podIP: '10.0.0.11', phase: 'Running' } },
  // A finished pod's address has been handed on.
  { kind: 'Pod', metadata: { name: 'job-1', namespace: 'batch' }, spec: { nodeName: 'worker-1' }, status: { podIP: '100.96.1.99', phase: 'Succeeded' } },
  { kind: 'Service', metadata: { name: 'redis', namespace: 'shop' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 6379 }] } },
  { kind: 'Service', metadata: { name: 'headless', namespace: 'shop' }, spec: { clusterIP: 'None' } },
]);

describe('the cluster names of addresses', () => {
  const names = new NameResolver(cluster);

  it('names pods as namespace/pod with their node, nodes by name, ClusterIPs as namespace/service', () => {
    expect(names.lookup('100.96.1.10')).toEqual({ kind: 'pod', name: 'checkout-7d9f', namespace: 'shop', node: 'worker-1' });
    expect(names.label('100.96.2.10')).toBe('shop/redis-0');
    expect(names.label('fd00::a')).toBe('shop/redis-0');
    expect(names.label('10.96.0.30')).toBe('shop/redis');
    expect(names.nodeIp('worker-1')).toBe('10.0.0.11');
  });

  it('gives a hostNetwork address to the node, and forgets finished pods and headless services', () => {
    expect(names.lookup('10.0.0.11')).toEqual({ kind: 'node', name: 'worker-1' });
    expect(names.label('100.96.1.99')).toBeUndefined();
    expect(names.label('None')).toBeUndefined();
    expect(names.size).toBe(5);
  });

  it('annotates addresses in text, with ports, leaving CIDRs and unknown addresses alone', () => {
    const map = names.namesOf(['100.96.1.10', '100.96.2.10', '10.0.0.11', '192.0.2.1']);
    expect(Object.keys(map)).toEqual(['100.96.1.10', '100.96.2.10', '10.0.0.11']);
    expect(annotateAddresses('TCP 100.96.1.10:43210 → 100.96.2.10:6379 via 10.0.0.11; 100.96.2.0/24 and 192.0.2.1', map)).toBe(
      'TCP 100.96.1.10:43210 (shop/checkout-7d9f) → 100.96.2.10:6379 (shop/redis-0) via 10.0.0.11 (worker-1); 100.96.2.0/24 and 192.0.2.1',
    );
    // Annotating twice does not stack names.
    const once = annotateAddresses('node 10.0.0.11', map);
    expect(annotateAddresses(once, map)).toBe(once);
    // Text that already names the address first keeps its own wording.
    expect(annotateAddresses('sent by worker-1 (10.0.0.11)', map)).toBe('sent by worker-1 (10.0.0.11)');
    expect(annotateAddresses('shop/redis-0 has 100.96.2.10; later 100.96.2.10', map)).toBe('shop/redis-0 has 100.96.2.10; later 100.96.2.10 (shop/redis-0)');
  });
});
