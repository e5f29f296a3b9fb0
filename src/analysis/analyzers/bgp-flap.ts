import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import { BGP_PORT, sessionClosedAt, type BgpResult } from './bgp.js';

/**
 * BGP sessions that flap: established, torn down and established again within one
 * capture. Each drop withdraws the pod routes learned over the session, so traffic to
 * the peer's pods black-holes until it is back. Counted per capture (the same session
 * seen at both ends is one session), from OPEN exchanges and teardowns: NOTIFICATIONs
 * and resets or closes of the TCP connection on port 179.
 */

/** NOTIFICATION Cease / Connection Collision Resolution: both ends connected at once and one connection was dropped, by design. */
const COLLISION = { code: 6, subcode: 7 };

interface Cycle {
  capture: string;
  a: string;
  b: string;
  established: number;
  teardowns: number;
  down: boolean;
  span: number;
  blame: Map<string, number>;
  evidence: Evidence[];
}

function bgpFlows(flows: ReadonlyArray<FlowSummary>, a: string, b: string): FlowSummary[] {
  return flows.filter((f) => f.tcp !== null && (f.sport === BGP_PORT || f.dport === BGP_PORT) && ((f.src === a && f.dst === b) || (f.src === b && f.dst === a)));
}

function cyclesIn(r: BgpResult, flows: ReadonlyArray<FlowSummary>): Cycle[] {
  const pairs = new Map<string, [string, string]>();
  for (const d of r.directions) {
    const [a, b] = [d.from, d.to].sort() as [string, string];
    pairs.set(`${a}|${b}`, [a, b]);
  }
  const out: Cycle[] = [];
  for (const [a, b] of pairs.values()) {
    const ab = r.directions.find((d) => d.from === a && d.to === b);
    const ba = r.directions.find((d) => d.from === b && d.to === a);
    const notes = r.notifications.filter((n) => (n.from === a && n.to === b) || (n.from === b && n.to === a));
    const collisions = notes.filter((n) => n.code === COLLISION.code && n.subcode === COLLISION.subcode).length;
    const errors = notes.filter((n) => !(n.code === COLLISION.code && n.subcode === COLLISION.subcode));
    const conns = bgpFlows(flows, a, b);
    const resets = conns.filter((f) => f.tcp!.rst[0] + f.tcp!.rst[1] > 0);
    const established = Math.max(0, Math.min(ab?.opens ?? 0, ba?.opens ?? 0) - collisions);
    // A NOTIFICATION is followed by the connection's close: count the drop once.
    const closedQuietly = conns.filter((f) => f.tcp!.handshake === 'complete' && (f.tcp!.fin > 0 || f.tcp!.rst[0] + f.tcp!.rst[1] > 0)).length;
    const teardowns = Math.max(errors.length, closedQuietly - collisions);
    if (Math.max(established, teardowns) < 2) continue;
    const blame = new Map<string, number>();
    const add = (ip: string) => blame.set(ip, (blame.get(ip) ?? 0) + 1);
    // Who ended it: the peer an error NOTIFICATION complains about, a Cease's sender, a reset's sender.
    for (const n of errors) add(n.code === 6 ? n.from : n.to);
    for (const f of resets) {
      if (f.tcp!.rst[0] > 0) add(f.src);
      if (f.tcp!.rst[1] > 0) add(f.dst);
    }
    const last = Math.max(...r.directions.filter((d) => (d.from === a && d.to === b) || (d.from === b && d.to === a)).map((d) => d.lastTime));
    const first = Math.min(...[ab, ba].flatMap((d) => (d ? [d.firstTime] : [])));
    const evidence: Evidence[] = [];
    const opens = [...(ab?.openPackets ?? []), ...(ba?.openPackets ?? [])].sort((x, y) => x - y);
    if (opens.length) evidence.push({ capture: r.capture, packets: opens.slice(0, 10), count: (ab?.opens ?? 0) + (ba?.opens ?? 0), note: `OPEN messages between ${a} and ${b}` });
    if (errors.length) evidence.push({ capture: r.capture, packets: errors.map((n) => n.packet).slice(0, 10), count: errors.length, note: `NOTIFICATION ${[...new Set(errors.map((n) => `${n.code}/${n.subcode} (${n.codeName}${n.subcodeName ? `: ${n.subcodeName}` : ''})`))].join(', ')}` });
    if (resets.length) evidence.push({ capture: r.capture, packets: resets.map((f) => f.lastPacket).slice(0, 10), count: resets.length, note: `TCP connection${resets.length === 1 ? '' : 's'} on port ${BGP_PORT} reset` });
    out.push({ capture: r.capture, a, b, established, teardowns, down: sessionClosedAt(r, flows, a, b) >= last, span: Math.max(0, last - first), blame, evidence });
  }
  return out;
}

export const bgpFlapAnalyzer = defineAnalyzer<null, null>({
  name: 'bgp-flap',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const results = (model.results['bgp'] ?? []) as Array<BgpResult | undefined>;
    // The same session seen from both ends (or several capture points) is one: keep the capture that saw most of it.
    const best = new Map<string, { c: Cycle; others: Cycle[] }>();
    results.forEach((r, ci) => {
      if (!r) return;
      for (const c of cyclesIn(r, model.flows[ci] ?? [])) {
        const k = `${c.a}|${c.b}`;
        const cur = best.get(k);
        const score = (x: Cycle) => x.established + x.teardowns;
        if (!cur) best.set(k, { c, others: [] });
        else if (score(c) > score(cur.c)) best.set(k, { c, others: [cur.c, ...cur.others] });
        else cur.others.push(c);
      }
    });
    const findings: Finding[] = [];
    for (const { c, others } of best.values()) {
      const blamed = [...c.blame].sort((x, y) => y[1] - x[1]);
      const total = blamed.reduce((n, [, k]) => n + k, 0);
      const node = blamed.length && blamed[0]![1] > total / 2 ? blamed[0]![0] : null;
      const peer = node === c.a ? c.b : node === c.b ? c.a : null;
      const times = (n: number) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);
      findings.push({
        id: 'bgp-session.flapping',
        severity: c.down ? 'error' : 'warning',
        confidence: Math.min(0.9, 0.55 + 0.1 * Math.max(c.established, c.teardowns)),
        component: 'bgp-session',
        node,
        title: `BGP session ${c.a} ↔ ${c.b} flaps: up ${times(c.established)}, down ${times(c.teardowns)} in ${c.span.toFixed(0)} s${c.down ? ' (down at the end of the capture)' : ''}`,
        detail:
          `The BGP session between ${c.a} and ${c.b} was established ${times(c.established)} and torn down ${times(c.teardowns)} within ${c.span.toFixed(1)} s of capture. ` +
          `Each drop withdraws the pod routes learned over the session: pods behind ${c.a} and ${c.b} lose each other until it comes back. ` +
          (node ? `The teardowns point at ${node}${peer ? ` (its peer ${peer} complains about it, or it resets the connection)` : ''}: its BGP daemon restarts or stalls, or the path to it loses packets. ` : 'Neither end is clearly the one closing it: look at the underlay path and both daemons. ') +
          'Flaps that recur every hold time point at KEEPALIVEs lost on the underlay (MTU, congestion, a firewall dropping port 179 intermittently).',
        evidence: [...c.evidence, ...others.flatMap((o) => o.evidence)].slice(0, 6),
        remedy: [
          `birdc show protocols all   # on ${node ?? c.a}: "Last error" and the state change times`,
          `kubectl -n kube-system logs <calico-node pod on ${node ?? c.a}> -c calico-node | grep -iE "bgp|bird"   # daemon restarts`,
          `ping -c 200 -i 0.2 ${peer ?? c.b}   # from ${node ?? c.a}: loss on the underlay`,
        ],
      });
    }
    return findings;
  },
});
