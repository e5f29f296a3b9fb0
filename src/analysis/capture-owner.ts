import type { FlowSummary } from './flow-table.js';

/**
 * Which host a capture was taken on, judged from its flows: the address present in
 * (nearly) every flow. On a node's underlay that is the node IP (outer addresses); on a
 * pod's eth0, the pod IP. A capture holding only one conversation has two such
 * addresses; across several captures the tie is broken by elimination (the other
 * address is already some other capture's owner). Null when no address dominates (a
 * switch mirror port, or a capture too small to tell).
 */
export interface CaptureOwner {
  ip: string;
  layer: 'outer' | 'inner';
  share: number;
  /** Other addresses that were as present as the owner (ties not broken by elimination). */
  ambiguous: boolean;
}

interface Candidates {
  layer: 'outer' | 'inner';
  list: Array<[string, number]>;
}

function candidates(flows: FlowSummary[]): Candidates | null {
  const outer = new Map<string, number>();
  const inner = new Map<string, number>();
  let tunnelled = 0;
  let total = 0;
  for (const f of flows) {
    const w = f.packets[0] + f.packets[1];
    total += w;
    if (f.outerSrc && f.outerDst) {
      tunnelled += w;
      outer.set(f.outerSrc, (outer.get(f.outerSrc) ?? 0) + w);
      if (f.outerDst !== f.outerSrc) outer.set(f.outerDst, (outer.get(f.outerDst) ?? 0) + w);
    }
    inner.set(f.src, (inner.get(f.src) ?? 0) + w);
    if (f.dst !== f.src) inner.set(f.dst, (inner.get(f.dst) ?? 0) + w);
  }
  if (total === 0) return null;
  const pick = (m: Map<string, number>, of: number) => [...m].map(([ip, n]) => [ip, n / of] as [string, number]).filter(([, s]) => s >= 0.9).sort((a, b) => b[1] - a[1]);
  if (tunnelled / total > 0.5) {
    const list = pick(outer, tunnelled);
    if (list.length) return { layer: 'outer', list };
  }
  const list = pick(inner, total);
  return list.length ? { layer: 'inner', list } : null;
}

/** The capturing host as the captured directions say (Linux cooked packet types, pcapng flags). */
function fromDirections(flows: FlowSummary[]): CaptureOwner | null {
  const votes = new Map<string, { n: number; layer: 'outer' | 'inner' }>();
  let total = 0;
  for (const f of flows) {
    // Only tunnel endpoints are the capturing host itself: routed pod traffic also
    // arrives at and leaves the host, but its addresses are the pods'.
    if (!f.local || f.outerSrc === null || f.outerDst === null) continue;
    const w = f.packets[0] + f.packets[1];
    const outer = true;
    const ip = f.local === 'src' ? (outer ? f.outerSrc! : f.src) : outer ? f.outerDst! : f.dst;
    const v = votes.get(ip) ?? { n: 0, layer: outer ? ('outer' as const) : ('inner' as const) };
    v.n += w;
    votes.set(ip, v);
    total += w;
  }
  let best: [string, { n: number; layer: 'outer' | 'inner' }] | null = null;
  for (const e of votes) if (!best || e[1].n > best[1].n) best = e;
  if (!best || best[1].n / total < 0.6) return null;
  return { ip: best[0], layer: best[1].layer, share: best[1].n / total, ambiguous: false };
}

/**
 * Owners of several captures at once. `hints` are addresses named by the user or found
 * in the capture's name (NAME=FILE, a node name from the node state); they decide ties.
 */
export function captureOwners(flowsPerCapture: FlowSummary[][], hints: Array<string | null> = []): Array<CaptureOwner | null> {
  const cands = flowsPerCapture.map(candidates);
  const owner: Array<CaptureOwner | null> = flowsPerCapture.map((flows, i) => {
    const d = fromDirections(flows);
    if (d) return d;
    const h = hints[i];
    if (!h) return null;
    const c = cands[i];
    const hit = c?.list.find(([ip]) => ip === h);
    return { ip: h, layer: c?.layer ?? 'outer', share: hit ? hit[1] : 0, ambiguous: false };
  });
  let changed = true;
  while (changed) {
    changed = false;
    const taken = new Set(owner.filter((o): o is CaptureOwner => o !== null).map((o) => o.ip));
    cands.forEach((c, i) => {
      if (!c || owner[i]) return;
      const left = c.list.filter(([ip]) => !taken.has(ip));
      if (left.length === 1) {
        owner[i] = { ip: left[0]![0], layer: c.layer, share: left[0]![1], ambiguous: false };
        changed = true;
      }
    });
  }
  cands.forEach((c, i) => {
    if (!c || owner[i] || !c.list.length) return;
    owner[i] = { ip: c.list[0]![0], layer: c.layer, share: c.list[0]![1], ambiguous: c.list.length > 1 };
  });
  return owner;
}

/** One capture on its own (no elimination possible). */
export function captureOwner(flows: FlowSummary[]): CaptureOwner | null {
  return captureOwners([flows])[0] ?? null;
}

/**
 * Hints from capture names: an IPv4 address in the name, or the name of a node whose
 * node state lists its addresses (`node2-underlay.pcap` with a node-state folder `node2`).
 */
export function ownerHints(captureNames: string[], nodes: Array<{ name: string; addresses: string[] }>): Array<string | null> {
  return captureNames.map((name) => {
    const ip = /(?:^|[^0-9.])((?:\d{1,3}\.){3}\d{1,3})(?![0-9.])/.exec(name)?.[1];
    if (ip) return ip;
    const tokens = name.toLowerCase().split(/[^a-z0-9-]+|(?<=[a-z0-9])-(?=[a-z])/);
    const node = nodes.find((n) => tokens.includes(n.name.toLowerCase()) || name.toLowerCase().startsWith(`${n.name.toLowerCase()}-`) || name.toLowerCase().startsWith(`${n.name.toLowerCase()}_`));
    return node?.addresses[0] ?? null;
  });
}

const NOT_UNDERLAY = /^(lo|cni|flannel|cali|tunl|vxlan|docker|veth|kube-|cilium|genev|weave|nodelocaldns)/;

/** Each node-state node's underlay addresses (IPv4 on interfaces that are not pod or tunnel devices). */
export function nodeStateHosts(nodes: ReadonlyArray<{ name: string; addresses: ReadonlyArray<{ family: string; ifname: string; address: string }> }>): Array<{ name: string; addresses: string[] }> {
  return nodes.map((n) => ({
    name: n.name,
    addresses: n.addresses.filter((a) => a.family === 'inet' && !NOT_UNDERLAY.test(a.ifname) && !a.address.startsWith('127.')).map((a) => a.address),
  }));
}
