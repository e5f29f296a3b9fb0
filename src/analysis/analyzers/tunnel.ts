import { defineAnalyzer } from '../analyzer.js';
import { captureOwner } from '../capture-owner.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import type { Model } from '../model.js';

/**
 * Tunnel delivery: encapsulated packets that go out and never come back, and where they
 * die. With a capture from the receiving node too, arrival there splits "lost in the
 * underlay" from "dropped by the receiving node" (wrong VNI, tunnel port blocked).
 * VNI mismatches are named from the VNIs each VTEP sends with.
 */

const DEFAULT_VNI: Record<string, number> = { '8472': 1, '4789': 4096 };
const TUNNEL_PORT_RULE: Record<string, string> = {
  vxlan: 'udp dport {PORT}',
  geneve: 'udp dport 6081',
  ipip: 'ip protocol 4',
  gre: 'ip protocol 47',
  'flannel-udp': 'udp dport 8285',
};

interface PathStat {
  capture: string;
  captureIndex: number;
  src: string;
  dst: string;
  tunnel: string;
  vnis: Set<number>;
  packets: number;
  firstPackets: number[];
  unanswered: number;
  answered: number;
  flows: FlowSummary[];
}

function unansweredFlow(f: FlowSummary): boolean {
  if (f.tcp) return f.tcp.handshake === 'syn-only' || (f.tcp.retransmissions[0] > 0 && f.packets[1] === 0);
  return f.packets[1] === 0 && f.packets[0] >= 2;
}

function paths(model: Model): PathStat[] {
  const out = new Map<string, PathStat>();
  model.flows.forEach((list, ci) => {
    const capture = model.captures[ci]!.name;
    for (const f of list) {
      if (!f.outerSrc || !f.outerDst || f.tunnel === 'none') continue;
      for (const dir of [0, 1] as const) {
        if (f.packets[dir] === 0) continue;
        const src = dir === 0 ? f.outerSrc : f.outerDst;
        const dst = dir === 0 ? f.outerDst : f.outerSrc;
        const key = `${ci}|${src}>${dst}|${f.tunnel}`;
        let p = out.get(key);
        if (!p) out.set(key, (p = { capture, captureIndex: ci, src, dst, tunnel: f.tunnel, vnis: new Set(), packets: 0, firstPackets: [], unanswered: 0, answered: 0, flows: [] }));
        if (f.tunnelId >= 0) p.vnis.add(f.tunnelId);
        p.packets += f.packets[dir];
        if (p.firstPackets.length < 10) p.firstPackets.push(f.firstPacket);
        if (dir === 0) {
          if (unansweredFlow(f)) p.unanswered++;
          else p.answered++;
          if (p.flows.length < 20) p.flows.push(f);
        }
      }
    }
  });
  return [...out.values()];
}

/** VNIs each VTEP sends with, from the topology's VTEP table. */
function vtepVnis(model: Model): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const v of model.topology.vteps) {
    let s = m.get(v.nodeIp);
    if (!s) m.set(v.nodeIp, (s = new Set()));
    s.add(v.vni);
  }
  return m;
}

function portOf(model: Model, node: string): number | null {
  const v = model.topology.vteps.find((x) => x.nodeIp === node);
  return v ? v.port : null;
}

export const tunnelAnalyzer = defineAnalyzer<null, null>({
  name: 'tunnel',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const findings: Finding[] = [];
    const all = paths(model);
    const owners = model.flows.map((f) => captureOwner(f));
    const vnis = vtepVnis(model);
    const reported = new Set<string>();

    // VNI mismatch: two VTEPs talking to each other with different VNIs.
    const allVnis = new Map<number, number>();
    for (const s of vnis.values()) for (const v of s) allVnis.set(v, (allVnis.get(v) ?? 0) + 1);
    for (const p of all) {
      const mine = vnis.get(p.src);
      const theirs = vnis.get(p.dst);
      if (!mine || !theirs || p.tunnel !== 'vxlan' && p.tunnel !== 'geneve') continue;
      const common = [...mine].some((v) => theirs.has(v));
      if (common) continue;
      const key = [p.src, p.dst].sort().join('|');
      if (reported.has(`vni|${key}`)) continue;
      reported.add(`vni|${key}`);
      const port = String(portOf(model, p.src) ?? '');
      const expected = DEFAULT_VNI[port];
      // The odd one out is the VTEP whose VNI is not the mode's default, else the minority VNI.
      let wrong = p.dst;
      if (expected !== undefined && mine.has(expected) && !theirs.has(expected)) wrong = p.dst;
      else if (expected !== undefined && theirs.has(expected) && !mine.has(expected)) wrong = p.src;
      else {
        const score = (s: Set<number>) => Math.max(...[...s].map((v) => allVnis.get(v) ?? 0));
        wrong = score(mine) < score(theirs) ? p.src : p.dst;
      }
      const right = wrong === p.src ? p.dst : p.src;
      const wrongVni = [...(vnis.get(wrong) ?? [])].join(', ');
      const rightVni = [...(vnis.get(right) ?? [])].join(', ');
      const ev: Evidence[] = all
        .filter((x) => (x.src === p.src && x.dst === p.dst) || (x.src === p.dst && x.dst === p.src))
        .map((x) => ({ capture: x.capture, packets: x.firstPackets, count: x.packets, note: `${x.src} → ${x.dst} VNI ${[...x.vnis].join(', ')}` }));
      findings.push({
        id: 'vni.mismatch',
        severity: 'error',
        confidence: 0.85,
        component: 'vni',
        node: wrong,
        title: `VNI mismatch: ${wrong} uses VNI ${wrongVni}, ${right} uses VNI ${rightVni}`,
        detail:
          `The VTEPs on ${wrong} and ${right} encapsulate with different VXLAN network identifiers (VNI). A VTEP only accepts frames for its own VNI, so each node drops what the other sends: ` +
          `pod traffic between them is lost in both directions. ${wrong}'s VNI (${wrongVni}) differs from ${expected !== undefined ? `the mode's default ${expected}` : 'the rest of the cluster'}.`,
        evidence: ev,
        remedy: [`ip -d link show flannel.1 | grep -o 'vxlan id [0-9]*'   # on ${wrong} and ${right}`, `# recreate the VTEP on ${wrong} with the cluster's VNI (flannel: the Network config's VNI, default 1)`],
      });
    }

    // Tunnel traffic that gets no answer.
    for (const p of all) {
      if (p.unanswered === 0 || p.answered > p.unanswered) continue;
      const back = all.find((x) => x.captureIndex === p.captureIndex && x.src === p.dst && x.dst === p.src && x.tunnel === p.tunnel);
      if (back && back.packets > 0 && !reported.has(`vni|${[p.src, p.dst].sort().join('|')}`)) {
        // Something comes back: handshakes still fail, but the path works both ways (TCP/other analyzers explain).
        continue;
      }
      if (reported.has(`vni|${[p.src, p.dst].sort().join('|')}`)) continue;
      const key = `${p.src}>${p.dst}|${p.tunnel}`;
      if (reported.has(key)) continue;
      reported.add(key);
      // Does a capture on the receiving node see these packets arrive?
      const atDst = all.filter((x) => x.captureIndex !== p.captureIndex && owners[x.captureIndex]?.ip === p.dst && x.src === p.src && x.dst === p.dst);
      const dstCaptured = owners.some((o, i) => i !== p.captureIndex && o?.ip === p.dst);
      const port = portOf(model, p.src) ?? portOf(model, p.dst) ?? 8472;
      const rule = (TUNNEL_PORT_RULE[p.tunnel] ?? 'udp dport {PORT}').replace('{PORT}', String(port));
      const ev: Evidence[] = [{ capture: p.capture, packets: p.firstPackets, count: p.packets, note: `${p.tunnel} packets ${p.src} → ${p.dst}; nothing comes back` }];
      if (atDst.length) {
        for (const x of atDst) ev.push({ capture: x.capture, packets: x.firstPackets, count: x.packets, note: `arrive on ${p.dst}'s underlay, no reply leaves it` });
        findings.push({
          id: 'firewall.tunnel-dropped-at-receiver',
          severity: 'error',
          confidence: 0.75,
          component: 'firewall',
          node: p.dst,
          title: `${p.tunnel.toUpperCase()} packets from ${p.src} reach ${p.dst} but are dropped there`,
          detail:
            `Encapsulated pod traffic from ${p.src} arrives on ${p.dst}'s underlay interface (seen in ${atDst.map((x) => x.capture).join(', ')}) and is never answered. ` +
            `The VNI and VTEP MAC match, so ${p.dst} discards the packets before decapsulation: most often a firewall rule dropping the tunnel port (${rule}), or the VTEP device is down.`,
          evidence: ev,
          remedy: [`nft list ruleset | grep -n -E '${rule.split(' ').pop()}'   # on ${p.dst}`, `iptables-save | grep -E '${port}|vxlan'   # on ${p.dst}`, `ip -d link show flannel.1   # on ${p.dst}: is the VTEP up, right port?`],
        });
      } else {
        findings.push({
          id: 'firewall.tunnel-no-return',
          severity: 'error',
          confidence: dstCaptured ? 0.75 : 0.55,
          component: 'firewall',
          node: dstCaptured ? p.src : p.dst,
          title: dstCaptured
            ? `${p.tunnel.toUpperCase()} packets leave ${p.src} for ${p.dst} and never arrive`
            : `${p.tunnel.toUpperCase()} packets from ${p.src} to ${p.dst} get no answer`,
          detail: dstCaptured
            ? `Encapsulated pod traffic leaves ${p.src} for ${p.dst} but ${p.dst}'s capture never sees it: the underlay between the nodes drops it (a firewall or security group blocking ${rule}, or a route on ${p.src} sending it elsewhere).`
            : `Encapsulated pod traffic leaves ${p.src} for ${p.dst} (${p.unanswered} flow${p.unanswered === 1 ? '' : 's'} without an answer) and nothing comes back from ${p.dst}. ` +
              `Either the underlay or ${p.dst} drops it: check that ${p.dst} accepts ${rule} and that its VTEP is up. A capture on ${p.dst}'s underlay tells which.`,
          evidence: ev,
          remedy: [`nft list ruleset | grep -n -E '${rule.split(' ').pop()}'   # on ${p.dst}`, `tcpdump -ni any '${rule.replace(' dport', ' port')}'   # on ${p.dst}: do the packets arrive?`, `ip route get ${p.dst}   # on ${p.src}`],
        });
      }
    }
    return findings;
  },
});
