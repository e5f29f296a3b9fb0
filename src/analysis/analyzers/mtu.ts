import { addrString } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import type { Model } from '../model.js';
import type { IcmpResult } from './icmp.js';

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

interface MtuResult {
  capture: string;
  fragments: Fragments[];
}

interface State {
  frags: Map<string, Fragments>;
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

interface LossGroup {
  key: string;
  sender: string | null;
  receiver: string | null;
  tunnel: string;
  flows: Array<{ capture: string; f: FlowSummary }>;
  largestThrough: number;
  smallestLost: number;
  largestLost: number;
  retrans: number;
}

function sizeDependentLoss(model: Model): LossGroup[] {
  const groups = new Map<string, LossGroup>();
  model.flows.forEach((list, ci) => {
    for (const f of list) {
      const t = f.tcp;
      if (!t) continue;
      const retrans = t.retransmissions[0] + t.retransmissions[1];
      if (retrans < 2 || t.maxRetransmittedSize === 0) continue;
      // Only packets larger than anything that got through are lost: the size is the cause.
      if (t.maxAckedSize === 0 || t.maxRetransmittedSize <= t.maxAckedSize) continue;
      if (t.handshake !== 'complete') continue;
      const key = f.outerSrc ? `${f.outerSrc}>${f.outerDst}|${f.tunnel}` : `${f.src}>${f.dst}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { key, sender: f.outerSrc, receiver: f.outerDst, tunnel: f.tunnel, flows: [], largestThrough: 0, smallestLost: Infinity, largestLost: 0, retrans: 0 }));
      g.flows.push({ capture: model.captures[ci]!.name, f });
      g.largestThrough = Math.max(g.largestThrough, t.maxAckedSize);
      g.smallestLost = Math.min(g.smallestLost, t.maxRetransmittedSize);
      g.largestLost = Math.max(g.largestLost, t.maxRetransmittedSize);
      g.retrans += retrans;
    }
  });
  return [...groups.values()];
}

export const mtuAnalyzer = defineAnalyzer<State, MtuResult>({
  name: 'mtu',
  create: () => ({ frags: new Map() }),
  packet(s, f, p) {
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
  finish: (s, ctx) => ({ capture: ctx.capture, fragments: [...s.frags.values()] }),
  diagnose(results, model) {
    const findings: Finding[] = [];
    const icmp = (model.results['icmp'] ?? []) as Array<IcmpResult | undefined>;
    const fragNeeded = icmp.flatMap((r) => (r ? r.errors.filter((e) => (!e.v6 && e.type === 3 && e.code === 4) || (e.v6 && e.type === 2)).map((e) => ({ r, e })) : []));

    for (const g of sizeDependentLoss(model)) {
      const overhead = OVERHEAD[g.tunnel] ?? 0;
      const mtu = underlayMtu(model, g.sender);
      const pmtu = fragNeeded.find(({ e }) => e.quotedSrc === g.sender || g.flows.some(({ f }) => e.quotedSrc === f.src));
      const node = g.sender ?? g.flows[0]!.f.src;
      const ev: Evidence[] = g.flows.slice(0, 5).map(({ capture, f }) => ({
        capture,
        packets: f.tcp!.retransmissionPackets,
        count: f.tcp!.retransmissions[0] + f.tcp!.retransmissions[1],
        note: `${f.key}: ${f.tcp!.maxRetransmittedSize}-byte packets retransmitted; largest delivered ${f.tcp!.maxAckedSize} bytes`,
      }));
      if (pmtu) ev.push({ capture: pmtu.r.capture, packets: pmtu.e.packets, count: pmtu.e.count, note: `ICMP ${pmtu.e.v6 ? 'packet too big' : 'fragmentation needed'}: MTU ${pmtu.e.mtu} from ${pmtu.e.reporter}` });
      const outerLost = g.smallestLost + overhead;
      const tunnelText = g.tunnel !== 'none' ? ` + ${overhead} bytes of ${g.tunnel.toUpperCase()} overhead = ${outerLost} bytes on the underlay` : '';
      findings.push({
        id: pmtu ? 'mtu.size-dependent-loss' : 'mtu.black-hole',
        severity: 'error',
        confidence: Math.min(0.95, 0.6 + 0.03 * g.retrans),
        component: 'mtu',
        node,
        title: `Packets above ${g.largestThrough} bytes vanish on ${g.sender ? `${g.sender} → ${g.receiver}` : node}${g.tunnel !== 'none' ? ` (${g.tunnel.toUpperCase()})` : ''}: MTU`,
        detail:
          `Small packets and TCP handshakes get through, but full-size segments (${g.smallestLost}–${g.largestLost} bytes inner${tunnelText}) are retransmitted again and again, ` +
          `while the largest packet that got through was ${g.largestThrough} bytes. The path carries at most ${g.largestThrough + overhead} bytes ` +
          `(underlay MTU ${mtu}${g.tunnel !== 'none' ? `; a VTEP MTU of ${mtu - overhead} would fit` : ''}). ` +
          (pmtu
            ? `A router reported the path MTU (${pmtu.e.mtu}) with ICMP, yet the sender keeps sending large packets: the ICMP does not reach the socket or is ignored.`
            : `No ICMP "fragmentation needed" came back: a path-MTU black hole (DF set, ICMP dropped or never sent).`),
        evidence: ev,
        remedy: [
          `ip -d link show | grep -E 'mtu|vxlan|ipip'   # on ${node}: VTEP MTU must be underlay MTU − ${overhead || 'overhead'}`,
          `ping -M do -s ${g.largestThrough - 28} -c 3 <remote pod IP>   # passes; -s ${g.smallestLost - 28} fails`,
          g.tunnel !== 'none' ? `ip link set dev ${g.tunnel === 'vxlan' ? 'flannel.1' : g.tunnel === 'ipip' ? 'tunl0' : '<tunnel dev>'} mtu ${mtu - overhead}   # on ${node}, then fix the CNI config so it persists` : `ip route get <remote pod IP>   # check the path MTU`,
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
