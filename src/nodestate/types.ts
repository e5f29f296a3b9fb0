/**
 * A node's own view of its network, parsed from `ip -j addr/route/neigh/link`, `bridge -j fdb`
 * (or their text forms) and `birdc show protocols` / `show route`.
 */
export interface NodeAddress {
  ifname: string;
  address: string;
  prefixlen: number;
  family: 'inet' | 'inet6';
}

export interface NodeLink {
  ifname: string;
  kind: string | null; // vxlan, bridge, veth, macvlan, tun, ...
  mtu: number | null;
  mac: string | null;
  state: string | null;
  master: string | null;
  vxlan?: { id: number | null; port: number | null; local: string | null; dev: string | null; learning: boolean | null };
}

export interface NodeRoute {
  dst: string; // 'default' or CIDR
  gateway: string | null;
  dev: string | null;
  onlink: boolean;
  protocol: string | null;
  table: string | null;
  raw: string;
}

export interface NodeNeighbor {
  dst: string;
  dev: string | null;
  lladdr: string | null;
  state: string[];
}

export interface NodeFdb {
  mac: string;
  dev: string | null;
  dst: string | null;
  master: string | null;
  flags: string[];
  state: string | null;
}

export interface BgpProtocolState {
  name: string;
  proto: string;
  state: string;
  info: string;
}

export interface NodeStateOne {
  name: string;
  addresses: NodeAddress[];
  links: NodeLink[];
  routes: NodeRoute[];
  neighbors: NodeNeighbor[];
  fdb: NodeFdb[];
  bgp: BgpProtocolState[];
  bgpRoutes: string[];
  /** Files read and anything that could not be parsed. */
  sources: string[];
  problems: string[];
}

export interface NodeState {
  nodes: NodeStateOne[];
}
