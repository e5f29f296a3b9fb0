/**
 * A node's own view of its network, parsed from `ip -j addr/route/neigh/link`, `bridge -j fdb`
 * (or their text forms) and `birdc show protocols` / `show route`.
 *
 * Strings are kept exactly as the node printed them, control characters included (Linux allows
 * them in interface names and aliases); escaping is the output layer's job.
 */
export interface NodeAddress {
  ifname: string;
  address: string;
  prefixlen: number;
  family: 'inet' | 'inet6';
  scope?: string | null;
  /** Point-to-point peer (`inet 10.0.0.1 peer 10.0.0.2/32`). */
  peer?: string | null;
}

export interface NodeLink {
  ifname: string;
  kind: string | null; // vxlan, bridge, veth, macvlan, tun, ...
  mtu: number | null;
  mac: string | null;
  state: string | null;
  master: string | null;
  vxlan?: {
    id: number | null;
    port: number | null;
    local: string | null;
    dev: string | null;
    learning: boolean | null;
    remote?: string | null;
    group?: string | null;
    /** Collect-metadata device (Cilium): the VNI is chosen per packet, `id` is 0. */
    external?: boolean;
  };
  ifindex?: number | null;
  /** The `@` part of `ip link`: veth peer (`if5` when it lives in another namespace) or lower device. */
  link?: string | null;
  flags?: string[];
  alias?: string | null;
}

export interface NodeNextHop {
  gateway: string | null;
  dev: string | null;
  weight: number | null;
  onlink: boolean;
}

export interface NodeRoute {
  dst: string; // 'default' or CIDR (host routes get /32 or /128)
  gateway: string | null;
  dev: string | null;
  onlink: boolean;
  protocol: string | null;
  table: string | null; // null: the main table
  /** The route as `ip route` prints it, on one line. */
  raw: string;
  /** unicast, local, broadcast, blackhole, unreachable, prohibit, throw, multicast, anycast, ... */
  type?: string;
  metric?: number | null;
  scope?: string | null;
  prefsrc?: string | null;
  /** Route MTU (`mtu 1400`, `mtu lock 1400`). */
  mtu?: number | null;
  /** Multipath routes: gateway/dev above are the first next hop's. */
  nexthops?: NodeNextHop[];
}

export interface NodeNeighbor {
  dst: string;
  dev: string | null;
  lladdr: string | null;
  state: string[];
  /** router, proxy, extern_learn, ... */
  flags?: string[];
}

export interface NodeFdb {
  mac: string;
  dev: string | null;
  dst: string | null;
  master: string | null;
  flags: string[];
  state: string | null; // permanent, static, stale; null for learned (reachable) entries
  vlan?: number | null;
  vni?: number | null;
  port?: number | null;
}

export interface BgpProtocolState {
  name: string;
  proto: string;
  state: string;
  info: string;
  table?: string | null;
  since?: string | null;
  /** BGP finite-state-machine state from `info`: Established, Active, Connect, Idle, ... */
  bgpState?: string | null;
  /** The rest of `info`: `Socket: Connection refused`, `Received: Bad peer AS`, ... */
  message?: string | null;
  /** From `show protocols all`. */
  neighbor?: string | null;
  neighborAs?: number | null;
  localAs?: number | null;
}

export interface BirdNextHop {
  gateway: string | null;
  dev: string | null;
  weight: number | null;
}

export interface BirdRoute {
  prefix: string;
  /** unicast, blackhole, unreachable, prohibit, ... (BIRD 1 prints via/dev instead: unicast). */
  type: string;
  gateway: string | null;
  dev: string | null;
  protocol: string | null;
  /** The `*`: BIRD's selected route for the prefix. */
  primary: boolean;
  preference: number | null;
  /** BGP origin/AS path marker (`i`, `AS64512i`, `?`): only BGP routes carry it. */
  origin: string | null;
  /** `from` address of routes learned through a route reflector or multihop session. */
  from: string | null;
  table: string | null;
  nexthops: BirdNextHop[];
  raw: string;
}

export type NodeCommand = 'addr' | 'link' | 'route' | 'neigh' | 'fdb' | 'bird-protocols' | 'bird-routes' | 'hostname';

export interface NodeSourceFile {
  /** Path relative to the node-state directory, with `:line` for a section of a combined file. */
  file: string;
  command: NodeCommand | null;
  format: 'text' | 'json' | null;
  /** False when superseded (text next to JSON of the same command) or not understood. */
  used: boolean;
  entries: number;
  note?: string;
}

export interface NodeStateOne {
  name: string;
  addresses: NodeAddress[];
  links: NodeLink[];
  routes: NodeRoute[];
  neighbors: NodeNeighbor[];
  fdb: NodeFdb[];
  /** BGP protocols of `birdc show protocols`. */
  bgp: BgpProtocolState[];
  /** Prefixes BIRD learned over BGP (`birdc show route`). */
  bgpRoutes: string[];
  /** Files read and anything that could not be parsed. */
  sources: string[];
  problems: string[];
  hostname?: string | null;
  /** Every protocol of `birdc show protocols` (device, kernel, static, BGP...). */
  birdProtocols?: BgpProtocolState[];
  birdRoutes?: BirdRoute[];
  files?: NodeSourceFile[];
}

export interface NodeState {
  nodes: NodeStateOne[];
  /** Problems that belong to no node (files next to node folders that are not node state). */
  problems?: string[];
}
