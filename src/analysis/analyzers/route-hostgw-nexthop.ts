import { macString, parseV4, v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { PairStat } from '../pair-counter.js';
import type { TopologyObservations } from '../topology/collect.js';
import type { CniSignals } from '../topology/cni-signals.js';

/**
 * Routed pod networks (flannel host-gw, Calico BGP without IPIP): each node reaches
 * another node's pod CIDR with a route `via <that node> dev eth0`, so on the underlay a
 * packet for a pod leaves addressed to the owning node's MAC. A packet for that pod CIDR
 * addressed to any other MAC took another route: the default route to the underlay
 * router (route missing, BGP route withdrawn) or a stale route via another node. The
 * router knows no pod networks and drops it.
 *
 * Who owns a pod /24 is read from the wire: a node's MAC (known from its own ARP) that
 * sends packets from a /24 other than its own forwards that /24's pods. A bridge gateway
 * inside a pod /24 (cni0) forwards too, but sits inside a forwarded /24 and is no node.
 */

const CALICO_PROXY_ARP_MAC = 0xeeeeeeeeeeee;

const net24 = (ip: number) => (ip & 0xffffff00) >>> 0;
const cidr = (net: number) => `${v4String(net)}/24`;

interface Misroute {
  sender: number | null;
  owner: number;
  net: number;
  via: number;
  dst: number;
  evidence: Evidence[];
}

function ev(capture: string, s: PairStat, note: string): Evidence {
  return { capture, packets: s.packets.slice(0, 10), count: s.count, note };
}

export const routeHostGwNextHopAnalyzer = defineAnalyzer<null, null>({
  name: 'route-hostgw-nexthop',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    // Overlays carry pod addresses inside tunnels; bare pod traffic there is route-unencapsulated's.
    if (model.flows.some((list) => list.some((f) => f.tunnel !== 'none'))) return [];
    const obs = (model.results['topology'] ?? []) as Array<TopologyObservations | undefined>;
    const signals = (model.results['cni-signals'] ?? []) as Array<CniSignals | undefined>;
    const claims = new Map<number, Set<number>>();
    for (const s of signals) {
      for (const a of s?.arpSenders ?? []) {
        if (a.a === CALICO_PROXY_ARP_MAC) continue;
        let set = claims.get(a.a);
        if (!set) claims.set(a.a, (set = new Set()));
        set.add(a.b);
      }
    }
    // Forwarders: MACs sending from a /24 none of their own addresses is in.
    const forwarders = new Map<number, Set<number>>();
    for (const o of obs) {
      for (const s of o?.l2Src ?? []) {
        const own = claims.get(s.a);
        if (!own || [...own].some((ip) => net24(ip) === net24(s.b))) continue;
        let set = forwarders.get(net24(s.b));
        if (!set) forwarders.set(net24(s.b), (set = new Set()));
        set.add(s.a);
      }
    }
    const forwarded = new Set(forwarders.keys());
    const nodeIp = (mac: number): number | null => {
      const own = [...(claims.get(mac) ?? [])].filter((ip) => !forwarded.has(net24(ip)));
      return own.length === 1 ? own[0]! : null;
    };
    const owner = new Map<number, number>();
    for (const [net, macs] of forwarders) {
      const nodes = [...macs].filter((m) => nodeIp(m) !== null);
      if (nodes.length === 1) owner.set(net, nodes[0]!);
    }
    if (owner.size === 0) return [];

    const found = new Map<string, Misroute>();
    obs.forEach((o, ci) => {
      if (!o) return;
      const capture = model.captures[ci]?.name ?? o.capture;
      const here = new Set(o.l2Src.map((s) => s.a));
      for (const d of o.l2Dst) {
        const net = net24(d.b);
        const y = owner.get(net);
        if (y === undefined || d.a === y || !here.has(y) || claims.get(d.a)?.has(d.b)) continue;
        const viaIp = nodeIp(d.a);
        // A bridge gateway (its address inside a forwarded /24) is the pod side of a node, not a wrong next hop.
        if ([...(claims.get(d.a) ?? [])].some((ip) => forwarded.has(net24(ip)))) continue;
        // The sender: the node owning the pods that talk to this /24 in this capture.
        const senders = new Set<number>();
        for (const f of model.flows[ci] ?? []) {
          const from = f.packets[0] > 0 && net24(parseV4(f.dst) ?? 0) === net ? f.src : f.packets[1] > 0 && net24(parseV4(f.src) ?? 0) === net ? f.dst : null;
          const mac = from === null ? undefined : owner.get(net24(parseV4(from) ?? 0));
          if (mac !== undefined && mac !== y && here.has(mac)) senders.add(mac);
        }
        const sender = senders.size === 1 ? nodeIp([...senders][0]!) : null;
        const key = `${sender}|${net}|${d.a}`;
        let m = found.get(key);
        if (!m) found.set(key, (m = { sender, owner: nodeIp(y)!, net, via: d.a, dst: d.b, evidence: [] }));
        m.evidence.push(ev(capture, d, `packets for ${v4String(d.b)} sent to ${macString(d.a)}${viaIp !== null ? ` (${v4String(viaIp)})` : ''}, not to ${macString(y)} (${v4String(nodeIp(y)!)})`));
      }
    });

    const findings: Finding[] = [];
    for (const m of found.values()) {
      const viaIp = nodeIp(m.via);
      const viaNode = viaIp !== null && [...owner.values()].includes(m.via);
      const via = viaNode ? `node ${v4String(viaIp!)}` : `${viaIp !== null ? v4String(viaIp) : macString(m.via)}, which is not a node (the default gateway)`;
      const who = m.sender !== null ? v4String(m.sender) : 'A node';
      const ownerIp = v4String(m.owner);
      // A withdrawn or never-learnt BGP route is the cause; this is how it shows on the wire.
      const cause = model.findings.find((f) => f.severity === 'error' && f.component.startsWith('bgp') && f.node === ownerIp);
      findings.push({
        id: 'route.hostgw-wrong-next-hop',
        severity: cause ? 'info' : 'error',
        confidence: cause ? 0.5 : viaNode ? 0.8 : 0.75,
        component: 'route',
        node: m.sender !== null ? v4String(m.sender) : null,
        title: `${who} routes pod traffic for ${cidr(m.net)} via ${viaNode ? `node ${v4String(viaIp!)}` : 'the default gateway'}, not via ${ownerIp}`,
        detail:
          `${cidr(m.net)} lives behind ${ownerIp} (its MAC forwards those pods' packets), so a routed pod network sends traffic for it straight to ${ownerIp}'s MAC. ` +
          `These packets go instead to ${via}: the host-gw / BGP route for ${cidr(m.net)} is ${viaNode ? 'stale' : 'missing and the default route applies'}. ` +
          `The ${viaNode ? 'other node' : 'underlay router knows no pod networks and'} drops or misroutes them.` +
          (cause ? `\nLikely a consequence of: ${cause.title}.` : ''),
        evidence: m.evidence.slice(0, 6),
        remedy: [
          `ip route get ${v4String(m.dst)}   # on ${m.sender !== null ? v4String(m.sender) : 'the sending node'}: expect "via ${ownerIp} dev eth0"`,
          `ip route show ${cidr(m.net)}`,
          `ip route replace ${cidr(m.net)} via ${ownerIp} dev eth0   # host-gw; flannel re-adds it on restart (check its logs)`,
          'birdc show route   # Calico BGP: is the block learnt from its node?',
        ],
      });
    }
    return findings;
  },
});
