/**
 * Text output of `ip addr`, `ip [-d] link`, `ip -br addr|link`, `ip route` and `ip neigh`
 * (iproute2 4.x to 6.x) -> node state. Lines that are not understood become problems with their
 * line number; parsing always continues with the next line.
 */
import type { ProblemSink } from './text.js';
import { excerpt, isHwAddr, isIP, isIPv4, isIPv6, isPrefix, normalizeDst, toInt, tokens } from './text.js';
import type { NodeAddress, NodeLink, NodeNeighbor, NodeNextHop, NodeRoute } from './types.js';

// ---------------------------------------------------------------------------------------------
// ip addr / ip link: blocks of "N: name[@link]: <FLAGS> mtu ..." followed by indented lines.

const LINK_HEADER = /^(\d+):\s+([^:]+):\s+<([^>]*)>\s*(.*)$/;

/** First words of indented `ip -d link` lines that are not the device kind. */
const NOT_KIND = new Set([
  'addrgenmode', 'altname', 'alias', 'vf', 'prop', 'numtxqueues', 'numrxqueues', 'gso_max_size', 'gso_max_segs',
  'tso_max_size', 'tso_max_segs', 'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size', 'parentbus', 'parentdev',
  'portname', 'portid', 'switchid', 'promiscuity', 'allmulti', 'minmtu', 'maxmtu', 'protodown', 'xdp', 'xdpgeneric',
  'xdpdrv', 'xdpoffload', 'valid_lft', 'inet', 'inet6', 'cache', 'ifb', 'vrf_slave',
]);

const OPER_STATES = new Set(['UP', 'DOWN', 'UNKNOWN', 'LOWERLAYERDOWN', 'DORMANT', 'NOTPRESENT', 'TESTING']);

interface Block {
  index: number;
  link: NodeLink;
  nameRaw: string;
}

/** Splits `name@peer` where names may themselves contain `@` (see resolveNames). */
function splitNameCandidates(raw: string): number[] {
  const at: number[] = [];
  for (let i = raw.indexOf('@'); i >= 0; i = raw.indexOf('@', i + 1)) at.push(i);
  return at;
}

/**
 * `ip` prints `name@peer` and Linux lets names contain `@`, so `a@b@c` is ambiguous. A split
 * whose peer part is `ifN`, `NONE` or another interface's name wins; otherwise the last `@`.
 */
function resolveNames(blocks: Block[]): void {
  const candidates = new Set<string>();
  for (const b of blocks) {
    candidates.add(b.nameRaw);
    for (const i of splitNameCandidates(b.nameRaw)) candidates.add(b.nameRaw.slice(0, i));
  }
  for (const b of blocks) {
    const ats = splitNameCandidates(b.nameRaw);
    if (ats.length === 0) continue;
    let pick = ats[ats.length - 1] as number;
    if (ats.length > 1) {
      for (const i of ats) {
        const peer = b.nameRaw.slice(i + 1);
        if (/^if\d+$/.test(peer) || peer === 'NONE' || candidates.has(peer)) {
          pick = i;
          break;
        }
      }
    }
    b.link.ifname = b.nameRaw.slice(0, pick);
    b.link.link = b.nameRaw.slice(pick + 1);
  }
}

function headerFields(link: NodeLink, rest: string): void {
  const t = tokens(rest);
  for (let i = 0; i < t.length - 1; i++) {
    const k = t[i];
    const v = t[i + 1] as string;
    if (k === 'mtu') link.mtu = toInt(v);
    else if (k === 'master') link.master = v;
    else if (k === 'state') link.state = v;
  }
}

function vxlanFromTokens(t: string[]): NonNullable<NodeLink['vxlan']> {
  const vx: NonNullable<NodeLink['vxlan']> = { id: null, port: null, local: null, dev: null, learning: true, remote: null, group: null, external: false };
  for (let i = 1; i < t.length; i++) {
    const k = t[i];
    const v = t[i + 1];
    if (k === 'id') vx.id = toInt(v);
    else if (k === 'dstport') vx.port = toInt(v);
    else if (k === 'local') vx.local = v ?? null;
    else if (k === 'dev') vx.dev = v ?? null;
    else if (k === 'remote') vx.remote = v ?? null;
    else if (k === 'group') vx.group = v ?? null;
    else if (k === 'nolearning') vx.learning = false;
    else if (k === 'external') vx.external = true;
    else continue;
    if (k !== 'nolearning' && k !== 'external') i++;
  }
  return vx;
}

export interface AddrLinkResult {
  addresses: NodeAddress[];
  links: NodeLink[];
}

/** Parses `ip addr` and `ip [-d] link` text (one format: addr adds inet/inet6 lines). */
export function parseAddrLinkText(lines: string[], sink: ProblemSink): AddrLinkResult {
  const blocks: Block[] = [];
  const pendingAddrs: { block: Block; addr: Omit<NodeAddress, 'ifname'> }[] = [];
  let cur: Block | null = null;
  let inAlias = false;
  let kindSeen = false;
  lines.forEach((line, idx) => {
    if (line.trim() === '') {
      if (inAlias && cur) cur.link.alias += '\n';
      return;
    }
    const h = LINK_HEADER.exec(line);
    if (h) {
      const link: NodeLink = {
        ifname: h[2] as string,
        kind: null,
        mtu: null,
        mac: null,
        state: null,
        master: null,
        ifindex: toInt(h[1]),
        link: null,
        flags: (h[3] as string).split(',').filter((f) => f !== ''),
        alias: null,
      };
      headerFields(link, h[4] as string);
      cur = { index: idx, link, nameRaw: h[2] as string };
      blocks.push(cur);
      inAlias = false;
      kindSeen = false;
      return;
    }
    const t = tokens(line);
    const first = t[0] as string;
    const ipLine = /^ {4}/.test(line) && /^(inet6?|valid_lft|link\/\S+|altname)$/.test(first);
    if (inAlias && cur && !ipLine) {
      // A newline inside an alias: `ip` prints the rest of the alias on following lines.
      cur.link.alias += '\n' + line;
      return;
    }
    inAlias = false;
    if (!cur || !/^\s/.test(line)) {
      sink.add(idx, `not ip addr/link output: ${excerpt(line)}`);
      return;
    }
    const link: NodeLink = cur.link;
    if (first.startsWith('link/')) {
      const addr = t[1];
      if (first !== 'link/none' && addr !== undefined && isHwAddr(addr)) link.mac = addr;
      return;
    }
    if (first === 'inet' || first === 'inet6') {
      const a = t[1] ?? '';
      let address = a;
      let prefixlen: number | null = null;
      let peer: string | null = null;
      const slash = a.indexOf('/');
      if (slash >= 0) {
        address = a.slice(0, slash);
        prefixlen = toInt(a.slice(slash + 1));
      }
      const pi = t.indexOf('peer');
      if (pi >= 0 && t[pi + 1] !== undefined) {
        const p = t[pi + 1] as string;
        const ps = p.indexOf('/');
        peer = ps >= 0 ? p.slice(0, ps) : p;
        if (prefixlen === null && ps >= 0) prefixlen = toInt(p.slice(ps + 1));
      }
      const okAddr = first === 'inet' ? isIPv4(address) : isIPv6(address);
      if (!okAddr) {
        sink.add(idx, `bad ${first} address: ${excerpt(line)}`);
        return;
      }
      if (prefixlen === null) prefixlen = first === 'inet' ? 32 : 128;
      const si = t.indexOf('scope');
      pendingAddrs.push({
        block: cur,
        addr: { address, prefixlen, family: first, scope: si >= 0 ? (t[si + 1] ?? null) : null, peer },
      });
      return;
    }
    if (first === 'alias') {
      link.alias = line.replace(/^\s*alias ?/, '');
      inAlias = true;
      return;
    }
    if (first === 'valid_lft' || first === 'altname' || first.includes('/') || NOT_KIND.has(first) || first.endsWith('_slave')) return;
    if (!kindSeen && /^[a-z][a-z0-9_]*$/.test(first)) {
      kindSeen = true;
      link.kind = first;
      if (first === 'vxlan') link.vxlan = vxlanFromTokens(t);
      return;
    }
    // Further detail lines of `ip -d link` (bridge options, bond info...) carry nothing we use.
  });
  resolveNames(blocks);
  const addresses: NodeAddress[] = pendingAddrs.map(({ block, addr }) => ({ ifname: block.link.ifname, ...addr }));
  return { addresses, links: blocks.map((b) => b.link) };
}

/** `ip -br addr` / `ip -br link`: `name[@peer]  STATE  addresses...` or `... mac <FLAGS>`. */
export function parseBriefText(lines: string[], sink: ProblemSink): AddrLinkResult {
  const addresses: NodeAddress[] = [];
  const links: NodeLink[] = [];
  lines.forEach((line, idx) => {
    if (line.trim() === '') return;
    const t = tokens(line);
    if (t.length < 2 || !OPER_STATES.has(t[1] as string)) {
      sink.add(idx, `not ip -br output: ${excerpt(line)}`);
      return;
    }
    const nameRaw = t[0] as string;
    const at = nameRaw.lastIndexOf('@');
    const link: NodeLink = {
      ifname: at >= 0 ? nameRaw.slice(0, at) : nameRaw,
      kind: null,
      mtu: null,
      mac: null,
      state: t[1] as string,
      master: null,
      link: at >= 0 ? nameRaw.slice(at + 1) : null,
    };
    links.push(link);
    for (let i = 2; i < t.length; i++) {
      const w = t[i] as string;
      if (w.startsWith('<')) link.flags = w.replace(/[<>]/g, '').split(',').filter((f) => f !== '');
      else if (isHwAddr(w)) link.mac = w;
      else if (w === 'peer') i++;
      else {
        const [a, len] = w.split('/');
        if (a !== undefined && isIP(a)) {
          const v4 = isIPv4(a);
          const peerTok = t[i + 1] === 'peer' ? t[i + 2] : undefined;
          const plen = len !== undefined ? toInt(len) : peerTok?.includes('/') ? toInt(peerTok.split('/')[1]) : v4 ? 32 : 128;
          addresses.push({ ifname: link.ifname, address: a, prefixlen: plen ?? (v4 ? 32 : 128), family: v4 ? 'inet' : 'inet6', peer: peerTok ? (peerTok.split('/')[0] ?? null) : null });
        } else sink.add(idx, `unrecognised word ${excerpt(w, 40)}`);
      }
    }
  });
  return { addresses, links };
}

// ---------------------------------------------------------------------------------------------
// ip route

export const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'anycast', 'multicast', 'xresolve']);
const ROUTE_FLAGS = new Set(['onlink', 'pervasive', 'linkdown', 'dead', 'notify', 'offload', 'trap', 'rt_offload', 'rt_trap', 'rt_offload_failed', 'unresolved']);
const ROUTE_ARG1 = new Set(['dev', 'table', 'proto', 'scope', 'src', 'metric', 'from', 'tos', 'dsfield', 'pref', 'realm', 'realms', 'expires', 'nhid', 'weight', 'error', 'ttl-propagate', 'cache']);
const ROUTE_METRICS = new Set(['mtu', 'advmss', 'rtt', 'rttvar', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'reordering', 'hoplimit', 'rto_min', 'quickack', 'congctl', 'features', 'fastopen_no_cookie']);

/** True for the first words of an `ip route` line. */
export function routeHead(t: string[]): boolean {
  const a = t[0];
  if (a === undefined) return false;
  const dst = ROUTE_TYPES.has(a) ? t[1] : a;
  return dst !== undefined && (dst === 'default' || isPrefix(dst));
}

function parseRouteTokens(t: string[], raw: string): NodeRoute | null {
  let i = 0;
  let type = 'unicast';
  if (ROUTE_TYPES.has(t[0] as string)) type = t[i++] as string;
  const dst = t[i++];
  if (dst === undefined || !(dst === 'default' || isPrefix(dst))) return null;
  const r: NodeRoute = {
    dst: normalizeDst(dst), gateway: null, dev: null, onlink: false, protocol: null, table: null, raw,
    type, metric: null, scope: null, prefsrc: null, mtu: null,
  };
  const nexthops: NodeNextHop[] = [];
  let nh: NodeNextHop | null = null;
  for (; i < t.length; i++) {
    const k = t[i] as string;
    const v = t[i + 1];
    if (k === 'nexthop') {
      nh = { gateway: null, dev: null, weight: null, onlink: false };
      nexthops.push(nh);
      continue;
    }
    if (k === 'via') {
      let g = v;
      if (g === 'inet' || g === 'inet6') g = t[++i + 1];
      if (nh) nh.gateway = g ?? null;
      else r.gateway = g ?? null;
      i++;
      continue;
    }
    if (ROUTE_FLAGS.has(k)) {
      if (k === 'onlink') {
        if (nh) nh.onlink = true;
        else r.onlink = true;
      }
      continue;
    }
    if (ROUTE_METRICS.has(k)) {
      let val = v;
      if (val === 'lock') val = t[++i + 1];
      if (k === 'mtu') r.mtu = toInt(val);
      i++;
      continue;
    }
    if (ROUTE_ARG1.has(k)) {
      if (k === 'dev') {
        if (nh) nh.dev = v ?? null;
        else r.dev = v ?? null;
      } else if (k === 'weight' && nh) nh.weight = toInt(v);
      else if (k === 'table') r.table = v === 'main' ? null : (v ?? null);
      else if (k === 'proto') r.protocol = v ?? null;
      else if (k === 'scope') r.scope = v ?? null;
      else if (k === 'src') r.prefsrc = v ?? null;
      else if (k === 'metric') r.metric = toInt(v);
      i++;
      continue;
    }
    // encap, mpls labels and other rarities: kept in raw, not modelled.
  }
  if (nexthops.length > 0) {
    r.nexthops = nexthops;
    const first = nexthops[0] as NodeNextHop;
    r.gateway ??= first.gateway;
    r.dev ??= first.dev;
    r.onlink ||= first.onlink;
  }
  return r;
}

export function parseRouteText(lines: string[], sink: ProblemSink): NodeRoute[] {
  const out: NodeRoute[] = [];
  let group: { idx: number; words: string[] } | null = null;
  const flush = (): void => {
    if (!group) return;
    const raw = group.words.join(' ');
    const r = parseRouteTokens(group.words, raw);
    if (r) out.push(r);
    else sink.add(group.idx, `not a route: ${excerpt(raw)}`);
    group = null;
  };
  lines.forEach((line, idx) => {
    const words = tokens(line);
    if (words.length === 0) return;
    // Multipath routes continue on indented `nexthop ...` lines.
    if (words[0] === 'nexthop' && group && /^\s/.test(line)) {
      group.words.push(...words);
      return;
    }
    flush();
    if (!routeHead(words)) {
      sink.add(idx, `not a route: ${excerpt(line)}`);
      return;
    }
    group = { idx, words };
  });
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// ip neigh

const NEIGH_FLAGS = new Set(['router', 'proxy', 'extern_learn', 'offload', 'trap', 'managed', 'extern_valid']);

export function neighLine(t: string[]): boolean {
  const a = t[0];
  return a !== undefined && isIP(a) && (t.includes('lladdr') || t.some((w) => /^[A-Z]+$/.test(w)) || (t[1] === 'dev' && t.length <= 3));
}

export function parseNeighText(lines: string[], sink: ProblemSink): NodeNeighbor[] {
  const out: NodeNeighbor[] = [];
  lines.forEach((line, idx) => {
    const t = tokens(line);
    if (t.length === 0) return;
    const dst = t[0] as string;
    if (!isIP(dst)) {
      sink.add(idx, `not a neighbour entry: ${excerpt(line)}`);
      return;
    }
    const n: NodeNeighbor = { dst, dev: null, lladdr: null, state: [], flags: [] };
    for (let i = 1; i < t.length; i++) {
      const k = t[i] as string;
      if (k === 'dev' || k === 'lladdr' || k === 'used' || k === 'probes' || k === 'protocol') {
        if (k === 'dev') n.dev = t[i + 1] ?? null;
        else if (k === 'lladdr') n.lladdr = t[i + 1] ?? null;
        i++;
      } else if (NEIGH_FLAGS.has(k)) n.flags?.push(k);
      else if (/^[A-Z_]+$/.test(k)) n.state.push(k);
    }
    out.push(n);
  });
  return out;
}
