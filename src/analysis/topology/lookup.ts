import { parseCidr, parseV4 } from '../addr.js';
import type { Topology } from './types.js';

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
  const list = cidrs.flatMap((c) => {
    const p = parseCidr(c.cidr);
    return p ? [{ base: p.base, mask: p.len === 0 ? 0 : (0xffffffff << (32 - p.len)) >>> 0, len: p.len, node: c.nodeIp }] : [];
  });
  parsed.set(cidrs, { n: cidrs.length, list });
  return list;
}

/** The node (underlay IP) a pod address lives behind, from the topology's pod CIDRs (longest prefix); else the address itself. */
export function nodeOf(topology: Topology, ip: string): string {
  const v = parseV4(ip);
  if (v === null) return ip;
  let best: ParsedCidr | null = null;
  for (const c of parsedCidrs(topology.podCidrs)) if (((v & c.mask) >>> 0) === c.base && (!best || c.len > best.len)) best = c;
  return best ? best.node : ip;
}
