import { parseCidr, parseV4, v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { BgpResult } from './bgp.js';
import { captureOwners, ownerHints } from '../capture-owner.js';
import { apiEvidence, clusterIndex, type ClusterIndex, type IndexedNode } from '../../k8s/cluster-index.js';
import type { CalicoBGPPeer, K8sNode } from '../../k8s/types.js';

/**
 * Calico's BGP records against the BGP seen on the wire:
 *  - each IPAM block affinity is announced (UPDATE NLRI) with its node as next hop; a block
 *    announced by another node, or a pool /26 no affinity holds, means IPAM and routing disagree;
 *  - the sessions follow BGPConfiguration.nodeToNodeMeshEnabled (every node with every other)
 *    or the BGPPeers (route reflectors): sessions the configuration does not call for, or
 *    configured sessions a node's capture never shows.
 */

interface Session {
  a: string;
  b: string;
  capture: string;
  /** Every capture that saw it. */
  captures: string[];
  packets: number[];
}

function sessionsOf(results: ReadonlyArray<BgpResult | undefined>): Session[] {
  const out = new Map<string, Session>();
  for (const r of results) {
    if (!r) continue;
    for (const d of r.directions) {
      if (!d.open && d.keepalives === 0 && d.updates === 0) continue;
      const [a, b] = [d.from, d.to].sort() as [string, string];
      const k = `${a}|${b}`;
      const had = out.get(k);
      if (!had) out.set(k, { a, b, capture: r.capture, captures: [r.capture], packets: d.packets.slice(0, 10) });
      else if (!had.captures.includes(r.capture)) had.captures.push(r.capture);
    }
  }
  return [...out.values()];
}

/** Calico selectors as used for peerings: all(), has(label), label == 'value'. Null: not understood. */
function selects(selector: string | null, n: K8sNode): boolean | null {
  if (selector === null || selector.trim() === '' || selector.trim() === 'all()') return true;
  const has = /^\s*has\(\s*([\w./-]+)\s*\)\s*$/.exec(selector);
  if (has) return Object.hasOwn(n.labels, has[1]!);
  const eq = /^\s*([\w./-]+)\s*==\s*['"]([^'"]*)['"]\s*$/.exec(selector);
  if (eq) return Object.hasOwn(n.labels, eq[1]!) && n.labels[eq[1]!] === eq[2];
  return null;
}

/** The peers a BGPPeer gives node `n`: node IPs (peerSelector) or an explicit peerIP. Null: unknown. */
function peersOf(p: CalicoBGPPeer, n: IndexedNode, idx: ClusterIndex): number[] | null {
  if (p.node !== null && p.node !== n.node.name) return [];
  if (p.node === null) {
    const s = selects(p.nodeSelector, n.node);
    if (s === null) return null;
    if (!s) return [];
  }
  if (p.peerIP) {
    const ip = parseV4(p.peerIP.split(':')[0]!);
    return ip === null ? null : [ip];
  }
  if (p.peerSelector === null) return null;
  const out: number[] = [];
  for (const m of idx.nodes) {
    const s = selects(p.peerSelector, m.node);
    if (s === null) return null;
    if (s && m !== n && m.publicIp !== null) out.push(m.publicIp);
  }
  return out;
}

/**
 * Which node each capture watched (its owner, with the cluster's node names as hints for
 * `node2-underlay.pcap`), kept when that capture shows the node speaking BGP at all.
 */
function capturedNodes(model: Model, sessions: Session[], idx: ClusterIndex): Map<IndexedNode, string> {
  const names = model.captures.map((c) => c.name);
  const hints = ownerHints(names, idx.nodes.map((n) => ({ name: n.node.name, addresses: n.ips.map(v4String) })));
  const owners = captureOwners(model.flows, hints);
  const out = new Map<IndexedNode, string>();
  owners.forEach((o, i) => {
    if (!o || o.ambiguous) return;
    const n = idx.nodeByIp(parseV4(o.ip) ?? -1);
    const name = names[i]!;
    if (!n || out.has(n)) return;
    if (sessions.some((s) => s.captures.includes(name) && (s.a === o.ip || s.b === o.ip))) out.set(n, name);
  });
  return out;
}

export const clusterCalicoBgpAnalyzer = defineAnalyzer<null, null>({
  name: 'cluster-calico-bgp',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    if (!model.cluster) return [];
    const calico = model.cluster.calico;
    if (!calico.blockAffinities.length && !calico.bgpConfigurations.length && !calico.bgpPeers.length) return [];
    const idx = clusterIndex(model.cluster);
    const results = (model.results['bgp'] ?? []) as ReadonlyArray<BgpResult | undefined>;
    return [...blockFindings(model, idx, results), ...sessionFindings(model, idx, results)];
  },
});

function blockFindings(model: Model, idx: ClusterIndex, results: ReadonlyArray<BgpResult | undefined>): Finding[] {
  const findings: Finding[] = [];
  const affinity = new Map<string, IndexedNode>();
  for (const n of idx.nodes) for (const b of n.blocks) affinity.set(b.text, n);
  const reported = new Set<string>();
  for (const r of results) {
    if (!r) continue;
    for (const a of r.announced) {
      const hop = parseV4(a.nextHop ?? a.from);
      const c = parseCidr(a.prefix);
      if (hop === null || c === null || reported.has(`${a.prefix}@${hop}`)) continue;
      const owner = affinity.get(a.prefix);
      const announcer = idx.nodeByIp(hop);
      if (owner && !owner.ips.includes(hop)) {
        reported.add(`${a.prefix}@${hop}`);
        findings.push({
          id: 'cluster.calico-block-announced-elsewhere',
          severity: 'error',
          confidence: 0.8,
          component: 'bgp-routes',
          node: v4String(hop),
          title: `Block ${a.prefix} is announced with next hop ${announcer ? `${announcer.node.name} (${v4String(hop)})` : v4String(hop)}, but its IPAM affinity is ${owner.node.name}`,
          detail:
            `Calico's BlockAffinity gives ${a.prefix} to ${owner.node.name}, where its pods live; a BGP UPDATE from ${a.from} sends the block to ${v4String(hop)}. ` +
            'Traffic for those pods goes to the wrong node: a stale block left after a node was rebuilt, or a static route exported by BIRD.',
          evidence: [
            { capture: r.capture, packets: [a.packet], count: 1, note: `UPDATE from ${a.from}: ${a.prefix} next hop ${v4String(hop)}` },
            apiEvidence('BlockAffinity', idx.state.calico.blockAffinities.find((b) => b.cidr === a.prefix)?.name ?? a.prefix, null, `spec.cidr ${a.prefix}, spec.node ${owner.node.name}`),
          ],
          remedy: [`calicoctl ipam show --show-blocks`, `birdc show route ${a.prefix} all   # on ${announcer?.node.name ?? v4String(hop)}`, `calicoctl ipam check`],
        });
      } else if (!owner && c.len === (idx.state.calico.ipPools[0]?.blockSize ?? 26) && idx.inPools(c.base)) {
        reported.add(`${a.prefix}@${hop}`);
        findings.push({
          id: 'cluster.calico-block-unallocated',
          severity: 'warning',
          confidence: 0.6,
          component: 'bgp-routes',
          node: v4String(hop),
          title: `${announcer?.node.name ?? v4String(hop)} announces ${a.prefix}, a block no node holds in Calico IPAM`,
          detail: `The block is inside an IP pool but no BlockAffinity names it: it was released (node deleted or block reclaimed) while ${announcer?.node.name ?? v4String(hop)} still routes it. A pod later given an address from it elsewhere becomes unreachable from nodes that follow this route.`,
          evidence: [
            { capture: r.capture, packets: [a.packet], count: 1, note: `UPDATE from ${a.from}: ${a.prefix} next hop ${v4String(hop)}` },
            apiEvidence('IPPool', idx.state.calico.ipPools[0]?.name ?? 'ippool', null, `no BlockAffinity for ${a.prefix}`),
          ],
          remedy: [`calicoctl ipam show --show-blocks`, `birdc show route ${a.prefix} all   # on ${announcer?.node.name ?? v4String(hop)}`, 'calicoctl ipam check --show-problem-ips'],
        });
      }
    }
  }
  // Blocks whose node speaks BGP on the wire but never announces them.
  const updatesFrom = new Set<string>();
  const announced = new Set<string>();
  for (const r of results) {
    if (!r) continue;
    for (const d of r.directions) if (d.updates > 0) updatesFrom.add(d.from);
    for (const a of r.announced) announced.add(a.prefix);
  }
  for (const n of idx.nodes) {
    const ip = n.publicIp === null ? null : v4String(n.publicIp);
    if (ip === null || !updatesFrom.has(ip)) continue;
    if (model.findings.some((f) => f.component === 'bgp-routes' && f.node === ip)) continue;
    for (const b of n.blocks) {
      if (announced.has(b.text)) continue;
      const cap = results.find((r) => r?.directions.some((d) => d.from === ip && d.updates > 0));
      const dir = cap?.directions.find((d) => d.from === ip && d.updates > 0);
      findings.push({
        id: 'cluster.calico-block-not-announced',
        severity: 'error',
        confidence: 0.75,
        component: 'bgp-routes',
        node: ip,
        title: `${n.node.name} sends BGP UPDATEs but never announces its block ${b.text}`,
        detail: `Calico IPAM gives ${b.text} to ${n.node.name}, and ${n.node.name}'s BGP sessions are up (UPDATEs seen), yet no UPDATE carries ${b.text}. Its peers have no route to the pods in that block: BIRD's configuration on ${n.node.name} (rendered by confd) lacks the block.`,
        evidence: [
          ...(cap && dir ? [{ capture: cap.capture, packets: dir.packets.slice(0, 10), count: dir.updates, note: `UPDATEs from ${ip} to ${dir.to} without ${b.text}` } satisfies Evidence] : []),
          apiEvidence('BlockAffinity', idx.state.calico.blockAffinities.find((x) => x.cidr === b.text)?.name ?? b.text, null, `spec.cidr ${b.text}, spec.node ${n.node.name}`),
        ],
        remedy: [`birdc show route export Mesh_${ip.replace(/\./g, '_')}   # on a peer's BIRD, or: birdc show route ${b.text} on ${n.node.name}`, `cat /etc/calico/confd/config/bird.cfg | grep -n ${b.text.split('/')[0]}   # on ${n.node.name}`, `kubectl -n calico-system delete pod -l k8s-app=calico-node --field-selector spec.nodeName=${n.node.name}`],
      });
    }
  }
  return findings;
}

function sessionFindings(model: Model, idx: ClusterIndex, results: ReadonlyArray<BgpResult | undefined>): Finding[] {
  const sessions = sessionsOf(results);
  if (!sessions.length) return [];
  const config = idx.state.calico.bgpConfigurations.find((c) => c.name === 'default') ?? idx.state.calico.bgpConfigurations[0];
  const mesh = config?.nodeToNodeMeshEnabled ?? true;
  const configEv = apiEvidence('BGPConfiguration', config?.name ?? 'default', null, `spec.nodeToNodeMeshEnabled ${config ? String(config.nodeToNodeMeshEnabled ?? 'unset (true)') : 'no BGPConfiguration (mesh is the default)'}`);
  const speakers = idx.nodes.filter((n) => n.publicIp !== null && (n.blocks.length > 0 || sessions.some((s) => n.ips.includes(parseV4(s.a) ?? -1) || n.ips.includes(parseV4(s.b) ?? -1))));
  // Expected peers per node, or null when a BGPPeer's selectors are beyond what is read here.
  const expected = new Map<IndexedNode, Set<number> | null>();
  for (const n of speakers) {
    const set = new Set<number>();
    if (mesh) for (const m of speakers) if (m !== n) set.add(m.publicIp!);
    let known = true;
    for (const p of idx.state.calico.bgpPeers) {
      const peers = peersOf(p, n, idx);
      if (peers === null) known = false;
      else for (const ip of peers) set.add(ip);
    }
    // A node that others peer with by selector (a route reflector) peers with them in turn.
    for (const m of speakers) {
      if (m === n) continue;
      for (const p of idx.state.calico.bgpPeers) if (peersOf(p, m, idx)?.includes(n.publicIp!)) set.add(m.publicIp!);
    }
    expected.set(n, known ? set : null);
  }
  const findings: Finding[] = [];
  const peersText = idx.state.calico.bgpPeers.map((p) => p.name).join(', ');
  // Sessions no configuration calls for (between two cluster nodes).
  for (const s of sessions) {
    const a = idx.nodeByIp(parseV4(s.a) ?? -1);
    const b = idx.nodeByIp(parseV4(s.b) ?? -1);
    if (!a || !b) continue;
    const ea = expected.get(a);
    const eb = expected.get(b);
    if (!ea || !eb || ea.has(b.publicIp!) || eb.has(a.publicIp!)) continue;
    findings.push({
      id: 'cluster.bgp-session-not-configured',
      severity: 'warning',
      confidence: 0.7,
      component: 'bgp-session',
      node: s.a,
      title: `BGP session between ${a.node.name} and ${b.node.name}, which the Calico configuration does not call for`,
      detail:
        `The node-to-node mesh is ${mesh ? 'on' : 'off'}${peersText ? ` and the BGPPeers (${peersText}) do not pair these nodes` : ' and there are no BGPPeers'}, yet ${a.node.name} and ${b.node.name} run a session. ` +
        `A node still running an old BIRD configuration (mesh left on after moving to route reflectors, or the reverse) learns routes the others do not, and paths become asymmetric.`,
      evidence: [{ capture: s.capture, packets: s.packets, count: s.packets.length, note: `BGP between ${s.a} and ${s.b}` }, configEv],
      remedy: [`birdc show protocols   # on ${a.node.name} and ${b.node.name}`, 'kubectl get bgpconfigurations.crd.projectcalico.org,bgppeers.crd.projectcalico.org -o yaml', `kubectl -n calico-system delete pod -l k8s-app=calico-node --field-selector spec.nodeName=${a.node.name}   # re-render BIRD's configuration`],
    });
  }
  // Configured sessions a node's own capture never shows.
  const have = new Set(sessions.map((s) => `${s.a}|${s.b}`));
  const missing = new Set<string>();
  for (const [n, capture] of capturedNodes(model, sessions, idx)) {
    const want = expected.get(n);
    if (!want) continue;
    const me = v4String(n.publicIp!);
    if (model.findings.some((f) => f.component === 'bgp-session' && f.node === me && f.severity !== 'info')) continue;
    for (const peer of want) {
      const other = v4String(peer);
      const pair = [me, other].sort().join('|');
      // One finding per missing session, whichever end's capture shows it first.
      if (have.has(pair) || missing.has(pair)) continue;
      missing.add(pair);
      const peerNode = idx.nodeByIp(peer);
      findings.push({
        id: 'cluster.bgp-session-missing',
        severity: 'warning',
        confidence: 0.6,
        component: 'bgp-session',
        node: me,
        title: `${n.node.name} has no BGP session with ${peerNode ? `${peerNode.node.name} (${other})` : other}, which the Calico configuration calls for`,
        detail:
          `${mesh ? 'The node-to-node mesh is on, so every node peers with every other' : `The BGPPeers (${peersText}) pair ${n.node.name} with ${other}`}; ${capture} shows ${n.node.name}'s BGP traffic but none with ${other}. ` +
          `Routes that should come over that session are missing (with a mesh expected but route reflectors in place, the nodes were moved to reflectors without turning the mesh off, or the reverse).`,
        evidence: [{ capture, packets: [], count: 0, note: `no BGP between ${me} and ${other}` }, configEv],
        remedy: [`birdc show protocols   # on ${n.node.name}`, `nc -zv ${other} 179   # from ${n.node.name}`, 'kubectl get bgpconfigurations.crd.projectcalico.org,bgppeers.crd.projectcalico.org -o yaml'],
      });
    }
  }
  return findings;
}
