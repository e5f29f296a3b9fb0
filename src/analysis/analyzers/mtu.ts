import { addrString } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { Model } from '../model.js';
import type { IcmpResult } from './icmp.js';
import { nodeOf } from '../topology/lookup.js';
import { TUNNEL_NAMES, type PacketFacts } from '../facts.js';

/**
 * MTU and path-MTU trouble: size-dependent loss (small packets and handshakes pass,
 * full-size segments are retransmitted), ICMP frag-needed / packet-too-big, outer
 * fragmentation of tunnel packets, and MSS values larger than the tunnel carries.
 */

/** Encapsulation overhead on an IPv4 underlay, bytes added to the inner IP packet. */
export const OVERHEAD: Record<string, number> = { vxlan: 50, geneve: 50, 'vxlan-gpe': 50, ipip: 20, gre: 24, 'flannel-udp': 28, wireguard: 60, none: 0 };
const DEFAULT_UNDERLAY_MTU = 1500;

interface Fragments {
  src: string;
  dst: string;
  proto: number;
  count: number;
  maxLen: number;
  packets: number[];
}

/** Sizes that got through and sizes that did not, on one path (outer node pair, or inner pair when unencapsulated). */
export interface PathSizes {
  src: string;
  dst: string;
  tunnel: string;
  delivered: number;
  deliveredCount: number;
  lostMin: number;
  lostMax: number;
  lostCount: number;
  lostPackets: number[];
  deliveredPackets: number[];
}

interface MtuResult {
  capture: string;
  fragments: Fragments[];
  paths: PathSizes[];
}

interface Echo {
  size: number;
  path: PathSizes;
  packet: number;
}

interface State {
  frags: Map<string, Fragments>;
  paths: Map<string, PathSizes>;
  /** Outstanding echo requests by inner src|dst|id|seq (bounded; oldest dropped). */
  echoes: Map<string, Echo>;
}

const MAX_ECHOES = 20000;

function pathFor(s: State, f: PacketFacts): PathSizes | null {
  const tunnelled = f.tunnelKind !== 0;
  const src = addrString(f.addr, tunnelled ? 0 : 8);
  const dst = addrString(f.addr, tunnelled ? 4 : 12);
  const tunnel = TUNNEL_NAMES[f.tunnelKind] ?? 'none';
  const key = `${src}>${dst}|${tunnel}`;
  let p = s.paths.get(key);
  if (!p) {
    if (s.paths.size > 5000) return null;
    s.paths.set(key, (p = { src, dst, tunnel, delivered: 0, deliveredCount: 0, lostMin: Infinity, lostMax: 0, lostCount: 0, lostPackets: [], deliveredPackets: [] }));
  }
  return p;
}

function delivered(p: PathSizes, size: number, packet: number): void {
  p.deliveredCount++;
  if (size > p.delivered) {
    p.delivered = size;
    p.deliveredPackets.unshift(packet);
    if (p.deliveredPackets.length > 5) p.deliveredPackets.pop();
  }
}

function lost(p: PathSizes, size: number, packet: number): void {
  p.lostCount++;
  if (size < p.lostMin) p.lostMin = size;
  if (size > p.lostMax) p.lostMax = size;
  if (p.lostPackets.length < 10) p.lostPackets.push(packet);
}

function copyPath(p: PathSizes): PathSizes {
  return { ...p, lostPackets: p.lostPackets.slice(), deliveredPackets: p.deliveredPackets.slice() };
}

function underlayMtu(model: Model, nodeIp: string | null): number {
  if (!model.nodeState || !nodeIp) return DEFAULT_UNDERLAY_MTU;
  for (const n of model.nodeState.nodes) {
    const addr = n.addresses.find((a) => a.address === nodeIp);
    if (!addr) continue;
    const link = n.links.find((l) => l.ifname === addr.ifname);
    if (link?.mtu) return link.mtu;
  }
  return DEFAULT_UNDERLAY_MTU;
}

interface PairSizes {
  src: string;
  dst: string;
  tunnel: string;
  /** Capture points where everything lost was bigger than everything delivered, and where it was not. */
  sizeDependent: number;
  contradicted: number;
  delivered: number;
  deliveredCount: number;
  lostMin: number;
  lostMax: number;
  lostCount: number;
  evidence: Evidence[];
}

/** Every capture's path sizes folded onto node pairs (pod pairs mapped to their nodes). */
function pairSizes(model: Model, results: ReadonlyArray<MtuResult | undefined>): PairSizes[] {
  const pairs = new Map<string, PairSizes>();
  const get = (src: string, dst: string, tunnel: string) => {
    const key = `${src}>${dst}`;
    let x = pairs.get(key);
    if (!x) pairs.set(key, (x = { src, dst, tunnel, sizeDependent: 0, contradicted: 0, delivered: 0, deliveredCount: 0, lostMin: Infinity, lostMax: 0, lostCount: 0, evidence: [] }));
    if (x.tunnel === 'none' && tunnel !== 'none') x.tunnel = tunnel;
    return x;
  };
  results.forEach((r, ci) => {
    if (!r) return;
    // Acknowledged TCP segments on a path are deliveries as good as answered pings.
    const acked = new Map<string, number>();
    for (const f of model.flows[ci] ?? []) {
      if (!f.tcp?.maxAckedSize) continue;
      const k = f.outerSrc ? `${f.outerSrc}>${f.outerDst}|${f.tunnel}` : `${f.src}>${f.dst}|none`;
      acked.set(k, Math.max(acked.get(k) ?? 0, f.tcp.maxAckedSize));
    }
    for (const path of r.paths) {
      const ack = acked.get(`${path.src}>${path.dst}|${path.tunnel}`) ?? 0;
      const p = ack > path.delivered ? { ...path, delivered: ack, deliveredCount: path.deliveredCount + 1 } : path;
      const tunnelled = p.tunnel !== 'none';
      const x = get(tunnelled ? p.src : nodeOf(model.topology, p.src), tunnelled ? p.dst : nodeOf(model.topology, p.dst), p.tunnel);
      // Inner sizes are comparable across capture points; overhead is added when reporting.
      // Each capture point judges on its own (a stray loss elsewhere must not mask the pattern).
      if (p.lostCount >= 2 && p.deliveredCount >= 1 && p.lostMin > p.delivered) x.sizeDependent++;
      else if (p.lostCount >= 2 && p.lostMin <= p.delivered) x.contradicted++;
      if (p.delivered > x.delivered) x.delivered = p.delivered;
      x.deliveredCount += p.deliveredCount;
      if (p.lostCount && p.lostMin > p.delivered) {
        x.lostMin = Math.min(x.lostMin, p.lostMin);
        x.lostMax = Math.max(x.lostMax, p.lostMax);
        x.lostCount += p.lostCount;
        x.evidence.push({ capture: model.captures[ci]!.name, packets: p.lostPackets, count: p.lostCount, note: `${p.lostMin === p.lostMax ? p.lostMin : `${p.lostMin}–${p.lostMax}`}-byte packets ${p.src} → ${p.dst} never answered or retransmitted` });
      }
      if (p.deliveredCount && p.deliveredPackets.length) {
        x.evidence.push({ capture: model.captures[ci]!.name, packets: p.deliveredPackets, count: p.deliveredCount, note: `packets up to ${p.delivered} bytes ${p.src} → ${p.dst} get through` });
      }
    }
  });
  return [...pairs.values()];
}

export const mtuAnalyzer = defineAnalyzer<State, MtuResult>({
  name: 'mtu',
  create: () => ({ frags: new Map(), paths: new Map(), echoes: new Map() }),
  packet(s, f, p, ctx) {
    // Echo requests answered prove their size got through; unanswered ones are lost.
    if (f.icmp >= 0 && f.quotedIp < 0 && f.innerIp >= 0) {
      const v6 = f.ids.icmpv6 === p.proto[f.icmp];
      const req = v6 ? 128 : 8;
      const rep = v6 ? 129 : 0;
      if (f.icmpType === req || f.icmpType === rep) {
        const a = addrString(f.addr, 8);
        const b = addrString(f.addr, 12);
        if (f.icmpType === req) {
          const path = pathFor(s, f);
          if (path) {
            if (s.echoes.size >= MAX_ECHOES) s.echoes.delete(s.echoes.keys().next().value!);
            s.echoes.set(`${a}|${b}|${f.icmpId}|${f.icmpSeq}`, { size: f.innerIpLen, path, packet: p.number });
          }
        } else {
          const key = `${b}|${a}|${f.icmpId}|${f.icmpSeq}`;
          const e = s.echoes.get(key);
          if (e) {
            delivered(e.path, e.size, e.packet);
            s.echoes.delete(key);
          }
        }
      }
    }
    if (ctx.flowRow >= 0 && f.innerProto === 6 && f.payloadLen > 0 && f.l4 >= 0 && f.icmp < 0) {
      const flows = ctx.flows;
      if (flows && flows.lastWasRetrans) {
        const path = pathFor(s, f);
        if (path) lost(path, f.innerIpLen, p.number);
      }
    }
    // A fragmented packet between underlay addresses carrying UDP/IPIP/GRE: the tunnel
    // packet was bigger than the underlay MTU and got split (or will be dropped with DF).
    if (!f.outerFragment || f.outerIp < 0) return;
    if (f.outerProto !== 17 && f.outerProto !== 4 && f.outerProto !== 47) return;
    const key = `${addrString(f.addr, 0)}>${addrString(f.addr, 4)}/${f.outerProto}`;
    let fr = s.frags.get(key);
    if (!fr) {
      if (s.frags.size > 1000) return;
      s.frags.set(key, (fr = { src: addrString(f.addr, 0), dst: addrString(f.addr, 4), proto: f.outerProto, count: 0, maxLen: 0, packets: [] }));
    }
    fr.count++;
    fr.maxLen = Math.max(fr.maxLen, f.outerIpLen);
    if (fr.packets.length < 10) fr.packets.push(p.number);
  },
  finish: (s, ctx) => {
    // Echoes still unanswered count as lost on copies: a live capture asks for results midway, and a reply may yet come.
    const paths = new Map([...s.paths.values()].map((p) => [p, copyPath(p)]));
    for (const e of s.echoes.values()) lost(paths.get(e.path)!, e.size, e.packet);
    const fragments = [...s.frags.values()].map((fr) => ({ ...fr, packets: fr.packets.slice() }));
    return { capture: ctx.capture, fragments, paths: [...paths.values()].filter((x) => x.lostCount > 0 || x.deliveredCount > 0) };
  },
  diagnose(results, model) {
    const findings: Finding[] = [];
    const icmp = (model.results['icmp'] ?? []) as Array<IcmpResult | undefined>;
    const fragNeeded = icmp.flatMap((r) => (r ? r.errors.filter((e) => (!e.v6 && e.type === 3 && e.code === 4) || (e.v6 && e.type === 2)).map((e) => ({ r, e })) : []));

    for (const g of pairSizes(model, results)) {
      // Size is the cause only when everything lost is bigger than everything delivered.
      if (g.sizeDependent === 0 || g.contradicted > 0 || g.lostMin <= g.delivered) continue;
      const overhead = OVERHEAD[g.tunnel] ?? 0;
      const mtu = underlayMtu(model, g.src);
      const pmtu = fragNeeded.find(({ e }) => e.quotedSrc === g.src || e.quotedDst === g.dst);
      // The receiving side's link is where a too-small path shows: name that node.
      const node = g.dst;
      const ev = [...g.evidence.filter((e) => /never/.test(e.note)), ...g.evidence.filter((e) => !/never/.test(e.note))].slice(0, 8);
      if (pmtu) ev.push({ capture: pmtu.r.capture, packets: pmtu.e.packets, count: pmtu.e.count, note: `ICMP ${pmtu.e.v6 ? 'packet too big' : 'fragmentation needed'}: MTU ${pmtu.e.mtu} from ${pmtu.e.reporter}` });
      const outerLost = g.lostMin + overhead;
      const tunnelText = g.tunnel !== 'none' ? ` + ${overhead} bytes of ${g.tunnel.toUpperCase()} overhead = ${outerLost} bytes on the underlay` : '';
      findings.push({
        id: pmtu ? 'mtu.size-dependent-loss' : 'mtu.black-hole',
        severity: 'error',
        confidence: Math.min(0.95, 0.6 + 0.05 * g.lostCount),
        component: 'mtu',
        node,
        title: `Packets above ${g.delivered} bytes vanish on the path ${g.src} → ${g.dst}${g.tunnel !== 'none' ? ` (${g.tunnel.toUpperCase()})` : ''}: MTU`,
        detail:
          `Small packets and handshakes get through (up to ${g.delivered} bytes, ${g.deliveredCount} delivered), but ${g.lostCount} larger packets (${g.lostMin === g.lostMax ? g.lostMin : `${g.lostMin}–${g.lostMax}`} bytes${tunnelText}) are lost or retransmitted again and again. ` +
          `The path towards ${g.dst} carries at most about ${g.delivered + overhead} bytes${g.tunnel !== 'none' ? ` including the tunnel headers, less than the ${mtu - overhead + overhead} the VTEP MTU assumes` : ''}: a link or switch port on it has a smaller MTU than the nodes' interfaces. ` +
          (pmtu
            ? `A router reported the path MTU (${pmtu.e.mtu}) with ICMP, yet large packets keep coming: the ICMP does not reach the sender or is ignored.`
            : 'No ICMP "fragmentation needed" came back: a path-MTU black hole (DF set, ICMP dropped or never sent).'),
        evidence: ev,
        remedy: [
          `ping -M do -s ${Math.max(0, g.delivered + overhead - 28)} -c 3 ${g.dst}   # from ${g.src}: passes`,
          `ping -M do -s ${g.lostMin + overhead - 28} -c 3 ${g.dst}   # from ${g.src}: fails when the underlay is too small`,
          `ip -d link show   # on ${g.dst} and ${g.src}: interface and VTEP MTUs; check switch ports towards ${g.dst}`,
          g.tunnel !== 'none' ? `# lower the VTEP/pod MTU to fit the smallest link (flannel: FLANNEL_MTU / net-conf.json "MTU"), or raise that link's MTU` : '# lower the MTU on the pod network or raise the small link\'s MTU',
        ],
      });
    }
    for (const { r, e } of fragNeeded) {
      if (findings.some((f) => f.id === 'mtu.size-dependent-loss')) break;
      findings.push({
        id: 'mtu.icmp-frag-needed',
        severity: 'warning',
        confidence: 0.8,
        component: 'mtu',
        node: e.reporter,
        title: `${e.reporter} reports path MTU ${e.mtu} for packets from ${e.quotedSrc} to ${e.quotedDst}`,
        detail: `ICMP ${e.v6 ? 'packet too big' : 'fragmentation needed'} (${e.count}×): ${e.quotedLen}-byte packets with DF set do not fit the next hop's MTU ${e.mtu}. If the sender does not lower its packet size, large transfers stall.`,
        evidence: [{ capture: r.capture, packets: e.packets, count: e.count, note: `quoted packet ${e.quotedLen} bytes, next-hop MTU ${e.mtu}` }],
        remedy: [`ip route get ${e.quotedDst}   # on ${e.quotedSrc}: cached PMTU`, `ip -d link show   # compare interface MTUs along the path`],
      });
    }
    for (const r of results) {
      if (!r) continue;
      for (const fr of r.fragments) {
        findings.push({
          id: 'mtu.outer-fragmentation',
          severity: 'warning',
          confidence: 0.8,
          component: 'mtu',
          node: fr.src,
          title: `Tunnel packets from ${fr.src} to ${fr.dst} are fragmented on the underlay`,
          detail: `${fr.count} fragment${fr.count === 1 ? '' : 's'} of encapsulated packets (IP protocol ${fr.proto}, up to ${fr.maxLen} bytes) leave ${fr.src}: the VTEP's MTU is larger than the underlay allows, so every full-size pod packet costs two underlay packets and reassembly at ${fr.dst} (slow, and lost entirely where fragments are filtered).`,
          evidence: [{ capture: r.capture, packets: fr.packets, count: fr.count, note: 'outer IP fragments' }],
          remedy: [`ip -d link show   # on ${fr.src}: set the VTEP MTU to underlay MTU − overhead`],
        });
      }
    }
    // MSS larger than the tunnel carries (announced in SYNs inside a tunnel).
    const seen = new Set<string>();
    model.flows.forEach((list, ci) => {
      for (const f of list) {
        if (!f.tcp || f.tunnel === 'none') continue;
        const overhead = OVERHEAD[f.tunnel] ?? 0;
        const mtu = underlayMtu(model, f.outerSrc);
        const mss = Math.max(f.tcp.mss[0], f.tcp.mss[1]);
        if (!mss || mss + 40 + overhead <= mtu) continue;
        const key = `${f.outerSrc}>${f.outerDst}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const sizeLoss = findings.find((x) => x.component === 'mtu' && x.node === f.outerSrc && x.severity === 'error');
        findings.push({
          id: 'mtu.mss-too-large',
          severity: sizeLoss ? 'warning' : 'warning',
          confidence: 0.7,
          component: 'mtu',
          node: f.outerSrc,
          title: `TCP MSS ${mss} is too large for the ${f.tunnel.toUpperCase()} path ${f.outerSrc} → ${f.outerDst}`,
          detail: `Pods negotiate an MSS of ${mss}: full segments are ${mss + 40} bytes plus ${overhead} bytes of ${f.tunnel.toUpperCase()} = ${mss + 40 + overhead} bytes on an underlay of MTU ${mtu}. The pod interface MTU should be ${mtu - overhead}.`,
          evidence: [{ capture: model.captures[ci]!.name, packets: [f.firstPacket], count: 1, note: `${f.key}: SYN with MSS ${mss}` }],
          remedy: [`ip link show eth0   # in the pod (kubectl exec): MTU should be ${mtu - overhead}`, `cat /run/flannel/subnet.env   # FLANNEL_MTU on the node`],
        });
      }
    });
    return findings;
  },
});
