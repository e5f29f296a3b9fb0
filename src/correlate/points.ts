import { captureOwners, nodeStateHosts, ownerHints } from '../analysis/capture-owner.js';
import { cidrString, parseCidr } from '../analysis/addr.js';
import type { NodeState } from '../nodestate/types.js';
import type { FlowSummary } from '../analysis/flow-table.js';
import { nodeOf } from '../analysis/topology/lookup.js';
import type { Topology } from '../analysis/topology/types.js';
import type { SightingStore } from './sightings.js';
import type { PointKind } from './types.js';

export interface PointGuess {
  kind: PointKind;
  node: string | null;
  pod: string | null;
  confidence: number;
  why: string;
  /** Another address was as present as the one chosen: settled later by which end packets start and stop at. */
  ambiguous: boolean;
}

/** Interfaces a capture saw packets on (more than one: `tcpdump -i any` or a multi-interface pcapng). */
function interfaces(t: SightingStore | undefined): number {
  return t ? t.interfaces : 0;
}

/**
 * What each capture point is and which node it sits on, from the address that dominates
 * its flows (capture-owner.ts): an outer (tunnel endpoint) owner is a node's underlay; an
 * inner owner inside a pod CIDR is a pod; a capture seeing one packet on several
 * interfaces is a node's `any`.
 */
export function guessPoints(tables: ReadonlyArray<SightingStore | undefined>, flows: FlowSummary[][], topology: Topology, names: string[] = [], nodeState: NodeState | null = null): PointGuess[] {
  const hosts = nodeState ? nodeStateHosts(nodeState.nodes) : [];
  const hints = ownerHints(names, hosts);
  const owners = captureOwners(flows, hints);
  const guesses = guessFromOwners(tables, owners, topology);
  // A capture named after a node (node2-underlay.pcap with a node-state folder node2) sits on it.
  guesses.forEach((g, c) => {
    const h = hints[c];
    if (!h) return;
    if (g.kind === 'unknown') Object.assign(g, { kind: 'underlay', node: h, confidence: 0.5, why: `named after the node ${h} (its node state); no address dominates its packets` });
    else if (g.kind === 'any' && g.node === null) Object.assign(g, { node: h, confidence: 0.6, why: `${g.why}; named after the node ${h}` });
  });
  return guesses;
}

/**
 * Pod CIDRs from node state: the prefix of each node's bridge (cni0, cbr0) address, so
 * pod addresses place on nodes even when no tunnel or route in the captures says so.
 */
export function nodeStatePodCidrs(nodeState: NodeState | null): Array<{ cidr: string; nodeIp: string }> {
  if (!nodeState) return [];
  const hosts = nodeStateHosts(nodeState.nodes);
  const out: Array<{ cidr: string; nodeIp: string }> = [];
  nodeState.nodes.forEach((n, k) => {
    const nodeIp = hosts[k]?.addresses[0];
    if (!nodeIp) return;
    for (const a of n.addresses) {
      if (a.family !== 'inet' || !/^(cni|cbr)/.test(a.ifname)) continue;
      const c = parseCidr(`${a.address}/${a.prefixlen}`);
      if (c) out.push({ cidr: cidrString(c.base, c.len), nodeIp });
    }
  });
  return out;
}

function guessFromOwners(tables: ReadonlyArray<SightingStore | undefined>, owners: ReturnType<typeof captureOwners>, topology: Topology): PointGuess[] {
  const nodeIps = new Set(topology.nodes.map((n) => n.ip));
  return tables.map((t, c) => {
    const o = owners[c] ?? null;
    const ifaces = interfaces(t);
    const sure = o ? (o.ambiguous ? o.share / 2 : o.share) : 0;
    if (ifaces > 1) {
      const hinted = o !== null && o.share === 0;
      if (hinted) return { kind: 'any', ambiguous: false, node: o.ip, pod: null, confidence: 0.6, why: `packets on ${ifaces} interfaces; named after the node ${o.ip}` };
      const node = o ? (o.layer === 'outer' || nodeIps.has(o.ip) ? o.ip : nodeOf(topology, o.ip) !== o.ip ? nodeOf(topology, o.ip) : null) : null;
      return { kind: 'any', ambiguous: o?.ambiguous ?? false, node, pod: null, confidence: node ? Math.min(1, sure) : 0.5, why: `packets on ${ifaces} interfaces${node ? `; ${node} in ${Math.round(sure * 100)}% of them` : ''}` };
    }
    if (o && o.share === 0) return { kind: 'underlay', ambiguous: false, node: o.ip, pod: null, confidence: 0.5, why: `named after the node ${o.ip} (its node state); no address dominates its packets` };
    if (!o) return { kind: 'unknown', ambiguous: false, node: null, pod: null, confidence: 0, why: 'no address dominates its packets' };
    if (o.layer === 'outer' || nodeIps.has(o.ip)) {
      return { kind: 'underlay', ambiguous: o.ambiguous, node: o.ip, pod: null, confidence: sure, why: `${o.ip} is ${o.layer === 'outer' ? 'a tunnel endpoint' : 'an address'} of ${Math.round(o.share * 100)}% of its packets` };
    }
    const node = nodeOf(topology, o.ip);
    if (node !== o.ip) {
      return { kind: 'pod', ambiguous: o.ambiguous, node, pod: o.ip, confidence: sure, why: `${Math.round(o.share * 100)}% of its packets are to or from pod ${o.ip} (pod CIDR of ${node})` };
    }
    return { kind: 'pod', ambiguous: o.ambiguous, node: null, pod: o.ip, confidence: sure / 2, why: `${Math.round(o.share * 100)}% of its packets are to or from ${o.ip} (in no known pod CIDR)` };
  });
}

/**
 * Settle ambiguous points (a capture holding one conversation shows both ends equally):
 * a packet seen first at a point started there, one seen last ended there, so the
 * address packets start from at a pod point is its pod, and the tunnel endpoint they
 * leave from at an underlay point is its node. `votes[c]` counts, per address, packets
 * that started (or ended) at capture c.
 */
export function settlePoints(points: PointGuess[], votes: Array<Map<string, number>>, topology: Topology): void {
  points.forEach((pt, c) => {
    if (pt.kind !== 'pod' && pt.kind !== 'underlay') return;
    let best: [string, number] | null = null;
    let total = 0;
    for (const e of votes[c] ?? []) {
      total += e[1];
      if (!best || e[1] > best[1]) best = e;
    }
    if (!best || total < 2 || best[1] / total < 0.6) return;
    const changed = pt.kind === 'pod' ? pt.pod !== best[0] : pt.node !== best[0];
    const share = best[1] / total;
    if (pt.kind === 'pod') {
      const node = nodeOf(topology, best[0]);
      pt.pod = best[0];
      pt.node = node !== best[0] ? node : null;
    } else pt.node = best[0];
    pt.ambiguous = false;
    pt.confidence = Math.min(pt.confidence * 2, 1) * share;
    const settled = `${Math.round(share * 100)}% of the packets followed across captures start or end at ${best[0]} here`;
    if (changed) pt.why = settled;
    else if (share < 1) pt.why += `; ${settled}`;
  });
}
