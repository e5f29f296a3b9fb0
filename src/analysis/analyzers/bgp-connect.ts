import { defineAnalyzer } from '../analyzer.js';
import type { Evidence, Finding } from '../finding.js';
import { BGP_PORT } from './bgp.js';

/**
 * BGP sessions that cannot even start: TCP connections to port 179 that get no SYN-ACK
 * (the peer is down, or a firewall drops BGP) or are refused with a reset (nothing
 * listens: BIRD not running, or bound elsewhere). Only when no connection between the two
 * speakers ever completes: BGP speakers connect both ways and one refused attempt beside
 * a working session is normal.
 */

interface Attempts {
  from: string;
  to: string;
  kind: 'unanswered' | 'refused';
  connections: number;
  syns: number;
  evidence: Evidence[];
}

export const bgpConnectAnalyzer = defineAnalyzer<null, null>({
  name: 'bgp-connect',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const working = new Set<string>();
    for (const list of model.flows) {
      for (const f of list) {
        if (f.tcp?.handshake === 'complete' && (f.dport === BGP_PORT || f.sport === BGP_PORT)) working.add([f.src, f.dst].sort().join('|'));
      }
    }
    const attempts = new Map<string, Attempts>();
    model.flows.forEach((list, ci) => {
      const capture = model.captures[ci]!.name;
      for (const f of list) {
        const t = f.tcp;
        if (!t || f.dport !== BGP_PORT || working.has([f.src, f.dst].sort().join('|'))) continue;
        const kind = t.handshake === 'reset' ? 'refused' : t.handshake === 'syn-only' && t.syn >= 2 ? 'unanswered' : null;
        if (!kind) continue;
        const k = `${f.src}>${f.dst}|${kind}`;
        let a = attempts.get(k);
        if (!a) attempts.set(k, (a = { from: f.src, to: f.dst, kind, connections: 0, syns: 0, evidence: [] }));
        a.connections++;
        a.syns += t.syn;
        const e = a.evidence.find((x) => x.capture === capture);
        if (e) {
          e.count += t.syn;
          if (e.packets.length < 10) e.packets.push(f.firstPacket);
        } else a.evidence.push({ capture, packets: [f.firstPacket, f.lastPacket], count: t.syn, note: `SYNs ${f.src} → ${f.dst}:${BGP_PORT}${kind === 'refused' ? ' answered by a reset' : ', no SYN-ACK'}` });
      }
    });
    const findings: Finding[] = [];
    for (const a of attempts.values()) {
      const refused = a.kind === 'refused';
      findings.push({
        id: refused ? 'bgp-session.connect-refused' : 'bgp-session.connect-unanswered',
        severity: 'error',
        confidence: refused ? 0.8 : Math.min(0.85, 0.6 + 0.05 * a.syns),
        component: 'bgp-session',
        node: a.to,
        title: refused ? `${a.to} refuses BGP connections from ${a.from} (TCP reset on port ${BGP_PORT})` : `BGP connections from ${a.from} to ${a.to} get no answer (${a.syns} SYNs to port ${BGP_PORT})`,
        detail: refused
          ? `${a.connections} connection attempt${a.connections === 1 ? '' : 's'} from ${a.from} to ${a.to}:${BGP_PORT} ended with a reset and no session between them ever came up: nothing listens on port ${BGP_PORT} on ${a.to} (BIRD/calico-node not running, or listening on another address), or a firewall rejects BGP. No pod routes are exchanged between the two nodes.`
          : `${a.from} keeps trying to open a BGP session to ${a.to}:${BGP_PORT} and no SYN-ACK comes back: ${a.to} is down or unreachable, or a firewall (node nftables, cloud security group) drops TCP ${BGP_PORT}. No pod routes are exchanged between the two nodes.`,
        evidence: a.evidence,
        remedy: [
          `ss -tlnp | grep :${BGP_PORT}   # on ${a.to}: is BIRD listening?`,
          `birdc show protocols   # on ${a.to}`,
          `nft list ruleset | grep -n ${BGP_PORT}   # on ${a.to} (and iptables-save | grep ${BGP_PORT})`,
          `nc -vz ${a.to} ${BGP_PORT}   # from ${a.from}`,
        ],
      });
    }
    return findings;
  },
});
