import type { Lab } from './lab.js';

export type Mode = 'flannel-vxlan' | 'flannel-udp' | 'host-gw' | 'calico-bgp' | 'macvlan';

export const UNDERLAY_CIDR = '198.18.0.0/24';
export const UNDERLAY_GW = '198.18.0.254';
export const CLUSTER_CIDR = '100.96.0.0/16';
/** MACVLAN pods sit directly on the underlay L2 with addresses from one flat range. */
export const MACVLAN_CIDR = '100.96.100.0/24';
export const FLANNEL_VXLAN_PORT = 8472;
export const FLANNEL_UDP_PORT = 8285;
export const CALICO_AS = 64512;
export const CALICO_GW = '169.254.1.1';
/** The MAC Calico gives every host-side cali* interface. */
export const CALICO_HOST_MAC = 'ee:ee:ee:ee:ee:ee';

export interface NodeSpec {
  name: string;
  index: number;
  ip: string;
  podCIDR: string;
  /** Calico-style IPAM block announced by BGP (a /26 inside the node's /24). */
  block: string;
  vtepMAC: string;
  vni: number;
  /** MTU of the node's underlay NIC. */
  underlayMTU: number;
  /**
   * MTU of the underlay link that reaches the node (its switch port). Lower
   * than the NIC's models a path the node cannot see: a VPN, a provider
   * network, a misconfigured trunk.
   */
  linkMTU: number;
  /** MTU flannel programs on the VTEP / TUN device and on pod interfaces. */
  overlayMTU: number;
  /** 'a' is the main L2 segment; 'b' sits behind the underlay router. */
  segment: 'a' | 'b';
  asn: number;
  routeReflector: boolean;
}

export interface PodSpec {
  name: string;
  namespace: string;
  node: string;
  ip: string;
  mac: string;
  /** Host-side veth name (CNI style) for bridge and Calico modes. */
  hostVeth: string;
  /** Created during the capture instead of before it (a pod that comes up mid-incident). */
  late: boolean;
  createdAt: string;
}

export interface ClusterSpec {
  mode: Mode;
  nodes: NodeSpec[];
  pods: PodSpec[];
  /** BGP topology: a full iBGP mesh, or node3 reflecting for the others. */
  bgpTopology: 'mesh' | 'route-reflector';
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function ipToMac(prefix: string, ip: string): string {
  return prefix + ':' + ip.split('.').map((o) => hex2(Number(o))).join(':');
}

export function makeCluster(mode: Mode, nodeCount: number): ClusterSpec {
  const nodes: NodeSpec[] = [];
  for (let i = 1; i <= nodeCount; i++) {
    const overlayMTU = mode === 'flannel-vxlan' ? 1450 : mode === 'flannel-udp' ? 1472 : 1500;
    nodes.push({
      name: `node${i}`,
      index: i,
      ip: `198.18.0.${i}`,
      podCIDR: `100.96.${i}.0/24`,
      block: `100.96.${i}.0/26`,
      // Locally administered, stable across runs so committed captures and node
      // state agree with cluster.json.
      vtepMAC: `2e:7d:a4:c6:12:${hex2(i)}`,
      vni: 1,
      underlayMTU: 1500,
      linkMTU: 1500,
      overlayMTU,
      segment: 'a',
      asn: CALICO_AS,
      routeReflector: false,
    });
  }
  const letters = 'abcdefgh';
  const pods: PodSpec[] = nodes.map((n, k) => {
    const ip = mode === 'macvlan' ? `100.96.100.${10 + n.index}` : `100.96.${n.index}.2`;
    return {
      name: `pod-${letters[k]}`,
      namespace: 'default',
      node: n.name,
      ip,
      mac: mode === 'macvlan' ? `0a:58:64:60:${hex2(n.index)}:02` : ipToMac('0a:58', ip),
      hostVeth: mode === 'calico-bgp' ? `cali${hex2(n.index)}a1b2c3d4e5`.slice(0, 15) : `veth${hex2(n.index)}c3e4f501`,
      late: false,
      createdAt: `2025-01-01T00:0${k}:00Z`,
    };
  });
  return { mode, nodes, pods, bgpTopology: 'mesh' };
}

export function nodeOf(spec: ClusterSpec, name: string): NodeSpec {
  const n = spec.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

export function podOf(spec: ClusterSpec, name: string): PodSpec {
  const p = spec.pods.find((x) => x.name === name);
  if (!p) throw new Error(`no pod ${name}`);
  return p;
}

/** Segmentation and GRO offloads off: see README ("Why offloads are off"). */
export function wireSized(lab: Lab, role: string, dev: string): void {
  lab.sh(role, ['ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off'], { allowFail: true });
}

/** The underlay: a switch, an upstream router, and each node's NIC. */
export function buildUnderlay(lab: Lab, spec: ClusterSpec): void {
  lab.note('underlay: switch sw (segment a), router gw, one NIC per node');
  const segments = new Set(spec.nodes.map((n) => n.segment));
  const switchRole = (seg: 'a' | 'b') => (seg === 'a' ? 'sw' : 'sw2');
  for (const seg of ['a', 'b'] as const) {
    if (seg === 'b' && !segments.has('b')) continue;
    const sw = switchRole(seg);
    lab.addNamespace(sw);
    // A hardware switch forwards or drops frames; it never runs IP netfilter
    // hooks. With br_netfilter on (the kernel default) the bridge would
    // reassemble and refragment oversize IP packets and hide an MTU black hole.
    lab.sh(sw, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0'], { allowFail: true });
    lab.sh(sw, ['ip', 'link', 'add', 'br0', 'address', seg === 'a' ? 'aa:c6:12:00:00:f0' : 'aa:c6:12:00:01:f0', 'type', 'bridge']);
    lab.sh(sw, ['ip', 'link', 'set', 'br0', 'up']);
  }

  lab.addNamespace('gw');
  lab.sh('gw', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  plugIntoSwitch(lab, 'sw', 'gwp', 'gw', 'eth0', 'aa:c6:12:00:00:fe', 1500, 1500);
  lab.sh('gw', ['ip', 'addr', 'add', `${UNDERLAY_GW}/24`, 'dev', 'eth0']);
  if (segments.has('b')) {
    // The second segment keeps the old addressing: the router owns .254 there
    // too and routes each moved node's address as a host route.
    plugIntoSwitch(lab, 'sw2', 'gwp', 'gw', 'eth1', 'aa:c6:12:00:01:fe', 1500, 1500);
    lab.sh('gw', ['ip', 'addr', 'add', `${UNDERLAY_GW}/32`, 'dev', 'eth1']);
    for (const n of spec.nodes.filter((x) => x.segment === 'b')) {
      lab.sh('gw', ['ip', 'route', 'add', `${n.ip}/32`, 'dev', 'eth1']);
    }
  }

  for (const n of spec.nodes) {
    lab.addNamespace(n.name);
    lab.sh(n.name, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    plugIntoSwitch(lab, switchRole(n.segment), `port${n.index}`, n.name, 'eth0', ipToMac('02:00', n.ip), n.underlayMTU, n.linkMTU);
    lab.sh(n.name, ['ip', 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
    if (n.segment === 'b') {
      for (const other of spec.nodes.filter((x) => x.segment === 'a')) {
        lab.sh(n.name, ['ip', 'route', 'add', `${other.ip}/32`, 'via', UNDERLAY_GW, 'dev', 'eth0']);
      }
    } else {
      for (const other of spec.nodes.filter((x) => x.segment === 'b')) {
        lab.sh(n.name, ['ip', 'route', 'add', `${other.ip}/32`, 'via', UNDERLAY_GW, 'dev', 'eth0']);
      }
    }
    lab.sh(n.name, ['ip', 'route', 'add', 'default', 'via', UNDERLAY_GW, 'dev', 'eth0']);
  }
}

function plugIntoSwitch(lab: Lab, sw: string, port: string, role: string, dev: string, mac: string, mtu: number, portMTU: number): void {
  lab.sh(sw, ['ip', 'link', 'add', port, 'mtu', String(portMTU), 'type', 'veth', 'peer', 'name', dev, 'netns', lab.ns(role)]);
  lab.sh(sw, ['ip', 'link', 'set', port, 'master', 'br0', 'up']);
  wireSized(lab, sw, port);
  lab.sh(role, ['ip', 'link', 'set', dev, 'address', mac, 'mtu', String(mtu), 'up']);
  wireSized(lab, role, dev);
}

/** A pod namespace wired the way the CNI bridge plugin wires it: veth into cni0. */
function bridgePod(lab: Lab, node: NodeSpec, pod: PodSpec, mtu: number): void {
  lab.addNamespace(pod.name);
  lab.sh(node.name, ['ip', 'link', 'add', pod.hostVeth, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns(pod.name)]);
  lab.sh(node.name, ['ip', 'link', 'set', pod.hostVeth, 'address', ipToMac('2a:58', pod.ip), 'master', 'cni0', 'up']);
  wireSized(lab, node.name, pod.hostVeth);
  lab.sh(pod.name, ['ip', 'link', 'set', 'eth0', 'address', pod.mac, 'mtu', String(mtu), 'up']);
  wireSized(lab, pod.name, 'eth0');
  lab.sh(pod.name, ['ip', 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
  lab.sh(pod.name, ['ip', 'route', 'add', 'default', 'via', gatewayOf(node)]);
}

const gatewayOf = (node: NodeSpec) => node.podCIDR.replace(/0\/24$/, '1');
const networkOf = (node: NodeSpec) => node.podCIDR.replace(/\/24$/, '');

function cni0(lab: Lab, node: NodeSpec, mtu: number): void {
  lab.sh(node.name, ['ip', 'link', 'add', 'cni0', 'mtu', String(mtu), 'type', 'bridge']);
  lab.sh(node.name, ['ip', 'link', 'set', 'cni0', 'address', ipToMac('0a:58', gatewayOf(node)), 'up']);
  wireSized(lab, node.name, 'cni0');
  lab.sh(node.name, ['ip', 'addr', 'add', `${gatewayOf(node)}/24`, 'dev', 'cni0']);
}

export function buildMode(lab: Lab, spec: ClusterSpec): void {
  switch (spec.mode) {
    case 'flannel-vxlan':
      return buildFlannelVxlan(lab, spec);
    case 'flannel-udp':
      return buildFlannelUdpKernelSide(lab, spec);
    case 'host-gw':
      return buildHostGw(lab, spec);
    case 'calico-bgp':
      return buildCalicoDataplane(lab, spec);
    case 'macvlan':
      return buildMacvlan(lab, spec);
  }
}

function buildFlannelVxlan(lab: Lab, spec: ClusterSpec): void {
  for (const n of spec.nodes) {
    lab.note(`flannel vxlan backend on ${n.name}`);
    lab.sh(n.name, [
      'ip', 'link', 'add', 'flannel.1', 'type', 'vxlan', 'id', String(n.vni), 'local', n.ip, 'dev', 'eth0',
      'dstport', String(FLANNEL_VXLAN_PORT), 'nolearning',
    ]);
    lab.sh(n.name, ['ip', 'link', 'set', 'flannel.1', 'address', n.vtepMAC, 'mtu', String(n.overlayMTU), 'up']);
    wireSized(lab, n.name, 'flannel.1');
    lab.sh(n.name, ['ip', 'addr', 'add', `${networkOf(n)}/32`, 'dev', 'flannel.1']);
    cni0(lab, n, n.overlayMTU);
    for (const r of spec.nodes) {
      if (r === n) continue;
      programFlannelRemote(lab, n, r);
    }
  }
  for (const p of spec.pods) bridgePod(lab, nodeOf(spec, p.node), p, nodeOf(spec, p.node).overlayMTU);
}

/** What flanneld programs on `local` for each remote node `remote`. */
export function programFlannelRemote(lab: Lab, local: NodeSpec, remote: NodeSpec, parts = { route: true, neigh: true, fdb: true }): void {
  if (parts.route) lab.sh(local.name, ['ip', 'route', 'add', remote.podCIDR, 'via', networkOf(remote), 'dev', 'flannel.1', 'onlink']);
  if (parts.neigh) lab.sh(local.name, ['ip', 'neigh', 'replace', networkOf(remote), 'lladdr', remote.vtepMAC, 'dev', 'flannel.1', 'nud', 'permanent']);
  if (parts.fdb) lab.sh(local.name, ['bridge', 'fdb', 'append', remote.vtepMAC, 'dev', 'flannel.1', 'dst', remote.ip, 'self', 'permanent']);
}

function buildFlannelUdpKernelSide(lab: Lab, spec: ClusterSpec): void {
  for (const n of spec.nodes) {
    lab.note(`flannel udp backend on ${n.name}: TUN flannel0, user-space forwarder on UDP ${FLANNEL_UDP_PORT}`);
    lab.sh(n.name, ['ip', 'tuntap', 'add', 'dev', 'flannel0', 'mode', 'tun']);
    lab.sh(n.name, ['ip', 'link', 'set', 'flannel0', 'mtu', String(n.overlayMTU), 'up']);
    // flanneld gives flannel0 the node's subnet address with the cluster-wide
    // prefix, so the connected route covers every other node's pods.
    lab.sh(n.name, ['ip', 'addr', 'add', `${networkOf(n)}/16`, 'dev', 'flannel0']);
    cni0(lab, n, n.overlayMTU);
  }
  for (const p of spec.pods) bridgePod(lab, nodeOf(spec, p.node), p, nodeOf(spec, p.node).overlayMTU);
}

function buildHostGw(lab: Lab, spec: ClusterSpec): void {
  for (const n of spec.nodes) {
    lab.note(`flannel host-gw backend on ${n.name}`);
    cni0(lab, n, 1500);
    for (const r of spec.nodes) {
      if (r !== n) lab.sh(n.name, ['ip', 'route', 'add', r.podCIDR, 'via', r.ip, 'dev', 'eth0']);
    }
  }
  for (const p of spec.pods) bridgePod(lab, nodeOf(spec, p.node), p, 1500);
}

/** Felix's part of Calico: cali* veths with proxy ARP and /32 routes; BIRD does the rest. */
function buildCalicoDataplane(lab: Lab, spec: ClusterSpec): void {
  for (const p of spec.pods) {
    const node = nodeOf(spec, p.node);
    lab.note(`calico workload ${p.name} on ${node.name}`);
    lab.addNamespace(p.name);
    lab.sh(node.name, ['ip', 'link', 'add', p.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns(p.name)]);
    lab.sh(node.name, ['ip', 'link', 'set', p.hostVeth, 'address', CALICO_HOST_MAC, 'up']);
    wireSized(lab, node.name, p.hostVeth);
    lab.sh(node.name, ['sysctl', '-qw', `net.ipv4.conf.${p.hostVeth}.proxy_arp=1`, `net.ipv4.neigh.${p.hostVeth}.proxy_delay=0`]);
    lab.sh(node.name, ['ip', 'route', 'add', `${p.ip}/32`, 'dev', p.hostVeth, 'scope', 'link']);
    lab.sh(p.name, ['ip', 'link', 'set', 'eth0', 'address', p.mac, 'up']);
    wireSized(lab, p.name, 'eth0');
    lab.sh(p.name, ['ip', 'addr', 'add', `${p.ip}/32`, 'dev', 'eth0']);
    lab.sh(p.name, ['ip', 'route', 'add', CALICO_GW, 'dev', 'eth0', 'scope', 'link']);
    lab.sh(p.name, ['ip', 'route', 'add', 'default', 'via', CALICO_GW, 'dev', 'eth0']);
  }
}

function buildMacvlan(lab: Lab, spec: ClusterSpec): void {
  for (const p of spec.pods) {
    if (!p.late) addMacvlanPod(lab, spec, p);
  }
}

/**
 * The macvlan CNI plugin creates the child in the host namespace, moves it
 * into the pod and announces the address with a gratuitous ARP; arp_notify
 * makes the kernel send that announcement when the link comes up.
 */
export function addMacvlanPod(lab: Lab, spec: ClusterSpec, p: PodSpec): void {
  const node = nodeOf(spec, p.node);
  lab.note(`macvlan pod ${p.name} on ${node.name}`);
  lab.addNamespace(p.name);
  const tmp = `mv-${p.name}`;
  lab.sh(node.name, ['ip', 'link', 'add', tmp, 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge']);
  lab.sh(node.name, ['ip', 'link', 'set', tmp, 'netns', lab.ns(p.name)]);
  lab.sh(p.name, ['ip', 'link', 'set', tmp, 'name', 'eth0']);
  lab.sh(p.name, ['ip', 'link', 'set', 'eth0', 'address', p.mac]);
  wireSized(lab, p.name, 'eth0');
  lab.sh(p.name, ['sysctl', '-qw', 'net.ipv4.conf.all.arp_notify=1', 'net.ipv4.conf.eth0.arp_notify=1']);
  lab.sh(p.name, ['ip', 'addr', 'add', `${p.ip}/24`, 'dev', 'eth0']);
  lab.sh(p.name, ['ip', 'link', 'set', 'eth0', 'up']);
}
