import { defineAnalyzer } from '../analyzer.js';
import { captureOwners, nodeStateHosts, ownerHints } from '../capture-owner.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import type { Model } from '../model.js';

/**
 * Tunnel delivery: encapsulated pod traffic that goes out and is never answered, and
 * where it dies. A capture on the receiving node splits "lost in the underlay" from
 * "dropped by the receiving node" (tunnel port blocked, VTEP down). VNI mismatches are
 * named from the VNIs each VTEP sends with. Paths already explained by a forwarding
 * finding (stale FDB/neighbour) are left to it.
 */

const DEFAULT_VNI: Record<string, number> = { '8472': 1, '4789': 4096 };
const TUNNEL_PORT_RULE: Record<string, string> = {
  vxlan: 'udp dport {PORT}',
  geneve: 'udp dport 6081',
  ipip: 'ip protocol 4',
  gre: 'ip protocol 47',
  'flannel-udp': 'udp dport 8285',
};

/** The inner conversation, the same whatever outer path it took. */
export function innerKey(f: FlowSummary): string {
  const i = f.key.indexOf(' via ');
  return i < 0 ? f.key : f.key.slice(0, i);
}

function expectsAnswer(f: FlowSummary): boolean {
  if (f.tcp) return f.tcp.syn >= 2 || f.tcp.retransmissions[0] >= 2;
  return f.packets[0] >= 2;
}

interface Group {
  src: string;
  dst: string;
  tunnel: string;
  port: number | null;
  flows: Array<{ ci: number; f: FlowSummary }>;
}

function vtepVnis(model: Model): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const v of model.topology.vteps) {
    let s = m.get(v.nodeIp);
    if (!s) m.set(v.nodeIp, (s = new Set()));
    s.add(v.vni);
  }
  return m;
}

function vniFindings(model: Model): Finding[] {
  const out: Finding[] = [];
  const vnis = vtepVnis(model);
  const counts = new Map<number, number>();
  for (const s of vnis.values()) for (const v of s) counts.set(v, (counts.get(v) ?? 0) + 1);
  const done = new Set<string>();
  model.flows.forEach((list, ci) => {
    for (const f of list) {
      if (!f.outerSrc || !f.outerDst || (f.tunnel !== 'vxlan' && f.tunnel !== 'geneve')) continue;
      const a = vnis.get(f.outerSrc);
      const b = vnis.get(f.outerDst);
      if (!a || !b || [...a].some((v) => b.has(v))) continue;
      const key = [f.outerSrc, f.outerDst].sort().join('|');
      if (done.has(key)) continue;
      done.add(key);
      const port = String(model.topology.vteps.find((v) => v.nodeIp === f.outerSrc)?.port ?? '');
      const expected = DEFAULT_VNI[port];
      // The odd one out: the VTEP whose VNI is not the mode's default, else the rarer VNI.
      let wrong: string;
      if (expected !== undefined && a.has(expected) !== b.has(expected)) wrong = a.has(expected) ? f.outerDst : f.outerSrc;
      else {
        const score = (s: Set<number>) => Math.max(...[...s].map((v) => counts.get(v) ?? 0));
        wrong = score(a) < score(b) ? f.outerSrc : f.outerDst;
      }
      const right = wrong === f.outerSrc ? f.outerDst : f.outerSrc;
      const wv = [...(vnis.get(wrong) ?? [])].join(', ');
      const rv = [...(vnis.get(right) ?? [])].join(', ');
      const ev: Evidence[] = [];
      model.flows.forEach((l, cj) => {
        for (const g of l) {
          if (!g.outerSrc || [g.outerSrc, g.outerDst].sort().join('|') !== key || ev.length >= 6) continue;
          ev.push({ capture: model.captures[cj]!.name, packets: [g.firstPacket, g.lastPacket], count: g.packets[0] + g.packets[1], note: `${g.outerSrc} → ${g.outerDst} with VNI ${g.tunnelId}` });
        }
      });
      void ci;
      out.push({
        id: 'vni.mismatch',
        severity: 'error',
        confidence: 0.85,
        component: 'vni',
        node: wrong,
        title: `VNI mismatch: ${wrong} uses VNI ${wv}, ${right} uses VNI ${rv}`,
        detail:
          `The VTEPs on ${wrong} and ${right} encapsulate with different VXLAN network identifiers (VNI). A VTEP accepts only frames for its own VNI, so each node drops what the other sends and pod traffic between them is lost both ways. ` +
          `${wrong}'s VNI (${wv}) differs from ${expected !== undefined ? `the mode's default (${expected})` : 'the rest of the cluster'}.`,
        evidence: ev,
        remedy: [`ip -d link show flannel.1 | grep -o 'vxlan id [0-9]*'   # on ${wrong} and ${right}`, `# recreate the VTEP on ${wrong} with the cluster's VNI (flannel: the VNI in net-conf.json, default 1), e.g. restart flanneld after fixing the config`],
      });
    }
  });
  return out;
}

export const tunnelAnalyzer = defineAnalyzer<null, null>({
  name: 'tunnel',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const findings = vniFindings(model);
    const nodes = nodeStateHosts(model.nodeState?.nodes ?? []);
    const owners = captureOwners(model.flows, ownerHints(model.captures.map((c) => c.name), nodes));
    // Inner conversations answered anywhere (any capture, any outer path).
    const answered = new Set<string>();
    for (const list of model.flows) for (const f of list) if (f.packets[1] > 0) answered.add(innerKey(f));
    // Paths a forwarding finding already explains (sender, wrong destination).
    const explained = (src: string, dst: string) =>
      findings.some((x) => x.component === 'vni' && (x.node === src || x.node === dst)) ||
      model.findings.some((x) => (x.component === 'fdb' || x.component === 'neighbor') && x.severity === 'error' && ((x.node === src && (x.title.includes(dst) || x.detail.includes(dst))) || x.node === dst));

    const groups = new Map<string, Group>();
    model.flows.forEach((list, ci) => {
      for (const f of list) {
        if (!f.outerSrc || !f.outerDst || f.tunnel === 'none' || f.packets[1] > 0 || !expectsAnswer(f)) continue;
        if (answered.has(innerKey(f))) continue;
        const k = `${f.outerSrc}>${f.outerDst}|${f.tunnel}`;
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { src: f.outerSrc, dst: f.outerDst, tunnel: f.tunnel, port: model.topology.vteps.find((v) => v.nodeIp === f.outerSrc)?.port ?? null, flows: [] }));
        g.flows.push({ ci, f });
      }
    });
    for (const g of groups.values()) {
      if (explained(g.src, g.dst)) continue;
      const keys = new Set(g.flows.map(({ f }) => f.key));
      const dstCaptures = owners.map((o, i) => (o?.ip === g.dst && o.layer === 'outer' ? i : -1)).filter((i) => i >= 0);
      const arrived = dstCaptures.filter((i) => model.flows[i]!.some((f) => keys.has(f.key) && f.packets[0] > 0));
      const port = g.port ?? 8472;
      const rule = (TUNNEL_PORT_RULE[g.tunnel] ?? 'udp dport {PORT}').replace('{PORT}', String(port));
      const seenAt = new Map<number, { packets: number[]; count: number }>();
      for (const { ci, f } of g.flows) {
        const e = seenAt.get(ci) ?? { packets: [], count: 0 };
        if (e.packets.length < 10) e.packets.push(f.firstPacket);
        e.count += f.packets[0];
        seenAt.set(ci, e);
      }
      const ev: Evidence[] = [];
      for (const [ci, e] of seenAt) {
        const arrivedHere = arrived.includes(ci);
        ev.push({ capture: model.captures[ci]!.name, packets: e.packets, count: e.count, note: arrivedHere ? `arrive on ${g.dst}'s underlay; nothing answers` : `${g.tunnel.toUpperCase()} ${g.src} → ${g.dst}, never answered` });
      }
      const label = g.tunnel.toUpperCase();
      if (arrived.length) {
        findings.push({
          id: 'firewall.tunnel-dropped-at-receiver',
          severity: 'error',
          confidence: 0.8,
          component: 'firewall',
          node: g.dst,
          title: `${label} packets from ${g.src} reach ${g.dst} but are dropped there`,
          detail:
            `Encapsulated pod traffic from ${g.src} arrives on ${g.dst}'s underlay (seen in ${arrived.map((i) => model.captures[i]!.name).join(', ')}) and nothing answers it. ` +
            `The VNI and VTEP MAC match, so ${g.dst} discards the packets before they reach the pod: most often a firewall rule dropping the tunnel (${rule}), or the VTEP device is down.`,
          evidence: ev,
          remedy: [`nft list ruleset | grep -n '${rule.split(' ').pop()}'   # on ${g.dst}`, `iptables-save | grep -E '${port}'   # on ${g.dst}`, `ip -d link show flannel.1   # on ${g.dst}: is the VTEP up, on port ${port}?`],
        });
      } else {
        const dstCaptured = dstCaptures.length > 0;
        findings.push({
          id: dstCaptured ? 'firewall.tunnel-lost-in-underlay' : 'firewall.tunnel-no-return',
          severity: 'error',
          confidence: dstCaptured ? 0.75 : 0.5,
          component: 'firewall',
          node: dstCaptured ? g.src : g.dst,
          title: dstCaptured ? `${label} packets leave ${g.src} for ${g.dst} and never arrive` : `${label} packets from ${g.src} to ${g.dst} get no answer`,
          detail: dstCaptured
            ? `Encapsulated pod traffic leaves ${g.src} for ${g.dst}, but ${g.dst}'s capture never sees it: the underlay between the nodes drops it (a firewall or security group blocking ${rule}), or ${g.src} routes it elsewhere.`
            : `Encapsulated pod traffic leaves ${g.src} for ${g.dst} (${g.flows.length} conversation${g.flows.length === 1 ? '' : 's'}) and nothing comes back. Either the underlay or ${g.dst} drops it: check that ${g.dst} accepts ${rule} and that its VTEP is up. A capture on ${g.dst}'s underlay tells which.`,
          evidence: ev,
          remedy: [`tcpdump -ni any '${rule.replace(' dport', ' port')}'   # on ${g.dst}: do the packets arrive?`, `nft list ruleset | grep -n '${rule.split(' ').pop()}'   # on ${g.dst}`, `ip route get ${g.dst}   # on ${g.src}`],
        });
      }
    }
    return findings;
  },
});
