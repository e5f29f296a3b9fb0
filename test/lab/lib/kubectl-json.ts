/**
 * What `kubectl get nodes,pods,services,endpointslices -A -o json` (plus Calico's CRDs in
 * Calico scenarios) would print for a lab cluster: written from the scenario's cluster.json and
 * traffic.json, in the exact shape the API returns (kind List; metadata with uid,
 * resourceVersion, labels, annotations; Node status.addresses; Pod status.podIPs ...).
 *
 *   node --import tsx test/lab/lib/kubectl-json.ts SCENARIO_DIR...   (rewrites DIR/k8s/cluster.json)
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface LabNode {
  name: string;
  internalIP: string;
  podCIDR: string;
  annotations: Record<string, string>;
  bgp?: { asn: number; blocks: string[]; routeReflector: boolean; topology: 'mesh' | 'route-reflector' };
}

interface LabPod {
  name: string;
  namespace: string;
  node: string;
  hostIP: string;
  podIP: string;
  mac: string;
  creationTimestamp: string;
}

export interface LabCluster {
  scenario: string;
  mode: string;
  clusterCIDR: string;
  nodes: LabNode[];
  pods: LabPod[];
}

export interface LabTraffic {
  what: string;
}

/** The Service the lab's echo servers stand for, on the lab's service network. */
export const ECHO_SERVICE = { namespace: 'default', name: 'echo', clusterIP: '10.96.0.20' };
const KUBERNETES_SERVICE_IP = '10.96.0.1';
const CREATED = '2025-01-01T00:00:00Z';

type Obj = Record<string, unknown>;

/** A stable uid per object, so regenerated fixtures do not change. */
function uid(kind: string, namespace: string | null, name: string): string {
  const h = createHash('sha1').update(`${kind}/${namespace ?? ''}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

let version = 1000;
function meta(kind: string, name: string, namespace: string | null, extra: Obj = {}): Obj {
  return {
    ...(extra['annotations'] ? { annotations: extra['annotations'] } : {}),
    creationTimestamp: (extra['creationTimestamp'] as string | undefined) ?? CREATED,
    ...(extra['generateName'] ? { generateName: extra['generateName'] } : {}),
    ...(extra['labels'] ? { labels: extra['labels'] } : {}),
    name,
    ...(namespace !== null ? { namespace } : {}),
    ...(extra['ownerReferences'] ? { ownerReferences: extra['ownerReferences'] } : {}),
    resourceVersion: String(version++),
    uid: uid(kind, namespace, name),
  };
}

const isCalico = (c: LabCluster) => c.mode === 'calico-bgp';
const isFlannel = (c: LabCluster) => c.mode.startsWith('flannel') || c.mode === 'host-gw';

function nodeObject(n: LabNode): Obj {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
  };
  if (n.bgp?.routeReflector) labels['route-reflector'] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('Node', n.name, null, {
      annotations: { ...n.annotations, 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      labels,
    }),
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    status: {
      addresses: [
        { address: n.internalIP, type: 'InternalIP' },
        { address: n.name, type: 'Hostname' },
      ],
      conditions: [{ lastHeartbeatTime: CREATED, lastTransitionTime: CREATED, message: 'kubelet is posting ready status', reason: 'KubeletReady', status: 'True', type: 'Ready' }],
      nodeInfo: { architecture: 'amd64', containerRuntimeVersion: 'containerd://1.7.22', kubeletVersion: 'v1.31.2', operatingSystem: 'linux' },
    },
  };
}

function podObject(name: string, namespace: string, node: LabNode, ip: string, opts: { labels?: Record<string, string>; hostNetwork?: boolean; created?: string; owner?: Obj; image: string; ports?: Obj[] }): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('Pod', name, namespace, { labels: opts.labels, creationTimestamp: opts.created, ownerReferences: opts.owner ? [opts.owner] : undefined }),
    spec: {
      containers: [{ image: opts.image, imagePullPolicy: 'IfNotPresent', name: name.replace(/-[a-z0-9]{5}$/, ''), ...(opts.ports ? { ports: opts.ports } : {}) }],
      dnsPolicy: opts.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      ...(opts.hostNetwork ? { hostNetwork: true } : {}),
      nodeName: node.name,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
    },
    status: {
      conditions: [{ lastTransitionTime: opts.created ?? CREATED, status: 'True', type: 'Ready' }],
      hostIP: node.internalIP,
      hostIPs: [{ ip: node.internalIP }],
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      qosClass: 'BestEffort',
      startTime: opts.created ?? CREATED,
    },
  };
}

/** Destinations of the lab's TCP/UDP echo traffic: `tcp pod-a -> 100.96.2.2:8080 ...`. */
export function echoServers(traffic: LabTraffic[]): { ips: Set<string>; tcp: Set<number>; udp: Set<number> } {
  const out = { ips: new Set<string>(), tcp: new Set<number>(), udp: new Set<number>() };
  for (const t of traffic) {
    const m = /^(tcp|udp) \S+ -> (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(t.what);
    if (!m) continue;
    out.ips.add(m[2]!);
    out[m[1] as 'tcp' | 'udp'].add(Number(m[3]));
  }
  return out;
}

function serviceObjects(c: LabCluster, traffic: LabTraffic[]): Obj[] {
  const first = c.nodes[0]!;
  const servers = echoServers(traffic);
  const out: Obj[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('Service', 'kubernetes', 'default', { labels: { component: 'apiserver', provider: 'kubernetes' } }),
      spec: {
        clusterIP: KUBERNETES_SERVICE_IP,
        clusterIPs: [KUBERNETES_SERVICE_IP],
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    },
    {
      addressType: 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: [{ addresses: [first.internalIP], conditions: { ready: true, serving: true, terminating: false } }],
      kind: 'EndpointSlice',
      metadata: meta('EndpointSlice', 'kubernetes', 'default', { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true', 'kubernetes.io/service-name': 'kubernetes' } }),
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    },
  ];
  const backends = c.pods.filter((p) => servers.ips.has(p.podIP));
  if (!backends.length) return out;
  const ports = [
    ...[...servers.tcp].map((p) => ({ name: `tcp-${p}`, port: p, protocol: 'TCP', targetPort: p })),
    ...[...servers.udp].map((p) => ({ name: `udp-${p}`, port: p, protocol: 'UDP', targetPort: p })),
  ];
  out.push(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('Service', ECHO_SERVICE.name, ECHO_SERVICE.namespace, { labels: { app: 'echo' } }),
      spec: {
        clusterIP: ECHO_SERVICE.clusterIP,
        clusterIPs: [ECHO_SERVICE.clusterIP],
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ports,
        selector: { app: 'echo' },
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
      status: { loadBalancer: {} },
    },
    {
      addressType: 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: backends.map((p) => ({
        addresses: [p.podIP],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: p.node,
        targetRef: { kind: 'Pod', name: p.name, namespace: p.namespace, uid: uid('Pod', p.namespace, p.name) },
      })),
      kind: 'EndpointSlice',
      metadata: meta('EndpointSlice', `${ECHO_SERVICE.name}-x7k2p`, ECHO_SERVICE.namespace, {
        generateName: `${ECHO_SERVICE.name}-`,
        labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': ECHO_SERVICE.name },
        ownerReferences: { apiVersion: 'v1', blockOwnerDeletion: true, controller: true, kind: 'Service', name: ECHO_SERVICE.name, uid: uid('Service', ECHO_SERVICE.namespace, ECHO_SERVICE.name) },
      }),
      ports: ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
    },
  );
  return out;
}

function calicoObjects(c: LabCluster): Obj[] {
  const api = 'crd.projectcalico.org/v1';
  const mesh = c.nodes.every((n) => (n.bgp?.topology ?? 'mesh') === 'mesh');
  const asn = c.nodes[0]?.bgp?.asn ?? 64512;
  const out: Obj[] = [
    {
      apiVersion: api,
      kind: 'IPPool',
      metadata: meta('IPPool', 'default-ipv4-ippool', null),
      spec: { allowedUses: ['Workload', 'Tunnel'], blockSize: 26, cidr: c.clusterCIDR, ipipMode: 'Never', natOutgoing: true, nodeSelector: 'all()', vxlanMode: 'Never' },
    },
    {
      apiVersion: api,
      kind: 'BGPConfiguration',
      metadata: meta('BGPConfiguration', 'default', null),
      spec: { asNumber: asn, logSeverityScreen: 'Info', nodeToNodeMeshEnabled: mesh },
    },
  ];
  for (const n of c.nodes) {
    for (const block of n.bgp?.blocks ?? []) {
      const name = `${n.name}-${block.replace(/[./]/g, '-')}`;
      out.push({ apiVersion: api, kind: 'BlockAffinity', metadata: meta('BlockAffinity', name, null), spec: { cidr: block, deleted: 'false', node: n.name, state: 'confirmed' } });
    }
  }
  if (!mesh) {
    out.push({
      apiVersion: api,
      kind: 'BGPPeer',
      metadata: meta('BGPPeer', 'peer-with-route-reflectors', null),
      spec: { nodeSelector: 'all()', peerSelector: "route-reflector == 'true'" },
    });
  }
  return out;
}

/** CNI daemon pods: hostNetwork, so they share their node's address (names must prefer the node). */
function cniPods(c: LabCluster): Obj[] {
  const flannel = isFlannel(c);
  if (!flannel && !isCalico(c)) return [];
  const [ns, ds, image] = flannel ? ['kube-flannel', 'kube-flannel-ds', 'docker.io/flannel/flannel:v0.26.1'] : ['calico-system', 'calico-node', 'docker.io/calico/node:v3.29.0'];
  const owner = { apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'DaemonSet', name: ds, uid: uid('DaemonSet', ns, ds) };
  return c.nodes.map((n) =>
    podObject(`${ds}-${uid('Pod', ns, `${ds}/${n.name}`).slice(0, 5)}`, ns, n, n.internalIP, {
      labels: { app: flannel ? 'flannel' : 'calico-node', 'controller-revision-hash': '7d4c9b8f6d', 'k8s-app': flannel ? 'flannel' : 'calico-node', 'pod-template-generation': '1' },
      hostNetwork: true,
      image,
      owner,
    }),
  );
}

/** Every object, as one `kind: List` (what kubectl prints for several resource types). */
export function kubectlList(c: LabCluster, traffic: LabTraffic[]): Obj {
  version = 1000;
  const servers = echoServers(traffic);
  const nodeByName = new Map(c.nodes.map((n) => [n.name, n]));
  const items: Obj[] = [...c.nodes.map((n) => nodeObject(n))];
  for (const p of c.pods) {
    const node = nodeByName.get(p.node);
    if (!node) continue;
    const echo = servers.ips.has(p.podIP);
    items.push(
      podObject(p.name, p.namespace, node, p.podIP, {
        labels: { app: echo ? 'echo' : 'client', 'pod-template-hash': '5d8f7c9b6' },
        created: p.creationTimestamp,
        image: 'registry.k8s.io/e2e-test-images/agnhost:2.52',
        ...(echo ? { ports: [...[...servers.tcp].map((x) => ({ containerPort: x, protocol: 'TCP' })), ...[...servers.udp].map((x) => ({ containerPort: x, protocol: 'UDP' }))] } : {}),
      }),
    );
  }
  items.push(...cniPods(c));
  items.push(...serviceObjects(c, traffic));
  if (isCalico(c)) items.push(...calicoObjects(c));
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** Write DIR/k8s/cluster.json from DIR/cluster.json (and DIR/traffic.json when present). */
export function writeKubectlJson(dir: string): string {
  const cluster = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as LabCluster;
  const trafficFile = join(dir, 'traffic.json');
  const traffic = existsSync(trafficFile) ? (JSON.parse(readFileSync(trafficFile, 'utf8')) as LabTraffic[]) : [];
  mkdirSync(join(dir, 'k8s'), { recursive: true });
  const out = join(dir, 'k8s', 'cluster.json');
  writeFileSync(out, JSON.stringify(kubectlList(cluster, traffic), null, 4) + '\n');
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.slice(2);
  if (!dirs.length) {
    console.error('usage: kubectl-json.ts SCENARIO_DIR...');
    process.exit(2);
  }
  for (const d of dirs) console.log(writeKubectlJson(d));
}
