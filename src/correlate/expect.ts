import { parseCidr, parseV4 } from '../analysis/addr.js';
import type { Topology } from '../analysis/topology/types.js';
import type { PointGuess } from './points.js';
import type { FlowKey } from './types.js';

/**
 * The points a flow's packets should cross, in order: the source pod, its node (`any`
 * bare then encapsulated, then the underlay NIC), the destination node (underlay, `any`
 * encapsulated then bare) and the destination pod. Built from what each capture point
 * is, so a packet that reached none of the destination's points still has a place it
 * should have reached.
 */
export interface ChainStep {
  capture: number;
  /** Which sightings count at an `any` point: encapsulated (outer) or bare (inner); `all` elsewhere. */
  form: 'all' | 'outer' | 'inner';
  side: 'src' | 'dst';
  node: string | null;
}

export interface FlowEnds {
  srcNode: string | null;
  dstNode: string | null;
  /** The destination is a pod address (inside a pod CIDR). */
  dstIsPod: boolean;
  /** dstNode as a number (IPv4), for the per-packet comparison with outer addresses. */
  dstNodeV4: number | null;
}

/**
 * Which node an address lives on: a node address itself, or the node owning the longest
 * pod CIDR holding it. Parsed once, cached per address (flows repeat their addresses).
 */
export class NodeLocator {
  private readonly nodes: Set<string>;
  private readonly cidrs: Array<{ base: number; mask: number; len: number; node: string }>;
  private readonly cache = new Map<string, string | null>();

  constructor(topology: Topology) {
    this.nodes = new Set(topology.nodes.map((n) => n.ip));
    this.cidrs = topology.podCidrs.flatMap((c) => {
      const p = parseCidr(c.cidr);
      return p ? [{ base: p.base, len: p.len, mask: p.len === 0 ? 0 : (0xffffffff << (32 - p.len)) >>> 0, node: c.nodeIp }] : [];
    });
    this.cidrs.sort((a, b) => b.len - a.len);
  }

  /** The node an address is, or whose pod CIDR holds it; null when neither. */
  nodeOf(ip: string): string | null {
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit;
    let node: string | null = this.nodes.has(ip) ? ip : null;
    if (node === null) {
      const v = parseV4(ip);
      if (v !== null) for (const c of this.cidrs) if (((v & c.mask) >>> 0) === c.base) {
        node = c.node;
        break;
      }
    }
    this.cache.set(ip, node);
    return node;
  }
}

export function flowEnds(flow: FlowKey, where: NodeLocator): FlowEnds {
  const dstNode = where.nodeOf(flow.dst);
  return { srcNode: where.nodeOf(flow.src), dstNode, dstIsPod: dstNode !== null && dstNode !== flow.dst, dstNodeV4: dstNode !== null ? parseV4(dstNode) : null };
}

export function expectedChain(flow: FlowKey, ends: FlowEnds, points: PointGuess[], tunnelled: boolean): ChainStep[] {
  const chain: ChainStep[] = [];
  const { srcNode, dstNode } = ends;
  const at = (kind: PointGuess['kind'], node: string | null) => (node === null ? [] : points.flatMap((p, c) => (p.kind === kind && p.node === node ? [c] : [])));
  points.forEach((p, c) => {
    if (p.kind === 'pod' && p.pod === flow.src) chain.push({ capture: c, form: 'all', side: 'src', node: p.node ?? srcNode });
  });
  for (const c of at('any', srcNode)) {
    chain.push({ capture: c, form: 'inner', side: 'src', node: srcNode });
    if (tunnelled) chain.push({ capture: c, form: 'outer', side: 'src', node: srcNode });
  }
  if (srcNode !== dstNode) {
    for (const c of at('underlay', srcNode)) chain.push({ capture: c, form: 'all', side: 'src', node: srcNode });
    for (const c of at('underlay', dstNode)) chain.push({ capture: c, form: 'all', side: 'dst', node: dstNode });
    for (const c of at('any', dstNode)) {
      if (tunnelled) chain.push({ capture: c, form: 'outer', side: 'dst', node: dstNode });
      chain.push({ capture: c, form: 'inner', side: 'dst', node: dstNode });
    }
  }
  points.forEach((p, c) => {
    if (p.kind === 'pod' && p.pod === flow.dst) chain.push({ capture: c, form: 'all', side: 'dst', node: p.node ?? dstNode });
  });
  return chain;
}

/** Position in the chain of a sighting at `capture` (encapsulated or not); -1 when off the chain. */
export function stepOf(chain: ChainStep[], capture: number, encapsulated: boolean): number {
  for (let k = 0; k < chain.length; k++) {
    const s = chain[k]!;
    if (s.capture !== capture) continue;
    if (s.form === 'all' || (s.form === 'outer') === encapsulated) return k;
  }
  // A bare sighting at an `any` point that only expects the encapsulated form (or the reverse).
  for (let k = 0; k < chain.length; k++) if (chain[k]!.capture === capture) return k;
  return -1;
}
