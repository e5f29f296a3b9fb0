import { addrString } from '../addr.js';
import { defineAnalyzer, type PassContext } from '../analyzer.js';
import type { PacketFacts } from '../facts.js';
import type { PacketView } from '../../decode/packet-view.js';
import type { Evidence, Finding } from '../finding.js';
import type { FlowSummary } from '../flow-table.js';
import { BGP_KEEPALIVE, BGP_NOTIFICATION, BGP_OPEN, BGP_UPDATE, bgpMessageType, forEachNlri, forEachWithdrawn, notificationInfo, openInfo, pathInfo } from '../../../dissectors/bgp.js';

/**
 * BGP as Calico runs it (BIRD, iBGP between nodes announcing pod blocks): sessions that
 * never come up (SYNs to 179 unanswered or refused, OPEN without OPEN back,
 * NOTIFICATION), sessions that die (hold timer expiry from missing KEEPALIVEs, flaps),
 * pod-CIDR routes withdrawn or never announced, and full mesh versus route reflectors.
 */

interface Speaker {
  ip: string;
  as: number | null;
  holdTime: number | null;
  routerId: string | null;
  openPacket: number;
}

export interface Notification {
  from: string;
  to: string;
  code: number;
  subcode: number;
  codeName: string;
  subcodeName: string;
  communication: string | null;
  time: number;
  packet: number;
}

interface Route {
  from: string;
  prefix: string;
  nextHop: string | null;
  time: number;
  packet: number;
}

export interface Direction {
  from: string;
  to: string;
  open: Speaker | null;
  /** OPENs sent this way: one per session (re)establishment, two when a connection collision is resolved. */
  opens: number;
  openPackets: number[];
  keepalives: number;
  lastKeepalive: number;
  maxGap: number;
  firstTime: number;
  lastTime: number;
  updates: number;
  packets: number[];
}

export interface BgpResult {
  capture: string;
  endTime: number;
  /** Session directions not tracked because the table was full. */
  overflow: number;
  directions: Direction[];
  notifications: Notification[];
  announced: Route[];
  withdrawn: Route[];
}

interface State {
  dirs: Map<string, Direction>;
  notifications: Notification[];
  announced: Map<string, Route>;
  withdrawn: Route[];
  endTime: number;
  overflow: number;
}

export const BGP_PORT = 179;
const MAX_ROUTES = 5000;
/** Session directions kept per capture; a scan of port 179 must not grow without bound. */
const MAX_DIRECTIONS = 4096;
const toIp = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function dirOf(s: State, from: string, to: string, time: number): Direction | null {
  const k = `${from}>${to}`;
  let d = s.dirs.get(k);
  if (!d) {
    if (s.dirs.size >= MAX_DIRECTIONS) {
      s.overflow++;
      return null;
    }
    s.dirs.set(k, (d = { from, to, open: null, opens: 0, openPackets: [], keepalives: 0, lastKeepalive: 0, maxGap: 0, firstTime: time, lastTime: time, updates: 0, packets: [] }));
  }
  return d;
}

export type SeenDirection = Direction & { capture: string };

/** Hold time the two ends agree on: the smaller of the two OPENs' (RFC 4271 4.2); 0 means no KEEPALIVEs at all. */
export function negotiatedHoldTime(dirs: ReadonlyArray<Direction>): number | null {
  const offered = dirs.flatMap((d) => (d.open?.holdTime !== undefined && d.open.holdTime !== null ? [d.open.holdTime] : []));
  return offered.length ? Math.min(...offered) : null;
}

/**
 * When the session between a and b was last seen closed in this capture: a NOTIFICATION
 * either way, or the BGP connection's FIN or RST. -Infinity when it never was.
 */
export function sessionClosedAt(r: BgpResult, flows: ReadonlyArray<FlowSummary>, a: string, b: string): number {
  let at = -Infinity;
  const pair = (x: string, y: string) => (x === a && y === b) || (x === b && y === a);
  for (const n of r.notifications) if (pair(n.from, n.to) && n.time > at) at = n.time;
  for (const f of flows) {
    if (f.tcp === null || (f.sport !== BGP_PORT && f.dport !== BGP_PORT) || !pair(f.src, f.dst)) continue;
    if ((f.tcp.fin > 0 || f.tcp.rst[0] + f.tcp.rst[1] > 0) && f.lastTime > at) at = f.lastTime;
  }
  return at;
}

/** Sessions by unordered speaker pair, with every direction seen in every capture. */
export function sessions(results: ReadonlyArray<BgpResult | undefined>): Map<string, { a: string; b: string; dirs: SeenDirection[]; capture: string[] }> {
  const out = new Map<string, { a: string; b: string; dirs: SeenDirection[]; capture: string[] }>();
  for (const r of results) {
    if (!r) continue;
    for (const d of r.directions) {
      const [a, b] = [d.from, d.to].sort();
      const k = `${a}|${b}`;
      let s = out.get(k);
      if (!s) out.set(k, (s = { a: a!, b: b!, dirs: [], capture: [] }));
      s.dirs.push({ ...d, capture: r.capture });
      if (!s.capture.includes(r.capture)) s.capture.push(r.capture);
    }
  }
  return out;
}

/**
 * The BGP messages of one segment. Apart from the hook: its callbacks capture the hook's
 * arguments, and a function whose arguments are captured allocates their context on
 * every call, BGP or not.
 */
function bgpMessages(s: State, f: PacketFacts, p: PacketView, ctx: PassContext): void {
  const from = addrString(f.addr, 8);
  const to = addrString(f.addr, 12);
  const d = dirOf(s, from, to, ctx.time);
  if (d === null) return;
  d.lastTime = ctx.time;
  if (d.packets.length < 10) d.packets.push(p.number);
  const bgpId = p.proto[f.firstBgp]!;
  for (let i = f.firstBgp; i < p.nLayers; i++) {
    if (p.proto[i] !== bgpId) continue;
    const type = bgpMessageType(p, i);
    if (type === BGP_OPEN) {
      const o = openInfo(p, i);
      if (o) d.open = { ip: from, as: o.myAs, holdTime: o.holdTime, routerId: toIp(o.identifier), openPacket: p.number };
      d.opens++;
      // A new session: the silence before it belongs to the old one (a flap), not to this hold timer.
      d.lastKeepalive = -1;
      if (d.openPackets.length < 10) d.openPackets.push(p.number);
    } else if (type === BGP_KEEPALIVE) {
      if (d.keepalives > 0 && d.lastKeepalive >= 0) d.maxGap = Math.max(d.maxGap, ctx.time - d.lastKeepalive);
      d.keepalives++;
      d.lastKeepalive = ctx.time;
    } else if (type === BGP_NOTIFICATION) {
      const n = notificationInfo(p, i);
      if (n && s.notifications.length < 200) s.notifications.push({ from, to, code: n.code, subcode: n.subcode, codeName: n.codeName, subcodeName: n.subcodeName, communication: n.communication, time: ctx.time, packet: p.number });
    } else if (type === BGP_UPDATE) {
      d.updates++;
      const path = pathInfo(p, i);
      forEachNlri(p, i, (_afi, _safi, address, length) => {
        const prefix = `${address}/${length}`;
        if (s.announced.size < MAX_ROUTES || s.announced.has(`${from}|${prefix}`)) s.announced.set(`${from}|${prefix}`, { from, prefix, nextHop: path?.nextHop || null, time: ctx.time, packet: p.number });
      });
      forEachWithdrawn(p, i, (_afi, _safi, address, length) => {
        if (s.withdrawn.length < MAX_ROUTES) s.withdrawn.push({ from, prefix: `${address}/${length}`, nextHop: null, time: ctx.time, packet: p.number });
      });
    }
  }
}

export const bgpAnalyzer = defineAnalyzer<State, BgpResult>({
  name: 'bgp',
  create: () => ({ dirs: new Map(), notifications: [], announced: new Map(), withdrawn: [], endTime: 0, overflow: 0 }),
  packet(s, f, p, ctx) {
    s.endTime = ctx.time;
    if (f.firstBgp < 0 || f.innerIp < 0) return;
    bgpMessages(s, f, p, ctx);
  },
  finish: (s, ctx) => ({ capture: ctx.capture, endTime: s.endTime, overflow: s.overflow, directions: [...s.dirs.values()], notifications: s.notifications, announced: [...s.announced.values()], withdrawn: s.withdrawn }),
  topology(results) {
    const podCidrs = [];
    const speakers = new Set<string>();
    const all = sessions(results);
    for (const r of results) {
      if (!r) continue;
      for (const a of r.announced) {
        podCidrs.push({ cidr: a.prefix, nodeIp: a.nextHop && a.nextHop !== '0.0.0.0' ? a.nextHop : a.from, source: 'bgp' as const, evidence: [{ capture: r.capture, packets: [a.packet], count: 1 }] });
      }
      for (const d of r.directions) if (d.open) speakers.add(d.from);
    }
    const degree = new Map<string, number>();
    for (const s of all.values()) for (const x of [s.a, s.b]) degree.set(x, (degree.get(x) ?? 0) + 1);
    const n = speakers.size;
    // With route reflectors each client keeps one or two sessions; the reflectors talk to everyone.
    // A star of sessions around one speaker is also what a capture on a full-mesh node sees: no claim then.
    const hubs = [...degree].filter(([, d]) => d >= n - 1).map(([ip]) => ip);
    const star = hubs.length === 1 && all.size === n - 1;
    const reflectors = n >= 3 && all.size < (n * (n - 1)) / 2 && !star ? hubs : [];
    return { podCidrs, bgp: { speakers: [...speakers], sessions: all.size, reflectors } };
  },
  diagnose(results, model) {
    const findings: Finding[] = [];
    const all = sessions(results);
    // NOTIFICATIONs: who is at fault depends on the error.
    const byTarget = new Map<string, Notification[]>();
    for (const r of results) for (const n of r?.notifications ?? []) {
      // Errors about the peer's OPEN or its silence point at the peer; a Cease names the sender's choice.
      const culprit = n.code === 6 ? n.from : n.to;
      const k = `${culprit}|${n.code}|${n.subcode}`;
      const l = byTarget.get(k) ?? [];
      l.push(n);
      byTarget.set(k, l);
    }
    const evFor = (ns: Notification[]): Evidence[] => {
      const out: Evidence[] = [];
      for (const r of results) {
        if (!r) continue;
        const mine = ns.filter((n) => r.notifications.includes(n));
        if (mine.length) out.push({ capture: r.capture, packets: mine.map((n) => n.packet).slice(0, 10), count: mine.length, note: `NOTIFICATION ${mine[0]!.code}/${mine[0]!.subcode} (${mine[0]!.codeName}${mine[0]!.subcodeName ? `: ${mine[0]!.subcodeName}` : ''}) ${mine[0]!.from} → ${mine[0]!.to}` });
      }
      return out;
    };
    for (const [k, ns] of byTarget) {
      const [culprit] = k.split('|');
      const n0 = ns[0]!;
      const peers = [...new Set(ns.map((n) => (n.from === culprit ? n.to : n.from)))];
      const what = `${n0.codeName}${n0.subcodeName ? `: ${n0.subcodeName}` : ''}`;
      let title: string;
      let detail: string;
      let remedy: string[];
      let severity: Finding['severity'] = 'error';
      if (n0.code === 2 && n0.subcode === 2) {
        const open = [...all.values()].flatMap((s) => s.dirs).find((d) => d.from === culprit && d.open)?.open;
        const others = [...all.values()].flatMap((s) => s.dirs).filter((d) => d.from !== culprit && d.open).map((d) => d.open!.as);
        title = `BGP peers reject ${culprit}: bad peer AS${open?.as !== undefined && open?.as !== null ? ` (${culprit} says AS ${open.as}${others.length ? `, the others use AS ${[...new Set(others)].join(', ')}` : ''})` : ''}`;
        detail = `${peers.join(', ')} close the BGP session with NOTIFICATION ${what}: the AS number ${culprit} announces in its OPEN is not the one its peers are configured to expect. No routes are exchanged, so pod CIDRs behind ${culprit} are unreachable from the others (and theirs from it).`;
        remedy = [`birdc show protocols all   # on ${culprit}: local AS vs neighbor AS`, 'calicoctl get bgpconfiguration default -o yaml; calicoctl get node <name> -o yaml   # asNumber', 'calicoctl get bgppeers -o wide'];
      } else if (n0.code === 4) {
        title = `BGP hold timer expired for ${culprit}: it stopped sending KEEPALIVEs`;
        detail = `${peers.join(', ')} gave up on the session with ${culprit} (NOTIFICATION ${what}): no KEEPALIVE or UPDATE from ${culprit} within the hold time. The BGP daemon on ${culprit} is stopped or hung, or the path to it is broken; the routes it announced (its pod blocks) are withdrawn from the others.`;
        remedy = [`birdc show protocols   # on ${culprit}: does BIRD answer?`, `kubectl -n kube-system get pods -o wide | grep calico-node   # on ${culprit}'s node: restarts?`, `ping -c 3 ${culprit}   # from a peer`];
      } else if (n0.code === 6) {
        severity = 'warning';
        title = `${culprit} closed its BGP session${peers.length ? `s with ${peers.join(', ')}` : ''}: ${what}`;
        detail = `${culprit} sent NOTIFICATION ${what}${n0.communication ? ` ("${n0.communication}")` : ''}: the session was shut down on purpose (administrative action, restart, or a limit reached).`;
        remedy = [`birdc show protocols all   # on ${culprit}`];
      } else {
        title = `BGP session error with ${culprit}: ${what}`;
        detail = `${peers.join(', ')} closed the session with ${culprit} with NOTIFICATION ${what}.`;
        remedy = [`birdc show protocols all   # on ${culprit} and ${peers[0] ?? 'its peer'}`];
      }
      findings.push({ id: `bgp-session.notification-${n0.code}-${n0.subcode}`, severity, confidence: Math.min(0.95, 0.7 + 0.1 * ns.length), component: 'bgp-session', node: culprit ?? null, title, detail, evidence: evFor(ns), remedy });
    }
    // OPEN one way only, or keepalives that stop without a NOTIFICATION seen.
    const noted = new Set(findings.map((f) => f.node));
    for (const s of all.values()) {
      const ab = s.dirs.filter((d) => d.from === s.a);
      const ba = s.dirs.filter((d) => d.from === s.b);
      const openA = ab.some((d) => d.open);
      const openB = ba.some((d) => d.open);
      if (openA !== openB) {
        const silent = openA ? s.b : s.a;
        if (noted.has(silent)) continue;
        noted.add(silent);
        findings.push({
          id: 'bgp-session.open-unanswered',
          severity: 'error',
          confidence: 0.7,
          component: 'bgp-session',
          node: silent,
          title: `${silent} never answers BGP OPEN from ${openA ? s.a : s.b}`,
          detail: `${openA ? s.a : s.b} opens a BGP session to ${silent} but no OPEN comes back: BIRD on ${silent} is not configured with this peer, or not running.`,
          evidence: [...ab, ...ba].map((d) => ({ capture: d.capture, packets: d.packets, count: d.packets.length, note: `${d.from} → ${d.to}${d.open ? ' OPEN' : ''}` })),
          remedy: [`birdc show protocols   # on ${silent}`, `ss -tlnp | grep 179   # on ${silent}`],
        });
        continue;
      }
      results.forEach((r, ci) => {
        if (!r) return;
        const closedAfter = sessionClosedAt(r, model.flows[ci] ?? [], s.a, s.b);
        for (const d of r.directions.filter((x) => ((x.from === s.a && x.to === s.b) || (x.from === s.b && x.to === s.a)) && x.keepalives > 0)) {
          const hold = negotiatedHoldTime(s.dirs) ?? 90;
          // Silence after the session was closed (NOTIFICATION, FIN, RST) is not a hold timer running out.
          const silentFor = closedAfter >= d.lastTime ? 0 : r.endTime - Math.max(d.lastKeepalive, d.lastTime);
          const gap = Math.max(d.maxGap, silentFor);
          if (hold > 0 && gap > hold && !noted.has(d.from)) {
            noted.add(d.from);
            findings.push({
              id: 'bgp-session.keepalives-stop',
              severity: 'error',
              confidence: 0.75,
              component: 'bgp-session',
              node: d.from,
              title: `${d.from} stops sending BGP KEEPALIVEs to ${d.to} (silent ${gap.toFixed(1)} s, hold time ${hold} s)`,
              detail: `KEEPALIVEs from ${d.from} stop for longer than the hold time: the session will expire (or has) and ${d.to} withdraws the routes learned from ${d.from}. The BGP daemon on ${d.from} is stopped or hung, or the path is broken.`,
              evidence: [{ capture: r.capture, packets: d.packets, count: d.keepalives, note: d.lastKeepalive >= 0 ? `last KEEPALIVE from ${d.from} at +${(d.lastKeepalive - d.firstTime).toFixed(1)} s` : `no KEEPALIVE from ${d.from} since its last OPEN` }],
              remedy: [`birdc show protocols   # on ${d.from}`],
            });
          }
        }
      });
    }
    // Pod routes: a speaker with established sessions that never announces its block.
    const announcedBy = new Set<string>();
    const withdrawnBy = new Map<string, Route[]>();
    for (const r of results) {
      for (const a of r?.announced ?? []) announcedBy.add(a.nextHop && a.nextHop !== '0.0.0.0' ? a.nextHop : a.from);
      for (const w of r?.withdrawn ?? []) withdrawnBy.set(w.from, [...(withdrawnBy.get(w.from) ?? []), w]);
    }
    const established = new Set<string>();
    for (const s of all.values()) {
      const both = s.dirs.some((d) => d.from === s.a && d.open) && s.dirs.some((d) => d.from === s.b && d.open);
      const ka = s.dirs.some((d) => d.keepalives > 0);
      if (both || ka) {
        established.add(s.a);
        established.add(s.b);
      }
    }
    if (announcedBy.size > 0) {
      for (const sp of established) {
        if (announcedBy.has(sp) || noted.has(sp)) continue;
        const podsBehind = model.topology.podCidrs.filter((c) => c.nodeIp === sp && c.source !== 'bgp');
        findings.push({
          id: 'bgp-routes.never-announced',
          severity: 'error',
          confidence: 0.7,
          component: 'bgp-routes',
          node: sp,
          title: `${sp} has BGP sessions up but announces no pod routes`,
          detail: `The other speakers announce their pod blocks, but no UPDATE from ${sp} carries a prefix${podsBehind.length ? ` (pods of ${podsBehind.map((c) => c.cidr).join(', ')} live behind it)` : ''}: traffic to ${sp}'s pods has no route on the other nodes.`,
          evidence: [...all.values()].filter((s) => s.a === sp || s.b === sp).flatMap((s) => s.dirs.filter((d) => d.from === sp).map((d) => ({ capture: d.capture, packets: d.packets, count: d.updates, note: `${d.updates} UPDATE(s) from ${sp} to ${d.to}, no NLRI` }))),
          remedy: [`birdc show route export <protocol>   # on ${sp}: what it exports`, 'calicoctl ipam show --show-blocks', `birdc show protocols all   # on ${sp}: export filter`],
        });
      }
    }
    for (const [from, ws] of withdrawnBy) {
      if (noted.has(from) || findings.some((f) => f.component === 'bgp-session')) continue;
      findings.push({
        id: 'bgp-routes.withdrawn',
        severity: 'warning',
        confidence: 0.6,
        component: 'bgp-routes',
        node: from,
        title: `${from} withdraws ${ws.length} route${ws.length === 1 ? '' : 's'}: ${[...new Set(ws.map((w) => w.prefix))].slice(0, 4).join(', ')}`,
        detail: `BGP UPDATEs from ${from} withdraw pod routes: the pods behind them become unreachable from its peers until they are announced again.`,
        evidence: results.flatMap((r) => {
          const mine = (r?.withdrawn ?? []).filter((w) => w.from === from);
          return r && mine.length ? [{ capture: r.capture, packets: mine.map((w) => w.packet).slice(0, 10), count: mine.length, note: 'withdrawn prefixes' }] : [];
        }),
        remedy: [`birdc show route   # on ${from}`],
      });
    }
    return findings;
  },
});
