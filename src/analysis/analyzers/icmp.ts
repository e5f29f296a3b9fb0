import { addrString } from '../addr.js';
import { defineAnalyzer } from '../analyzer.js';
import type { Finding } from '../finding.js';
import { asSymptom } from '../symptoms.js';
import { nodeOf } from '../topology/lookup.js';

/**
 * ICMP and ICMPv6 errors, tied to the packet they quote. Frag-needed / packet-too-big are
 * reported with their MTU by the MTU analyzer, which reads these results too.
 */
export interface IcmpError {
  v6: boolean;
  type: number;
  code: number;
  reporter: string;
  /** Where the error was sent (the sender of the quoted packet). */
  to: string;
  quotedSrc: string;
  quotedDst: string;
  quotedProto: number;
  quotedSport: number;
  quotedDport: number;
  quotedLen: number;
  mtu: number;
  count: number;
  packets: number[];
  /** The error travelled inside a tunnel (pod-level) rather than on the underlay. */
  tunnelled: boolean;
}

export interface IcmpResult {
  capture: string;
  errors: IcmpError[];
  overflow: number;
}

const MAX_KEYS = 2000;

const UNREACH_V4: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  13: 'communication administratively prohibited (firewall)',
};
const UNREACH_V6: Record<number, string> = {
  0: 'no route to destination',
  1: 'communication administratively prohibited (firewall)',
  3: 'address unreachable',
  4: 'port unreachable',
};

export function isIcmpError(v6: boolean, type: number): boolean {
  return v6 ? type >= 1 && type <= 4 : type === 3 || type === 11 || type === 12 || type === 5 || type === 4;
}

export function describeIcmp(e: Pick<IcmpError, 'v6' | 'type' | 'code'>): string {
  if (!e.v6) {
    if (e.type === 3) return `destination unreachable: ${UNREACH_V4[e.code] ?? `code ${e.code}`}`;
    if (e.type === 11) return e.code === 0 ? 'time exceeded in transit (TTL)' : 'fragment reassembly time exceeded';
    if (e.type === 12) return 'parameter problem';
    if (e.type === 5) return 'redirect';
    return `type ${e.type} code ${e.code}`;
  }
  if (e.type === 1) return `destination unreachable: ${UNREACH_V6[e.code] ?? `code ${e.code}`}`;
  if (e.type === 2) return 'packet too big';
  if (e.type === 3) return 'hop limit exceeded';
  if (e.type === 4) return 'parameter problem';
  return `type ${e.type} code ${e.code}`;
}

interface State {
  errors: Map<string, IcmpError>;
  overflow: number;
}

export const icmpAnalyzer = defineAnalyzer<State, IcmpResult>({
  name: 'icmp',
  create: () => ({ errors: new Map(), overflow: 0 }),
  packet(s, f, p) {
    if (f.icmp < 0 || f.quotedIp < 0) return;
    const v6 = f.ids.icmpv6 === p.proto[f.icmp];
    if (!isIcmpError(v6, f.icmpType)) return;
    // The ICMP packet's own addresses: the innermost IP layer before the quoted one.
    const reporter = addrString(f.addr, 8);
    const to = addrString(f.addr, 12);
    const key = `${v6}|${f.icmpType}|${f.icmpCode}|${reporter}|${addrString(f.addr, 16)}|${addrString(f.addr, 20)}|${f.quotedProto}|${f.quotedDport}|${f.icmpMtu}`;
    let e = s.errors.get(key);
    if (!e) {
      if (s.errors.size >= MAX_KEYS) {
        s.overflow++;
        return;
      }
      e = {
        v6,
        type: f.icmpType,
        code: f.icmpCode,
        reporter,
        to,
        quotedSrc: addrString(f.addr, 16),
        quotedDst: addrString(f.addr, 20),
        quotedProto: f.quotedProto,
        quotedSport: f.quotedSport,
        quotedDport: f.quotedDport,
        quotedLen: f.quotedIpLen,
        mtu: f.icmpMtu,
        count: 0,
        packets: [],
        tunnelled: f.tunnelKind !== 0,
      };
      s.errors.set(key, e);
    }
    e.count++;
    if (e.packets.length < 10) e.packets.push(p.number);
  },
  finish: (s, ctx) => ({ capture: ctx.capture, errors: [...s.errors.values()], overflow: s.overflow }),
  diagnose(results, model) {
    const findings: Finding[] = [];
    for (const r of results) {
      if (!r) continue;
      for (const e of r.errors) {
        const fragNeeded = (!e.v6 && e.type === 3 && e.code === 4) || (e.v6 && e.type === 2);
        if (fragNeeded) continue; // the MTU analyzer owns these
        const what = describeIcmp(e);
        const prohibited = (!e.v6 && e.type === 3 && (e.code === 9 || e.code === 10 || e.code === 13)) || (e.v6 && e.type === 1 && e.code === 1);
        const portUnreach = (!e.v6 && e.type === 3 && e.code === 3) || (e.v6 && e.type === 1 && e.code === 4);
        const tunnelPort = e.quotedProto === 17 && [8472, 4789, 6081, 8285, 4790].includes(e.quotedDport);
        const proto = e.quotedProto === 6 ? 'tcp' : e.quotedProto === 17 ? 'udp' : `proto ${e.quotedProto}`;
        const target = `${e.quotedDst}${e.quotedDport ? ` ${proto}/${e.quotedDport}` : ''}`;
        const f: Finding = {
          id: tunnelPort && portUnreach ? 'icmp.tunnel-port-unreachable' : prohibited ? 'icmp.prohibited' : `icmp.${e.type}.${e.code}`,
          severity: tunnelPort || prohibited ? 'error' : e.type === 11 ? 'warning' : 'warning',
          confidence: Math.min(0.95, 0.6 + 0.05 * e.count),
          component: prohibited || (tunnelPort && portUnreach) ? 'firewall' : e.type === 11 ? 'route' : 'icmp',
          node: tunnelPort ? e.quotedDst : e.reporter,
          title: tunnelPort && portUnreach
            ? `${e.quotedDst} rejects tunnel traffic on UDP ${e.quotedDport}: ${what}`
            : `${e.reporter} reports ${what} for ${target}`,
          detail:
            tunnelPort && portUnreach
              ? `${e.quotedDst} answers encapsulated packets from ${e.quotedSrc} on UDP ${e.quotedDport} with ICMP port unreachable: no VTEP listens on that port there (the VXLAN device is down, missing, or configured with another port) or a firewall rejects it.`
              : `${e.reporter} sent ${e.count} ICMP ${what} message${e.count === 1 ? '' : 's'} to ${e.to} about packets from ${e.quotedSrc} to ${target}.` +
                (prohibited ? ' A firewall or network policy on the path rejects this traffic.' : e.type === 11 ? ' Packets loop or the path is longer than their TTL: look for a routing loop.' : ''),
          evidence: [{ capture: r.capture, packets: e.packets, count: e.count, note: `ICMP ${what} from ${e.reporter}` }],
          remedy: prohibited
            ? [`nft list ruleset   # on ${e.reporter}`, `kubectl get networkpolicy -A`]
            : tunnelPort
              ? [`ip -d link show type vxlan   # on ${e.quotedDst}: port and state of the VTEP`, `ss -uln | grep ${e.quotedDport}   # on ${e.quotedDst}`]
              : e.type === 11
                ? [`ip route get ${e.quotedDst}   # on ${e.reporter}`, `traceroute -n ${e.quotedDst}`]
                : [`ip route get ${e.quotedDst}   # on ${e.reporter}`],
        };
        findings.push(tunnelPort ? f : asSymptom(f, model, [nodeOf(model.topology, e.reporter), nodeOf(model.topology, e.quotedSrc), nodeOf(model.topology, e.quotedDst)]));
      }
    }
    return findings;
  },
});
