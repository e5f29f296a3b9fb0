import { macString, v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { PairStat } from '../pair-counter.js';
import type { TopologyObservations } from '../topology/collect.js';
import { captureOwners, nodeStateHosts, ownerHints } from '../capture-owner.js';
import { nodeOf } from '../topology/lookup.js';

/**
 * Neighbour resolution on the wire: ARP requests nobody answers (a host-gw next hop on
 * another L2 segment, a VTEP address without its static neighbour entry, a pod that is
 * gone), one IP answered by two MACs, gratuitous ARP flapping, and one pod IP seen
 * behind two nodes (a duplicate or stale address).
 */

function observations(model: Model): TopologyObservations[] {
  return (model.results['topology'] ?? []).filter((o): o is TopologyObservations => o !== undefined);
}

function ev(capture: string, s: PairStat, note: string): Evidence {
  return { capture, packets: s.packets.slice(0, 10), count: s.count, note };
}

export const arpAnalyzer = defineAnalyzer<null, null>({
  name: 'arp',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const findings: Finding[] = [];
    const obs = observations(model);
    const answered = new Set<number>();
    const alive = new Set<number>();
    const macsFor = new Map<number, Map<number, Evidence[]>>();
    for (const o of obs) {
      for (const s of [...o.arpReplies, ...o.arpGratuitous]) {
        answered.add(s.a);
        let m = macsFor.get(s.a);
        if (!m) macsFor.set(s.a, (m = new Map()));
        let l = m.get(s.b);
        if (!l) m.set(s.b, (l = []));
        l.push(ev(o.capture, s, `${v4String(s.a)} is-at ${macString(s.b)}`));
      }
      for (const s of o.l2Src) alive.add(s.b);
    }
    const nodeIps = new Set(model.topology.nodes.map((n) => n.ip));
    const podCidrs = model.topology.podCidrs;
    const inPodCidr = (ip: number) =>
      podCidrs.some((c) => {
        const [base, len] = c.cidr.split('/');
        const b = base!.split('.').map(Number);
        const bn = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
        const l = Number(len);
        return ((ip & ((0xffffffff << (32 - l)) >>> 0)) >>> 0) === bn;
      });

    // Unanswered requests, grouped by target.
    const unanswered = new Map<number, { senders: Set<number>; count: number; ev: Evidence[] }>();
    for (const o of obs) {
      for (const s of o.arpRequests) {
        if (answered.has(s.a) || s.count < 2) continue;
        let u = unanswered.get(s.a);
        if (!u) unanswered.set(s.a, (u = { senders: new Set(), count: 0, ev: [] }));
        u.senders.add(s.b);
        u.count += s.count;
        u.ev.push(ev(o.capture, s, `${v4String(s.b)} asks who-has ${v4String(s.a)} ${s.count}×, no reply`));
      }
    }
    // Next hops between nodes that cannot resolve each other: find the node cut off from the
    // segment (in most failing pairs, answering least) and report the group once.
    const nodePairs: Array<{ sender: number; target: number; u: { senders: Set<number>; count: number; ev: Evidence[] } }> = [];
    const repliesBy = new Map<number, number>();
    for (const o of obs) for (const r of o.arpReplies) repliesBy.set(r.a, (repliesBy.get(r.a) ?? 0) + r.count);
    for (const [target, u] of unanswered) {
      const t = v4String(target);
      const senders = [...u.senders].map(v4String);
      const sender = senders[0]!;
      const isVtepAddr = (target & 0xff) === 0 && inPodCidr(target);
      // The VTEP address asking belongs to a node: name the node, not its flannel.1 address.
      const senderNode = nodeOf(model.topology, sender);
      const isNode = nodeIps.has(t) || (!inPodCidr(target) && senders.some((s) => sameSubnet24(s, t)) && !alive.has(target));
      if (isVtepAddr) {
        findings.push({
          id: 'neighbor.vtep-missing',
          severity: 'error',
          confidence: 0.85,
          component: 'neighbor',
          node: senderNode,
          title: `${senderNode} has no neighbour entry for the remote VTEP address ${t}`,
          detail: `${senderNode} (VTEP address ${sender}) sends ARP requests for ${t}, the VTEP address of a remote node's pod CIDR. flannel programs a permanent neighbour entry for it; with that entry missing the kernel cannot build the inner Ethernet header and pod traffic to that node is never sent.`,
          evidence: u.ev,
          remedy: [`ip neigh show dev flannel.1   # on ${senderNode}: expect ${t} lladdr ${remoteVtepMac(model, t)} PERMANENT`, `ip neigh replace ${t} lladdr ${remoteVtepMac(model, t)} dev flannel.1 nud permanent   # on ${senderNode}`],
        });
      } else if (isNode) {
        for (const snd of u.senders) nodePairs.push({ sender: snd, target, u });
      } else {
        findings.push({
          id: 'arp.unanswered',
          severity: 'warning',
          confidence: 0.6,
          component: 'arp',
          node: sender,
          title: `ARP for ${t} goes unanswered`,
          detail: `${senders.join(', ')} asked for ${t} ${u.count} times without a reply: the host or pod with that address is gone or on another segment.`,
          evidence: u.ev,
          remedy: [`ip neigh show ${t}`, `kubectl get pods -A -o wide | grep -w ${t}`],
        });
      }
    }
    if (nodePairs.length) {
      const score = new Map<number, number>();
      for (const { sender, target } of nodePairs) for (const ip of [sender, target]) score.set(ip, (score.get(ip) ?? 0) + 1);
      // A node that answers ARP for others is on the segment: it counts against being the cut-off one.
      // Broadcasts reach a node's segment mates: a node whose ARP requests no other node's
      // capture hears is the one cut off.
      const owners = captureOwners(model.flows, ownerHints(model.captures.map((c) => c.name), nodeStateHosts(model.nodeState?.nodes ?? [])));
      const heardElsewhere = new Map<number, number>();
      obs.forEach((o) => {
        const ci = model.captures.findIndex((c) => c.name === o.capture);
        const owner = ci >= 0 ? owners[ci]?.ip : undefined;
        for (const r of o.arpRequests) if (owner !== undefined && owner !== v4String(r.b)) heardElsewhere.set(r.b, (heardElsewhere.get(r.b) ?? 0) + 1);
      });
      let isolated = -1;
      let best = -Infinity;
      for (const [ip, n] of score) {
        const s = n - (repliesBy.has(ip) ? 1 : 0) + (nodePairs.some((x) => x.target === ip) ? 0.5 : 0) - 2 * (heardElsewhere.get(ip) ?? 0);
        if (s > best) {
          best = s;
          isolated = ip;
        }
      }
      const iso = v4String(isolated);
      const peers = [...new Set(nodePairs.flatMap((x) => [x.sender, x.target]).filter((ip) => ip !== isolated))].map(v4String);
      const evs = [...new Set(nodePairs.map((x) => x.u))].flatMap((u) => u.ev);
      const count = [...new Set(nodePairs.map((x) => x.u))].reduce((a, u) => a + u.count, 0);
      findings.push({
        id: 'l2-nexthop.unreachable',
        severity: 'error',
        confidence: alive.has(isolated) ? 0.55 : 0.8,
        component: 'l2-nexthop',
        node: iso,
        title: `Node ${iso} and ${peers.join(', ')} cannot resolve each other by ARP: not on one L2 segment`,
        detail:
          `${count} ARP requests between ${iso} and ${peers.join(', ')} go unanswered. ` +
          `With host-gw routing (podCIDR via nodeIP) every node must be on one L2 segment: ${iso} sits behind a router or on another segment, so its next hops cannot answer ARP and pod traffic to and from it is dropped at the first hop.`,
        evidence: evs,
        remedy: [
          `ip route | grep ${iso}   # on ${peers[0] ?? 'the other nodes'}: pod CIDR routes via ${iso}`,
          `ip neigh show ${iso}   # on ${peers[0] ?? 'the other nodes'}: FAILED/INCOMPLETE`,
          `# put ${iso} on the nodes' L2 segment, or switch the CNI to an encapsulating mode (flannel vxlan, Calico IPIP/VXLAN)`,
        ],
      });
    }
    // One IP, two MACs. The node is where the newcomer lives: the MAC that announced itself
    // with a gratuitous ARP or showed up last, placed by a capture that saw it leave its host.
    const owners2 = captureOwners(model.flows, ownerHints(model.captures.map((c) => c.name), nodeStateHosts(model.nodeState?.nodes ?? [])));
    const macHome = new Map<number, string>();
    obs.forEach((o) => {
      const ci = model.captures.findIndex((c) => c.name === o.capture);
      const owner = ci >= 0 ? owners2[ci]?.ip : undefined;
      if (owner) for (const s of o.arpOutgoing) macHome.set(s.a, owner);
    });
    const firstSeen = new Map<string, number>();
    const announced = new Set<string>();
    for (const o of obs) {
      for (const s of [...o.arpReplies, ...o.arpGratuitous]) {
        const k = `${s.a}/${s.b}`;
        firstSeen.set(k, Math.min(firstSeen.get(k) ?? Infinity, s.firstTime));
      }
      for (const s of o.arpGratuitous) announced.add(`${s.a}/${s.b}`);
    }
    for (const [ip, macs] of macsFor) {
      if (macs.size < 2) continue;
      const macList = [...macs.keys()];
      const newcomer = macList.find((m) => announced.has(`${ip}/${m}`)) ?? macList.reduce((a, b) => ((firstSeen.get(`${ip}/${a}`) ?? 0) >= (firstSeen.get(`${ip}/${b}`) ?? 0) ? a : b));
      const home = macHome.get(newcomer);
      const list = macList.map(macString);
      findings.push({
        id: 'arp.conflict',
        severity: 'error',
        confidence: 0.85,
        component: 'arp',
        node: home ?? v4String(ip),
        title: `Two MACs answer for ${v4String(ip)}: ${list.join(', ')}${home ? ` (the newer one, ${macString(newcomer)}, is on ${home})` : ''}`,
        detail:
          `ARP replies for ${v4String(ip)} come from ${list.length} different MACs: a duplicate address (IPAM handed it out twice, or a stale pod still holds it) or a flapping failover. Traffic goes to whichever answered last.` +
          (home ? ` ${macString(newcomer)} claimed the address ${announced.has(`${ip}/${newcomer}`) ? 'with a gratuitous ARP' : 'last'} and lives on ${home}.` : ''),
        evidence: [...macs.values()].flat(),
        remedy: [`arping -D -c 3 ${v4String(ip)}`, `kubectl get pods -A -o wide | grep -w ${v4String(ip)}`, `ls /var/lib/cni/networks/*/   # IPAM allocations on ${home ?? 'each node'}`],
      });
    }
    // One pod IP tunnelled from two nodes.
    const behind = new Map<number, Map<number, Evidence[]>>();
    for (const o of obs) {
      for (const s of o.podIpBehind) {
        let m = behind.get(s.a);
        if (!m) behind.set(s.a, (m = new Map()));
        let l = m.get(s.b);
        if (!l) m.set(s.b, (l = []));
        l.push(ev(o.capture, s, `${v4String(s.a)} arrives from node ${v4String(s.b)}`));
      }
    }
    for (const [ip, nodes] of behind) {
      if (nodes.size < 2 || nodeIps.has(v4String(ip))) continue;
      const list = [...nodes.keys()].map(v4String);
      findings.push({
        id: 'arp.duplicate-pod-ip',
        severity: 'error',
        confidence: 0.8,
        component: 'arp',
        node: list[1] ?? list[0]!,
        title: `Pod IP ${v4String(ip)} is used behind two nodes: ${list.join(' and ')}`,
        detail: `Packets from ${v4String(ip)} are encapsulated by ${list.join(' and ')}. A pod address lives behind exactly one node: one of these is a duplicate (IPAM handed it out twice) or a stale pod that still holds the address; replies go to whichever node the route names.`,
        evidence: [...nodes.values()].flat(),
        remedy: [`kubectl get pods -A -o wide | grep -w ${v4String(ip)}`, `ip route get ${v4String(ip)}   # on each node`, 'ls /var/lib/cni/networks/*/   # IPAM allocations on each node'],
      });
    }
    return findings;
  },
});

function sameSubnet24(a: string, b: string): boolean {
  return a.split('.').slice(0, 3).join('.') === b.split('.').slice(0, 3).join('.');
}

/** The VTEP MAC of the node owning a VTEP address's pod CIDR, as packets show it. */
function remoteVtepMac(model: Model, vtepAddr: string): string {
  const node = nodeOf(model.topology, vtepAddr);
  return model.topology.vteps.find((v) => v.nodeIp === node)?.mac ?? '<remote VTEP MAC>';
}
