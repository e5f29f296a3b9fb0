import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import { asSymptom } from '../symptoms.js';
import { nodeOf } from '../topology/lookup.js';

/**
 * TCP symptoms: handshakes that fail (no SYN-ACK, or a reset) and retransmission storms,
 * grouped by destination so a dead service is one finding, not a thousand. Root causes
 * (MTU, FDB, firewall) rank above these; these name the flows and their path.
 */

interface Group {
  dst: string;
  dport: number;
  path: string;
  node: string | null;
  flows: Array<{ capture: string; f: FlowSummary }>;
  synRetries: number;
}

function pathOf(f: FlowSummary): string {
  return f.outerSrc ? ` via ${f.tunnel}${f.tunnelId >= 0 ? ` ${f.tunnelId}` : ''} ${f.outerSrc} → ${f.outerDst}` : '';
}

/** The SYN retransmission intervals, e.g. [1, 2, 4, 8]: the kernel's exponential backoff. */
export function synBackoff(f: FlowSummary): number[] {
  const t = f.tcp?.synTimes ?? [];
  const out: number[] = [];
  for (let i = 1; i < t.length; i++) out.push(Math.round((t[i]! - t[i - 1]!) * 10) / 10);
  return out;
}

export const tcpAnalyzer = defineAnalyzer<null, null>({
  name: 'tcp',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const findings: Finding[] = [];
    const noAnswer = new Map<string, Group>();
    const refused = new Map<string, Group>();
    model.flows.forEach((list, ci) => {
      const capture = model.captures[ci]!.name;
      for (const f of list) {
        const t = f.tcp;
        if (!t || t.syn === 0) continue;
        const target = t.handshake === 'syn-only' && t.syn >= 2 ? noAnswer : t.handshake === 'reset' ? refused : null;
        if (!target) continue;
        // One finding per service, whatever capture point or interface saw it.
        const key = `${f.dst}:${f.dport}`;
        let g = target.get(key);
        if (!g) target.set(key, (g = { dst: f.dst, dport: f.dport, path: pathOf(f), node: f.outerDst ?? null, flows: [], synRetries: 0 }));
        g.flows.push({ capture, f });
        g.synRetries += t.syn - 1;
      }
    });
    for (const g of noAnswer.values()) {
      const backoff = synBackoff(g.flows[0]!.f);
      const ev: Evidence[] = g.flows.slice(0, 5).map(({ capture, f }) => ({ capture, packets: [f.firstPacket, f.lastPacket], count: f.tcp!.syn, note: `${f.key}: ${f.tcp!.syn} SYNs, no SYN-ACK` }));
      findings.push({
        id: 'tcp.handshake-no-answer',
        severity: 'warning',
        confidence: Math.min(0.9, 0.5 + 0.05 * g.synRetries),
        component: 'tcp',
        node: g.node,
        title: `TCP connections to ${g.dst}:${g.dport} get no SYN-ACK (${g.flows.length} connection${g.flows.length === 1 ? '' : 's'})`,
        detail: `SYNs to ${g.dst}:${g.dport}${g.path} are retransmitted${backoff.length ? ` after ${backoff.join(', ')} s (the kernel's exponential backoff)` : ''} and never answered: the SYNs or the SYN-ACKs are lost on the path.`,
        evidence: ev,
        remedy: [`ip route get ${g.dst}   # on the sending node`, `tcpdump -ni any host ${g.dst} and port ${g.dport}   # on the destination node: do the SYNs arrive?`],
      });
    }
    for (const g of refused.values()) {
      findings.push({
        id: 'tcp.handshake-reset',
        severity: 'warning',
        confidence: 0.7,
        component: 'tcp',
        node: g.node,
        title: `TCP connections to ${g.dst}:${g.dport} are refused (RST)`,
        detail: `${g.flows.length} connection attempt${g.flows.length === 1 ? '' : 's'} to ${g.dst}:${g.dport}${g.path} ended with a reset: nothing listens on that port, or a firewall rejects it with a reset.`,
        evidence: g.flows.slice(0, 5).map(({ capture, f }) => ({ capture, packets: [f.firstPacket, f.lastPacket], count: f.packets[0] + f.packets[1], note: f.key })),
        remedy: [`ss -tlnp | grep ${g.dport}   # on the pod or node owning ${g.dst}`, 'kubectl get endpoints -A | grep <service>'],
      });
    }
    // Retransmission storms on established connections (when no handshake problem explains them).
    model.flows.forEach((list, ci) => {
      for (const f of list) {
        const t = f.tcp;
        if (!t || t.handshake !== 'complete') continue;
        const r = t.retransmissions[0] + t.retransmissions[1];
        const data = t.dataPackets[0] + t.dataPackets[1];
        if (r < 5 || r < 0.1 * data) continue;
        findings.push({
          id: 'tcp.retransmissions',
          severity: 'warning',
          confidence: Math.min(0.85, 0.4 + r / (data + 1)),
          component: 'tcp',
          node: f.outerSrc,
          title: `${r} retransmissions on ${f.src}:${f.sport} → ${f.dst}:${f.dport}`,
          detail: `${r} of ${data} data segments were sent again (${Math.round((100 * r) / Math.max(1, data))}%)${pathOf(f)}. Largest retransmitted packet ${t.maxRetransmittedSize} bytes; largest delivered ${t.maxAckedSize} bytes.`,
          evidence: [{ capture: model.captures[ci]!.name, packets: t.retransmissionPackets, count: r, note: f.key }],
          remedy: ['ss -ti   # on the sender: retrans counters, cwnd, pmtu', `ip route get ${f.dst}`],
        });
      }
    });
    // Index flows by key once: findings name their flows in evidence notes.
    const byKey = new Map<string, FlowSummary[]>();
    for (const f of model.flows.flat()) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f]);
    return findings.map((x) => {
      const flows = x.evidence.flatMap((e) => {
        const cut = e.note.indexOf(': ');
        return byKey.get(cut < 0 ? e.note : e.note.slice(0, cut)) ?? [];
      });
      return asSymptom(x, model, flows.flatMap((f) => [f.outerSrc, f.outerDst, nodeOf(model.topology, f.src), nodeOf(model.topology, f.dst)]));
    });
  },
});
