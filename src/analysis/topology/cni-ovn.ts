import { seenIn, type CniInputs } from './cni-inputs.js';
import type { CniGuess } from './types.js';

/** OVN's Geneve option class: every packet between OVN chassis carries it (logical ingress/egress ports). */
export const OVN_OPTION_CLASS = 0x0102;

/** Kube-OVN, OVN-Kubernetes (mode `geneve-ovn`): Geneve on UDP 6081 whose packets carry OVN's option. */
export function ovnMode(inp: CniInputs): CniGuess | null {
  const evidence: string[] = [];
  let packets = 0;
  for (const s of inp.signals) {
    if (!s) continue;
    for (const g of s.geneve) {
      if (g.a !== OVN_OPTION_CLASS) continue;
      packets += g.count;
      if (evidence.length < 3) evidence.push(`Geneve VNI ${g.b} with OVN option class 0x0102 (${g.count} packets, ${seenIn(s.capture, g)})`);
    }
  }
  if (!packets) return null;
  return { mode: 'geneve-ovn', confidence: 0.9, evidence };
}
