/**
 * ClusterState looked up the way the wire checks need it: nodes by address, pods by address,
 * each node's flannel VTEP and public IP, Calico blocks. Addresses as IPv4 numbers, as the
 * topology observations carry them.
 */
import { parseCidr, parseMac, parseV4 } from '../analysis/addr.js';
import type { Evidence } from '../analysis/finding.js';
import type { ClusterState, K8sNode, K8sPod } from './types.js';

export const FLANNEL_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
export const FLANNEL_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
const CALICO_IPV4 = 'projectcalico.org/IPv4Address';

export interface Cidr {
  text: string;
  base: number;
  len: number;
}

export interface IndexedNode {
  node: K8sNode;
  /** Internal IPs (and Calico's IPv4Address / flannel's public-ip) as numbers. */
  ips: number[];
  /** Where the node's tunnels start: flannel's public-ip, else the first internal IP. */
  publicIp: number | null;
  /** flannel backend-data VtepMAC, when annotated. */
  vtepMac: number | null;
  podCidrs: Cidr[];
  blocks: Cidr[];
}

function cidrOf(text: string): Cidr | null {
  const c = parseCidr(text);
  return c && text.includes('/') ? { text, base: c.base, len: c.len } : null;
}

/** flannel's backend-data is JSON inside an annotation: `{"VNI":1,"VtepMAC":"2e:…"}`. */
export function flannelVtepMac(annotations: Record<string, string>): number | null {
  const raw = Object.hasOwn(annotations, FLANNEL_BACKEND_DATA) ? annotations[FLANNEL_BACKEND_DATA]! : null;
  if (raw === null || raw.length > 4096) return null;
  try {
    const data = JSON.parse(raw) as unknown;
    if (typeof data !== 'object' || data === null) return null;
    const mac = (data as Record<string, unknown>)['VtepMAC'];
    return typeof mac === 'string' ? parseMac(mac) : null;
  } catch {
    return null;
  }
}

export class ClusterIndex {
  readonly nodes: IndexedNode[] = [];
  private readonly byIp = new Map<number, IndexedNode>();
  private readonly byName = new Map<string, IndexedNode>();
  private readonly podsByIp = new Map<number, K8sPod[]>();

  constructor(readonly state: ClusterState) {
    for (const n of state.nodes) {
      const ips = new Set<number>();
      for (const t of n.internalIPs) {
        const v = parseV4(t);
        if (v !== null) ips.add(v);
      }
      const pub = parseV4(n.annotations[FLANNEL_PUBLIC_IP] ?? '');
      const calico = parseV4((n.annotations[CALICO_IPV4] ?? '').split('/')[0]!);
      if (pub !== null) ips.add(pub);
      if (calico !== null) ips.add(calico);
      const first = parseV4(n.internalIPs[0] ?? '');
      const entry: IndexedNode = {
        node: n,
        ips: [...ips],
        publicIp: pub ?? first,
        vtepMac: flannelVtepMac(n.annotations),
        // Cilium's cluster-pool IPAM allocates in CiliumNode, leaving spec.podCIDR empty.
        podCidrs: (n.podCIDRs.length ? n.podCIDRs : (state.ciliumNodes.find((c) => c.name === n.name)?.podCIDRs ?? [])).map(cidrOf).filter((c): c is Cidr => c !== null),
        blocks: [],
      };
      this.nodes.push(entry);
      this.byName.set(n.name, entry);
      for (const ip of ips) if (!this.byIp.has(ip)) this.byIp.set(ip, entry);
    }
    for (const a of state.calico.blockAffinities) {
      const c = cidrOf(a.cidr);
      const n = this.byName.get(a.node);
      if (c && n) n.blocks.push(c);
    }
    for (const p of state.pods) {
      if (p.hostNetwork || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
      for (const t of p.ips) {
        const v = parseV4(t);
        if (v === null) continue;
        let l = this.podsByIp.get(v);
        if (!l) this.podsByIp.set(v, (l = []));
        l.push(p);
      }
    }
  }

  nodeByIp(ip: number): IndexedNode | undefined {
    return this.byIp.get(ip);
  }

  nodeByName(name: string): IndexedNode | undefined {
    return this.byName.get(name);
  }

  podsAt(ip: number): K8sPod[] {
    return this.podsByIp.get(ip) ?? [];
  }

  /** The node whose pod CIDRs (or, with `blocks`, Calico block affinities) hold the address. */
  ownerOf(ip: number, which: 'podCidrs' | 'blocks'): IndexedNode | undefined {
    let best: { n: IndexedNode; len: number } | undefined;
    for (const n of this.nodes) {
      for (const c of n[which]) {
        if (((ip & mask(c.len)) >>> 0) === c.base && (!best || c.len > best.len)) best = { n, len: c.len };
      }
    }
    return best?.n;
  }

  /** The IPs of the cluster's Calico IP pools (a routed /26 outside them is not a pod block). */
  inPools(ip: number): boolean {
    return this.state.calico.ipPools.some((p) => {
      const c = cidrOf(p.cidr);
      return c !== null && ((ip & mask(c.len)) >>> 0) === c.base;
    });
  }
}

export function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Evidence from an API object: `cluster-state:Node/node2`, `cluster-state:Pod/default/pod-b`. */
export function apiEvidence(kind: string, name: string, namespace: string | null, note: string): Evidence {
  return { capture: `cluster-state:${kind}/${namespace ? `${namespace}/` : ''}${name}`, packets: [], count: 1, note };
}

const cache = new WeakMap<ClusterState, ClusterIndex>();

/** One index per loaded state, shared by the checks of one diagnosis. */
export function clusterIndex(state: ClusterState): ClusterIndex {
  let i = cache.get(state);
  if (!i) cache.set(state, (i = new ClusterIndex(state)));
  return i;
}
