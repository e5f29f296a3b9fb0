import type { Topology } from './types.js';

function ipToNum(ip: string): number {
  const p = ip.split('.').map(Number);
  return p.length === 4 && p.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]! : -1;
}

/** The node (underlay IP) a pod address lives behind, from the topology's pod CIDRs; else the address itself. */
export function nodeOf(topology: Topology, ip: string): string {
  const v = ipToNum(ip);
  if (v < 0) return ip;
  let best: { node: string; len: number } | null = null;
  for (const c of topology.podCidrs) {
    const [base, lenS] = c.cidr.split('/');
    const len = Number(lenS);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    if (((v & mask) >>> 0) === ipToNum(base!) && (!best || len > best.len)) best = { node: c.nodeIp, len };
  }
  return best ? best.node : ip;
}
