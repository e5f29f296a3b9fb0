import { macString, v4String } from '../addr.js';
import { ipNum } from './build.js';
import type { CniInputs } from './cni-inputs.js';
import type { CniGuess } from './types.js';

/**
 * IPVLAN (L2 mode): pods share the parent NIC's MAC, so one MAC answers ARP for, and
 * sends from, several addresses of one subnet. A routing node (host-gw, Calico) also
 * sends pod addresses from its MAC, but those sit in other subnets than its own; and
 * Calico's proxy-ARP MAC answers for every pod by design.
 */
const MIN_ADDRESSES = 3;
const CALICO_PROXY_ARP_MAC = 'ee:ee:ee:ee:ee:ee';

function largestSubnet(ips: Iterable<number>): number[] {
  const by = new Map<number, number[]>();
  for (const ip of ips) {
    const l = by.get(ip >>> 8) ?? [];
    l.push(ip);
    by.set(ip >>> 8, l);
  }
  return [...by.values()].reduce<number[]>((a, b) => (b.length > a.length ? b : a), []);
}

export function ipvlanMode(inp: CniInputs): CniGuess | null {
  const arpByMac = new Map<string, Set<number>>();
  for (const b of inp.topology.arp) {
    if (b.mac === CALICO_PROXY_ARP_MAC || ipNum(b.ip) < 0) continue;
    let s = arpByMac.get(b.mac);
    if (!s) arpByMac.set(b.mac, (s = new Set()));
    s.add(ipNum(b.ip));
  }
  const sentByMac = new Map<number, Set<number>>();
  for (const s of inp.signals) {
    for (const o of s?.sources ?? []) {
      let set = sentByMac.get(o.a);
      if (!set) sentByMac.set(o.a, (set = new Set()));
      set.add(o.b);
    }
  }
  const evidence: string[] = [];
  let arpSeen = false;
  let sentSeen = false;
  for (const [mac, ips] of arpByMac) {
    const same = largestSubnet(ips);
    if (same.length < MIN_ADDRESSES) continue;
    arpSeen = true;
    evidence.push(`${mac} answers ARP for ${same.length} addresses: ${same.slice(0, 4).map(v4String).join(', ')}`);
  }
  for (const [mac, ips] of sentByMac) {
    const same = largestSubnet(ips);
    // All of a MAC's addresses in one subnet: a router's would span its own and the ones it forwards for.
    if (same.length < MIN_ADDRESSES || same.length !== ips.size) continue;
    sentSeen = true;
    evidence.push(`${macString(mac)} sends from ${same.length} addresses of one subnet: ${same.slice(0, 4).map(v4String).join(', ')}`);
  }
  if (!evidence.length) return null;
  return { mode: 'ipvlan', confidence: arpSeen && sentSeen ? 0.8 : 0.6, evidence: evidence.slice(0, 4) };
}
