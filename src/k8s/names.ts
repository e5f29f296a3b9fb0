/**
 * Addresses to the names an incident ticket uses: pod IPs to `namespace/pod`, node IPs to node
 * names, Service ClusterIPs to `namespace/service`. A hostNetwork pod shares its node's address:
 * that address is the node's name (the pod is one of many behind it).
 */
import type { ClusterState } from './types.js';

export interface AddressName {
  kind: 'pod' | 'node' | 'service';
  name: string;
  namespace?: string;
  /** The node a pod runs on. */
  node?: string;
}

/** Phases of pods that no longer hold their address: a newer pod may have it. */
const GONE = new Set(['Succeeded', 'Failed']);

export class NameResolver {
  private readonly byIp = new Map<string, AddressName>();
  /** Node name to its first internal IP. */
  private readonly nodeIps = new Map<string, string>();

  constructor(state: ClusterState) {
    // Lowest precedence first: later sets win.
    for (const p of state.pods) {
      if (p.hostNetwork || (p.phase !== null && GONE.has(p.phase))) continue;
      for (const ip of p.ips) this.byIp.set(ip, { kind: 'pod', name: p.name, namespace: p.namespace, ...(p.node ? { node: p.node } : {}) });
    }
    for (const s of state.services) for (const ip of s.clusterIPs) this.byIp.set(ip, { kind: 'service', name: s.name, namespace: s.namespace });
    for (const n of state.nodes) {
      for (const ip of n.internalIPs) this.byIp.set(ip, { kind: 'node', name: n.name });
      const first = n.internalIPs[0];
      if (first !== undefined) this.nodeIps.set(n.name, first);
    }
  }

  get size(): number {
    return this.byIp.size;
  }

  lookup(ip: string): AddressName | undefined {
    return this.byIp.get(ip);
  }

  /** `namespace/pod`, `namespace/service` or the node name; undefined when the address is not the cluster's. */
  label(ip: string): string | undefined {
    const n = this.byIp.get(ip);
    if (!n) return undefined;
    return n.namespace !== undefined ? `${n.namespace}/${n.name}` : n.name;
  }

  /** The internal IP of a node, by name. */
  nodeIp(name: string): string | undefined {
    return this.nodeIps.get(name);
  }

  /** The names of the given addresses that the cluster knows, as the report's `names` map. */
  namesOf(ips: Iterable<string>): Record<string, AddressName> {
    const out: Record<string, AddressName> = {};
    for (const ip of ips) {
      const n = this.byIp.get(ip);
      if (n) Object.defineProperty(out, ip, { value: n, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}

const IPV4_PORT = /\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d{1,5})?(?![\d/]|\.\d)/g;

/**
 * Text with each known IPv4 address followed by its name: `100.96.2.2 (default/pod-b)`,
 * `100.96.2.2:8080 (default/pod-b)`. Addresses inside CIDRs (`100.96.2.0/24`) are left alone.
 */
export function annotateAddresses(text: string, names: Readonly<Record<string, AddressName>>): string {
  return text.replace(IPV4_PORT, (match: string, ip: string, _port: string | undefined, offset: number, whole: string) => {
    const n = Object.hasOwn(names, ip) ? names[ip] : undefined;
    if (!n) return match;
    const label = n.namespace !== undefined ? `${n.namespace}/${n.name}` : n.name;
    // Already named right after (`ip (name)`) or just before (`name (ip)`, `name has ip`): leave it.
    if (whole.startsWith(` (${label})`, offset + match.length) || whole.slice(Math.max(0, offset - label.length - 8), offset).includes(label)) return match;
    return `${match} (${label})`;
  });
}
