import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import type { Model } from '../model.js';
import { nodeOf } from '../topology/lookup.js';
import { ipNum } from '../topology/build.js';

/**
 * Pod traffic that leaves a node bare where the cluster tunnels: packets between pods of
 * two different nodes seen unencapsulated on an underlay interface, while traffic between
 * those nodes (or to nodes on the same subnet) is VXLAN/IPIP/Geneve. The sending node has
 * no route for the peer's pod CIDR via its VTEP (or a stale host-gw route), so the packet
 * follows the default route and the underlay drops or misroutes it.
 *
 * Mixed modes stay quiet: flannel DirectRouting and Calico CrossSubnet send bare only to
 * nodes on their own subnet and tunnel to the others, so a bare path is only named when
 * the same node pair, or a node on the peer's subnet, is reached through a tunnel.
 */

/** Linux cooked v1 merges every interface of `tcpdump -i any` into one: bridge and VTEP traffic would look like underlay traffic. */
const LINKTYPE_LINUX_SLL = 113;

const ROUTE_DEVICE: Record<string, string> = { vxlan: 'flannel.1 (flannel) or vxlan.calico (Calico)', ipip: 'tunl0', geneve: 'genev_sys_6081', 'flannel-udp': 'flannel0' };

interface BarePath {
  from: string;
  to: string;
  cidr: string;
  pairTunnel: string | null;
  subnetTunnel: string | null;
  example: string;
  evidence: Map<string, { packets: number[]; count: number; flows: number }>;
}

function subnet24(ip: string): number {
  return (ipNum(ip) & 0xffffff00) >>> 0;
}

/** Interfaces (per capture) that carry underlay traffic: tunnels, or node-to-node conversations. */
function underlayIfaces(flows: FlowSummary[], nodes: Set<string>): Set<number> {
  const out = new Set<number>();
  for (const f of flows) {
    if (f.tunnel !== 'none' || (nodes.has(f.src) && nodes.has(f.dst))) out.add(f.iface);
  }
  return out;
}

function podCidrOf(model: Model, ip: string, node: string): string {
  const v = ipNum(ip);
  for (const c of model.topology.podCidrs) {
    if (c.nodeIp !== node) continue;
    const [base, len] = c.cidr.split('/');
    const mask = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
    if (((v & mask) >>> 0) === ipNum(base!)) return c.cidr;
  }
  return ip;
}

export const routeUnencapsulatedAnalyzer = defineAnalyzer<null, null>({
  name: 'route-unencapsulated',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const nodes = new Set(model.topology.nodes.map((n) => n.ip));
    // Which node pairs, and which node → subnet directions, the cluster tunnels.
    const pairTunnel = new Map<string, string>();
    const subnetTunnel = new Map<string, string>();
    for (const list of model.flows) {
      for (const f of list) {
        if (f.tunnel === 'none' || !f.outerSrc || !f.outerDst) continue;
        pairTunnel.set([f.outerSrc, f.outerDst].sort().join('|'), f.tunnel);
        if (f.packets[0] > 0) subnetTunnel.set(`${f.outerSrc}>${subnet24(f.outerDst)}`, f.tunnel);
        if (f.packets[1] > 0) subnetTunnel.set(`${f.outerDst}>${subnet24(f.outerSrc)}`, f.tunnel);
      }
    }
    if (pairTunnel.size === 0) return [];

    const paths = new Map<string, BarePath>();
    model.flows.forEach((list, ci) => {
      const cap = model.captures[ci];
      if (!cap || cap.interfaces.some((i) => i.linktype === LINKTYPE_LINUX_SLL)) return;
      const underlay = underlayIfaces(list, nodes);
      for (const f of list) {
        if (f.tunnel !== 'none' || !underlay.has(f.iface) || nodes.has(f.src) || nodes.has(f.dst)) continue;
        const a = nodeOf(model.topology, f.src);
        const b = nodeOf(model.topology, f.dst);
        if (a === f.src || b === f.dst || a === b) continue;
        for (const [dir, from, to, dstIp] of [
          [0, a, b, f.dst],
          [1, b, a, f.src],
        ] as const) {
          if (f.packets[dir] === 0) continue;
          const pair = pairTunnel.get([from, to].sort().join('|')) ?? null;
          const sub = subnetTunnel.get(`${from}>${subnet24(to)}`) ?? null;
          if (!pair && !sub) continue;
          const key = `${from}>${to}`;
          let p = paths.get(key);
          if (!p) paths.set(key, (p = { from, to, cidr: podCidrOf(model, dstIp, to), pairTunnel: pair, subnetTunnel: sub, example: dstIp, evidence: new Map() }));
          let e = p.evidence.get(cap.name);
          if (!e) p.evidence.set(cap.name, (e = { packets: [], count: 0, flows: 0 }));
          e.count += f.packets[dir];
          e.flows++;
          for (const n of [f.firstPacket, f.lastPacket]) if (e.packets.length < 10 && !e.packets.includes(n)) e.packets.push(n);
        }
      }
    });

    const findings: Finding[] = [];
    for (const p of paths.values()) {
      const tunnel = p.pairTunnel ?? p.subnetTunnel!;
      const dev = ROUTE_DEVICE[tunnel] ?? 'the tunnel device';
      const how = p.pairTunnel
        ? `traffic between ${p.from} and ${p.to} is otherwise ${tunnel}-encapsulated`
        : `${p.from} tunnels (${tunnel}) to other nodes on ${p.to}'s subnet`;
      const evidence: Evidence[] = [...p.evidence].map(([capture, e]) => ({ capture, packets: e.packets, count: e.count, note: `${e.count} unencapsulated pod packet(s) ${p.from} → ${p.to} in ${e.flows} flow(s) on an underlay interface` }));
      findings.push({
        id: 'route.unencapsulated-pod-traffic',
        severity: 'error',
        confidence: p.pairTunnel ? 0.85 : 0.7,
        component: 'route',
        node: p.from,
        title: `${p.from} sends pod traffic for ${p.cidr} (node ${p.to}) unencapsulated on the underlay`,
        detail:
          `Packets from pods on ${p.from} to pods on ${p.to} appear on an underlay interface without a tunnel header, while ${how}. ` +
          `${p.from} has no route for ${p.cidr} via its VTEP (expected: via the peer's tunnel address on ${dev}), or a stale host-gw route sends it to the underlay gateway: the underlay does not know pod addresses and drops or misroutes these packets.`,
        evidence,
        remedy: [
          `ip route get ${p.example}   # on ${p.from}: should leave on ${dev}, not the underlay NIC`,
          `ip route show ${p.cidr}   # on ${p.from}`,
          'kubectl -n kube-system logs -l app=flannel --tail=50   # or calico-node: did it program the route?',
        ],
      });
    }
    return findings;
  },
});
