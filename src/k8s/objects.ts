/**
 * API objects (already parsed from JSON or YAML) into ClusterState. Every field is read as
 * untrusted: a wrong type is skipped, never thrown on, and lists are capped so a hostile
 * file cannot make the state grow beyond what its bytes already paid for.
 */
import type { ClusterState, K8sEndpoint } from './types.js';

/** Objects read from one file at most; a real cluster dump of 100k pods stays under it. */
export const MAX_OBJECTS_PER_FILE = 500_000;
/** Addresses, ports, endpoints per object: far above any real object. */
const MAX_LIST = 4096;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, MAX_LIST) : []);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') continue;
    // Defined as an own data property: a "__proto__" key stays a key.
    Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    if (++n >= MAX_LIST) break;
  }
  return out;
}

/**
 * Kubernetes names are DNS labels/subdomains (RFC 1123); anything else did not come from an API
 * server. Names end up in titles and in the remedy commands an SRE pastes into a shell, so an
 * object whose name could be more than a word is not taken.
 */
const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;

function validName(v: string | null): boolean {
  return v === null || NAME.test(v);
}

function asNumberValue(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d{1,10}$/.test(v)) return Number(v);
  return null;
}

function isCalico(apiVersion: string): boolean {
  return apiVersion.startsWith('crd.projectcalico.org/') || apiVersion.startsWith('projectcalico.org/');
}

/** Where objects of one file go; counts what was taken and what was not. */
export interface ObjectSink {
  state: ClusterState;
  file: string;
  objects: number;
}

/**
 * Add one parsed document: a `List` (kubectl's multi-resource output), any `*List`, an array,
 * or a single object. Unknown kinds are counted in state.ignored.
 */
export function addDocument(sink: ObjectSink, doc: unknown, depth = 0): void {
  if (Array.isArray(doc)) {
    for (const d of doc) addDocument(sink, d, depth + 1);
    return;
  }
  if (!isObj(doc)) {
    if (doc !== null && doc !== undefined) sink.state.problems.push(`${sink.file}: a document that is not an API object (${typeof doc}); ignored`);
    return;
  }
  const kind = str(doc['kind']) ?? '';
  if (depth < 2 && (kind === 'List' || (kind.endsWith('List') && Array.isArray(doc['items'])))) {
    for (const item of Array.isArray(doc['items']) ? doc['items'] : []) addDocument(sink, item, depth + 1);
    return;
  }
  if (sink.objects >= MAX_OBJECTS_PER_FILE) {
    if (sink.objects === MAX_OBJECTS_PER_FILE) sink.state.problems.push(`${sink.file}: more than ${MAX_OBJECTS_PER_FILE} objects; the rest ignored`);
    sink.objects++;
    return;
  }
  sink.objects++;
  addObject(sink.state, doc, kind, sink.file);
}

function addObject(s: ClusterState, o: Obj, kind: string, file: string): void {
  const apiVersion = str(o['apiVersion']) ?? '';
  const meta = obj(o['metadata']);
  const name = str(meta['name']);
  const namespace = str(meta['namespace']) ?? 'default';
  const spec = obj(o['spec']);
  const status = obj(o['status']);
  if (name === null) {
    countIgnored(s, kind);
    return;
  }
  const named = [name, str(meta['namespace']), str(spec['nodeName']), str(spec['node'])];
  if (!named.every(validName)) {
    if (s.problems.length < MAX_LIST) s.problems.push(`${file}: ${kind || 'object'} ${JSON.stringify(name.slice(0, 80))}: not a valid Kubernetes name; ignored`);
    return;
  }
  const calico = isCalico(apiVersion);
  switch (kind) {
    case 'Node': {
      const addresses = list(status['addresses']).map(obj);
      const of = (type: string) => addresses.filter((a) => a['type'] === type).map((a) => str(a['address'])).filter((a): a is string => a !== null);
      const podCIDRs = strings(spec['podCIDRs']);
      const one = str(spec['podCIDR']);
      s.nodes.push({
        name,
        internalIPs: [...of('InternalIP'), ...of('ExternalIP')],
        hostname: of('Hostname')[0] ?? null,
        podCIDRs: podCIDRs.length ? podCIDRs : one ? [one] : [],
        annotations: stringMap(meta['annotations']),
        labels: stringMap(meta['labels']),
      });
      return;
    }
    case 'Pod': {
      const ips = list(status['podIPs']).map((x) => str(obj(x)['ip'])).filter((x): x is string => x !== null);
      const one = str(status['podIP']);
      s.pods.push({
        name,
        namespace,
        node: str(spec['nodeName']),
        ips: ips.length ? ips : one ? [one] : [],
        hostIP: str(status['hostIP']),
        hostNetwork: bool(spec['hostNetwork']) === true,
        phase: str(status['phase']),
      });
      return;
    }
    case 'Service': {
      const ips = strings(spec['clusterIPs']);
      const one = str(spec['clusterIP']);
      s.services.push({
        name,
        namespace,
        type: str(spec['type']) ?? 'ClusterIP',
        clusterIPs: (ips.length ? ips : one ? [one] : []).filter((ip) => ip !== 'None'),
        ports: list(spec['ports'])
          .map(obj)
          .map((p) => ({
            name: str(p['name']),
            protocol: str(p['protocol']) ?? 'TCP',
            port: num(p['port']) ?? -1,
            targetPort: num(p['targetPort']) ?? str(p['targetPort']),
          }))
          .filter((p) => p.port >= 0),
      });
      return;
    }
    case 'EndpointSlice': {
      const labels = stringMap(meta['labels']);
      s.endpointSlices.push({
        name,
        namespace,
        service: labels['kubernetes.io/service-name'] ?? null,
        endpoints: list(o['endpoints']).map(obj).map((e): K8sEndpoint => {
          const ref = obj(e['targetRef']);
          const refName = str(ref['name']);
          return {
            addresses: strings(e['addresses']),
            nodeName: str(e['nodeName']),
            ready: bool(obj(e['conditions'])['ready']),
            target: refName === null ? null : { kind: str(ref['kind']) ?? 'Pod', namespace: str(ref['namespace']), name: refName },
          };
        }),
        ports: list(o['ports']).map(obj).map((p) => ({ name: str(p['name']), protocol: str(p['protocol']) ?? 'TCP', port: num(p['port']) })),
      });
      return;
    }
  }
  if (calico) {
    switch (kind) {
      case 'IPPool':
        s.calico.ipPools.push({
          name,
          cidr: str(spec['cidr']) ?? '',
          blockSize: num(spec['blockSize']),
          ipipMode: str(spec['ipipMode']) ?? 'Never',
          vxlanMode: str(spec['vxlanMode']) ?? 'Never',
          disabled: bool(spec['disabled']) === true,
        });
        return;
      case 'BlockAffinity': {
        const cidr = str(spec['cidr']);
        const node = str(spec['node']);
        if (cidr !== null && node !== null && spec['deleted'] !== 'true' && spec['deleted'] !== true) {
          s.calico.blockAffinities.push({ name, cidr, node, state: str(spec['state']) });
        }
        return;
      }
      case 'BGPPeer':
        s.calico.bgpPeers.push({
          name,
          peerIP: str(spec['peerIP']),
          asNumber: asNumberValue(spec['asNumber']),
          node: str(spec['node']),
          nodeSelector: str(spec['nodeSelector']),
          peerSelector: str(spec['peerSelector']),
        });
        return;
      case 'BGPConfiguration':
        s.calico.bgpConfigurations.push({ name, nodeToNodeMeshEnabled: bool(spec['nodeToNodeMeshEnabled']), asNumber: asNumberValue(spec['asNumber']) });
        return;
    }
  }
  if (kind === 'CiliumNode' && apiVersion.startsWith('cilium.io/')) {
    s.ciliumNodes.push({
      name,
      podCIDRs: strings(obj(spec['ipam'])['podCIDRs']),
      addresses: list(spec['addresses'])
        .map(obj)
        .map((a) => ({ type: str(a['type']) ?? '', ip: str(a['ip']) ?? '' }))
        .filter((a) => a.ip !== ''),
    });
    return;
  }
  if (apiVersion.startsWith('kubeovn.io/')) {
    if (kind === 'Subnet') {
      s.kubeOvn.subnets.push({ name, cidr: str(spec['cidrBlock']) ?? '', gateway: str(spec['gateway']), gatewayType: str(spec['gatewayType']), vlan: str(spec['vlan']) });
      return;
    }
    if (kind === 'IP') {
      const ip = str(spec['v4IpAddress']) || str(spec['ipAddress']);
      if (ip) {
        s.kubeOvn.ips.push({ name, ip, podName: str(spec['podName']), namespace: str(spec['namespace']), node: str(spec['nodeName']), subnet: str(spec['subnet']) });
      }
      return;
    }
  }
  countIgnored(s, kind);
}

function countIgnored(s: ClusterState, kind: string): void {
  const key = kind || '(no kind)';
  const n = Object.hasOwn(s.ignored, key) ? s.ignored[key]! : 0;
  Object.defineProperty(s.ignored, key, { value: n + 1, enumerable: true, writable: true, configurable: true });
}
