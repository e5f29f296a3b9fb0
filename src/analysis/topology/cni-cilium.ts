import { TUNNEL_GENEVE, TUNNEL_VXLAN } from '../facts.js';
import { portFlows, seenIn, type CniInputs } from './cni-inputs.js';
import { OVN_OPTION_CLASS } from './cni-ovn.js';
import type { CniGuess } from './types.js';

/**
 * Cilium: VXLAN on 8472 or Geneve on 6081 whose VNI is the sender's security identity
 * (reserved 1-8: host, world, health, remote-node...; cluster identities from 256), so
 * one cluster shows several VNIs where flannel shows one. cilium-health probes every node
 * on TCP 4240, which also marks native routing, where there is no tunnel at all.
 */
const VXLAN_PORT = 8472;
const HEALTH_PORT = 4240;
const FIRST_CLUSTER_IDENTITY = 256;

export function ciliumMode(inp: CniInputs): CniGuess | null {
  const health = portFlows(inp.flows, 'tcp', HEALTH_PORT);
  const healthLine = health.count ? [`cilium-health probes on TCP ${HEALTH_PORT} between ${health.examples.join(', ')}`] : [];
  const vxlanVnis = [...(inp.vnis.get(VXLAN_PORT) ?? [])].sort((a, b) => a - b);
  const vxlan = inp.kinds.has(TUNNEL_VXLAN * 65536 + VXLAN_PORT);
  // Two VNIs are as likely one flannel node with the wrong VNI: identities need a third, or a cluster-range one.
  const identities = vxlanVnis.length >= 3 || vxlanVnis.some((v) => v >= FIRST_CLUSTER_IDENTITY);
  if (vxlan && (identities || health.count)) {
    return {
      mode: 'cilium-vxlan',
      confidence: identities && health.count ? 0.9 : identities ? 0.7 : 0.6,
      evidence: [`VXLAN on UDP ${VXLAN_PORT} with VNI ${vxlanVnis.slice(0, 6).join(', ')}${identities ? ' (Cilium carries the sender\'s security identity in the VNI)' : ''}`, ...healthLine],
    };
  }
  // Geneve without OVN's option: Cilium's (Antrea's looks the same on the wire).
  const plainGeneve: string[] = [];
  let ovn = false;
  for (const s of inp.signals) {
    for (const g of s?.geneve ?? []) {
      if (g.a === OVN_OPTION_CLASS) ovn = true;
      else if (plainGeneve.length < 3) plainGeneve.push(`Geneve VNI ${g.b}${g.a >= 0 ? ` with option class 0x${g.a.toString(16).padStart(4, '0')}` : ' without options'} (${seenIn(s!.capture, g)})`);
    }
  }
  if (!ovn && (plainGeneve.length || inp.kinds.has(TUNNEL_GENEVE * 65536 + 6081))) {
    return { mode: 'cilium-geneve', confidence: health.count ? 0.85 : 0.55, evidence: [...(plainGeneve.length ? plainGeneve : ['Geneve on UDP 6081']), ...healthLine, ...(health.count ? [] : ['(Antrea also uses Geneve without options)'])] };
  }
  if (health.count && inp.kinds.size === 0) return { mode: 'cilium-native-routing', confidence: 0.6, evidence: [...healthLine, 'pod traffic routed without encapsulation'] };
  return null;
}
