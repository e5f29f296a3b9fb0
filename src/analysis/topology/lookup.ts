import type { Topology } from './types.js';

function ipToNum(ip: string): number {
  const p = ip.split('.').map(Number);
  return p.length === 4 && p.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]! : -1;
}

interface ParsedCidr {
  base: number;
  mask: number;
  len: number;
  node: string;
}

/**
 * Pod CIDRs parsed once per list: the analyzers ask for the node of every flow's
 * addresses, and parsing each CIDR's text on every call made that flows × CIDRs string
 * splits (a cluster of a thousand nodes has a thousand CIDRs).
 */
const parsed = new WeakMap<Topology['podCidrs'], { n: number; list: ParsedCidr[] }>();

function parsedCidrs(cidrs: Topology['podCidrs']): ParsedCidr[] {
  const hit = parsed.get(cidrs);
  if (hit && hit.n === cidrs.length) return hit.list;
  const list = cidrs.map((c) => {
    const [base, lenS] = c.cidr.split('/');
    const len = Number(lenS);
    return { base: ipToNum(base!), mask: len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0, len, node: c.nodeIp };
  });
  parsed.set(cidrs, { n: cidrs.length, list });
  return list;
}

/** The node (underlay IP) a pod address lives behind, from the topology's pod CIDRs (longest prefix); else the address itself. */
export function nodeOf(topology: Topology, ip: string): string {
  const v = ipToNum(ip);
  if (v < 0) return ip;
  let best: ParsedCidr | null = null;
  for (const c of parsedCidrs(topology.podCidrs)) if (((v & c.mask) >>> 0) === c.base && (!best || c.len > best.len)) best = c;
  return best ? best.node : ip;
}
