import { cidrString, macString, v4String } from '../addr.js';
import { TUNNEL_FLANNEL_UDP, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_IPIP, TUNNEL_VXLAN, TUNNEL_VXLAN_GPE, TUNNEL_WIREGUARD } from '../facts.js';
import type { FlowSummary } from '../flow-table.js';
import type { PairStat } from '../pair-counter.js';
import type { TopologyObservations } from './collect.js';
import type { ArpBinding, CniGuess, FactEvidence, PodCidr, TopoNode, Topology, Vtep } from './types.js';
import type { CniInputs } from './cni-inputs.js';
import type { CniSignals } from './cni-signals.js';
import { ciliumMode } from './cni-cilium.js';
import { ipvlanMode } from './cni-ipvlan.js';
import { macvlanMode } from './cni-macvlan.js';
import { ovnMode } from './cni-ovn.js';
import { weaveMode } from './cni-weave.js';

/** Facts about pod CIDRs learned by other analyzers (BGP NLRI) joined into the topology. */
export interface ExtraPodCidr {
  cidr: string;
  nodeIp: string;
  source: PodCidr['source'];
  evidence: FactEvidence[];
}

export interface BgpHint {
  speakers: string[];
  sessions: number;
  /** Speakers that have sessions with most others (route reflector candidates). */
  reflectors: string[];
}

const CALICO_PROXY_ARP_MAC = 0xeeeeeeeeeeee;

function ev(capture: string, s: PairStat): FactEvidence {
  return { capture, packets: s.packets.slice(0, 5), count: s.count };
}

function mergeEvidence(list: FactEvidence[], e: FactEvidence): void {
  const same = list.find((x) => x.capture === e.capture);
  if (!same) {
    list.push({ ...e, packets: [...e.packets] });
    return;
  }
  same.count += e.count;
  for (const p of e.packets) if (same.packets.length < 5 && !same.packets.includes(p)) same.packets.push(p);
}

class NodeSet {
  readonly byIp = new Map<number, TopoNode>();
  get(ip: number): TopoNode {
    let n = this.byIp.get(ip);
    if (!n) {
      n = { ip: v4String(ip), name: null, macs: [], roles: [], vtepMacs: [], podCidrs: [], evidence: [] };
      this.byIp.set(ip, n);
    }
    return n;
  }
  role(ip: number, role: string, e?: FactEvidence): TopoNode {
    const n = this.get(ip);
    if (!n.roles.includes(role)) n.roles.push(role);
    if (e) mergeEvidence(n.evidence, e);
    return n;
  }
}

function addUnique<T>(list: T[], v: T): void {
  if (!list.includes(v)) list.push(v);
}

/** Merge every capture's observations into one picture of the cluster. */
export function buildTopology(
  obs: ReadonlyArray<TopologyObservations | undefined>,
  flows: FlowSummary[][],
  extraCidrs: ExtraPodCidr[] = [],
  bgp: BgpHint | null = null,
  cniSignals: ReadonlyArray<CniSignals | undefined> = [],
): Topology {
  const nodes = new NodeSet();
  const vteps = new Map<string, Vtep>();
  const cidrs = new Map<string, PodCidr>();
  const arp = new Map<string, ArpBinding>();
  const tunnelKinds = new Set<number>();
  const vnis = new Map<number, Set<number>>(); // port -> VNIs

  const addCidr = (cidr: string, nodeIp: string, source: PodCidr['source'], e: FactEvidence) => {
    const key = `${cidr}@${nodeIp}`;
    let c = cidrs.get(key);
    if (!c) cidrs.set(key, (c = { cidr, nodeIp, source, evidence: [] }));
    mergeEvidence(c.evidence, e);
  };

  for (const o of obs) {
    if (!o) continue;
    for (const k of o.tunnelKinds) tunnelKinds.add(k);
    for (const s of o.vtepSrc) {
      const kind = Math.floor(s.c / 2 ** 40);
      const rest = s.c - kind * 2 ** 40;
      const vni = Math.floor(rest / 65536);
      const port = rest % 65536;
      const mac = macString(s.b);
      const key = `${mac}@${s.a}/${vni}`;
      let v = vteps.get(key);
      if (!v) {
        v = { kind: kind === TUNNEL_GENEVE ? 'geneve' : kind === TUNNEL_VXLAN_GPE ? 'vxlan-gpe' : 'vxlan', mac, nodeIp: v4String(s.a), vni, port, evidence: [] };
        vteps.set(key, v);
      }
      mergeEvidence(v.evidence, ev(o.capture, s));
      const n = nodes.role(s.a, 'vtep', ev(o.capture, s));
      addUnique(n.vtepMacs, mac);
      let set = vnis.get(port);
      if (!set) vnis.set(port, (set = new Set()));
      set.add(vni);
    }
    for (const s of o.vtepDst) nodes.role(s.a, 'tunnel-endpoint');
    for (const s of o.podBehindSrc) {
      nodes.role(s.a, 'tunnel-endpoint', ev(o.capture, s));
      addCidr(cidrString(s.b, 24), v4String(s.a), 'tunnel', ev(o.capture, s));
    }
    for (const s of o.podToDst) nodes.role(s.a, 'tunnel-endpoint');
    for (const s of o.arpReplies) {
      const key = `${s.a}/${s.b}`;
      let b = arp.get(key);
      if (!b) arp.set(key, (b = { ip: v4String(s.a), mac: macString(s.b), replies: 0, gratuitous: 0, evidence: [] }));
      b.replies += s.count;
      mergeEvidence(b.evidence, ev(o.capture, s));
    }
    for (const s of o.arpGratuitous) {
      const key = `${s.a}/${s.b}`;
      let b = arp.get(key);
      if (!b) arp.set(key, (b = { ip: v4String(s.a), mac: macString(s.b), replies: 0, gratuitous: 0, evidence: [] }));
      b.gratuitous += s.count;
      mergeEvidence(b.evidence, ev(o.capture, s));
    }
  }

  // Node MACs: link-layer sources of packets whose IP source is the node itself.
  const macOwner = new Map<number, number>();
  for (const o of obs) {
    if (!o) continue;
    for (const s of o.l2Src) {
      if (nodes.byIp.has(s.b)) {
        addUnique(nodes.get(s.b).macs, macString(s.a));
        macOwner.set(s.a, s.b);
      }
    }
  }
  // ARP replies bind MACs to IPs too; a MAC that answers for an IP and forwards traffic for
  // other IPs is a router: on an unencapsulated pod network (host-gw, Calico BGP) that is a node.
  const arpOwner = new Map<number, number>();
  for (const o of obs) if (o) for (const s of o.arpReplies) if (s.b !== CALICO_PROXY_ARP_MAC) arpOwner.set(s.b, s.a);
  // On an overlay the L2 next hops of pod traffic are the pods' own gateways (cni0), not nodes.
  const overlay = tunnelKinds.size > 0;
  // A MAC that sends packets from a pod /24 and receives packets for it routes that /24:
  // with both directions required, a default router that merely swallows traffic does not count.
  const sourced = new Map<number, Set<number>>();
  for (const o of obs) {
    if (!o) continue;
    for (const s of o.l2Src) {
      let set = sourced.get(s.a);
      if (!set) sourced.set(s.a, (set = new Set()));
      set.add((s.b & 0xffffff00) >>> 0);
    }
  }
  const nextHops: Array<{ owner: number; mac: number; net: number; e: FactEvidence }> = [];
  for (const o of obs) {
    if (!o || overlay) continue;
    for (const s of o.l2Dst) {
      const owner = macOwner.get(s.a) ?? arpOwner.get(s.a);
      if (owner === undefined || owner === s.b) continue;
      const net = (s.b & 0xffffff00) >>> 0;
      if (net === ((owner & 0xffffff00) >>> 0) || !sourced.get(s.a)?.has(net)) continue;
      nextHops.push({ owner, mac: s.a, net, e: ev(o.capture, s) });
    }
  }
  // A pod's bridge gateway (cni0) routes for remote pods too, as seen from the pod; its own
  // address sits inside a /24 that a node routes, so it is the pod side of that node.
  const routedNets = new Set(nextHops.map((h) => h.net));
  for (const h of nextHops) {
    if (routedNets.has((h.owner & 0xffffff00) >>> 0)) continue;
    const n = nodes.role(h.owner, 'next-hop', h.e);
    addUnique(n.macs, macString(h.mac));
    addCidr(cidrString(h.net, 24), v4String(h.owner), 'host-gw', h.e);
  }
  // A /24 nobody sends from, but that senders tunnel to one node: that node's, by their routes.
  const owned = new Set([...cidrs.values()].map((c) => c.cidr));
  for (const o of obs) {
    if (!o) continue;
    for (const s of o.podToDst) {
      const cidr = cidrString(s.b, 24);
      if (!owned.has(cidr)) addCidr(cidr, v4String(s.a), 'tunnel', ev(o.capture, s));
    }
  }
  for (const e of extraCidrs) {
    for (const ev1 of e.evidence) addCidr(e.cidr, e.nodeIp, e.source, ev1);
  }
  if (bgp) for (const sp of bgp.speakers) if (ipNum(sp) >= 0) nodes.role(ipNum(sp), 'bgp-speaker');

  // A pod CIDR whose network holds a node's own underlay address is not a pod CIDR.
  const nodeIps = new Set([...nodes.byIp.keys()]);
  const podCidrs = [...cidrs.values()].filter((c) => {
    const [base] = c.cidr.split('/');
    const b = ipNum(base!);
    for (const ip of nodeIps) if (((ip & 0xffffff00) >>> 0) === b && c.source !== 'bgp') return false;
    return true;
  });
  for (const c of podCidrs) {
    const n = nodes.byIp.get(ipNum(c.nodeIp));
    if (n) addUnique(n.podCidrs, c.cidr);
  }

  const topo: Topology = {
    nodes: [...nodes.byIp.values()].sort((a, b) => ipNum(a.ip) - ipNum(b.ip)),
    vteps: [...vteps.values()],
    podCidrs,
    arp: [...arp.values()],
    mtu: mtuPaths(flows),
    cni: [],
  };
  topo.cni = inferCni({ topology: topo, kinds: tunnelKinds, vnis, flows, signals: cniSignals, bgp });
  return topo;
}

export function ipNum(s: string): number {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return -1;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

const OVERHEAD: Record<string, number> = { vxlan: 50, geneve: 50, 'vxlan-gpe': 50, ipip: 20, gre: 24, 'flannel-udp': 28, wireguard: 60 };

function mtuPaths(flows: FlowSummary[][]): Topology['mtu'] {
  const paths = new Map<string, Topology['mtu'][number]>();
  for (const list of flows) {
    for (const f of list) {
      if (f.tunnel === 'none' || !f.outerSrc || !f.outerDst) continue;
      for (const [dir, src, dst] of [
        [0, f.outerSrc, f.outerDst],
        [1, f.outerDst, f.outerSrc],
      ] as const) {
        if (f.packets[dir] === 0) continue;
        const key = `${src}>${dst}/${f.tunnel}`;
        let p = paths.get(key);
        if (!p) paths.set(key, (p = { src, dst, encapsulation: f.tunnel, largestOuter: 0, largestInner: 0, overhead: OVERHEAD[f.tunnel] ?? 0 }));
        p.largestOuter = Math.max(p.largestOuter, f.maxOuterSize[dir]);
        p.largestInner = Math.max(p.largestInner, f.maxInnerSize[dir]);
      }
    }
  }
  return [...paths.values()];
}

function inferCni(inputs: CniInputs): CniGuess[] {
  const { topology: topo, kinds, vnis, bgp } = inputs;
  const out: CniGuess[] = [];
  const claim = (g: CniGuess | null) => {
    if (g) out.push(g);
    return g;
  };
  const cilium = claim(ciliumMode(inputs));
  const ovn = claim(ovnMode(inputs));
  const seen = (kind: number, portOrProto?: number) => [...kinds].some((k) => Math.floor(k / 65536) === kind && (portOrProto === undefined || k % 65536 === portOrProto));
  const bgpSessions = bgp?.sessions ?? 0;
  if (seen(TUNNEL_VXLAN, 8472) && cilium?.mode !== 'cilium-vxlan') {
    const v = [...(vnis.get(8472) ?? [])];
    if (v.length <= 2 && v.includes(1)) out.push({ mode: 'flannel-vxlan', confidence: 0.9, evidence: [`VXLAN on UDP 8472 with VNI ${v.join(', ')} (flannel's defaults)`] });
    else out.push({ mode: 'flannel-vxlan', confidence: 0.6, evidence: [`VXLAN on UDP 8472 (VNI ${v.join(', ') || 'unknown'})`] });
  }
  if (seen(TUNNEL_VXLAN, 4789)) {
    const v = [...(vnis.get(4789) ?? [])];
    if (v.includes(4096)) out.push({ mode: 'calico-vxlan', confidence: 0.85, evidence: ['VXLAN on UDP 4789 with VNI 4096 (Calico\'s vxlan.calico defaults)'] });
    else out.push({ mode: 'vxlan', confidence: 0.5, evidence: [`VXLAN on UDP 4789 with VNI ${v.join(', ') || 'unknown'}`] });
  }
  claim(weaveMode(inputs));
  if (seen(TUNNEL_GENEVE) && !ovn && cilium?.mode !== 'cilium-geneve') out.push({ mode: 'geneve (kube-ovn/ovn or cilium)', confidence: 0.5, evidence: ['Geneve on UDP 6081'] });
  if (seen(TUNNEL_IPIP)) {
    out.push({ mode: 'calico-ipip', confidence: bgpSessions > 0 ? 0.9 : 0.65, evidence: ['IP-in-IP (protocol 4) between nodes', ...(bgpSessions ? [`${bgpSessions} BGP session(s) on TCP 179`] : [])] });
  }
  if (seen(TUNNEL_GRE)) out.push({ mode: 'gre', confidence: 0.5, evidence: ['GRE (protocol 47) between nodes'] });
  if (seen(TUNNEL_FLANNEL_UDP)) out.push({ mode: 'flannel-udp', confidence: 0.85, evidence: ['raw IP inside UDP 8285 (flannel\'s UDP backend)'] });
  if (seen(TUNNEL_WIREGUARD)) out.push({ mode: 'wireguard', confidence: 0.5, evidence: ['WireGuard on UDP 51820 (Calico/Cilium/flannel encryption)'] });
  const tunnelled = kinds.size > 0;
  const hostGwCidrs = topo.podCidrs.filter((c) => c.source === 'host-gw');
  if (bgpSessions > 0 && !seen(TUNNEL_IPIP)) {
    const n = bgp?.speakers.length ?? 0;
    const mesh = bgp && bgp.reflectors.length > 0 ? `route reflector ${bgp.reflectors.join(', ')}` : bgpSessions >= (n * (n - 1)) / 2 ? 'full mesh' : `${n} speakers`;
    out.push({ mode: 'calico-bgp', confidence: tunnelled ? 0.5 : 0.85, evidence: [`${bgpSessions} BGP session(s) on TCP 179 (${mesh})`, ...(hostGwCidrs.length ? [`${hostGwCidrs.length} pod CIDR(s) routed without encapsulation`] : [])] });
  } else if (!tunnelled && hostGwCidrs.length > 0) {
    out.push({ mode: 'flannel-host-gw', confidence: 0.6, evidence: [`pod CIDRs routed via node next hops without encapsulation: ${hostGwCidrs.map((c) => `${c.cidr} via ${c.nodeIp}`).join(', ')}`] });
  }
  claim(ipvlanMode(inputs));
  claim(macvlanMode(inputs));
  return out.sort((a, b) => b.confidence - a.confidence);
}
