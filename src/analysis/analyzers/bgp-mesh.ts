import { BGP_UPDATE, bgpMessageType, pathInfo } from '../../../dissectors/bgp.js';
import type { ClusterState } from '../../k8s/types.js';
import { addrString } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import { captureOwners, nodeStateHosts, ownerHints } from '../capture-owner.js';
import type { Evidence, Finding } from '../finding.js';
import { sessions, type BgpResult } from './bgp.js';

/**
 * The shape of the BGP mesh against the size of the cluster. Calico's default is a full
 * iBGP mesh: every node peers with every other, N(N-1)/2 sessions, fine up to about 100
 * nodes; beyond that route reflectors, with each node peering with one or two of them.
 *
 * A capture only shows the sessions of the host it was taken on, so a node's peer list is
 * judged only where a capture belongs to that node: there, a node with sessions to some
 * nodes but not others (and not the one or two sessions of a route-reflector client) is
 * missing peers, and the pods behind the missing ones are unreachable from it.
 *
 * Two things say a node's few sessions are intended: UPDATEs carrying ORIGINATOR_ID or
 * CLUSTER_LIST (a route reflector at work: its clients learn every route through it), and
 * a cluster whose BGPConfiguration turns the node-to-node mesh off and lists BGPPeers.
 */

/**
 * A speaker that passes on routes it did not originate, as the UPDATEs it sends show: a
 * route reflector adds ORIGINATOR_ID and CLUSTER_LIST (RFC 4456) to every route it reflects.
 */
export interface ReflectorSeen {
  ip: string;
  /** Peers it sent reflected routes to. */
  to: string[];
  originators: string[];
  clusterIds: string[];
  packets: number[];
  count: number;
}

export interface ReflectionResult {
  capture: string;
  reflectors: ReflectorSeen[];
}

/** Bounds per capture: a hostile stream of UPDATEs must not grow the result without limit. */
const MAX_REFLECTORS = 256;
const MAX_LISTED = 16;

function addBounded(list: string[], v: string): void {
  if (list.length < MAX_LISTED && !list.includes(v)) list.push(v);
}

/** Above this many nodes a full mesh costs more sessions (and BGP churn) than it is worth. */
export const FULL_MESH_LIMIT = 100;
/** A route-reflector client peers with one reflector, two for redundancy. */
const RR_CLIENT_MAX_PEERS = 2;

/**
 * The speaker whose sessions a capture holds in full: the capture's owner when it speaks
 * BGP, else the one speaker present in every session the capture saw (two or more).
 */
function observer(r: BgpResult | undefined, owner: string | null, peers: Map<string, Set<string>>): string[] {
  if (!r) return [];
  if (owner && peers.has(owner)) return [owner];
  const pairs = new Set(r.directions.map((d) => [d.from, d.to].sort().join('|')));
  if (pairs.size < 2) return [];
  const inAll = [...peers.keys()].filter((x) => [...pairs].every((p) => p.split('|').includes(x)));
  return inAll.length === 1 ? inAll : [];
}

/**
 * The cluster turned the node-to-node mesh off and lists its peers itself (route reflectors,
 * top-of-rack routers): a node with few sessions is then what was configured, and the
 * configured peers are checked against the sessions elsewhere.
 */
function meshDisabledWithPeers(cluster: ClusterState | null): string | null {
  if (!cluster) return null;
  const configs = cluster.calico.bgpConfigurations;
  const config = configs.find((c) => c.name === 'default') ?? configs[0];
  if (config?.nodeToNodeMeshEnabled !== false || cluster.calico.bgpPeers.length === 0) return null;
  return `BGPConfiguration ${config.name}: nodeToNodeMeshEnabled false; BGPPeer ${cluster.calico.bgpPeers.map((p) => p.name).join(', ')}`;
}

function reflectionEvidence(all: ReadonlyArray<ReflectionResult | undefined>, ips: ReadonlySet<string>): Evidence[] {
  const out: Evidence[] = [];
  for (const r of all) {
    for (const x of r?.reflectors ?? []) {
      if (!ips.has(x.ip)) continue;
      const attrs = [x.originators.length ? `ORIGINATOR_ID ${x.originators.join(', ')}` : '', x.clusterIds.length ? `CLUSTER_LIST ${x.clusterIds.join(', ')}` : ''].filter(Boolean).join(', ');
      out.push({ capture: r!.capture, packets: x.packets, count: x.count, note: `UPDATEs from ${x.ip} to ${x.to.join(', ')} reflect routes (${attrs})` });
    }
  }
  return out;
}

export const bgpMeshAnalyzer = defineAnalyzer<Map<string, ReflectorSeen>, ReflectionResult>({
  name: 'bgp-mesh',
  create: () => new Map(),
  packet(seen, f, p) {
    if (f.firstBgp < 0 || f.innerIp < 0) return;
    const bgpId = p.proto[f.firstBgp]!;
    for (let i = f.firstBgp; i < p.nLayers; i++) {
      if (p.proto[i] !== bgpId || bgpMessageType(p, i) !== BGP_UPDATE) continue;
      const path = pathInfo(p, i);
      if (!path || (path.clusterList.length === 0 && path.originatorId === '')) continue;
      const from = addrString(f.addr, 8);
      // A speaker naming itself as the originator passes on nothing.
      if (path.clusterList.length === 0 && path.originatorId === from) continue;
      let x = seen.get(from);
      if (!x) {
        if (seen.size >= MAX_REFLECTORS) return;
        seen.set(from, (x = { ip: from, to: [], originators: [], clusterIds: [], packets: [], count: 0 }));
      }
      x.count++;
      if (x.packets.length < 10 && x.packets[x.packets.length - 1] !== p.number) x.packets.push(p.number);
      addBounded(x.to, addrString(f.addr, 12));
      if (path.originatorId) addBounded(x.originators, path.originatorId);
      for (const c of path.clusterList) addBounded(x.clusterIds, c);
    }
  },
  finish: (seen, ctx) => ({ capture: ctx.capture, reflectors: [...seen.values()] }),
  diagnose(reflection, model) {
    const results = (model.results['bgp'] ?? []) as Array<BgpResult | undefined>;
    const all = sessions(results);
    // A session counts when both ends speak BGP in it (an OPEN, or messages both ways when the capture started mid-session).
    const peers = new Map<string, Set<string>>();
    const link = (x: string, y: string) => {
      let s = peers.get(x);
      if (!s) peers.set(x, (s = new Set()));
      s.add(y);
    };
    let sessionCount = 0;
    for (const s of all.values()) {
      const both = s.dirs.some((d) => d.from === s.a) && s.dirs.some((d) => d.from === s.b);
      if (!both) continue;
      sessionCount++;
      link(s.a, s.b);
      link(s.b, s.a);
    }
    const speakers = [...peers.keys()];
    if (speakers.length < 2) return [];
    const cluster = new Set(speakers);
    for (const n of model.topology.nodes) if (n.podCidrs.length > 0 || n.roles.includes('bgp-speaker')) cluster.add(n.ip);
    // A pod block learned over BGP names the node behind it, peer or not: in a mesh it would be one.
    for (const c of model.topology.podCidrs) if (c.source === 'bgp') cluster.add(c.nodeIp);
    const n = cluster.size;
    const mesh = (n * (n - 1)) / 2;

    const owners = captureOwners(model.flows, ownerHints(model.captures.map((c) => c.name), nodeStateHosts(model.nodeState?.nodes ?? [])));
    const observed = [...new Set(results.flatMap((r, ci) => observer(r, owners[ci]?.ip ?? null, peers)))];
    const findings: Finding[] = [];
    const clients: string[] = [];
    const reflectors = new Set(reflection.flatMap((r) => r?.reflectors.map((x) => x.ip) ?? []));
    const meshOff = meshDisabledWithPeers(model.cluster);
    let fullMeshSeen = 0;
    for (const x of observed) {
      const mine = peers.get(x)!;
      if (mine.size >= n - 1) {
        fullMeshSeen++;
        continue;
      }
      // A reflector serves the clients it was given, not a mesh.
      if (reflectors.has(x)) continue;
      // Routes reach a client through its reflector: its other sessions are not missing.
      if ([...mine].some((y) => reflectors.has(y))) {
        clients.push(x);
        continue;
      }
      if (meshOff) continue;
      // Every peer a hub (a speaker with sessions to all others) may be a reflector: without the UPDATEs' reflection attributes the two read alike.
      const toHubsOnly = [...mine].every((y) => (peers.get(y)?.size ?? 0) >= n - 1);
      if (mine.size <= RR_CLIENT_MAX_PEERS && (n > RR_CLIENT_MAX_PEERS + 2 || toHubsOnly)) {
        clients.push(x);
        continue;
      }
      const missing = [...cluster].filter((y) => y !== x && !mine.has(y)).sort();
      findings.push({
        id: 'bgp-session.mesh-incomplete',
        severity: 'warning',
        confidence: 0.6,
        component: 'bgp-session',
        node: x,
        title: `${x} has BGP sessions with ${mine.size} of the ${n - 1} other nodes: none with ${missing.join(', ')}`,
        detail:
          `A capture taken on ${x} sees its sessions with ${[...mine].sort().join(', ')} but none with ${missing.join(', ')}. In a full mesh every node peers with every other (${n - 1} sessions each here); ` +
          `with fewer, ${x} learns no routes for the pod blocks behind ${missing.join(', ')} (unless a route reflector passes them on), and they none for ${x}'s pods. ` +
          'The peer is missing from the BGP configuration, or its sessions never come up (port 179 filtered, wrong peer address).',
        evidence: results.flatMap((r) => {
          const mineHere = r?.directions.filter((d) => d.from === x || d.to === x) ?? [];
          return r && mineHere.length ? [{ capture: r.capture, packets: mineHere.flatMap((d) => d.packets).slice(0, 10), count: mineHere.length, note: `BGP messages between ${x} and ${[...new Set(mineHere.map((d) => (d.from === x ? d.to : d.from)))].join(', ')}` }] : [];
        }),
        remedy: [`birdc show protocols   # on ${x}: one "Mesh_..." or "Node_..." protocol per peer`, 'calicoctl get bgpconfiguration default -o yaml   # nodeToNodeMeshEnabled', 'calicoctl get bgppeers -o wide', `calicoctl node status   # on ${x}`],
      });
    }

    const isMesh = clients.length === 0 && (fullMeshSeen > 0 || sessionCount >= mesh);
    const seen = observed.length < n ? ` (captures see the sessions of ${observed.length || 'none'} of the ${n} nodes)` : '';
    if (isMesh && n > FULL_MESH_LIMIT) {
      findings.push({
        id: 'bgp-session.full-mesh-large',
        severity: 'warning',
        confidence: 0.7,
        component: 'bgp-session',
        node: null,
        title: `BGP full mesh across ${n} nodes: ${mesh} sessions`,
        detail: `Every node keeps ${n - 1} BGP sessions and every route change is sent ${n - 1} times. Past about ${FULL_MESH_LIMIT} nodes this load makes BIRD slow to converge and sessions flap under churn; Calico recommends route reflectors at this size.`,
        evidence: [],
        remedy: ['calicoctl get bgpconfiguration default -o yaml   # nodeToNodeMeshEnabled', 'https://docs.tigera.io/calico/latest/networking/configuring/bgp#configure-a-node-to-act-as-a-route-reflector'],
      });
    } else if (n >= 3) {
      const shownReflectors = reflectors.size ? ` (${[...reflectors].sort().join(', ')} reflect${reflectors.size === 1 ? 's' : ''} routes: ORIGINATOR_ID / CLUSTER_LIST on the wire)` : '';
      const shape = clients.length
        ? `BGP with route reflection: ${clients.join(', ')} peer${clients.length === 1 ? 's' : ''} with ${[...new Set(clients.flatMap((c) => [...peers.get(c)!]))].sort().join(', ')} only${shownReflectors}`
        : isMesh
          ? `BGP full mesh: ${n} nodes, ${mesh} sessions`
          : meshOff
            ? `BGP with the node-to-node mesh disabled: ${sessionCount} session${sessionCount === 1 ? '' : 's'} to configured peers among ${n} nodes`
            : `BGP: ${sessionCount} session${sessionCount === 1 ? '' : 's'} seen among ${n} nodes`;
      findings.push({
        id: 'bgp-session.topology',
        severity: 'info',
        confidence: 0.6,
        component: 'bgp-session',
        node: null,
        title: `${shape}${seen}`,
        detail: `A full iBGP mesh needs N(N-1)/2 sessions: ${mesh} for ${n} nodes, ${n - 1} per node, fine below about ${FULL_MESH_LIMIT} nodes; larger clusters use route reflectors so each node keeps one or two sessions. ${sessionCount} session${sessionCount === 1 ? ' was' : 's were'} seen.${meshOff ? ` The cluster declares its peers itself (${meshOff}).` : ''}`,
        evidence: reflectionEvidence(reflection, reflectors),
        remedy: ['calicoctl get bgpconfiguration default -o yaml   # nodeToNodeMeshEnabled', 'calicoctl get bgppeers'],
      });
    }
    return findings;
  },
});
