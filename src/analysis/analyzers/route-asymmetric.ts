import { defineAnalyzer } from '../analyzer.js';
import { captureOwners, nodeStateHosts, ownerHints } from '../capture-owner.js';
import type { Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import type { CaptureSummary } from '../model.js';

/**
 * Asymmetric paths inside one capture that names its interfaces (pcapng with several
 * interfaces, `tcpdump -i any` as Linux cooked v2): requests leave on one interface and
 * replies come back on another. When no interface sees the replies go further (towards
 * the pod or socket that asked), the node dropped them on arrival: strict reverse-path
 * filtering (rp_filter=1) rejects a packet arriving on an interface that is not the one
 * its source is routed through. When the replies are forwarded on, the path is only
 * noted: it works, but is one rp_filter or conntrack change away from breaking.
 */

const PCAPNG_IFACE = 1048576;

interface Side {
  fromInit: number;
  fromResp: number;
  firstPacket: number;
  lastPacket: number;
}

interface Conversation {
  rows: FlowSummary[];
}

interface PathGroup {
  init: string;
  resp: string;
  requestIfaces: Set<number>;
  replyIfaces: Set<number>;
  delivered: boolean;
  retried: boolean;
  conversations: number;
  packets: number[];
  replies: number;
}

/** Either direction of a conversation, whatever row (interface, outer path) it was seen in. */
function conversationKey(f: FlowSummary): string {
  const a = `${f.src}:${f.sport}`;
  const b = `${f.dst}:${f.dport}`;
  return `${f.protoName} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;
}

function isGroupAddress(ip: string): boolean {
  const first = Number(ip.split('.')[0]);
  return ip === '255.255.255.255' || (first >= 224 && first <= 239) || ip.toLowerCase().startsWith('ff');
}

export function ifaceName(cap: CaptureSummary, iface: number): string {
  const pcapngIdx = Math.floor(iface / PCAPNG_IFACE);
  const ifindex = iface % PCAPNG_IFACE;
  const named = cap.interfaces.find((i) => i.index === pcapngIdx)?.name;
  if (ifindex > 0) return `ifindex ${ifindex}${named ? ` (${named})` : ''}`;
  return named ?? `interface ${pcapngIdx}`;
}

function sides(rows: FlowSummary[]): { init: FlowSummary; perIface: Map<number, Side> } {
  // The flow table names the SYN's sender the initiator; without a SYN, the earliest packet's.
  const init = rows.find((r) => r.tcp && r.tcp.syn > 0) ?? rows.reduce((a, b) => (b.firstTime < a.firstTime ? b : a));
  const perIface = new Map<number, Side>();
  for (const r of rows) {
    const same = r.src === init.src && r.sport === init.sport;
    let s = perIface.get(r.iface);
    if (!s) perIface.set(r.iface, (s = { fromInit: 0, fromResp: 0, firstPacket: r.firstPacket, lastPacket: r.lastPacket }));
    s.fromInit += same ? r.packets[0] : r.packets[1];
    s.fromResp += same ? r.packets[1] : r.packets[0];
    s.firstPacket = Math.min(s.firstPacket, r.firstPacket);
    s.lastPacket = Math.max(s.lastPacket, r.lastPacket);
  }
  return { init, perIface };
}

export const routeAsymmetricAnalyzer = defineAnalyzer<null, null>({
  name: 'route-asymmetric',
  create: () => null,
  finish: () => null,
  diagnose(_r, model) {
    const findings: Finding[] = [];
    const owners = captureOwners(model.flows, ownerHints(model.captures.map((c) => c.name), nodeStateHosts(model.nodeState?.nodes ?? [])));
    model.flows.forEach((list, ci) => {
      const cap = model.captures[ci]!;
      if (new Set(list.map((f) => f.iface)).size < 2) return;
      const convs = new Map<string, Conversation>();
      for (const f of list) {
        if (isGroupAddress(f.dst) || isGroupAddress(f.src)) continue;
        const k = conversationKey(f);
        let c = convs.get(k);
        if (!c) convs.set(k, (c = { rows: [] }));
        c.rows.push(f);
      }
      const groups = new Map<string, PathGroup>();
      for (const c of convs.values()) {
        const { init, perIface } = sides(c.rows);
        if (perIface.size < 2) continue;
        const requestIfaces = new Set<number>();
        const replyIfaces = new Set<number>();
        let delivered = false;
        for (const [iface, s] of perIface) {
          if (s.fromInit > 0 && s.fromResp === 0) requestIfaces.add(iface);
          else if (s.fromResp > 0 && s.fromInit === 0) replyIfaces.add(iface);
          else if (s.fromInit > 0 && s.fromResp > 0) delivered = true;
        }
        if (requestIfaces.size === 0 || replyIfaces.size === 0) continue;
        const retried = c.rows.some((r) => r.tcp !== null && (r.tcp.syn >= 2 || r.tcp.retransmissions[0] + r.tcp.retransmissions[1] >= 2)) || [...requestIfaces].some((i) => perIface.get(i)!.fromInit >= 2);
        const k = `${init.src}>${init.dst}|${delivered}`;
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { init: init.src, resp: init.dst, requestIfaces: new Set(), replyIfaces: new Set(), delivered, retried: false, conversations: 0, packets: [], replies: 0 }));
        g.conversations++;
        g.retried ||= retried;
        for (const i of requestIfaces) g.requestIfaces.add(i);
        for (const i of replyIfaces) {
          g.replyIfaces.add(i);
          const s = perIface.get(i)!;
          g.replies += s.fromResp;
          for (const n of [s.firstPacket, s.lastPacket]) if (g.packets.length < 10 && !g.packets.includes(n)) g.packets.push(n);
        }
      }
      const owner = owners[ci]?.ip ?? null;
      for (const g of groups.values()) {
        const out = [...g.requestIfaces].map((i) => ifaceName(cap, i)).join(', ');
        const back = [...g.replyIfaces].map((i) => ifaceName(cap, i)).join(', ');
        const where = owner ? ` on ${owner}` : '';
        const n = `${g.conversations} conversation${g.conversations === 1 ? '' : 's'}`;
        const evidence = [{ capture: cap.name, packets: g.packets, count: g.replies, note: `${g.replies} repl${g.replies === 1 ? 'y' : 'ies'} from ${g.resp} arriving on ${back}; requests left on ${out}` }];
        if (!g.delivered) {
          findings.push({
            id: 'route.reply-dropped-asymmetric',
            severity: g.retried ? 'error' : 'warning',
            confidence: g.retried ? 0.75 : 0.55,
            component: 'route',
            node: owner,
            title: `Replies from ${g.resp} to ${g.init} arrive on ${back}, not ${out}, and go no further${where}`,
            detail:
              `Requests from ${g.init} to ${g.resp} leave on ${out}; the replies come back on ${back} (${n}) and are not seen forwarded on to ${g.init}. ` +
              `The return path is asymmetric and the node drops the replies on arrival: with strict reverse-path filtering (rp_filter=1) the kernel rejects a packet whose source it would route out of another interface. ` +
              `Either the route back towards ${g.resp} on the remote side is wrong, or this node needs loose rp_filter (2) on ${back}.`,
            evidence,
            remedy: [
              `sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter   # on the node${where}; also per interface (net.ipv4.conf.<iface>.rp_filter)`,
              `ip route get ${g.resp}   # on the node${where}: which interface it would use towards the replier`,
              'nstat -az | grep -i ReversePath   # IPReversePathFilter counts rp_filter drops',
              `ip route get ${g.init} from ${g.resp} iif <interface the replies arrive on>`,
            ],
          });
        } else {
          findings.push({
            id: 'route.asymmetric-path',
            severity: 'info',
            confidence: 0.6,
            component: 'route',
            node: owner,
            title: `Asymmetric path${where}: ${g.init} → ${g.resp} leaves on ${out}, replies return on ${back}`,
            detail: `${n} between ${g.init} and ${g.resp} use one interface out and another back. The replies are delivered, but strict rp_filter, stateful firewalls and conntrack zones on the return interface would break them.`,
            evidence,
            remedy: [`ip route get ${g.resp}; ip route get ${g.init}   # on the node${where}`, 'sysctl -a 2>/dev/null | grep "\\.rp_filter"'],
          });
        }
      }
    });
    return findings;
  },
});
