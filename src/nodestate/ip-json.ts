/**
 * `ip -j addr`, `ip -d -j link`, `ip -j route` and `ip -j neigh` entries -> node state.
 * Field names are iproute2's JSON keys (ip/ipaddress.c, ip/iproute.c, ip/ipneigh.c).
 */
import { has, isObj, num, obj, str, strArray, type Obj } from './json.js';
import type { ProblemSink } from './text.js';
import { isHwAddr, normalizeDst } from './text.js';
import type { NodeAddress, NodeLink, NodeNextHop, NodeNeighbor, NodeRoute } from './types.js';

export interface JsonEntry {
  entry: unknown;
  line: number;
}

function entryObj(e: JsonEntry, k: number, sink: ProblemSink): Obj | null {
  if (isObj(e.entry)) return e.entry;
  sink.add(e.line, `entry ${k}: not an object`);
  return null;
}

/** One `ip -j link` / `ip -j addr` interface object -> link (shared by both commands). */
export function linkFromJson(o: Obj): NodeLink | null {
  const ifname = str(o, 'ifname');
  if (ifname === null) return null;
  const info = obj(o, 'linkinfo');
  const kind = info ? str(info, 'info_kind') : null;
  const address = str(o, 'address');
  const link: NodeLink = {
    ifname,
    kind,
    mtu: num(o, 'mtu'),
    mac: address !== null && isHwAddr(address) && str(o, 'link_type') !== 'none' ? address : null,
    state: str(o, 'operstate'),
    master: str(o, 'master'),
    ifindex: num(o, 'ifindex'),
    link: str(o, 'link') ?? (num(o, 'link_index') !== null ? `if${num(o, 'link_index')}` : null),
    flags: strArray(o, 'flags'),
    alias: str(o, 'ifalias'),
  };
  if (kind === 'vxlan') {
    const d = (info && obj(info, 'info_data')) ?? {};
    link.vxlan = {
      id: num(d, 'id'),
      port: num(d, 'port'),
      local: str(d, 'local') ?? str(d, 'local6'),
      dev: str(d, 'link'),
      learning: typeof d.learning === 'boolean' ? d.learning : null,
      remote: str(d, 'remote') ?? str(d, 'remote6'),
      group: str(d, 'group') ?? str(d, 'group6'),
      external: d.external === true,
    };
  }
  return link;
}

export function linksFromJson(entries: JsonEntry[], sink: ProblemSink): NodeLink[] {
  const out: NodeLink[] = [];
  entries.forEach((e, k) => {
    const o = entryObj(e, k, sink);
    if (!o) return;
    const l = linkFromJson(o);
    if (l) out.push(l);
    else sink.add(e.line, `entry ${k}: interface without ifname`);
  });
  return out;
}

export function addrsFromJson(entries: JsonEntry[], sink: ProblemSink): { addresses: NodeAddress[]; links: NodeLink[] } {
  const addresses: NodeAddress[] = [];
  const links: NodeLink[] = [];
  entries.forEach((e, k) => {
    const o = entryObj(e, k, sink);
    if (!o) return;
    const l = linkFromJson(o);
    if (!l) {
      sink.add(e.line, `entry ${k}: interface without ifname`);
      return;
    }
    links.push(l);
    const infos = Object.hasOwn(o, 'addr_info') && Array.isArray(o.addr_info) ? (o.addr_info as unknown[]) : [];
    infos.forEach((a, j) => {
      if (!isObj(a)) return;
      const family = str(a, 'family');
      const local = str(a, 'local');
      const prefixlen = num(a, 'prefixlen');
      // `ip -j addr` prints an empty object for addresses filtered out by e.g. `-4`.
      if (family === null && local === null) return;
      if ((family !== 'inet' && family !== 'inet6') || local === null || prefixlen === null) {
        sink.add(e.line, `entry ${k} (${l.ifname}): address ${j} lacks family, local or prefixlen`);
        return;
      }
      addresses.push({ ifname: l.ifname, address: local, prefixlen, family, scope: str(a, 'scope'), peer: str(a, 'address') });
    });
  });
  return { addresses, links };
}

function gatewayOf(o: Obj): string | null {
  const gw = str(o, 'gateway');
  if (gw !== null) return gw;
  const via = obj(o, 'via');
  return via ? str(via, 'host') : null;
}

function routeMtu(o: Obj): number | null {
  if (!Object.hasOwn(o, 'metrics') || !Array.isArray(o.metrics)) return null;
  for (const m of o.metrics as unknown[]) {
    if (!isObj(m) || !has(m, 'mtu')) continue;
    if (typeof m.mtu === 'number') return m.mtu;
    if (isObj(m.mtu)) return num(m.mtu, 'value');
  }
  return null;
}

export function routesFromJson(entries: JsonEntry[], sink: ProblemSink): NodeRoute[] {
  const out: NodeRoute[] = [];
  entries.forEach((e, k) => {
    const o = entryObj(e, k, sink);
    if (!o) return;
    const dst = str(o, 'dst');
    if (dst === null) {
      sink.add(e.line, `entry ${k}: route without dst`);
      return;
    }
    const flags = strArray(o, 'flags');
    const nexthops: NodeNextHop[] = [];
    if (Object.hasOwn(o, 'nexthops') && Array.isArray(o.nexthops)) {
      for (const nh of o.nexthops as unknown[]) {
        if (!isObj(nh)) continue;
        nexthops.push({ gateway: gatewayOf(nh), dev: str(nh, 'dev'), weight: num(nh, 'weight'), onlink: strArray(nh, 'flags').includes('onlink') });
      }
    }
    const first = nexthops[0];
    const route: NodeRoute = {
      dst: normalizeDst(dst),
      gateway: gatewayOf(o) ?? first?.gateway ?? null,
      dev: str(o, 'dev') ?? first?.dev ?? null,
      onlink: flags.includes('onlink') || (first?.onlink ?? false),
      protocol: str(o, 'protocol') ?? (num(o, 'protocol') !== null ? String(num(o, 'protocol')) : null),
      table: str(o, 'table') ?? (num(o, 'table') !== null ? String(num(o, 'table')) : null),
      raw: '',
      type: str(o, 'type') ?? 'unicast',
      metric: num(o, 'metric'),
      scope: str(o, 'scope'),
      prefsrc: str(o, 'prefsrc'),
      mtu: routeMtu(o),
    };
    if (route.table === 'main') route.table = null;
    if (nexthops.length > 0) route.nexthops = nexthops;
    route.raw = routeText(o, dst, flags);
    out.push(route);
  });
  return out;
}

/** The line `ip route` prints for a JSON route (same field order), so both forms read alike. */
function routeText(o: Obj, dst: string, flags: string[]): string {
  const w: string[] = [];
  const type = str(o, 'type');
  if (type !== null && type !== 'unicast') w.push(type);
  w.push(dst);
  const from = str(o, 'from');
  if (from !== null) w.push('from', from);
  const via = obj(o, 'via');
  if (str(o, 'gateway') !== null) w.push('via', str(o, 'gateway') as string);
  else if (via && str(via, 'host') !== null) w.push('via', str(via, 'family') ?? 'inet', str(via, 'host') as string);
  if (str(o, 'dev') !== null) w.push('dev', str(o, 'dev') as string);
  const table = str(o, 'table') ?? (num(o, 'table') !== null ? String(num(o, 'table')) : null);
  if (table !== null && table !== 'main') w.push('table', table);
  const proto = str(o, 'protocol') ?? (num(o, 'protocol') !== null ? String(num(o, 'protocol')) : null);
  if (proto !== null) w.push('proto', proto);
  if (str(o, 'scope') !== null && str(o, 'scope') !== 'global') w.push('scope', str(o, 'scope') as string);
  if (str(o, 'prefsrc') !== null) w.push('src', str(o, 'prefsrc') as string);
  if (num(o, 'metric') !== null) w.push('metric', String(num(o, 'metric')));
  w.push(...flags);
  if (Object.hasOwn(o, 'metrics') && Array.isArray(o.metrics)) {
    for (const m of o.metrics as unknown[]) {
      if (!isObj(m)) continue;
      for (const [k, v] of Object.entries(m)) {
        if (typeof v === 'number' || typeof v === 'string') w.push(k, String(v));
        else if (isObj(v)) w.push(k, ...(v.lock === true ? ['lock'] : []), String(v.value));
      }
    }
  }
  if (Object.hasOwn(o, 'nexthops') && Array.isArray(o.nexthops)) {
    for (const nh of o.nexthops as unknown[]) {
      if (!isObj(nh)) continue;
      w.push('nexthop');
      const g = gatewayOf(nh);
      if (g !== null) w.push('via', g);
      if (str(nh, 'dev') !== null) w.push('dev', str(nh, 'dev') as string);
      if (num(nh, 'weight') !== null) w.push('weight', String(num(nh, 'weight')));
      w.push(...strArray(nh, 'flags'));
    }
  }
  if (str(o, 'pref') !== null) w.push('pref', str(o, 'pref') as string);
  return w.join(' ');
}

/** Keys of an `ip -j neigh` entry that are flags (printed as `"router": null`). */
const NEIGH_FLAG_KEYS = ['router', 'proxy', 'extern_learn', 'offload', 'trap', 'managed', 'extern_valid'];

export function neighsFromJson(entries: JsonEntry[], sink: ProblemSink): NodeNeighbor[] {
  const out: NodeNeighbor[] = [];
  entries.forEach((e, k) => {
    const o = entryObj(e, k, sink);
    if (!o) return;
    const dst = str(o, 'dst');
    if (dst === null) {
      sink.add(e.line, `entry ${k}: neighbour without dst`);
      return;
    }
    out.push({
      dst,
      dev: str(o, 'dev'),
      lladdr: str(o, 'lladdr'),
      state: strArray(o, 'state'),
      flags: NEIGH_FLAG_KEYS.filter((f) => has(o, f)),
    });
  });
  return out;
}
