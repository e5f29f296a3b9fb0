/** The cluster as inferred from packets; every fact keeps the packets that show it. */

export interface FactEvidence {
  capture: string;
  packets: number[];
  count: number;
}

export interface TopoNode {
  /** Underlay IP. */
  ip: string;
  name: string | null;
  macs: string[];
  roles: string[];
  vtepMacs: string[];
  podCidrs: string[];
  evidence: FactEvidence[];
}

export interface Vtep {
  kind: 'vxlan' | 'geneve' | 'vxlan-gpe';
  mac: string;
  nodeIp: string;
  vni: number;
  port: number;
  evidence: FactEvidence[];
}

export interface PodCidr {
  cidr: string;
  nodeIp: string;
  source: 'tunnel' | 'bgp' | 'host-gw' | 'node-state';
  evidence: FactEvidence[];
}

export interface ArpBinding {
  ip: string;
  mac: string;
  replies: number;
  gratuitous: number;
  evidence: FactEvidence[];
}

export interface MtuPath {
  src: string;
  dst: string;
  encapsulation: string;
  largestOuter: number;
  largestInner: number;
  overhead: number;
}

export interface CniGuess {
  mode: string;
  confidence: number;
  evidence: string[];
}

export interface Topology {
  nodes: TopoNode[];
  vteps: Vtep[];
  podCidrs: PodCidr[];
  arp: ArpBinding[];
  mtu: MtuPath[];
  cni: CniGuess[];
}

export function emptyTopology(): Topology {
  return { nodes: [], vteps: [], podCidrs: [], arp: [], mtu: [], cni: [] };
}
