import { v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { PairStat } from '../pair-counter.js';
import type { TopologyObservations } from '../topology/collect.js';
import { apiEvidence, clusterIndex, type ClusterIndex, type IndexedNode } from '../../k8s/cluster-index.js';
import { declaredCni } from '../../k8s/cni.js';

/**
 * Where pod addresses come from on the wire against where the API puts them: a pod IP seen
 * behind a node other than its pod's spec.nodeName (a duplicate or stale address), and pod
 * addresses behind a node outside that node's allocation (flannel: spec.podCIDR; Calico:
 * its IPAM block affinities). "Behind a node" is the outer source of a tunnelled packet, or
 * for unencapsulated pod networks the node MAC that routed it.
 */

interface Sighting {
  pod: number;
  node: IndexedNode;
  capture: string;
  stat: PairStat;
}

function sightings(model: Model, idx: ClusterIndex): Sighting[] {
  const obs = (model.results['topology'] ?? []).filter((o): o is TopologyObservations => o !== undefined);
  const out: Sighting[] = [];
  for (const o of obs) {
    for (const s of o.podIpBehind) {
      const node = idx.nodeByIp(s.b);
      if (node && !node.ips.includes(s.a)) out.push({ pod: s.a, node, capture: o.capture, stat: s });
    }
  }
  // Unencapsulated: the link-layer source of a packet from a pod address is the node that routed it.
  // Node MACs: link-layer sources of packets sent from a node's own address. A MAC that sends
  // for several nodes is a router between segments, not a node.
  const macNode = new Map<number, IndexedNode | null>();
  for (const o of obs) {
    for (const s of o.l2Src) {
      const node = idx.nodeByIp(s.b);
      if (!node) continue;
      const had = macNode.get(s.a);
      if (had === undefined) macNode.set(s.a, node);
      else if (had !== node) macNode.set(s.a, null);
    }
  }
  for (const o of obs) {
    for (const s of o.l2Src) {
      const node = macNode.get(s.a);
      if (!node || node.ips.includes(s.b) || idx.nodeByIp(s.b)) continue;
      out.push({ pod: s.b, node, capture: o.capture, stat: s });
    }
  }
  return out;
}


function wire(x: Sighting, note: string): Evidence {
  return { capture: x.capture, packets: x.stat.packets.slice(0, 10), count: x.stat.count, note };
}

function behind(x: Sighting): string {
  return `${v4String(x.pod)} comes from behind ${x.node.node.name} (${v4String(x.node.publicIp ?? x.node.ips[0]!)})`;
}

export const clusterPodPlacementAnalyzer = defineAnalyzer<null, null>({
  name: 'cluster-pod-placement',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    if (!model.cluster) return [];
    const idx = clusterIndex(model.cluster);
    const calico = (declaredCni(model.cluster)?.mode ?? '').startsWith('calico') && model.cluster.calico.blockAffinities.length > 0;
    const all = sightings(model, idx);
    const findings: Finding[] = [];
    const wrongNode = new Map<string, { x: Sighting; api: IndexedNode; podName: string; ev: Evidence[] }>();
    const outside = new Map<string, { x: Sighting; owner: IndexedNode | undefined; ev: Evidence[] }>();
    for (const x of all) {
      const pods = idx.podsAt(x.pod);
      const there = pods.filter((p) => p.node === x.node.node.name);
      const elsewhere = pods.filter((p) => p.node !== null && p.node !== x.node.node.name);
      if (pods.length && !there.length && elsewhere.length) {
        const p = elsewhere[0]!;
        const api = idx.nodeByName(p.node!);
        if (!api) continue;
        const k = `${x.pod}@${x.node.node.name}`;
        let w = wrongNode.get(k);
        if (!w) wrongNode.set(k, (w = { x, api, podName: `${p.namespace}/${p.name}`, ev: [] }));
        if (w.ev.length < 5) w.ev.push(wire(x, behind(x)));
        continue;
      }
      const ranges = calico ? x.node.blocks : x.node.podCidrs;
      // A node without spec.podCIDR says nothing; a Calico node without blocks owns no pod address.
      if ((!calico && !ranges.length) || ranges.some((c) => ((x.pod & (c.len === 0 ? 0 : (0xffffffff << (32 - c.len)) >>> 0)) >>> 0) === c.base)) continue;
      const owner = idx.ownerOf(x.pod, calico ? 'blocks' : 'podCidrs');
      // An address no allocation covers (a node's own secondary address, a service VIP) says nothing.
      if (!owner || owner === x.node) continue;
      const k = `${x.node.node.name}/${owner.node.name}`;
      let w = outside.get(k);
      if (!w) outside.set(k, (w = { x, owner, ev: [] }));
      if (w.ev.length < 5) w.ev.push(wire(x, behind(x)));
    }
    for (const w of wrongNode.values()) {
      const seenAt = w.x.node;
      const seenIp = v4String(seenAt.publicIp ?? seenAt.ips[0]!);
      const [ns, name] = w.podName.split('/') as [string, string];
      findings.push({
        id: 'cluster.pod-ip-on-wrong-node',
        severity: 'error',
        confidence: Math.min(0.9, 0.6 + 0.05 * w.x.stat.count),
        component: 'cluster-state',
        node: seenIp,
        title: `${v4String(w.x.pod)} (${w.podName}) is sent from ${seenAt.node.name}, but the API runs that pod on ${w.api.node.name}`,
        detail:
          `The API says ${w.podName} has ${v4String(w.x.pod)} and runs on ${w.api.node.name}; packets from that address leave ${seenAt.node.name}. ` +
          `Either a pod on ${seenAt.node.name} holds the same address (IPAM handed it out twice, or a deleted pod's sandbox still has it) or routes for it point at the wrong node; replies and Service traffic for ${w.podName} can reach the wrong pod.`,
        evidence: [...w.ev, apiEvidence('Pod', name, ns, `status.podIP ${v4String(w.x.pod)}, spec.nodeName ${w.api.node.name}`)],
        remedy: [
          `kubectl get pods -A -o wide --field-selector spec.nodeName=${seenAt.node.name} | grep -w ${v4String(w.x.pod)}`,
          `ip -o addr | grep -w ${v4String(w.x.pod)}; ip route get ${v4String(w.x.pod)}   # on ${seenAt.node.name}: which interface or pod holds it`,
          `crictl pods --state NotReady   # on ${seenAt.node.name}: sandboxes of deleted pods that kept their address`,
        ],
      });
    }
    for (const w of outside.values()) {
      const at = w.x.node;
      const ranges = (calico ? at.blocks : at.podCidrs).map((c) => c.text).join(', ') || 'none';
      const ownerRanges = w.owner ? (calico ? w.owner.blocks : w.owner.podCidrs).map((c) => c.text).join(', ') : '';
      const what = calico ? 'IPAM block affinities' : 'spec.podCIDR';
      findings.push({
        id: calico ? 'cluster.calico-block-wrong-node' : 'cluster.pod-cidr-mismatch',
        severity: 'error',
        confidence: 0.7,
        component: 'route',
        node: v4String(at.publicIp ?? at.ips[0]!),
        title: `Pod addresses of ${w.owner!.node.name}'s ${calico ? 'block' : 'pod CIDR'} ${ownerRanges} come from behind ${at.node.name} (its ${what}: ${ranges})`,
        detail:
          `The API allocates ${ownerRanges} to ${w.owner!.node.name}, yet packets from ${v4String(w.x.pod)} leave ${at.node.name}, whose ${what} ${ranges.includes(',') ? 'are' : 'is'} ${ranges}. ` +
          (calico
            ? `Calico's IPAM on ${at.node.name} assigned an address from a block it does not own (a borrowed or stale block), so routes announced for the block send replies to ${w.owner!.node.name}.`
            : `The CNI on ${at.node.name} hands out addresses from a range the cluster gave another node (a stale /run/flannel/subnet.env or host-local IPAM state after the node was re-registered), so every other node routes replies to ${w.owner!.node.name}.`),
        evidence: [
          ...w.ev,
          calico
            ? apiEvidence('BlockAffinity', idx.state.calico.blockAffinities.find((a) => a.node === w.owner!.node.name)?.name ?? w.owner!.node.name, null, `spec.node ${w.owner!.node.name}, spec.cidr ${ownerRanges}`)
            : apiEvidence('Node', at.node.name, null, `spec.podCIDR ${ranges}`),
        ],
        remedy: calico
          ? [`calicoctl ipam show --show-blocks`, `kubectl get blockaffinities.crd.projectcalico.org -o wide | grep -e ${at.node.name} -e ${w.owner!.node.name}`, `calicoctl ipam check`]
          : [`cat /run/flannel/subnet.env   # on ${at.node.name}: FLANNEL_SUBNET must be ${ranges}`, `ls /var/lib/cni/networks/cbr0/   # on ${at.node.name}: host-local IPAM leases`, `kubectl get node ${at.node.name} -o jsonpath='{.spec.podCIDR}'`],
      });
    }
    return findings;
  },
});
