/**
 * `birdc show protocols [all]` and `birdc show route [all]`, BIRD 1.x (Calico's birdcl) and 2.x.
 *
 *   BIRD 2.0.12 ready.
 *   Name       Proto      Table      State  Since         Info
 *   node2      BGP        ---        up     05:45:09.289  Established
 *   node3      BGP        ---        start  05:45:09.196  Idle          BGP Error: Bad peer AS
 *
 *   Table master4:                                       (BIRD 2)
 *   100.97.2.0/26        unicast [node2 05:45:10.790] * (100) [i]
 *           via 198.18.0.2 on eth0
 *   10.244.1.0/26      via 10.0.0.2 on eth0 [Mesh_10_0_0_2 2023-01-01] * (100/0) [i]   (BIRD 1)
 *
 * Columns are split on whitespace, not positions: long protocol names (Calico's
 * `Mesh_192_168_100_101`) push the other columns right.
 */
import type { ProblemSink } from './text.js';
import { excerpt, isPrefix, toInt, tokens } from './text.js';
import type { BgpProtocolState, BirdNextHop, BirdRoute } from './types.js';

const BGP_FSM = new Set(['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established', 'Close', 'Passive', 'Down']);
const PROTO_STATES = new Set(['up', 'down', 'start', 'stop', 'feed', 'flush']);

export function birdBanner(line: string): boolean {
  return /^(\d{4}[ -])?BIRD \S+ ready\.\s*$/.test(line.trim());
}

export function birdProtocolsHeader(line: string): boolean {
  return /^name\s+proto\s+table\s+state\s+since\s+info\s*$/i.test(line.trim());
}

/** The BIRD 2 route table header, or a route line of either version. */
export function birdRouteLine(line: string): boolean {
  return /^Table \S+:\s*$/.test(line.trim()) || ROUTE_RE.test(line);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/;

export function parseBirdProtocolsText(lines: string[], sink: ProblemSink): BgpProtocolState[] {
  const out: BgpProtocolState[] = [];
  let cur: BgpProtocolState | null = null;
  lines.forEach((line, idx) => {
    const trimmed = line.trim();
    if (trimmed === '' || birdBanner(line) || birdProtocolsHeader(line)) return;
    if (/^\s/.test(line)) {
      // `show protocols all` detail lines.
      if (!cur) return;
      const m = /^([A-Za-z][A-Za-z .]*?):\s*(.*)$/.exec(trimmed);
      if (!m) return;
      const key = (m[1] as string).toLowerCase();
      const val = m[2] as string;
      if (key === 'neighbor address') cur.neighbor = val.split(/\s/)[0] ?? null;
      else if (key === 'neighbor as') cur.neighborAs = toInt(val);
      else if (key === 'local as') cur.localAs = toInt(val);
      else if (key === 'bgp state' && cur.bgpState === null) cur.bgpState = val;
      else if (key === 'last error' && !cur.message) cur.message = val;
      return;
    }
    const t = tokens(line);
    if (t.length < 5 || !PROTO_STATES.has(t[3] as string)) {
      cur = null;
      sink.add(idx, `not a birdc show protocols line: ${excerpt(line)}`);
      return;
    }
    // Since: one word (`05:45:05.182`, `2024-01-01`) or two with `timeformat ... iso long`.
    let next = 5;
    let since = t[4] as string;
    if (DATE.test(since) && t[5] !== undefined && TIME.test(t[5])) {
      since = `${since} ${t[5]}`;
      next = 6;
    }
    const info = t.slice(next).join(' ') === '' ? '' : infoText(line, t, next);
    const words = info.split(/\s+/);
    const fsm = words[0] !== undefined && BGP_FSM.has(words[0]) ? words[0] : null;
    cur = {
      name: t[0] as string,
      proto: t[1] as string,
      state: t[3] as string,
      info,
      table: t[2] === '---' ? null : (t[2] as string),
      since,
      bgpState: fsm,
      message: fsm !== null ? info.slice(fsm.length).trim() || null : info || null,
      neighbor: null,
      neighborAs: null,
      localAs: null,
    };
    out.push(cur);
  });
  return out;
}

/** The info column as printed from word `from` on, with its inner spacing collapsed to two. */
function infoText(line: string, t: string[], from: number): string {
  let pos = 0;
  for (let k = 0; k < from; k++) pos = line.indexOf(t[k] as string, pos) + (t[k] as string).length;
  return line.slice(pos).trim().replace(/\s{2,}/g, '  ');
}

const ROUTE_RE =
  /^(\S+)?\s+(.*?)\s*\[([^\s\]]+)(?:\s+([^\]]*?))?\]\s*(\*)?\s*\((\d+)(?:\/[^)]*)?\)\s*(?:\[([^\]]*)\])?\s*$/;

function nextHopFrom(words: string[]): BirdNextHop | null {
  if (words[0] === 'via') {
    const on = words.indexOf('on');
    const w = words.indexOf('weight');
    return { gateway: words[1] ?? null, dev: on >= 0 ? (words[on + 1] ?? null) : null, weight: w >= 0 ? toInt(words[w + 1]) : null };
  }
  if (words[0] === 'dev') return { gateway: null, dev: words[1] ?? null, weight: null };
  return null;
}

export function parseBirdRoutesText(lines: string[], sink: ProblemSink): BirdRoute[] {
  const out: BirdRoute[] = [];
  let table: string | null = null;
  let prefix: string | null = null;
  let cur: BirdRoute | null = null;
  lines.forEach((line, idx) => {
    const trimmed = line.trim();
    if (trimmed === '' || birdBanner(line)) return;
    const tm = /^Table (\S+):$/.exec(trimmed);
    if (tm) {
      table = tm[1] as string;
      cur = null;
      return;
    }
    const m = ROUTE_RE.exec(line);
    if (m) {
      const pfx = m[1] ?? prefix;
      if (pfx === null || !isPrefix(pfx)) {
        sink.add(idx, `route without a prefix: ${excerpt(line)}`);
        cur = null;
        return;
      }
      prefix = pfx;
      const body = tokens(m[2] as string);
      const when = (m[4] ?? '').split(/\s+/);
      const fromAt = when.indexOf('from');
      const nh = nextHopFrom(body);
      cur = {
        prefix: pfx,
        type: nh !== null || body[0] === 'multipath' || body.length === 0 ? 'unicast' : (body[0] as string),
        gateway: nh?.gateway ?? null,
        dev: nh?.dev ?? null,
        protocol: m[3] as string,
        primary: m[5] === '*',
        preference: toInt(m[6]),
        origin: m[7] ?? null,
        from: fromAt >= 0 ? (when[fromAt + 1] ?? null) : null,
        table,
        nexthops: nh ? [nh] : [],
        raw: trimmed.replace(/\s+/g, ' '),
      };
      out.push(cur);
      return;
    }
    if (/^\s/.test(line) && cur) {
      const words = tokens(trimmed);
      const nh = nextHopFrom(words);
      if (nh) {
        // BIRD 2 puts next hops on their own lines; BIRD 1 only for multipath.
        const route: BirdRoute = cur;
        route.nexthops.push(nh);
        route.gateway ??= nh.gateway;
        route.dev ??= nh.dev;
        route.raw += ` ${words.join(' ')}`;
        return;
      }
      // `show route all` attributes (Type:, BGP.origin:, BGP.as_path: ...).
      if (/^[A-Za-z][\w.]*:/.test(trimmed)) return;
    }
    cur = null;
    sink.add(idx, `not a birdc show route line: ${excerpt(line)}`);
  });
  return out;
}
