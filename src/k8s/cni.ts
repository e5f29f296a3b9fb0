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
}

const FLANNEL_BACKEND = 'flannel.alpha.coreos.com/backend-type';

export function declaredCni(s: ClusterState): DeclaredCni | null {
  const calicoPools = s.calico.ipPools.filter((p) => !p.disabled);
  if (calicoPools.length) {
    const p = calicoPools[0]!;
    const on = (m: string) => m === 'Always' || m === 'CrossSubnet';
    const mode = on(p.vxlanMode) ? 'calico-vxlan' : on(p.ipipMode) ? 'calico-ipip' : 'calico-bgp';
    return { mode, source: `IPPool ${p.name} (${p.cidr}): ipipMode ${p.ipipMode}, vxlanMode ${p.vxlanMode}` };
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
 * What a mode puts on the wire, so that a declaration and an inference can be compared:
 * same family means no mismatch (Cilium in VXLAN and "cilium-vxlan" agree, Kube-OVN and Geneve agree).
 */
export function wireFamily(mode: string): string {
  if (mode.includes('geneve') || mode === 'kube-ovn') return 'geneve';
  if (mode === 'cilium') return 'cilium';
  if (mode.endsWith('vxlan')) return 'vxlan';
  if (mode === 'calico-ipip') return 'ipip';
  if (mode === 'calico-bgp' || mode === 'flannel-host-gw') return 'routed';
  if (mode === 'flannel-udp') return 'udp';
  return mode;
}
