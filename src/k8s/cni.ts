/**
 * The pod network the cluster's own objects declare: flannel's backend-type annotation, Calico's
 * IP pools (IPIP / VXLAN / native), CiliumNodes, Kube-OVN subnets.
 */
import type { ClusterState } from './types.js';

export interface DeclaredCni {
  /** In the vocabulary of topology.cni modes (flannel-vxlan, calico-ipip, calico-bgp ...). */
  mode: string;
  /** Where the API says so, for a finding's evidence. */
  source: string;
  /** Calico's CrossSubnet: encapsulated only between subnets, routed as is within one. */
  crossSubnet?: boolean;
}

const FLANNEL_BACKEND = 'flannel.alpha.coreos.com/backend-type';

export function declaredCni(s: ClusterState): DeclaredCni | null {
  const calicoPools = s.calico.ipPools.filter((p) => !p.disabled);
  if (calicoPools.length) {
    const p = calicoPools[0]!;
    const on = (m: string) => m === 'Always' || m === 'CrossSubnet';
    const mode = on(p.vxlanMode) ? 'calico-vxlan' : on(p.ipipMode) ? 'calico-ipip' : 'calico-bgp';
    const crossSubnet = mode === 'calico-vxlan' ? p.vxlanMode === 'CrossSubnet' : mode === 'calico-ipip' && p.ipipMode === 'CrossSubnet';
    return { mode, source: `IPPool ${p.name} (${p.cidr}): ipipMode ${p.ipipMode}, vxlanMode ${p.vxlanMode}`, ...(crossSubnet ? { crossSubnet } : {}) };
  }
  for (const n of s.nodes) {
    const backend = n.annotations[FLANNEL_BACKEND];
    if (backend === undefined) continue;
    const mode = backend === 'host-gw' ? 'flannel-host-gw' : backend === 'udp' ? 'flannel-udp' : backend === 'vxlan' ? 'flannel-vxlan' : `flannel-${backend}`;
    return { mode, source: `node ${n.name} annotation ${FLANNEL_BACKEND}=${backend}` };
  }
  if (s.ciliumNodes.length) return { mode: 'cilium', source: `${s.ciliumNodes.length} CiliumNode object(s)` };
  if (s.kubeOvn.subnets.length) return { mode: 'kube-ovn', source: `${s.kubeOvn.subnets.length} Kube-OVN Subnet object(s)` };
  return null;
}

/**
 * What each mode puts on the wire, so that a declaration and an inference can be compared:
 * same family means no mismatch (flannel's and Calico's VXLAN look alike; Kube-OVN and
 * Geneve agree). Keys are the mode names of topology inference and of declaredCni.
 */
const WIRE_FAMILY: Readonly<Record<string, string>> = {
  'flannel-vxlan': 'vxlan',
  'calico-vxlan': 'vxlan',
  'cilium-vxlan': 'vxlan',
  vxlan: 'vxlan',
  'geneve-ovn': 'geneve',
  'cilium-geneve': 'geneve',
  'geneve (kube-ovn/ovn or cilium)': 'geneve',
  'kube-ovn': 'geneve',
  'calico-ipip': 'ipip',
  'flannel-ipip': 'ipip',
  'calico-bgp': 'routed',
  'flannel-host-gw': 'routed',
  'cilium-native-routing': 'routed',
  'flannel-udp': 'udp',
  wireguard: 'wireguard',
  'flannel-wireguard': 'wireguard',
  'flannel-ipsec': 'ipsec',
  // Weave's fast datapath is VXLAN on its own port, and sleeve its own UDP encapsulation: neither passes for another CNI's.
  weave: 'weave',
  'weave-sleeve': 'weave',
  // Pods on a sub-interface of the node's NIC: their packets cross the node network as they are, from their own MACs (MACVLAN) or the NIC's (IPVLAN).
  macvlan: 'macvlan',
  ipvlan: 'ipvlan',
  gre: 'gre',
  // Cilium picks VXLAN, Geneve or native routing at install time.
  cilium: 'cilium',
};

export function wireFamily(mode: string): string {
  return WIRE_FAMILY[mode] ?? mode;
}

/** The wire families a declared mode may show up as. */
function acceptedFamilies(declared: DeclaredCni): ReadonlySet<string> {
  const family = wireFamily(declared.mode);
  if (family === 'cilium') return new Set(['vxlan', 'geneve', 'routed']);
  // Captures between nodes of one subnet see CrossSubnet pools' pods routed as they are.
  return declared.crossSubnet ? new Set([family, 'routed']) : new Set([family]);
}

/**
 * Whether any mode inferred from the packets agrees with the declared one. A mode with no
 * known wire family on either side (an unheard-of backend), or nothing inferred, gives no verdict: true.
 */
export function declaredAgrees(declared: DeclaredCni, inferred: readonly string[]): boolean {
  if (!inferred.length || !Object.hasOwn(WIRE_FAMILY, declared.mode)) return true;
  const ok = acceptedFamilies(declared);
  return inferred.some((m) => ok.has(wireFamily(m)) || !Object.hasOwn(WIRE_FAMILY, m));
}
