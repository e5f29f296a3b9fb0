import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { NodeStateOne } from '../../nodestate/types.js';
import { OVERHEAD } from './mtu.js';

/**
 * The node's own tables checked against the wire: VXLAN FDB entries that point at IPs
 * that are not nodes, neighbour entries for remote VTEP addresses whose MAC is not the
 * VTEP MAC seen in packets, VTEP MTU versus underlay MTU, missing routes to pod CIDRs
 * seen in traffic, and BGP sessions the daemon reports down.
 */

function nodeIpOf(n: NodeStateOne, model: Model): string | null {
  const nodes = new Set(model.topology.nodes.map((x) => x.ip));
  for (const a of n.addresses) if (a.family === 'inet' && nodes.has(a.address)) return a.address;
  // Else the address on the interface the VXLAN device rides on.
  const vx = n.links.find((l) => l.kind === 'vxlan');
  if (vx?.vxlan?.local) return vx.vxlan.local;
  return n.addresses.find((a) => a.family === 'inet' && a.ifname !== 'lo' && !a.ifname.startsWith('cni') && !a.ifname.startsWith('flannel'))?.address ?? null;
}

function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenS] = cidr.split('/');
  const len = Number(lenS ?? 32);
  const toNum = (s: string) => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
  const b = toNum(base!);
  const v = toNum(ip);
  const size = 2 ** (32 - len);
  return Math.floor(v / size) === Math.floor(b / size);
}

function stateEvidence(n: NodeStateOne, what: string): Evidence {
  return { capture: `node-state:${n.name}`, packets: [], count: 1, note: what };
}

export const nodeStateAnalyzer = defineAnalyzer<null, null>({
  name: 'node-state',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const findings: Finding[] = [];
    const ns = model.nodeState;
    if (!ns) return findings;
    const topoNodes = new Set(model.topology.nodes.map((n) => n.ip));
    const stateNodeIps = new Set<string>();
    for (const n of ns.nodes) {
      const ip = nodeIpOf(n, model);
      if (ip) stateNodeIps.add(ip);
    }
    const knownNodes = new Set([...topoNodes, ...stateNodeIps]);
    const vtepMacOf = new Map<string, Set<string>>();
    for (const v of model.topology.vteps) {
      let s = vtepMacOf.get(v.nodeIp);
      if (!s) vtepMacOf.set(v.nodeIp, (s = new Set()));
      s.add(v.mac.toLowerCase());
    }
    for (const n of ns.nodes) {
      const me = nodeIpOf(n, model);
      const vteps = n.links.filter((l) => l.kind === 'vxlan');
      // FDB entries of VXLAN devices pointing at IPs that are not nodes.
      for (const e of n.fdb) {
        if (!e.dst || !vteps.some((v) => v.ifname === e.dev) || e.mac === '00:00:00:00:00:00') continue;
        // Packets showing the MAC on another node beat everything else as evidence.
        const owner = [...vtepMacOf.entries()].find(([, macs]) => macs.has(e.mac.toLowerCase()))?.[0];
        if (owner && owner !== e.dst) {
          findings.push({
            id: 'fdb.node-state-wrong-destination',
            severity: 'error',
            confidence: 0.95,
            component: 'fdb',
            node: me,
            title: `FDB on ${n.name} maps VTEP ${e.mac} to ${e.dst}, but packets show it on ${owner}`,
            detail: `bridge fdb on ${n.name} says frames for ${e.mac} go to ${e.dst}; the captures show ${owner} sending with that VTEP MAC. The entry is stale.`,
            evidence: [stateEvidence(n, `${e.mac} dev ${e.dev} dst ${e.dst}`)],
            remedy: [`bridge fdb replace ${e.mac} dev ${e.dev} dst ${owner}   # on ${n.name}`],
          });
          continue;
        }
        if (knownNodes.has(e.dst) || owner === e.dst) continue;
        findings.push({
          id: 'fdb.node-state-not-a-node',
          severity: 'error',
          confidence: topoNodes.size ? 0.85 : 0.6,
          component: 'fdb',
          node: me,
          title: `FDB on ${n.name} sends VTEP ${e.mac} to ${e.dst}, which is not a node`,
          detail: `The VXLAN device ${e.dev} on ${n.name} has an FDB entry for ${e.mac} pointing at ${e.dst}, an address that is neither a node seen in the captures nor one in the node state. Frames for that VTEP go nowhere: a stale FDB entry (the node was replaced or renumbered).`,
          evidence: [stateEvidence(n, `${e.mac} dev ${e.dev} dst ${e.dst}`)],
          remedy: [`bridge fdb del ${e.mac} dev ${e.dev} dst ${e.dst}   # on ${n.name}`, 'kubectl get nodes -o wide   # the real node IPs', 'restart flanneld on the node so it reprograms FDB and neighbours'],
        });
      }
      // Neighbour entries on VXLAN devices: the MAC must be the remote VTEP's MAC seen on the wire.
      for (const nb of n.neighbors) {
        if (!nb.lladdr || !vteps.some((v) => v.ifname === nb.dev)) continue;
        const remote = model.topology.podCidrs.find((c) => cidrContains(c.cidr, nb.dst) && c.nodeIp !== me);
        if (!remote) continue;
        const macs = vtepMacOf.get(remote.nodeIp);
        if (!macs || macs.has(nb.lladdr.toLowerCase())) continue;
        findings.push({
          id: 'neighbor.node-state-stale',
          severity: 'error',
          confidence: 0.9,
          component: 'neighbor',
          node: me,
          title: `Neighbour entry on ${n.name}: ${nb.dst} → ${nb.lladdr}, but ${remote.nodeIp}'s VTEP is ${[...macs].join(', ')}`,
          detail: `${nb.dst} is the VTEP address for ${remote.cidr} on ${remote.nodeIp}. ${n.name} resolves it to ${nb.lladdr}, while packets from ${remote.nodeIp} carry VTEP MAC ${[...macs].join(', ')}: the neighbour entry is stale and the remote VTEP drops the frames.`,
          evidence: [stateEvidence(n, `${nb.dst} dev ${nb.dev} lladdr ${nb.lladdr} ${nb.state.join(' ')}`)],
          remedy: [
            `ip neigh replace ${nb.dst} lladdr ${[...macs][0]} dev ${nb.dev} nud permanent   # on ${n.name}`,
            // flannel turns MAC learning off: the new MAC needs its FDB entry too, or frames still go nowhere.
            `bridge fdb replace ${[...macs][0]} dev ${nb.dev} dst ${remote.nodeIp} self permanent   # on ${n.name}`,
          ],
        });
      }
      // VTEP MTU versus the MTU of the device it rides on.
      for (const v of vteps) {
        const lower = n.links.find((l) => l.ifname === v.vxlan?.dev) ?? n.links.find((l) => n.addresses.some((a) => a.address === v.vxlan?.local && a.ifname === l.ifname));
        if (!v.mtu || !lower?.mtu) continue;
        if (v.mtu + OVERHEAD['vxlan']! <= lower.mtu) continue;
        findings.push({
          id: 'mtu.node-state-vtep',
          severity: 'error',
          confidence: 0.9,
          component: 'mtu',
          node: me,
          title: `${v.ifname} MTU ${v.mtu} on ${n.name} does not fit ${lower.ifname} MTU ${lower.mtu}`,
          detail: `A VXLAN VTEP adds 50 bytes: ${v.ifname} can carry at most ${lower.mtu - 50} bytes over ${lower.ifname} (MTU ${lower.mtu}). With ${v.mtu}, full-size pod packets exceed the underlay and are dropped or fragmented.`,
          evidence: [stateEvidence(n, `${v.ifname} mtu ${v.mtu}; ${lower.ifname} mtu ${lower.mtu}`)],
          remedy: [`ip link set dev ${v.ifname} mtu ${lower.mtu - 50}   # on ${n.name}`],
        });
      }
      // Routes for every remote pod CIDR seen in traffic.
      if (n.routes.length) {
        for (const c of model.topology.podCidrs) {
          if (c.nodeIp === me) continue;
          const [base] = c.cidr.split('/');
          // Any route inside or around the pod CIDR counts (Calico announces /26 blocks of a /24).
          const covered = n.routes.some((r) => {
            if (r.dst === 'default' || r.type === 'unreachable' || r.type === 'blackhole') return false;
            const rd = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
            return cidrContains(rd, base!) || cidrContains(c.cidr, rd.split('/')[0]!);
          });
          if (covered) continue;
          findings.push({
            id: 'route.node-state-missing',
            severity: 'error',
            confidence: 0.7,
            component: 'route',
            node: me,
            title: `${n.name} has no route for pod CIDR ${c.cidr} (pods behind ${c.nodeIp})`,
            detail: `Traffic shows pods of ${c.cidr} behind ${c.nodeIp}, but ${n.name}'s routing table has no specific route for it: packets to those pods follow the default route instead of the overlay or next hop.`,
            evidence: [stateEvidence(n, `ip route: nothing covers ${c.cidr}`), ...c.evidence.slice(0, 2).map((e) => ({ ...e, note: `pods of ${c.cidr} seen behind ${c.nodeIp}` }))],
            remedy: [`ip route get ${base!.replace(/\.0$/, '.1')}   # on ${n.name}`, 'restart the CNI agent on the node (flanneld / calico-node) so it reprograms routes'],
          });
        }
      }
      // BGP sessions BIRD reports down.
      for (const b of n.bgp) {
        if (!/bgp/i.test(b.proto) || /established/i.test(b.info) || /^up$/i.test(b.state) && /established/i.test(b.info)) continue;
        // The peer is what is broken when its peers report it down (bad AS, hold timer): name it.
        const peer = b.neighbor ?? /(\d{1,3})[._](\d{1,3})[._](\d{1,3})[._](\d{1,3})/.exec(b.name)?.slice(1, 5).join('.') ?? null;
        findings.push({
          id: 'bgp-session.node-state-down',
          severity: 'error',
          confidence: 0.85,
          component: 'bgp-session',
          node: peer ?? me,
          title: `BGP session ${b.name} on ${n.name}${peer ? ` to ${peer}` : ''} is ${b.state}${b.info ? ` (${b.info})` : ''}`,
          detail: `BIRD on ${n.name} reports the BGP protocol ${b.name} as ${b.state} ${b.info}: routes from that peer (pod CIDRs of other nodes) are not installed.`,
          evidence: [stateEvidence(n, `birdc show protocols: ${b.name} ${b.proto} ${b.state} ${b.info}`)],
          remedy: [`birdc show protocols all ${b.name}   # on ${n.name}`, `birdc show route protocol ${b.name}`],
        });
      }
    }
    return findings;
  },
});
