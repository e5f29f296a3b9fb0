import { macString, v4String } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { PairStat } from '../pair-counter.js';
import type { TopologyObservations } from '../topology/collect.js';

/**
 * Stale or wrong VXLAN forwarding state, read from what senders actually did:
 *  - frames for a VTEP MAC sent to a node that does not own it (wrong/stale FDB entry);
 *  - frames sent to a node with an inner destination MAC that is not that node's VTEP MAC
 *    (stale neighbour entry, e.g. after the remote VTEP was recreated with a new MAC);
 *  - frames sent to an underlay IP that never sends anything back and owns no pod CIDR
 *    (FDB pointing at a dead or wrong node IP);
 *  - a pod CIDR tunnelled to a node other than the one its pods live behind.
 */

function isMulticastMac(mac: number): boolean {
  return Math.floor(mac / 2 ** 40) % 2 === 1;
}

function evidenceOf(capture: string, s: PairStat, note: string): Evidence {
  return { capture, packets: s.packets.slice(0, 10), count: s.count, note };
}

function obs(model: Model): Array<TopologyObservations> {
  return (model.results['topology'] ?? []).filter((o): o is TopologyObservations => o !== undefined);
}

export const fdbAnalyzer = defineAnalyzer<null, null>({
  name: 'fdb',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const all = obs(model);
    const findings: Finding[] = [];
    // Who owns each VTEP MAC: the node that sends with it as inner source.
    const macOwners = new Map<number, Set<number>>();
    const nodeMacs = new Map<number, Set<number>>();
    const sends = new Set<number>(); // underlay IPs seen sending anything tunnelled
    const vnis = new Set<number>();
    for (const o of all) {
      for (const s of o.vtepSrc) {
        vnis.add(Math.floor((s.c % 2 ** 40) / 65536));
        if (isMulticastMac(s.b)) continue;
        let set = macOwners.get(s.b);
        if (!set) macOwners.set(s.b, (set = new Set()));
        set.add(s.a);
        let m = nodeMacs.get(s.a);
        if (!m) nodeMacs.set(s.a, (m = new Set()));
        m.add(s.b);
        sends.add(s.a);
      }
      for (const s of o.podBehindSrc) sends.add(s.a);
      for (const s of o.l2Src) sends.add(s.b);
      for (const s of o.arpReplies) sends.add(s.a);
    }
    // Pod CIDR owners: the node pods of that /24 are seen behind.
    const cidrOwners = new Map<number, Set<number>>();
    for (const o of all) {
      for (const s of o.podBehindSrc) {
        let set = cidrOwners.get(s.b);
        if (!set) cidrOwners.set(s.b, (set = new Set()));
        set.add(s.a);
      }
    }

    type Key = string;
    const wrongDst = new Map<Key, { sender: number; dst: number; owner: number; mac: number; ev: Evidence[]; count: number }>();
    const staleMac = new Map<Key, { sender: number; dst: number; mac: number; current: number[]; ev: Evidence[]; count: number }>();
    const deadDst = new Map<Key, { sender: number; dst: number; mac: number; ev: Evidence[]; count: number }>();
    for (const o of all) {
      for (const s of o.fdbUse) {
        const dst = s.a;
        const mac = s.b;
        const sender = s.c;
        if (isMulticastMac(mac)) continue;
        const owners = macOwners.get(mac);
        if (owners && !owners.has(dst)) {
          const owner = [...owners][0]!;
          const k = `${sender}/${dst}/${mac}`;
          let w = wrongDst.get(k);
          if (!w) wrongDst.set(k, (w = { sender, dst, owner, mac, ev: [], count: 0 }));
          w.count += s.count;
          w.ev.push(evidenceOf(o.capture, s, `${v4String(sender)} sends frames for VTEP MAC ${macString(mac)} to ${v4String(dst)}; that MAC belongs to ${v4String(owner)}`));
        } else if (!owners && nodeMacs.has(dst) && vnis.size === 1) {
          // With several VNIs a node has a VTEP (and MAC) per VNI: an unseen MAC may be another VNI's.
          const k = `${sender}/${dst}/${mac}`;
          let w = staleMac.get(k);
          if (!w) staleMac.set(k, (w = { sender, dst, mac, current: [...nodeMacs.get(dst)!], ev: [], count: 0 }));
          w.count += s.count;
          w.ev.push(evidenceOf(o.capture, s, `${v4String(sender)} sends to ${v4String(dst)} with inner destination MAC ${macString(mac)}; ${v4String(dst)}'s VTEP uses ${[...nodeMacs.get(dst)!].map(macString).join(', ')}`));
        } else if (!owners && !sends.has(dst)) {
          const k = `${sender}/${dst}/${mac}`;
          let w = deadDst.get(k);
          if (!w) deadDst.set(k, (w = { sender, dst, mac, ev: [], count: 0 }));
          w.count += s.count;
          w.ev.push(evidenceOf(o.capture, s, `${v4String(sender)} sends encapsulated frames for MAC ${macString(mac)} to ${v4String(dst)}, which never sends anything back`));
        }
      }
    }
    for (const w of wrongDst.values()) {
      const sender = v4String(w.sender);
      findings.push({
        id: 'fdb.wrong-destination',
        severity: 'error',
        confidence: Math.min(0.95, 0.6 + 0.05 * w.count),
        component: 'fdb',
        node: sender,
        title: `Stale FDB entry on ${sender}: VTEP ${macString(w.mac)} points at ${v4String(w.dst)} instead of ${v4String(w.owner)}`,
        detail:
          `Node ${sender} encapsulates frames for the VTEP MAC ${macString(w.mac)} and sends them to ${v4String(w.dst)}, but that VTEP lives on ${v4String(w.owner)} (it sends with that MAC). ` +
          `The forwarding database (FDB) of the VXLAN device on ${sender} maps the MAC to the wrong node IP, so pod traffic for ${v4String(w.owner)} is delivered to the wrong node and dropped.`,
        evidence: w.ev,
        remedy: [
          `bridge fdb show dev flannel.1 | grep -i ${macString(w.mac)}   # on ${sender}`,
          `bridge fdb replace ${macString(w.mac)} dev flannel.1 dst ${v4String(w.owner)}   # on ${sender}`,
          'kubectl -n kube-flannel rollout restart ds/kube-flannel-ds   # or restart flanneld on the node so it reprograms the FDB',
        ],
      });
    }
    for (const w of staleMac.values()) {
      const sender = v4String(w.sender);
      findings.push({
        id: 'neighbor.stale-vtep-mac',
        severity: 'error',
        confidence: Math.min(0.9, 0.55 + 0.05 * w.count),
        component: 'neighbor',
        node: sender,
        title: `Stale neighbour entry on ${sender}: frames to ${v4String(w.dst)} carry old VTEP MAC ${macString(w.mac)}`,
        detail:
          `Node ${sender} sends encapsulated frames to ${v4String(w.dst)} with inner destination MAC ${macString(w.mac)}, but ${v4String(w.dst)}'s VTEP now uses ${w.current.map(macString).join(', ')}. ` +
          `The neighbour (ARP) entry for the remote VTEP address on ${sender} still holds the old MAC (typical after the remote flannel.1 was recreated), so the receiving VTEP drops the frames.`,
        evidence: w.ev,
        remedy: [
          `ip neigh show dev flannel.1   # on ${sender}: look for ${macString(w.mac)}`,
          `bridge fdb show dev flannel.1 | grep -i ${macString(w.mac)}   # on ${sender}`,
          `ip neigh replace <remote podCIDR>.0 lladdr ${macString(w.current[0] ?? 0)} dev flannel.1 nud permanent   # on ${sender}`,
          `bridge fdb replace ${macString(w.current[0] ?? 0)} dev flannel.1 dst ${v4String(w.dst)} self permanent   # on ${sender}: learning is off, the new MAC needs its own FDB entry`,
        ],
      });
    }
    for (const w of deadDst.values()) {
      const sender = v4String(w.sender);
      const dst = v4String(w.dst);
      const ownsCidr = [...cidrOwners.values()].some((s) => s.has(w.dst));
      findings.push({
        id: 'fdb.dead-destination',
        severity: 'error',
        confidence: ownsCidr ? 0.5 : Math.min(0.9, 0.5 + 0.05 * w.count),
        component: 'fdb',
        node: sender,
        title: `FDB on ${sender} sends VTEP ${macString(w.mac)} to ${dst}, which never answers`,
        detail:
          `Node ${sender} encapsulates frames for ${macString(w.mac)} to the underlay address ${dst}. Nothing in the captures was ever sent by ${dst}` +
          `${ownsCidr ? '' : ' and no pod CIDR is seen behind it'}: the FDB entry on ${sender} points at a node IP that is gone or wrong (stale FDB).`,
        evidence: w.ev,
        remedy: [
          `bridge fdb show dev flannel.1 | grep -i ${macString(w.mac)}   # on ${sender}`,
          `ip route get ${dst}   # on ${sender}: is this still a node?`,
          'kubectl get nodes -o wide; kubectl get node <name> -o jsonpath=\'{.metadata.annotations}\'   # flannel public-ip / backend-data',
        ],
      });
    }
    // Pod CIDR tunnelled to a node other than its owner (route or FDB wrong).
    for (const o of all) {
      for (const s of o.podToDst) {
        const owners = cidrOwners.get(s.b);
        if (!owners || owners.has(s.a) || owners.size !== 1) continue;
        const owner = [...owners][0]!;
        const sender = v4String(s.c);
        if (findings.some((f) => f.node === sender && f.component === 'fdb' && f.id === 'fdb.wrong-destination')) continue;
        findings.push({
          id: 'fdb.pod-cidr-wrong-node',
          severity: 'error',
          confidence: 0.7,
          component: 'fdb',
          node: sender,
          title: `${sender} tunnels traffic for ${v4String(s.b)}/24 to ${v4String(s.a)}, but those pods live behind ${v4String(owner)}`,
          detail: `Encapsulated packets for pods in ${v4String(s.b)}/24 leave ${sender} towards ${v4String(s.a)}, while packets from those pods arrive from ${v4String(owner)}. The route or FDB entry for that pod CIDR on ${sender} points at the wrong node.`,
          evidence: [evidenceOf(o.capture, s, `tunnelled to ${v4String(s.a)}`)],
          remedy: [`ip route get ${v4String(s.b + 1)}   # on ${sender}`, `bridge fdb show dev flannel.1   # on ${sender}`, `ip neigh show dev flannel.1   # on ${sender}`],
        });
      }
    }
    return findings;
  },
});
