/**
 * `bridge fdb show` / `bridge -j fdb show` -> FDB entries. On a flannel node the entries of
 * interest are the VTEP ones: `<peer VTEP MAC> dev flannel.1 dst <peer node IP> self permanent`.
 */
import type { JsonEntry } from './ip-json.js';
import { isObj, num, str, strArray } from './json.js';
import type { ProblemSink } from './text.js';
import { excerpt, isHwAddr, toInt, tokens } from './text.js';
import type { NodeFdb } from './types.js';

/** Flags iproute2 prints after the key/value part (bridge/fdb.c print_fdb_flags). */
const FDB_FLAGS = new Set(['self', 'router', 'extern_learn', 'offload', 'master', 'sticky', 'locked', 'blackhole', 'added_by_user', 'added_by_ext_learn']);
/** `state_n2a`: NUD_PERMANENT, NUD_NOARP and NUD_STALE; reachable (learned) entries print nothing. */
const FDB_STATES = new Set(['permanent', 'static', 'stale']);
const FDB_ARG1 = new Set(['dev', 'vlan', 'dst', 'port', 'vni', 'src_vni', 'via', 'nhid', 'master', 'used', 'extern_learn_ageing']);

export function fdbLine(t: string[]): boolean {
  return t[0] !== undefined && isHwAddr(t[0]) && (t[1] === 'dev' || t.length === 1 || FDB_FLAGS.has(t[1] as string) || FDB_ARG1.has(t[1] as string));
}

export function parseFdbText(lines: string[], sink: ProblemSink): NodeFdb[] {
  const out: NodeFdb[] = [];
  lines.forEach((line, idx) => {
    const t = tokens(line);
    if (t.length === 0) return;
    const mac = t[0] as string;
    if (!isHwAddr(mac)) {
      sink.add(idx, `not an FDB entry: ${excerpt(line)}`);
      return;
    }
    const e: NodeFdb = { mac, dev: null, dst: null, master: null, flags: [], state: null, vlan: null, vni: null, port: null };
    for (let i = 1; i < t.length; i++) {
      const k = t[i] as string;
      const v = t[i + 1];
      // `master` is both `master <bridge>` and a bare flag (NTF_MASTER).
      if (k === 'master' && (v === undefined || FDB_FLAGS.has(v) || FDB_STATES.has(v))) {
        e.flags.push(k);
        continue;
      }
      if (FDB_ARG1.has(k)) {
        if (k === 'dev') e.dev = v ?? null;
        else if (k === 'dst') e.dst = v ?? null;
        else if (k === 'master') e.master = v ?? null;
        else if (k === 'vlan') e.vlan = toInt(v);
        else if (k === 'vni') e.vni = toInt(v);
        else if (k === 'port') e.port = toInt(v);
        i++;
      } else if (FDB_FLAGS.has(k)) e.flags.push(k);
      else if (FDB_STATES.has(k)) e.state = k;
      else sink.add(idx, `unrecognised FDB word ${excerpt(k, 40)}`);
    }
    out.push(e);
  });
  return out;
}

export function fdbFromJson(entries: JsonEntry[], sink: ProblemSink): NodeFdb[] {
  const out: NodeFdb[] = [];
  entries.forEach((je, k) => {
    const o = je.entry;
    if (!isObj(o)) {
      sink.add(je.line, `entry ${k}: not an object`);
      return;
    }
    const mac = str(o, 'mac');
    if (mac === null) {
      sink.add(je.line, `entry ${k}: FDB entry without mac`);
      return;
    }
    const state = str(o, 'state');
    out.push({
      mac,
      dev: str(o, 'ifname') ?? str(o, 'dev'),
      dst: str(o, 'dst'),
      master: str(o, 'master'),
      flags: strArray(o, 'flags'),
      state: state === '' ? null : state,
      vlan: num(o, 'vlan'),
      vni: num(o, 'vni'),
      port: num(o, 'port'),
    });
  });
  return out;
}
