import { captureOwners } from '../analysis/capture-owner.js';
import type { Component, Finding } from '../analysis/finding.js';
import { nodeOf } from '../analysis/topology/lookup.js';
import type { LossGroup } from '../correlate/types.js';
import type { Report, ReportFlow } from './report.js';

/**
 * The pod-to-pod path as a report draws it: hops from the source pod through its node's
 * veth, bridge or routing, tunnel device and NIC, across the underlay, and back in on the
 * destination node. Derived from the inferred topology, the flow with the most trouble, the
 * capture owners and the top finding; the renderers (SVG, Markdown) only lay it out.
 */
export type HopKind = 'pod' | 'veth' | 'bridge' | 'vtep' | 'nic' | 'underlay';

export interface PathHop {
  kind: HopKind;
  /** Device or endpoint name: `cni0`, `flannel.1`, `eth0`, `pod 100.96.1.2`. */
  label: string;
  /** Facts known about it: addresses, VNI, MAC, MTU. */
  facts: string[];
  /** Underlay IP of the node the hop is on (null for the underlay, or when unknown). */
  node: string | null;
  /** 0: source side, 1: destination side, -1: the underlay between them. */
  side: 0 | 1 | -1;
  /** Capture points that saw packets here. */
  captures: string[];
}

export interface PathFault {
  /** Index of the segment hops[segment] → hops[segment + 1]. */
  segment: number;
  /** Index into report.findings. */
  finding: number;
  /** Packets the finding counts as lost or affected there. */
  lost: number;
  label: string;
}

export interface PodPath {
  mode: string;
  src: string | null;
  dst: string | null;
  srcNode: string | null;
  dstNode: string | null;
  /** The nodes as labelled: cluster name and address where names are known. */
  srcNodeLabel: string;
  dstNodeLabel: string;
  hops: PathHop[];
  fault: PathFault | null;
  /** Capture points that could not be placed on this path. */
  elsewhere: string[];
}

export interface ModeDevices {
  veth: string;
  /** Bridge, or the host's routing table where the CNI has no bridge. */
  bridge: { kind: 'bridge'; label: string } | null;
  vtep: string | null;
  /** What a short device label cannot say: the devices around it, or the alternatives when packets do not tell them apart. */
  bridgeNote?: string;
  vtepNote?: string;
  /** How pod packets cross the underlay between the nodes. */
  crossing: string;
}

const ENCAPSULATED = 'encapsulated';
const ROUTED = 'routed, not encapsulated';
const SWITCHED = 'switched on the node network, not encapsulated';

const bridged = (label: string) => ({ kind: 'bridge' as const, label });
const CNI0 = bridged('cni0');
const HOST_ROUTING = bridged('host routing');
const CILIUM_HOST = bridged('cilium_host');

/**
 * The devices each CNI mode puts between a pod and its node's NIC, by the mode names
 * topology inference gives. MACVLAN and IPVLAN pods sit on a sub-interface of the node's
 * NIC itself: no veth, bridge or tunnel between them.
 */
const MODE_DEVICES: Readonly<Record<string, ModeDevices>> = {
  'flannel-vxlan': { veth: 'veth', bridge: CNI0, vtep: 'flannel.1', crossing: ENCAPSULATED },
  'flannel-udp': { veth: 'veth', bridge: CNI0, vtep: 'flannel0', crossing: ENCAPSULATED },
  'flannel-host-gw': { veth: 'veth', bridge: CNI0, vtep: null, crossing: ROUTED },
  'calico-ipip': { veth: 'cali* veth', bridge: HOST_ROUTING, vtep: 'tunl0', crossing: ENCAPSULATED },
  'calico-vxlan': { veth: 'cali* veth', bridge: HOST_ROUTING, vtep: 'vxlan.calico', crossing: ENCAPSULATED },
  'calico-bgp': { veth: 'cali* veth', bridge: HOST_ROUTING, vtep: null, crossing: ROUTED },
  'cilium-vxlan': { veth: 'lxc* veth', bridge: CILIUM_HOST, vtep: 'cilium_vxlan', crossing: ENCAPSULATED },
  'cilium-geneve': { veth: 'lxc* veth', bridge: CILIUM_HOST, vtep: 'cilium_geneve', crossing: ENCAPSULATED },
  'cilium-native-routing': { veth: 'lxc* veth', bridge: CILIUM_HOST, vtep: null, crossing: ROUTED },
  'geneve-ovn': { veth: 'veth', bridge: bridged('br-int'), vtep: 'genev_sys_6081', crossing: ENCAPSULATED },
  // Geneve without OVN's option or Cilium's health checks: either of the two.
  'geneve (kube-ovn/ovn or cilium)': { veth: 'veth', bridge: bridged('br-int'), bridgeNote: 'or cilium_host (Cilium)', vtep: 'genev_sys_6081', vtepNote: 'or cilium_geneve (Cilium)', crossing: ENCAPSULATED },
  // Fast datapath: the weave bridge hands packets to the kernel's OVS datapath through vethwe-datapath.
  weave: { veth: 'vethwepl veth', bridge: bridged('weave'), vtep: 'vxlan-6784', vtepNote: 'OVS datapath, from the bridge via vethwe-datapath', crossing: ENCAPSULATED },
  // Sleeve: the weave router reads packets off the bridge (vethwe-pcap) and sends them in UDP 6783 itself.
  'weave-sleeve': { veth: 'vethwepl veth', bridge: bridged('weave'), vtep: 'weaver (sleeve)', vtepNote: 'reads the bridge via vethwe-pcap, sends UDP 6783', crossing: ENCAPSULATED },
  macvlan: { veth: 'macvlan on eth0', bridge: null, vtep: null, crossing: SWITCHED },
  ipvlan: { veth: 'ipvlan on eth0', bridge: null, vtep: null, crossing: SWITCHED },
  vxlan: { veth: 'veth', bridge: bridged('bridge / routing'), vtep: 'vxlan device', crossing: ENCAPSULATED },
  gre: { veth: 'veth', bridge: bridged('bridge / routing'), vtep: 'gre device', crossing: ENCAPSULATED },
  wireguard: { veth: 'veth', bridge: bridged('host routing'), vtep: 'WireGuard device', vtepNote: 'wireguard.cali (Calico), cilium_wg0 (Cilium) or flannel-wg (flannel)', crossing: 'encrypted (WireGuard)' },
};

/** No tunnel was recognised: the packets crossed as they are. */
const UNKNOWN_DEVICES: ModeDevices = { veth: 'veth', bridge: bridged('bridge / routing'), vtep: null, crossing: ROUTED };

/** The devices a CNI mode puts on the path; a mode topology does not name gets generic ones. */
export function devicesOf(mode: string): ModeDevices {
  return MODE_DEVICES[mode] ?? UNKNOWN_DEVICES;
}

/** Whether the report knows the devices of this CNI mode (and does not fall back to generic ones). */
export function knowsMode(mode: string): boolean {
  return Object.hasOwn(MODE_DEVICES, mode);
}

/** Where on a path each component's fault shows: next to the named node's NIC, or on its tunnel device. */
const FAULT_PLACE: Partial<Record<Component, 'underlay' | 'inward' | 'vtep'>> = {
  mtu: 'underlay',
  'l2-nexthop': 'underlay',
  neighbor: 'underlay',
  arp: 'underlay',
  fdb: 'underlay',
  firewall: 'inward',
  route: 'inward',
  'bgp-session': 'inward',
  'bgp-routes': 'inward',
  vni: 'vtep',
  checksum: 'inward',
};

const TROUBLE = (f: ReportFlow) => (f.tcp ? f.tcp.retransmissions[0] + f.tcp.retransmissions[1] + (f.tcp.handshake === 'syn-only' ? 100 : 0) : 0) + (f.packets[1] === 0 ? 5 : 0);

/** The flow the path is drawn for: the most troubled pod-to-pod flow, else the busiest. */
function focusFlow(r: Report): ReportFlow | null {
  const nodes = new Set(r.topology.nodes.map((n) => n.ip));
  const podFlows = r.flows.filter((f) => !nodes.has(f.src) && !nodes.has(f.dst) && f.protoName !== 'arp' && f.src !== f.dst);
  if (!podFlows.length) return null;
  let best = podFlows[0]!;
  for (const f of podFlows) {
    const d = TROUBLE(f) - TROUBLE(best);
    if (d > 0 || (d === 0 && f.packets[0] + f.packets[1] > best.packets[0] + best.packets[1])) best = f;
  }
  return best;
}

function knownNode(r: Report, pod: string | null, outer: string | null): string | null {
  if (pod !== null) {
    const n = nodeOf(r.topology, pod);
    if (n !== pod) return n;
  }
  return outer;
}

/** The cluster's name of an address (`namespace/pod`, node name), when the report has names. */
export function nameOf(r: Report, ip: string | null): string | null {
  const n = ip === null ? undefined : r.names?.[ip];
  if (!n) return null;
  return n.namespace ? `${n.namespace}/${n.name}` : n.name;
}

function nodeLabel(r: Report, ip: string | null): string {
  if (ip === null) return 'node (unknown)';
  const name = nameOf(r, ip) ?? r.topology.nodes.find((x) => x.ip === ip)?.name;
  return name ? `${name} ${ip}` : ip;
}

/** The node a pod's capture point was taken on, as correlation placed it. */
function podNodeFromPoints(r: Report, pod: string | null): string | null {
  if (pod === null) return null;
  return r.correlation?.points.find((p) => p.kind === 'pod' && p.pod === pod)?.node ?? null;
}

/** The first finding that says something is broken (errors and warnings; info is context). */
export function topProblem(r: Report): number {
  return r.findings.findIndex((f) => f.severity !== 'info');
}

export function podPath(r: Report): PodPath {
  const mode = r.topology.cni[0]?.mode ?? 'unknown';
  const dev = devicesOf(mode);
  const flow = focusFlow(r);
  const src = flow?.src ?? null;
  const dst = flow?.dst ?? null;
  const srcNode = knownNode(r, src, flow?.outerSrc ?? null) ?? podNodeFromPoints(r, src);
  const dstNode = knownNode(r, dst, flow?.outerDst ?? null) ?? podNodeFromPoints(r, dst);
  const mtuOf = (a: string | null, b: string | null) => r.topology.mtu.find((m) => m.src === a && m.dst === b) ?? null;

  const side = (s: 0 | 1): PathHop[] => {
    const node = s === 0 ? srcNode : dstNode;
    const pod = s === 0 ? src : dst;
    const hops: PathHop[] = [];
    const podName = nameOf(r, pod);
    hops.push({ kind: 'pod', label: pod ? `pod ${pod}` : 'pod (unknown)', facts: podName ? [podName, 'eth0'] : ['eth0'], node, side: s, captures: [] });
    hops.push({ kind: 'veth', label: dev.veth, facts: [], node, side: s, captures: [] });
    if (dev.bridge) {
      const cidrs = r.topology.podCidrs.filter((c) => c.nodeIp === node).map((c) => c.cidr);
      const facts = cidrs.length ? [`pods ${[...new Set(cidrs)].join(', ')}`] : [];
      if (dev.bridgeNote) facts.push(dev.bridgeNote);
      hops.push({ kind: 'bridge', label: dev.bridge.label, facts, node, side: s, captures: [] });
    }
    if (dev.vtep) {
      const v = r.topology.vteps.find((x) => x.nodeIp === node);
      const facts = v ? [`VNI ${v.vni} UDP ${v.port}`, v.mac] : [];
      const m = s === 0 ? mtuOf(srcNode, dstNode) : mtuOf(dstNode, srcNode);
      if (m) facts.push(`largest inner ${m.largestInner} B`);
      if (dev.vtepNote) facts.push(dev.vtepNote);
      hops.push({ kind: 'vtep', label: dev.vtep, facts, node, side: s, captures: [] });
    }
    const m = s === 0 ? mtuOf(srcNode, dstNode) : mtuOf(dstNode, srcNode);
    hops.push({ kind: 'nic', label: 'eth0', facts: [nodeLabel(r, node), ...(m ? [`largest outer ${m.largestOuter} B`] : [])], node, side: s, captures: [] });
    return hops;
  };
  const a = side(0);
  const b = side(1).reverse();
  const underlay: PathHop = { kind: 'underlay', label: 'underlay', facts: [mode, dev.crossing], node: null, side: -1, captures: [] };
  const hops = [...a, underlay, ...b];

  const ends = { src, dst, srcNode, dstNode };
  const elsewhere = r.correlation ? placeByPoints(r, hops, ends) : placeCaptures(r, hops, flow, ends);
  return { mode, src, dst, srcNode, dstNode, srcNodeLabel: nodeLabel(r, srcNode), dstNodeLabel: nodeLabel(r, dstNode), hops, fault: locateFault(r, hops, ends), elsewhere };
}

interface Ends {
  src: string | null;
  dst: string | null;
  srcNode: string | null;
  dstNode: string | null;
}

/**
 * A capture of one conversation has both ends in every flow, so its owner is a tie. Among
 * tied captures of the same pair, the one that saw the focus flow first (clock offsets
 * applied) is nearer its source: pod-a before pod-b, node1's underlay before node2's.
 */
function sideByTime(r: Report, flow: ReportFlow | null, tied: number[]): Map<number, 0 | 1> {
  const out = new Map<number, 0 | 1>();
  if (!flow || tied.length < 2) return out;
  // Compare one conversation all the tied captures saw: the busiest between the two ends.
  const key = (f: ReportFlow) => `${f.proto} ${f.src}:${f.sport} > ${f.dst}:${f.dport}`;
  const names = new Set(tied.map((i) => r.captures[i]!.name));
  const sawBy = new Map<string, { captures: Set<string>; packets: number }>();
  for (const f of r.flows) {
    if (!names.has(f.capture) || f.src !== flow.src || f.dst !== flow.dst) continue;
    const e = sawBy.get(key(f)) ?? { captures: new Set<string>(), packets: 0 };
    e.captures.add(f.capture);
    e.packets += f.packets[0] + f.packets[1];
    sawBy.set(key(f), e);
  }
  let common: string | null = null;
  let best = -1;
  for (const [k, e] of sawBy) {
    const n = e.captures.size * 1e9 + e.packets;
    if (e.captures.size >= 2 && n > best) [common, best] = [k, n];
  }
  if (common === null) return out;
  const seen: Array<[number, number]> = [];
  for (const i of tied) {
    const c = r.captures[i]!;
    const f = r.flows.find((x) => x.capture === c.name && key(x) === common);
    if (f) seen.push([i, f.firstTime + c.clockOffset]);
  }
  seen.sort((a, b) => a[1] - b[1]);
  seen.forEach(([i], k) => out.set(i, k < seen.length / 2 ? 0 : 1));
  return out;
}

/** Capture points as cross-capture correlation identified them: a pod's eth0, a node's NIC, or a whole node (`-i any`). */
function placeByPoints(r: Report, hops: PathHop[], ends: Ends): string[] {
  const elsewhere: string[] = [];
  const find = (kind: HopKind, s: 0 | 1) => hops.find((h) => h.kind === kind && h.side === s);
  for (const c of r.captures) {
    const pt = r.correlation!.points.find((p) => p.capture === c.name);
    const side: 0 | 1 | null = pt?.node === ends.srcNode && pt?.node !== null ? 0 : pt?.node === ends.dstNode && pt?.node !== null ? 1 : null;
    let hop: PathHop | undefined;
    if (pt?.kind === 'pod') hop = pt.pod === ends.src ? find('pod', 0) : pt.pod === ends.dst ? find('pod', 1) : undefined;
    else if (side !== null && pt?.kind === 'underlay') hop = find('nic', side);
    else if (side !== null && pt?.kind === 'any') hop = find('bridge', side) ?? find('nic', side);
    if (hop) hop.captures.push(c.name);
    else elsewhere.push(c.name);
  }
  return elsewhere;
}

function placeCaptures(r: Report, hops: PathHop[], flow: ReportFlow | null, ends: Ends): string[] {
  const perCapture = r.captures.map((c) => r.flows.filter((f) => f.capture === c.name));
  const owners = captureOwners(perCapture);
  const tiedInner: number[] = [];
  const tiedOuter: number[] = [];
  owners.forEach((o, i) => {
    // Owners told by captured directions are facts; the others may be a tie broken by elimination.
    if (!o || perCapture[i]!.some((f) => f.local)) return;
    if (!flow || !perCapture[i]!.some((f) => f.src === flow.src && f.dst === flow.dst)) return;
    if (o.layer === 'inner' && (o.ip === ends.src || o.ip === ends.dst)) tiedInner.push(i);
    if (o.layer === 'outer' && (o.ip === ends.srcNode || o.ip === ends.dstNode)) tiedOuter.push(i);
  });
  const timed = new Map([...sideByTime(r, flow, tiedInner), ...sideByTime(r, flow, tiedOuter)]);
  const elsewhere: string[] = [];
  r.captures.forEach((c, i) => {
    const known = owners[i];
    const side = timed.get(i);
    const o = known && side !== undefined ? { ...known, ip: (known.layer === 'inner' ? [ends.src, ends.dst] : [ends.srcNode, ends.dstNode])[side]! } : known;
    const find = (kind: HopKind, s: 0 | 1) => hops.find((h) => h.kind === kind && h.side === s);
    let hop: PathHop | undefined;
    if (o && o.layer === 'inner') {
      if (o.ip === ends.src) hop = find('pod', 0);
      else if (o.ip === ends.dst) hop = find('pod', 1);
    }
    if (o && !hop) {
      const anyIface = c.interfaces.some((x) => x.linktypeName.startsWith('LINUX_SLL'));
      const kind: HopKind = anyIface ? 'bridge' : 'nic';
      if (o.ip === ends.srcNode) hop = find(kind, 0) ?? find('nic', 0);
      else if (o.ip === ends.dstNode) hop = find(kind, 1) ?? find('nic', 1);
    }
    if (hop) hop.captures.push(c.name);
    else elsewhere.push(c.name);
  });
  return elsewhere;
}

function packetCount(f: Finding): number {
  let n = 0;
  for (const e of f.evidence) if (!e.capture.startsWith('node-state:')) n = Math.max(n, e.count);
  return n;
}

/** Packets showing the fault: the top finding's, else those of findings on the same component and node (node state cites none). */
function lostCount(r: Report, f: Finding): number {
  let n = packetCount(f);
  for (const g of r.findings) if (n === 0 && g.component === f.component && g.node === f.node) n = packetCount(g);
  return n;
}

/** The correlation's biggest loss on the drawn pod pair, if it followed one. */
function pairLoss(r: Report, ends: Ends): LossGroup | null {
  let best: LossGroup | null = null;
  const pair = `${ends.src} → ${ends.dst}`;
  for (const g of r.correlation?.losses ?? []) {
    if (g.lost > 0 && g.flows.some((f) => f.startsWith(pair) || (f.startsWith(`${ends.src}:`) && f.includes(` → ${ends.dst}:`))) && (!best || g.lost > best.lost)) best = g;
  }
  return best;
}

const LOSS_PLACE: Partial<Record<LossGroup['place'], { place: 'underlay' | 'inward'; side: 0 | 1 }>> = {
  'source-node': { place: 'inward', side: 0 },
  misdirected: { place: 'underlay', side: 0 },
  underlay: { place: 'underlay', side: 1 },
  'destination-node': { place: 'inward', side: 1 },
};

function segmentAt(hops: PathHop[], place: 'underlay' | 'inward' | 'vtep', s: 0 | 1): number {
  const u = hops.findIndex((h) => h.kind === 'underlay');
  const nic = hops.findIndex((h) => h.kind === 'nic' && h.side === s);
  if (place === 'underlay') return s === 0 ? u - 1 : u;
  if (place === 'inward') return s === 0 ? nic - 1 : nic;
  const vtep = hops.findIndex((h) => h.kind === 'vtep' && h.side === s);
  return vtep < 0 ? (s === 0 ? nic - 1 : nic) : s === 0 ? vtep : vtep - 1;
}

/**
 * The failing segment: where the top problem's component and node put it, else where
 * correlation saw the drawn flow's packets stop. The count is correlation's lost packets
 * when it followed them, else the packets the finding cites.
 */
function locateFault(r: Report, hops: PathHop[], ends: Ends): PathFault | null {
  const k = topProblem(r);
  if (k < 0) return null;
  const f = r.findings[k]!;
  const loss = pairLoss(r, ends);
  const byFinding = FAULT_PLACE[f.component];
  const byLoss = loss ? LOSS_PLACE[loss.place] : undefined;
  let segment: number;
  if (byFinding) segment = segmentAt(hops, byFinding, f.node !== null && f.node === ends.srcNode ? 0 : 1);
  else if (byLoss) segment = segmentAt(hops, byLoss.place, byLoss.side);
  else return null;
  const where = f.node ? ` at ${nodeLabel(r, f.node)}` : '';
  if (loss) return { segment, finding: k, lost: loss.lost, label: `${f.component}${where}: ${loss.lost} lost` };
  const cited = lostCount(r, f);
  return { segment, finding: k, lost: cited, label: `${f.component}${where}${cited ? `: ${cited} packet${cited === 1 ? '' : 's'}` : ''}` };
}
