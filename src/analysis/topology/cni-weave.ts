import { TUNNEL_VXLAN } from '../facts.js';
import { portFlows, type CniInputs } from './cni-inputs.js';
import type { CniGuess } from './types.js';

/** Weave Net: fast datapath is VXLAN on UDP 6784; sleeve (its own encapsulation) is UDP 6783; peers talk over TCP 6783. */
const FASTDP = 6784;
const SLEEVE = 6783;

export function weaveMode(inp: CniInputs): CniGuess | null {
  const fastdpDecoded = inp.kinds.has(TUNNEL_VXLAN * 65536 + FASTDP);
  const fastdp = portFlows(inp.flows, 'udp', FASTDP);
  const sleeve = portFlows(inp.flows, 'udp', SLEEVE);
  const control = portFlows(inp.flows, 'tcp', SLEEVE);
  const evidence: string[] = [];
  if (fastdpDecoded) evidence.push(`VXLAN on UDP ${FASTDP} (Weave fast datapath)`);
  if (fastdp.count) evidence.push(`UDP ${FASTDP} between ${fastdp.examples.join(', ')} (${fastdp.packets} packets): Weave fast datapath`);
  if (sleeve.count) evidence.push(`UDP ${SLEEVE} between ${sleeve.examples.join(', ')} (${sleeve.packets} packets): Weave sleeve encapsulation`);
  if (control.count) evidence.push(`TCP ${SLEEVE} between ${control.examples.join(', ')}: Weave peer control connections`);
  if (!evidence.length) return null;
  const data = fastdpDecoded || fastdp.count > 0 || sleeve.count > 0;
  const confidence = data && control.count ? 0.9 : data ? 0.75 : 0.55;
  return { mode: sleeve.count && !fastdp.count && !fastdpDecoded ? 'weave-sleeve' : 'weave', confidence, evidence };
}
