import type { Finding } from '../analysis/finding.js';
import { evidence } from '../analysis/finding.js';
import type { Correlation, LossGroup } from './types.js';

/** Loss groups smaller than this are noise (one packet lost to a capture's edge). */
export const MIN_LOST = 2;

function where(name: string, form: LossGroup['lastSeenForm']): string {
  return form === null ? name : `${name} (${form === 'encapsulated' ? 'encapsulated, on the NIC' : 'bare, after decapsulation'})`;
}

function pattern(g: LossGroup): string {
  const p = g.pattern;
  const parts: string[] = [];
  if (p.sizeAbove !== null) parts.push(`size-dependent: packets up to ${p.sizeAbove} bytes (inner IP) get through, ${g.sizes.min}–${g.sizes.max} bytes do not`);
  else if (p.allPackets) parts.push('every packet of these flows');
  else parts.push(`${g.lost} of ${g.lost + g.delivered} packets`);
  if (p.oneDirection) parts.push('one direction only (the replies get through)');
  if (p.dstNode) parts.push(`all headed to node ${p.dstNode}`);
  return parts.join('; ');
}

/**
 * Findings from where lost packets stopped. They localize: the per-capture analyzers say
 * what kind of fault there is; these say between which two points and on which node the
 * packets disappear. When an earlier finding already names the same node, the
 * localization is reported as information backing it, not as a second problem.
 */
export function lossFindings(c: Correlation, earlier: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  for (const g of c.losses) {
    if (g.lost < MIN_LOST) continue;
    const f = lossFinding(g);
    if (!f) continue;
    const backed = earlier.some((e) => e.severity !== 'info' && e.node !== null && e.node === f.node);
    if (backed) {
      f.severity = 'info';
      f.detail += ' This localizes the fault reported above for the same node.';
    }
    out.push(f);
  }
  return out;
}

function lossFinding(g: LossGroup): Finding | null {
  const ev = [evidence(g.lastSeen, g.sample, g.lost, `last seen here; ${g.firstMissing ? `never reached ${where(g.firstMissing, g.firstMissingForm)}` : 'not seen at any later point'}`)];
  const flows = g.flows.slice(0, 3).join(', ') + (g.flows.length > 3 ? ` and ${g.flows.length - 3} more` : '');
  const base = { severity: 'warning' as const, confidence: Math.min(0.9, 0.5 + g.lost / 40), evidence: ev };
  const common = `${g.lost} packet${g.lost === 1 ? '' : 's'} (${flows}); ${pattern(g)}.`;
  switch (g.place) {
    case 'underlay': {
      const mtu = g.pattern.sizeAbove !== null;
      return {
        ...base,
        id: mtu ? 'path.underlay-size-drop' : 'path.underlay-drop',
        component: mtu ? 'mtu' : 'route',
        node: g.toNode,
        title: `Packets leave node ${g.fromNode ?? g.lastSeen} for ${g.toNode ?? g.firstMissing} and never arrive: underlay drop between the nodes${mtu ? `, size-dependent above ${g.pattern.sizeAbove} bytes: MTU` : ''}`,
        detail: `Seen at ${where(g.lastSeen, g.lastSeenForm)}, missing at ${where(g.firstMissing ?? '?', g.firstMissingForm)}: ${common}`,
        remedy: mtu
          ? [`check the MTU of every link between ${g.fromNode ?? 'the nodes'} and ${g.toNode ?? 'the peer'}: ping -M do -s ${Math.max(0, g.sizes.min - 28)} ${g.toNode ?? '<peer>'} from ${g.fromNode ?? 'the source node'}`, 'lower the tunnel device MTU (flannel: --iface-mtu / net-conf.json "MTU") to fit the path']
          : [`check the underlay between ${g.fromNode ?? 'the nodes'} and ${g.toNode ?? 'the peer'} (switch ACLs, cloud security groups, routes): tcpdump on both NICs`],
      };
    }
    case 'destination-node':
      return {
        ...base,
        id: 'path.destination-drop',
        component: 'firewall',
        node: g.toNode ?? g.fromNode,
        title: `Packets arrive on node ${g.fromNode ?? g.lastSeen} but never reach ${g.firstMissingForm === 'bare' ? 'the tunnel device or the pod' : 'the pod'}: dropped on the destination node (decapsulation, firewall or forwarding)`,
        detail: `Seen at ${where(g.lastSeen, g.lastSeenForm)}, missing at ${where(g.firstMissing ?? '?', g.firstMissingForm)}: ${common}`,
        remedy: [
          `on ${g.fromNode ?? 'the destination node'}: nft list ruleset / iptables-save -c (a drop on the tunnel port), ip -d link show (VNI, port), ip -s link (RX errors)`,
        ],
      };
    case 'source-node':
      return {
        ...base,
        id: 'path.source-drop',
        component: 'route',
        node: g.fromNode,
        title: `Packets leave ${g.lastSeen} but never reach ${where(g.firstMissing ?? 'the next point', g.firstMissingForm)}: dropped or misrouted on node ${g.fromNode ?? '?'}`,
        detail: `${common}`,
        remedy: [`on ${g.fromNode ?? 'the source node'}: ip route get <destination>, ip neigh, nft list ruleset`],
      };
    case 'misdirected':
      return {
        ...base,
        id: 'path.misdirected',
        component: 'fdb',
        node: g.fromNode,
        title: `Packets for ${g.pattern.dstNode ? `pods on ${g.pattern.dstNode}` : 'the destination pod'} are sent to ${g.toNode}${g.toNodeOwnsPods === false ? ', which owns no pod CIDR known from the captures or node state' : ''}: stale FDB on ${g.fromNode ?? g.lastSeen}`,
        detail: `Encapsulated at ${where(g.lastSeen, g.lastSeenForm)} toward ${g.toNode}, which does not host the destination: ${common}`,
        remedy: [`on ${g.fromNode ?? 'the source node'}: bridge fdb show dev flannel.1 (the entry for the destination VTEP MAC must point at ${g.pattern.dstNode ?? 'its node'}); restart flanneld to rewrite it`],
      };
    default:
      return null;
  }
}
