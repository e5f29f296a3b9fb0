import { macString, v4String } from '../addr.js';
import { ipNum } from './build.js';
import type { CniInputs } from './cni-inputs.js';
import { sourceDirection } from './cni-signals.js';
import type { CniGuess } from './types.js';

/**
 * MACVLAN: each pod is a station of its own on the underlay L2, with its own MAC, and its
 * frames leave the node through the parent NIC. On the wire: MACs that each send (and
 * answer ARP for) exactly one address, not a node's, several of them on one subnet in one
 * capture. Routed and overlay CNIs never put
 * a pod's own MAC on the underlay (the node's MAC or a tunnel header carries it), so
 * clusters where those are seen are left alone: there, same-node pods on a bridge would
 * look the same. So is a capture where a gateway MAC brings in addresses of sibling /24s
 * (other nodes' pod CIDRs): MACVLAN pods share one flat range. A pod and its bridge
 * gateway (the first address of the pod CIDR, by CNI convention) are not two stations.
 */
const LEAVING = 2;
const isGatewayAddress = (ip: number) => (ip & 0xff) === 1;

export function macvlanMode(inp: CniInputs): CniGuess | null {
  const otherMode = inp.kinds.size > 0 || (inp.bgp?.sessions ?? 0) > 0 || inp.topology.podCidrs.some((c) => c.source === 'host-gw');
  if (otherMode) return null;
  const ipsOfMac = new Map<number, Set<number>>();
  const bind = (mac: number, ip: number) => {
    let a = ipsOfMac.get(mac);
    if (!a) ipsOfMac.set(mac, (a = new Set()));
    a.add(ip);
  };
  for (const s of inp.signals) for (const o of s?.sources ?? []) bind(o.a, o.b);
  for (const b of inp.topology.arp) bind(parseInt(b.mac.replace(/:/g, ''), 16), ipNum(b.ip));
  const nodes = new Set(inp.topology.nodes.map((n) => ipNum(n.ip)));
  // One address per MAC; one MAC per address is not required: a duplicate pod address is a fault, not another mode.
  const isStation = (mac: number, ip: number) => ipsOfMac.get(mac)?.size === 1 && !nodes.has(ip) && !isGatewayAddress(ip);

  let best: { capture: string; stations: Map<number, number>; leaving: number } | null = null;
  for (const s of inp.signals) {
    if (!s) continue;
    const bySubnet = new Map<number, { stations: Map<number, number>; leaving: Set<number> }>();
    const routedIn = new Set<number>();
    for (const o of s.sources) if (!isStation(o.a, o.b)) routedIn.add(o.b >>> 8);
    const siblingRouted = (subnet: number) => [...routedIn].some((r) => r !== subnet && r >>> 8 === subnet >>> 8);
    for (const o of s.sources) {
      if (!isStation(o.a, o.b)) continue;
      let g = bySubnet.get(o.b >>> 8);
      if (!g) bySubnet.set(o.b >>> 8, (g = { stations: new Map(), leaving: new Set() }));
      g.stations.set(o.a, o.b);
      if (sourceDirection(o) === LEAVING) g.leaving.add(o.a);
    }
    for (const g of bySubnet.values()) {
      const score = (x: { stations: Map<number, number>; leaving: number }) => x.stations.size + (x.leaving ? 0.5 : 0);
      if (g.stations.size >= 2 && !siblingRouted([...g.stations.values()][0]! >>> 8) && (!best || score({ stations: g.stations, leaving: g.leaving.size }) > score(best))) best = { capture: s.capture, stations: g.stations, leaving: g.leaving.size };
    }
  }
  if (!best) return null;
  const list = [...best.stations].slice(0, 4).map(([mac, ip]) => `${macString(mac)} = ${v4String(ip)}`);
  const evidence = [`${best.stations.size} MACs on one L2 subnet each send (and answer ARP for) a single address of their own in ${best.capture}: ${list.join(', ')}${best.stations.size > 4 ? ', ...' : ''}`];
  if (best.leaving) evidence.push(`${best.leaving} of them seen leaving the capturing node by its NIC`);
  return { mode: 'macvlan', confidence: Math.min(0.8, 0.6 + (best.stations.size >= 3 ? 0.1 : 0) + (best.leaving ? 0.1 : 0)), evidence };
}
