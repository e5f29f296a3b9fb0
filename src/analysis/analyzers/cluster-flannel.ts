import { macString, parseMac, parseV4, v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { PairStat } from '../pair-counter.js';
import type { TopologyObservations } from '../topology/collect.js';
import { apiEvidence, clusterIndex, FLANNEL_BACKEND_DATA, FLANNEL_PUBLIC_IP, type ClusterIndex, type IndexedNode } from '../../k8s/cluster-index.js';
import type { NodeStateOne } from '../../nodestate/types.js';

/**
 * flannel's records in the API against what its VTEPs do. Each node's annotations say which
 * MAC its flannel.1 has (backend-data VtepMAC) and which address its tunnels use (public-ip);
 * every peer programs its neighbour and FDB entries from them. So:
 *  - a peer sending to a node's address with a VTEP MAC that is not the annotated one holds a
 *    stale neighbour entry (the classic: flannel.1 recreated after a reboot with a new MAC);
 *  - a peer sending a node's annotated VTEP MAC to another address holds a wrong FDB entry
 *    (from the wire, or from `bridge fdb` in node state);
 *  - a VTEP that sends with another MAC, or from another address, than its annotations say
 *    leaves every peer programmed with the wrong values.
 */

const BROADCAST_OR_MULTICAST = (mac: number) => Math.floor(mac / 2 ** 40) % 2 === 1;

function wire(capture: string, s: PairStat, note: string): Evidence {
  return { capture, packets: s.packets.slice(0, 10), count: s.count, note };
}

function nodeApi(n: IndexedNode, what: 'mac' | 'ip'): Evidence {
  const a = n.node.annotations;
  return what === 'mac'
    ? apiEvidence('Node', n.node.name, null, `annotation ${FLANNEL_BACKEND_DATA}: ${a[FLANNEL_BACKEND_DATA] ?? ''}`)
    : apiEvidence('Node', n.node.name, null, `annotation ${FLANNEL_PUBLIC_IP}: ${a[FLANNEL_PUBLIC_IP] ?? n.node.internalIPs[0] ?? ''}`);
}

function label(idx: ClusterIndex, ip: number): string {
  const n = idx.nodeByIp(ip);
  return n ? `${n.node.name} (${v4String(ip)})` : v4String(ip);
}

function covered(model: Model, ids: string[], node: string): boolean {
  return model.findings.some((f) => ids.includes(f.id) && f.node === node);
}

interface Group {
  sender: number;
  dst: number;
  mac: number;
  target: IndexedNode;
  ev: Evidence[];
  count: number;
}

function group(map: Map<string, Group>, key: string, make: () => Omit<Group, 'ev' | 'count'>, e: Evidence): void {
  let g = map.get(key);
  if (!g) map.set(key, (g = { ...make(), ev: [], count: 0 }));
  g.ev.push(e);
  g.count += e.count;
}

/** The node-state entry of a Kubernetes node: by name, hostname, or one of its addresses. */
function stateOf(n: IndexedNode, states: NodeStateOne[]): NodeStateOne | undefined {
  return states.find(
    (s) => s.name === n.node.name || (s.hostname ?? null) === n.node.name || s.addresses.some((a) => a.family === 'inet' && n.ips.includes(parseV4(a.address) ?? -1)),
  );
}

export const clusterFlannelAnalyzer = defineAnalyzer<null, null>({
  name: 'cluster-flannel',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    if (!model.cluster) return [];
    const idx = clusterIndex(model.cluster);
    const vtepNodes = idx.nodes.filter((n) => n.vtepMac !== null && n.publicIp !== null);
    if (!vtepNodes.length) return [];
    const byMac = new Map<number, IndexedNode>();
    const byPublicIp = new Map<number, IndexedNode>();
    for (const n of vtepNodes) {
      byMac.set(n.vtepMac!, n);
      byPublicIp.set(n.publicIp!, n);
    }
    const obs = (model.results['topology'] ?? []).filter((o): o is TopologyObservations => o !== undefined);

    // What each node's own VTEP sends with: inner source MAC per outer source address.
    const sentMacs = new Map<number, Set<number>>();
    const sentFrom = new Map<number, Map<number, { capture: string; s: PairStat }>>();
    for (const o of obs) {
      for (const s of o.vtepSrc) {
        if (BROADCAST_OR_MULTICAST(s.b)) continue;
        let m = sentMacs.get(s.a);
        if (!m) sentMacs.set(s.a, (m = new Set()));
        m.add(s.b);
        let f = sentFrom.get(s.b);
        if (!f) sentFrom.set(s.b, (f = new Map()));
        if (!f.has(s.a)) f.set(s.a, { capture: o.capture, s });
      }
    }

    const findings: Finding[] = [];
    const annotationStale = new Set<IndexedNode>();
    // A VTEP that sends with a MAC other than its annotation, and never with the annotated one.
    for (const n of vtepNodes) {
      const macs = sentMacs.get(n.publicIp!);
      if (!macs || macs.has(n.vtepMac!) || macs.size !== 1) continue;
      const actual = [...macs][0]!;
      const seen = sentFrom.get(actual)!.get(n.publicIp!)!;
      annotationStale.add(n);
      findings.push({
        id: 'cluster.flannel-vtep-annotation-stale',
        severity: 'error',
        confidence: 0.8,
        component: 'fdb',
        node: v4String(n.publicIp!),
        title: `${n.node.name}'s VTEP sends with MAC ${macString(actual)}, but its flannel annotation says ${macString(n.vtepMac!)}`,
        detail:
          `Every packet ${n.node.name}'s flannel.1 sends carries the inner source MAC ${macString(actual)}, while the Node object's ${FLANNEL_BACKEND_DATA} still says ${macString(n.vtepMac!)}. ` +
          `Peers program their neighbour and FDB entries for ${n.node.name} from that annotation, so their frames reach ${n.node.name} with a destination MAC its VTEP drops. flanneld on ${n.node.name} did not update its annotation (it failed to write to the API, or flannel.1 was recreated behind its back).`,
        evidence: [wire(seen.capture, seen.s, `${n.node.name}'s VTEP sends with ${macString(actual)}`), nodeApi(n, 'mac')],
        remedy: [
          `ip -d link show flannel.1   # on ${n.node.name}: the VTEP's real MAC`,
          `kubectl get node ${n.node.name} -o jsonpath='{.metadata.annotations.flannel\\.alpha\\.coreos\\.com/backend-data}'`,
          `kubectl -n kube-flannel delete pod -l app=flannel --field-selector spec.nodeName=${n.node.name}   # flanneld rewrites the annotation on start`,
        ],
      });
    }

    // A VTEP MAC sent from an address other than the node's public-ip annotation.
    for (const n of vtepNodes) {
      const from = sentFrom.get(n.vtepMac!);
      if (!from || from.has(n.publicIp!)) continue;
      const [ip, seen] = [...from.entries()][0]!;
      findings.push({
        id: 'cluster.flannel-public-ip-mismatch',
        severity: 'warning',
        confidence: 0.7,
        component: 'fdb',
        node: v4String(n.publicIp!),
        title: `${n.node.name}'s VTEP ${macString(n.vtepMac!)} sends from ${v4String(ip)}, but its flannel public-ip is ${v4String(n.publicIp!)}`,
        detail:
          `Peers point their FDB entry for ${macString(n.vtepMac!)} at the public-ip annotation (${v4String(n.publicIp!)}), while ${n.node.name}'s tunnels leave from ${v4String(ip)}. ` +
          `Unless ${v4String(n.publicIp!)} also reaches ${n.node.name}, traffic to its pods is sent to the wrong place (a changed node address, or flanneld bound to another interface: --iface / --public-ip).`,
        evidence: [wire(seen.capture, seen.s, `VTEP ${macString(n.vtepMac!)} sends from ${v4String(ip)}`), nodeApi(n, 'ip')],
        remedy: [
          `ip -o addr show   # on ${n.node.name}: which address should carry the tunnels`,
          `kubectl get node ${n.node.name} -o jsonpath='{.metadata.annotations.flannel\\.alpha\\.coreos\\.com/public-ip}'`,
          `kubectl -n kube-flannel logs -l app=flannel --tail=50   # the interface and address flanneld chose`,
        ],
      });
    }

    // Peers: what their FDB and neighbour entries did, frame by frame.
    const staleNeigh = new Map<string, Group>();
    const wrongFdb = new Map<string, Group>();
    for (const o of obs) {
      for (const s of o.fdbUse) {
        const [dst, mac, sender] = [s.a, s.b, s.c];
        if (BROADCAST_OR_MULTICAST(mac)) continue;
        const owner = byMac.get(mac);
        const target = byPublicIp.get(dst);
        if (owner && owner.publicIp !== dst && !sentFrom.get(mac)?.has(dst) && !annotationStale.has(owner)) {
          group(wrongFdb, `${sender}/${dst}/${mac}`, () => ({ sender, dst, mac, target: owner }), wire(o.capture, s, `${label(idx, sender)} sends frames for ${owner.node.name}'s VTEP MAC ${macString(mac)} to ${label(idx, dst)}`));
        } else if (!owner && target && !annotationStale.has(target)) {
          group(staleNeigh, `${sender}/${dst}/${mac}`, () => ({ sender, dst, mac, target }), wire(o.capture, s, `${label(idx, sender)} sends to ${target.node.name} with inner destination MAC ${macString(mac)}`));
        }
      }
    }
    for (const g of staleNeigh.values()) {
      const sender = v4String(g.sender);
      if (covered(model, ['neighbor.stale-vtep-mac', 'neighbor.node-state-stale'], sender)) continue;
      const name = g.target.node.name;
      findings.push({
        id: 'cluster.flannel-stale-vtep-mac',
        severity: 'error',
        confidence: Math.min(0.95, 0.7 + 0.05 * g.count),
        component: 'neighbor',
        node: sender,
        title: `${label(idx, g.sender)} still sends to ${name} with VTEP MAC ${macString(g.mac)}; the API says ${name}'s VTEP MAC is ${macString(g.target.vtepMac!)}`,
        detail:
          `${name}'s Node object announces its flannel.1 MAC as ${macString(g.target.vtepMac!)}, but ${label(idx, g.sender)} encapsulates frames to ${v4String(g.dst)} with inner destination MAC ${macString(g.mac)}. ` +
          `The neighbour (and FDB) entry for ${name} on the sender still holds an old MAC: typical after ${name} rebooted and its flannel.1 came back with a new MAC while the peer's flanneld missed the update. ${name}'s VTEP drops these frames.`,
        evidence: [...g.ev.slice(0, 5), nodeApi(g.target, 'mac')],
        remedy: [
          `ip neigh show dev flannel.1; bridge fdb show dev flannel.1   # on ${label(idx, g.sender)}: look for ${macString(g.mac)}`,
          `ip neigh replace ${g.target.podCidrs[0] ? g.target.podCidrs[0].text.replace(/\/\d+$/, '') : '<podCIDR network>'} lladdr ${macString(g.target.vtepMac!)} dev flannel.1 nud permanent   # on the sender`,
          `bridge fdb replace ${macString(g.target.vtepMac!)} dev flannel.1 dst ${v4String(g.target.publicIp!)} self permanent   # on the sender`,
          'kubectl -n kube-flannel rollout restart ds/kube-flannel-ds   # flanneld reprograms every peer from the annotations',
        ],
      });
    }
    for (const g of wrongFdb.values()) {
      const sender = v4String(g.sender);
      if (covered(model, ['fdb.wrong-destination', 'fdb.dead-destination'], sender)) continue;
      findings.push(wrongFdbFinding(idx, g.sender, g.target, g.dst, [...g.ev.slice(0, 5), nodeApi(g.target, 'mac'), nodeApi(g.target, 'ip')], g.count));
    }

    // The nodes' own FDB tables (node state) against the annotations.
    for (const holder of idx.nodes) {
      const st = stateOf(holder, model.nodeState?.nodes ?? []);
      if (!st) continue;
      for (const e of st.fdb) {
        const mac = parseMac(e.mac);
        const dst = e.dst === null ? null : parseV4(e.dst);
        if (mac === null || dst === null || BROADCAST_OR_MULTICAST(mac) || mac === 0) continue;
        const owner = byMac.get(mac);
        const sender = holder.publicIp ?? holder.ips[0];
        if (sender === undefined) continue;
        const stateEv: Evidence = { capture: `node-state:${st.name}`, packets: [], count: 1, note: `bridge fdb: ${e.mac} dev ${e.dev ?? '?'} dst ${e.dst}` };
        if (owner && owner.publicIp !== dst && owner !== holder && !sentFrom.get(mac)?.has(dst) && !annotationStale.has(owner)) {
          if (covered(model, ['fdb.wrong-destination', 'fdb.node-state-wrong-destination', 'fdb.node-state-not-a-node'], v4String(sender))) continue;
          // The same entry already seen at work on the wire: the table is one more piece of evidence.
          const same = findings.find((f) => f.id === 'cluster.flannel-fdb-wrong-node' && f.node === v4String(sender) && f.title.includes(macString(mac)));
          if (same) {
            same.evidence.splice(same.evidence.length - 2, 0, stateEv);
            continue;
          }
          // Only the table and the API disagree (no packet shows where that VTEP really is): less sure.
          findings.push({ ...wrongFdbFinding(idx, sender, owner, dst, [stateEv, nodeApi(owner, 'mac'), nodeApi(owner, 'ip')], 1), severity: 'warning', confidence: 0.6 });
        } else if (!owner && e.dev?.startsWith('flannel') && byPublicIp.has(dst) && !sentFrom.get(mac)?.has(dst) && !annotationStale.has(byPublicIp.get(dst)!)) {
          const target = byPublicIp.get(dst)!;
          if (target === holder || findings.some((f) => f.id === 'cluster.flannel-stale-vtep-mac' && f.node === v4String(sender))) continue;
          findings.push({
            id: 'cluster.flannel-fdb-stale-entry',
            severity: 'warning',
            confidence: 0.6,
            component: 'fdb',
            node: v4String(sender),
            title: `${holder.node.name}'s FDB keeps ${macString(mac)} for ${target.node.name}, whose VTEP MAC is ${macString(target.vtepMac!)} per the API`,
            detail: `${holder.node.name} has an FDB entry sending ${macString(mac)} to ${target.node.name} (${v4String(dst)}), but no node announces that MAC in its ${FLANNEL_BACKEND_DATA}. It is left over from an earlier VTEP of ${target.node.name}; if the neighbour entry still uses it, pod traffic to ${target.node.name} is dropped.`,
            evidence: [stateEv, nodeApi(target, 'mac')],
            // The device name is the node's own text: only a plain interface name goes into a command.
            remedy: [`bridge fdb del ${macString(mac)} dev ${/^[\w.@-]{1,15}$/.test(e.dev) ? e.dev : 'flannel.1'} dst ${v4String(dst)}   # on ${holder.node.name}`, `ip neigh show dev flannel.1   # on ${holder.node.name}`],
          });
        }
      }
    }
    return findings;
  },
});

function wrongFdbFinding(idx: ClusterIndex, sender: number, owner: IndexedNode, dst: number, evidence: Evidence[], count: number): Finding {
  const s = label(idx, sender);
  return {
    id: 'cluster.flannel-fdb-wrong-node',
    severity: 'error',
    confidence: Math.min(0.95, 0.7 + 0.05 * count),
    component: 'fdb',
    node: v4String(sender),
    title: `FDB on ${s} sends ${owner.node.name}'s VTEP MAC ${macString(owner.vtepMac!)} to ${label(idx, dst)}, not ${owner.node.name}'s public-ip ${v4String(owner.publicIp!)}`,
    detail:
      `The API says VTEP MAC ${macString(owner.vtepMac!)} belongs to ${owner.node.name}, reachable at ${v4String(owner.publicIp!)} (its flannel annotations). ` +
      `${s} forwards frames for that MAC to ${v4String(dst)}: its FDB entry is stale or wrong, so traffic to ${owner.node.name}'s pods reaches the wrong node and is dropped.`,
    evidence,
    remedy: [
      `bridge fdb show dev flannel.1 | grep -i ${macString(owner.vtepMac!)}   # on ${s}`,
      `bridge fdb replace ${macString(owner.vtepMac!)} dev flannel.1 dst ${v4String(owner.publicIp!)} self permanent   # on ${s}`,
      'kubectl -n kube-flannel rollout restart ds/kube-flannel-ds   # flanneld reprograms the FDB from the annotations',
    ],
  };
}
