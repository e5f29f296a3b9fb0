import type { FieldDef } from '../decode/field.js';
import { FieldSink, V_BYTES, V_STR, V_TIME } from '../decode/field-sink.js';
import type { PacketView } from '../decode/packet-view.js';
import type { FieldRef, Registry } from '../decode/registry.js';
import { FilterError, type CmpOp } from './lexer.js';
import {
  parseFloatLiteral,
  parseHexBytes,
  parseInteger,
  parseIPv4,
  parseIPv6,
  parseMac,
  parseSeconds,
} from './literal.js';
import type { Atom, Expr, SetElement, Value } from './parser.js';

/**
 * Compilation of a filter tree into nested closures over a PacketView.
 *
 * Every field reference owns a FieldSink created here, so evaluating a packet allocates
 * nothing (except `matches` over raw bytes, which needs the bytes as text). Comparisons
 * follow Wireshark 4.0: `==`, `<`, `in`, `contains`, `matches`, `!==` hold if ANY
 * occurrence of the field satisfies them; `!=` and `===` need ALL occurrences to, and
 * like every comparison are false when the field is absent.
 */

export type Pred = (p: PacketView) => boolean;
/** Does value k of the sink satisfy the relation? */
type VP = (s: FieldSink, k: number) => boolean;
type Rel = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** Value classes: fields of one class compare with each other and take the same literals. */
type Cls = 'int' | 'float' | 'ipv4' | 'ether' | 'ipv6' | 'bytes' | 'string' | 'abs_time' | 'rel_time' | 'none';

function classOf(def: FieldDef): Cls {
  switch (def.type) {
    case 'uint':
    case 'int':
    case 'bool':
      return 'int';
    default:
      return def.type;
  }
}

function describeType(def: FieldDef): string {
  switch (def.type) {
    case 'uint':
      return def.bits ? `an unsigned ${def.bits}-bit integer` : 'an unsigned integer';
    case 'int':
      return def.bits ? `a signed ${def.bits}-bit integer` : 'a signed integer';
    case 'bool':
      return 'a boolean';
    case 'ipv4':
      return 'an IPv4 address';
    case 'ipv6':
      return 'an IPv6 address';
    case 'ether':
      return 'a MAC address';
    case 'bytes':
      return 'a byte string';
    case 'string':
      return 'a text string';
    case 'abs_time':
      return 'an absolute time';
    case 'rel_time':
      return 'a time offset';
    case 'float':
      return 'a floating-point number';
    case 'none':
      return 'a label without a value';
  }
}

/** What an unquoted value looks like, to explain a type mismatch. */
function looksLike(text: string): string | null {
  if (parseIPv4(text).ok) return 'an IPv4 address';
  if (/^[0-9a-fA-F]{2}([:.-][0-9a-fA-F]{2}){5}$/.test(text)) return 'a MAC address';
  if (text.includes(':') && parseIPv6(text).ok) return 'an IPv6 address';
  if (parseInteger(text).ok) return 'a number';
  return null;
}

const isNameLike = (t: string) => /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(t);

const RELS: Record<Rel, (c: number) => boolean> = {
  eq: (c) => c === 0,
  ne: (c) => c !== 0,
  lt: (c) => c < 0,
  le: (c) => c <= 0,
  gt: (c) => c > 0,
  ge: (c) => c >= 0,
};

const TWO32 = 4294967296;

/** Bitwise AND of two non-negative integers up to 2^53 (JS's & stops at 32 bits). */
function and53(a: number, b: number): number {
  if (a < TWO32 && b < TWO32) return (a & b) >>> 0;
  const hi = (Math.floor(a / TWO32) & Math.floor(b / TWO32)) >>> 0;
  return hi * TWO32 + (((a >>> 0) & (b >>> 0)) >>> 0);
}

function cmpBytes(a: Buffer, ao: number, al: number, b: Buffer, bo: number, bl: number): number {
  const n = al < bl ? al : bl;
  for (let k = 0; k < n; k++) {
    const d = a[ao + k]! - b[bo + k]!;
    if (d !== 0) return d;
  }
  return al - bl;
}

function prefixEqual(a: Buffer, ao: number, b: Buffer, prefix: number): boolean {
  const whole = prefix >> 3;
  for (let k = 0; k < whole; k++) if (a[ao + k] !== b[k]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a[ao + whole]! & m) === (b[whole]! & m);
}

function findBytes(h: Buffer, ho: number, hl: number, needle: Buffer): boolean {
  const nl = needle.length;
  if (nl === 0) return true;
  const first = needle[0]!;
  const last = ho + hl - nl;
  outer: for (let x = ho; x <= last; x++) {
    if (h[x] !== first) continue;
    for (let k = 1; k < nl; k++) if (h[x + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/** Byte j (0 = first on the wire) of a MAC address held as a 48-bit integer. */
function macByte(v: number, j: number): number {
  return Math.floor(v / 2 ** (8 * (5 - j))) & 0xff;
}

function timeCmp(sec: number, nsec: number, lsec: number, lnsec: number): number {
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  } else if (nsec >= 1e9) {
    sec += 1;
    nsec -= 1e9;
  }
  return sec !== lsec ? sec - lsec : nsec - lnsec;
}

/** A field or protocol named in the filter. */
type Operand =
  | { kind: 'field'; name: string; ref: FieldRef; cls: Cls; mask: number | null; start: number; end: number }
  | { kind: 'proto'; name: string; id: number; start: number; end: number };

export interface Compiled {
  pred: Pred;
  protocols: Set<string>;
}

export function compileTree(reg: Registry, src: string, tree: Expr): Compiled {
  const protocols = new Set<string>();
  const fail = (at: { start: number; end: number }, msg: string): never => {
    throw new FilterError(src, at.start, at.end - at.start, msg);
  };

  // ---- names -------------------------------------------------------------------------

  const suggest = (name: string): string => {
    const cands = [...reg.fieldNames(), ...reg.protocolNames()];
    const scored: Array<[number, string]> = [];
    for (const c of cands) {
      const d = editDistance(name, c, 3);
      if (d <= 2 || (name.length >= 3 && c.startsWith(name))) scored.push([d, c]);
    }
    scored.sort((a, b) => a[0] - b[0] || a[1].length - b[1].length || (a[1] < b[1] ? -1 : 1));
    if (scored.length === 0) return '';
    return ` (did you mean ${scored
      .slice(0, 3)
      .map((s) => s[1])
      .join(', ')}?)`;
  };

  const unknownName = (a: Atom): never =>
    fail(a, `"${a.text}" is neither a protocol nor a field netdiag knows${suggest(a.text)}`);

  /** Resolve a word naming a protocol or field; null when it names neither. */
  const lookup = (a: Atom): Operand | null => {
    if (a.kind !== 'word') return null;
    const ref = reg.field(a.text);
    if (ref) return { kind: 'field', name: a.text, ref, cls: classOf(ref.def), mask: null, start: a.start, end: a.end };
    if (reg.has(a.text)) return { kind: 'proto', name: a.text, id: reg.id(a.text), start: a.start, end: a.end };
    return null;
  };

  /** Note that the filter reads the operand's protocol. */
  const uses = <O extends Operand>(o: O): O => {
    protocols.add(o.kind === 'field' ? reg.dissectors[o.ref.proto]!.name : o.name);
    return o;
  };

  /** The subject of a test or the left side of a relation: a protocol, field or field & mask. */
  const subject = (v: Value, opText: string | null): Operand => {
    const a = v.kind === 'mask' ? v.base : v;
    const found = lookup(a);
    const o = found && uses(found);
    if (!o) {
      if (a.kind === 'word' && isNameLike(a.text)) unknownName(a);
      if (opText === null) fail(a, `expected a protocol or a field, found ${a.text}`);
      fail(a, `the left side of "${opText}" must be a field, not ${a.text}`);
    }
    if (v.kind !== 'mask') return o!;
    if (o!.kind !== 'field' || o!.cls !== 'int') {
      fail(a, `"&" needs an integer field; ${a.text} is ${o!.kind === 'field' ? describeType(o!.ref.def) : 'a protocol'}`);
    }
    const f = o as Extract<Operand, { kind: 'field' }>;
    const m = intLiteral(f.ref.def, f.name, v.mask);
    if (m < 0) fail(v.mask, 'a bit mask cannot be negative');
    return { ...f, mask: m, end: v.end };
  };

  // ---- literals ----------------------------------------------------------------------

  const intLiteral = (def: FieldDef, name: string, a: Atom): number => {
    let v: number | undefined;
    if (a.kind === 'char') v = a.value;
    else {
      const text = a.kind === 'string' ? a.value : a.text;
      if (a.kind === 'word') {
        const n = parseInteger(text);
        if (n.ok) v = n.v;
      }
      if (v === undefined && def.type === 'bool') {
        if (/^true$/i.test(text)) v = 1;
        else if (/^false$/i.test(text)) v = 0;
      }
      if (v === undefined && def.names) {
        const lower = text.toLowerCase();
        for (const [k, nm] of Object.entries(def.names)) {
          if (nm.toLowerCase() === lower) {
            v = Number(k);
            break;
          }
        }
      }
      if (v === undefined) {
        if (def.names) {
          const some = Object.values(def.names).slice(0, 6).join(', ');
          fail(a, `"${text}" is neither a number nor a value name of ${name} (${some}${Object.keys(def.names).length > 6 ? ', ...' : ''})`);
        }
        if (a.kind === 'string') fail(a, `${name} is ${describeType(def)}: write the number without quotes`);
        const n = parseInteger(text);
        if (!n.ok) {
          const kind = looksLike(text);
          if (kind && kind !== 'a number') fail(a, `cannot compare ${name} (${describeType(def)}) with ${kind}`);
          if (isNameLike(text) && /[a-zA-Z]/.test(text) && text.includes('.')) {
            fail(a, `"${text}" is neither a number nor a field netdiag knows${suggest(text)}`);
          }
          fail(a, n.msg);
        }
      }
    }
    const x = v!;
    if (def.type === 'bool') return x !== 0 ? 1 : 0;
    const bits = def.bits;
    if (def.type === 'uint') {
      if (x < 0) fail(a, `${a.text} is negative, but ${name} is ${describeType(def)}`);
      if (bits !== undefined && bits < 53 && x > 2 ** bits - 1) fail(a, `${a.text} is too big for ${name}: the maximum is ${2 ** bits - 1}`);
    } else if (bits !== undefined && bits < 53) {
      const lim = 2 ** (bits - 1);
      if (x < -lim || x > lim - 1) fail(a, `${a.text} is out of range for ${name}: ${-lim} to ${lim - 1}`);
    }
    return x;
  };

  type Lit =
    | { c: 'num'; v: number }
    | { c: 'ipv4'; addr: number; mask: number; prefix: number }
    | { c: 'ipv6'; addr: Buffer; prefix: number }
    | { c: 'bytes'; v: Buffer }
    | { c: 'string'; v: string }
    | { c: 'time'; sec: number; nsec: number };

  /** Interpret a literal as a value of the field's type. */
  const literal = (f: Extract<Operand, { kind: 'field' }>, a: Atom): Lit => {
    const def = f.ref.def;
    const wordOnly = (what: string): string => {
      if (a.kind === 'string') fail(a, `${f.name} is ${describeType(def)}: write the ${what} without quotes`);
      if (a.kind === 'char') fail(a, `cannot compare ${f.name} (${describeType(def)}) with a character`);
      return a.text;
    };
    const mismatch = (text: string, msg: string): never => {
      const kind = looksLike(text);
      if (kind && kind !== describeType(def)) fail(a, `cannot compare ${f.name} (${describeType(def)}) with ${kind}`);
      if (isNameLike(text) && text.includes('.') && /[a-zA-Z]/.test(text) && !/^[0-9a-fA-F.:-]+$/.test(text)) {
        fail(a, `${msg}, nor a field netdiag knows${suggest(text)}`);
      }
      return fail(a, msg);
    };
    switch (f.cls) {
      case 'int':
        return { c: 'num', v: intLiteral(def, f.name, a) };
      case 'float': {
        if (a.kind === 'char') return { c: 'num', v: a.value };
        const r = parseFloatLiteral(wordOnly('number'));
        return r.ok ? { c: 'num', v: r.v } : mismatch(a.text, r.msg);
      }
      case 'ipv4': {
        const r = parseIPv4(wordOnly('address'));
        if (!r.ok) {
          if (r.msg.startsWith('prefix length') || r.msg.includes('prefix length:')) fail(a, r.msg);
          return mismatch(a.text, r.msg);
        }
        return { c: 'ipv4', ...r.v };
      }
      case 'ipv6': {
        const r = parseIPv6(wordOnly('address'));
        if (!r.ok) {
          if (r.msg.startsWith('prefix length') || r.msg.includes('prefix length:')) fail(a, r.msg);
          return mismatch(a.text, r.msg);
        }
        return { c: 'ipv6', ...r.v };
      }
      case 'ether': {
        const r = parseMac(wordOnly('address'));
        return r.ok ? { c: 'num', v: r.v } : mismatch(a.text, r.msg);
      }
      case 'bytes': {
        if (a.kind === 'string') return { c: 'bytes', v: a.bytes };
        if (a.kind === 'char') return { c: 'bytes', v: Buffer.from([a.value & 0xff]) };
        const b = parseHexBytes(a.text);
        return b ? { c: 'bytes', v: b } : mismatch(a.text, `"${a.text}" is not a valid byte string (e.g. 0a:1b:2c)`);
      }
      case 'string':
        if (a.kind === 'char') return { c: 'string', v: String.fromCharCode(a.value) };
        return { c: 'string', v: a.kind === 'string' ? a.value : a.text };
      case 'abs_time':
      case 'rel_time': {
        const r = parseSeconds(wordOnly('time'));
        return r.ok ? { c: 'time', sec: r.v.sec, nsec: r.v.nsec } : mismatch(a.text, r.msg);
      }
      case 'none':
        return fail(f, `${f.name} is a label without a value: it can only be tested for presence`);
    }
  };

  // ---- value predicates --------------------------------------------------------------

  /** The field's numeric value at k: bit-masked, booleans as 0/1. */
  const numReader = (f: Extract<Operand, { kind: 'field' }>): ((s: FieldSink, k: number) => number) => {
    const m = f.mask;
    if (m !== null) return (s, k) => and53(s.num[k]!, m);
    if (f.ref.def.type === 'bool') return (s, k) => (s.num[k] !== 0 ? 1 : 0);
    return (s, k) => s.num[k]!;
  };

  const relVP = (f: Extract<Operand, { kind: 'field' }>, rel: Rel, lit: Lit, at: Atom): VP => {
    const test = RELS[rel];
    switch (lit.c) {
      case 'num': {
        const L = lit.v;
        const rd = numReader(f);
        if (f.mask === null && f.ref.def.type !== 'bool') {
          switch (rel) {
            case 'eq':
              return (s, k) => s.num[k] === L;
            case 'ne':
              return (s, k) => s.num[k] !== L;
            case 'lt':
              return (s, k) => s.num[k]! < L;
            case 'le':
              return (s, k) => s.num[k]! <= L;
            case 'gt':
              return (s, k) => s.num[k]! > L;
            case 'ge':
              return (s, k) => s.num[k]! >= L;
          }
        }
        return (s, k) => test(rd(s, k) - L);
      }
      case 'ipv4': {
        const { addr, mask, prefix } = lit;
        if (prefix < 32) {
          if (rel !== 'eq' && rel !== 'ne') fail(at, `a /${prefix} prefix can only be used with ==, !=, === and in`);
          return rel === 'eq' ? (s, k) => ((s.num[k]! & mask) >>> 0) === addr : (s, k) => ((s.num[k]! & mask) >>> 0) !== addr;
        }
        if (rel === 'eq') return (s, k) => s.num[k] === addr;
        return (s, k) => test(s.num[k]! - addr);
      }
      case 'ipv6': {
        const { addr, prefix } = lit;
        if (prefix < 128) {
          if (rel !== 'eq' && rel !== 'ne') fail(at, `a /${prefix} prefix can only be used with ==, !=, === and in`);
          const want = rel === 'eq';
          return (s, k) => s.kind[k] === V_BYTES && s.len[k] === 16 && prefixEqual(s.buf[k]!, s.off[k]!, addr, prefix) === want;
        }
        return (s, k) => s.kind[k] === V_BYTES && test(cmpBytes(s.buf[k]!, s.off[k]!, s.len[k]!, addr, 0, 16));
      }
      case 'bytes': {
        const L = lit.v;
        return (s, k) => s.kind[k] === V_BYTES && test(cmpBytes(s.buf[k]!, s.off[k]!, s.len[k]!, L, 0, L.length));
      }
      case 'string': {
        const L = lit.v;
        if (rel === 'eq') return (s, k) => s.kind[k] === V_STR && s.str[k] === L;
        if (rel === 'ne') return (s, k) => s.kind[k] === V_STR && s.str[k] !== L;
        return (s, k) => s.kind[k] === V_STR && test(s.str[k]! < L ? -1 : s.str[k]! > L ? 1 : 0);
      }
      case 'time': {
        const { sec, nsec } = lit;
        // Fields that push a plain number of seconds compare as fractional seconds.
        return (s, k) => (s.kind[k] === V_TIME ? test(timeCmp(s.num[k]!, s.off[k]!, sec, nsec)) : test(s.num[k]! - (sec + nsec / 1e9)));
      }
    }
  };

  /** Membership in a set of values and ranges (lo..hi, both included). */
  const setVP = (f: Extract<Operand, { kind: 'field' }>, set: SetElement[]): VP => {
    const parts: VP[] = [];
    const singles: number[] = [];
    const plainNum = f.cls === 'int' || f.cls === 'ether' || f.cls === 'float';
    for (const el of set) {
      for (const a of [el.lo, el.hi]) {
        if (a?.kind === 'word' && reg.field(a.text)) fail(a, `a set holds values, not fields like ${a.text}`);
      }
      const lo = literal(f, el.lo);
      if (!el.hi) {
        if (plainNum && lo.c === 'num') singles.push(lo.v);
        else if (lo.c === 'ipv4' && lo.prefix === 32) singles.push(lo.addr);
        else parts.push(relVP(f, 'eq', lo, el.lo));
        continue;
      }
      const hi = literal(f, el.hi);
      if ((lo.c === 'ipv4' && lo.prefix < 32) || (lo.c === 'ipv6' && lo.prefix < 128)) fail(el.lo, 'a range bound cannot have a prefix length');
      if ((hi.c === 'ipv4' && hi.prefix < 32) || (hi.c === 'ipv6' && hi.prefix < 128)) fail(el.hi, 'a range bound cannot have a prefix length');
      const a = relVP(f, 'ge', lo, el.lo);
      const b = relVP(f, 'le', hi, el.hi);
      parts.push((s, k) => a(s, k) && b(s, k));
    }
    if (singles.length > 0) {
      const rd = f.cls === 'ipv4' ? (s: FieldSink, k: number) => s.num[k]! : numReader(f);
      if (singles.length <= 4) {
        const [a = NaN, b = NaN, c = NaN, d = NaN] = singles;
        parts.push((s, k) => {
          const v = rd(s, k);
          return v === a || v === b || v === c || v === d;
        });
      } else {
        const all = new Set(singles);
        parts.push((s, k) => all.has(rd(s, k)));
      }
    }
    if (parts.length === 1) return parts[0]!;
    return (s, k) => {
      for (let j = 0; j < parts.length; j++) if (parts[j]!(s, k)) return true;
      return false;
    };
  };

  // ---- quantifiers -------------------------------------------------------------------

  const newSink = () => new FieldSink(8);

  /** True if some occurrence of the field satisfies vp; stops at the first that does. */
  const anyOf = (f: Extract<Operand, { kind: 'field' }>, vp: VP): Pred => {
    const byProto = f.ref.byProto;
    const sink = newSink();
    return (p) => {
      sink.n = 0;
      const n = p.nLayers;
      const protos = p.proto;
      for (let i = 0; i < n; i++) {
        const def = byProto[protos[i]!];
        if (def === undefined) continue;
        const from = sink.n;
        def.get(p, i, sink);
        for (let k = from; k < sink.n; k++) if (vp(sink, k)) return true;
      }
      return false;
    };
  };

  /** True if the field occurs and every occurrence satisfies vp. */
  const allOf = (f: Extract<Operand, { kind: 'field' }>, vp: VP): Pred => {
    const byProto = f.ref.byProto;
    const sink = newSink();
    return (p) => {
      sink.n = 0;
      const n = p.nLayers;
      const protos = p.proto;
      for (let i = 0; i < n; i++) {
        const def = byProto[protos[i]!];
        if (def === undefined) continue;
        const from = sink.n;
        def.get(p, i, sink);
        for (let k = from; k < sink.n; k++) if (!vp(sink, k)) return false;
      }
      return sink.n > 0;
    };
  };

  const fill = (p: PacketView, byProto: Array<FieldDef | undefined>, sink: FieldSink): void => {
    sink.n = 0;
    const n = p.nLayers;
    for (let i = 0; i < n; i++) byProto[p.proto[i]!]?.get(p, i, sink);
  };

  const present = (o: Operand): Pred => {
    if (o.kind === 'proto') {
      const id = o.id;
      return (p) => {
        const n = p.nLayers;
        for (let i = 0; i < n; i++) if (p.proto[i] === id) return true;
        return false;
      };
    }
    if (o.mask !== null) {
      const m = o.mask;
      return anyOf(o, (s, k) => and53(s.num[k]!, m) !== 0);
    }
    return anyOf(o, () => true);
  };

  // ---- relations ---------------------------------------------------------------------

  const QUANT: Record<CmpOp, [Rel, 'any' | 'all']> = {
    eq: ['eq', 'any'],
    ne: ['ne', 'all'],
    all_eq: ['eq', 'all'],
    any_ne: ['ne', 'any'],
    lt: ['lt', 'any'],
    le: ['le', 'any'],
    gt: ['gt', 'any'],
    ge: ['ge', 'any'],
  };

  const asField = (o: Operand, what: string): Extract<Operand, { kind: 'field' }> => {
    if (o.kind === 'proto') {
      fail(o, `${o.name} is a protocol: it can be tested for presence${o.name === 'frame' ? ' or searched with contains/matches' : ''}, not ${what}`);
    }
    const f = o as Extract<Operand, { kind: 'field' }>;
    if (f.cls === 'none') fail(f, `${f.name} is a label without a value: it can only be tested for presence`);
    return f;
  };

  /** Sign of a - b for two values of one class (field-to-field comparisons). */
  const pairCmp = (cls: Cls, ra: (s: FieldSink, k: number) => number, rb: (s: FieldSink, k: number) => number) => {
    switch (cls) {
      case 'ipv6':
      case 'bytes':
        return (a: FieldSink, ka: number, b: FieldSink, kb: number) =>
          cmpBytes(a.buf[ka]!, a.off[ka]!, a.len[ka]!, b.buf[kb]!, b.off[kb]!, b.len[kb]!);
      case 'string':
        return (a: FieldSink, ka: number, b: FieldSink, kb: number) => (a.str[ka]! < b.str[kb]! ? -1 : a.str[ka]! > b.str[kb]! ? 1 : 0);
      case 'abs_time':
      case 'rel_time':
        return (a: FieldSink, ka: number, b: FieldSink, kb: number) => {
          let bs = b.num[kb]!;
          let bn = b.off[kb]!;
          if (bn < 0) {
            bs -= 1;
            bn += 1e9;
          }
          return timeCmp(a.num[ka]!, a.off[ka]!, bs, bn);
        };
      default:
        return (a: FieldSink, ka: number, b: FieldSink, kb: number) => ra(a, ka) - rb(b, kb);
    }
  };

  const fieldToField = (e: Extract<Expr, { kind: 'cmp' }>, l: Extract<Operand, { kind: 'field' }>, r: Extract<Operand, { kind: 'field' }>): Pred => {
    const numeric = (c: Cls) => c === 'int' || c === 'float';
    if (l.cls !== r.cls && !(numeric(l.cls) && numeric(r.cls))) {
      fail(r, `cannot compare ${l.name} (${describeType(l.ref.def)}) with ${r.name} (${describeType(r.ref.def)})`);
    }
    const [rel, q] = QUANT[e.op];
    const test = RELS[rel];
    const cmp = pairCmp(l.cls, numReader(l), numReader(r));
    const sa = newSink();
    const sb = newSink();
    const pa = l.ref.byProto;
    const pb = r.ref.byProto;
    if (q === 'any') {
      return (p) => {
        fill(p, pa, sa);
        if (sa.n === 0) return false;
        fill(p, pb, sb);
        for (let i = 0; i < sa.n; i++) for (let j = 0; j < sb.n; j++) if (test(cmp(sa, i, sb, j))) return true;
        return false;
      };
    }
    return (p) => {
      fill(p, pa, sa);
      if (sa.n === 0) return false;
      fill(p, pb, sb);
      if (sb.n === 0) return false;
      for (let i = 0; i < sa.n; i++) for (let j = 0; j < sb.n; j++) if (!test(cmp(sa, i, sb, j))) return false;
      return true;
    };
  };

  const compare = (e: Extract<Expr, { kind: 'cmp' }>): Pred => {
    const l = asField(subject(e.left, e.opText), `compared with ${e.opText}`);
    if (e.right.kind === 'mask') fail(e.right, '"&" is only supported on the left side of a comparison');
    const right = e.right as Atom;
    const ro = lookup(right);
    if (ro) {
      if (ro.kind === 'field' && l.mask === null) return fieldToField(e, l, asField(uses(ro), `compared with ${e.opText}`));
      // A protocol name on the right may also be a value name (ip.proto == udp).
      if (ro.kind === 'proto' && l.cls === 'int' && l.ref.def.names) {
        const lower = right.text.toLowerCase();
        if (!Object.values(l.ref.def.names).some((n) => n.toLowerCase() === lower)) {
          fail(right, `cannot compare ${l.name} with the protocol ${ro.name}`);
        }
      } else if (ro.kind === 'proto') {
        fail(right, `cannot compare ${l.name} with the protocol ${ro.name}`);
      } else {
        fail(right, '"&" cannot be combined with a field on the right side');
      }
    }
    const [rel, q] = QUANT[e.op];
    const lit = literal(l, right);
    const vp = relVP(l, rel, lit, right);
    return q === 'any' ? anyOf(l, vp) : allOf(l, vp);
  };

  const membership = (e: Extract<Expr, { kind: 'in' }>): Pred => {
    const l = asField(subject(e.left, e.negated ? 'not in' : 'in'), 'tested with in');
    const inSet = anyOf(l, setVP(l, e.set));
    return e.negated ? (p) => !inSet(p) : inSet;
  };

  const contains = (e: Extract<Expr, { kind: 'contains' }>): Pred => {
    const o = subject(e.left, 'contains');
    if (e.right.kind === 'mask') fail(e.right, '"&" is not allowed here');
    const a = e.right as Atom;
    const needleBytes = (): Buffer => {
      if (a.kind === 'string') return a.bytes;
      if (a.kind === 'char') return Buffer.from([a.value & 0xff]);
      const b = parseHexBytes(a.text);
      if (!b) fail(a, `"${a.text}" is not a valid byte string (e.g. 0a:1b:2c or "text")`);
      return b!;
    };
    if (o.kind === 'proto') {
      if (o.name !== 'frame') fail(o, `only frame can be searched with contains; search a field of ${o.name} instead`);
      const needle = needleBytes();
      return (p) => findBytes(p.buf, p.base, p.capLen, needle);
    }
    const f = asField(o, 'searched with contains');
    if (f.mask !== null) fail(e.left, '"&" is not allowed with contains');
    switch (f.cls) {
      case 'string': {
        if (a.kind === 'char') fail(a, 'search text fields with a quoted string');
        const needle = a.kind === 'string' ? a.value : a.text;
        return anyOf(f, (s, k) => s.kind[k] === V_STR && s.str[k]!.includes(needle));
      }
      case 'bytes': {
        const needle = needleBytes();
        return anyOf(f, (s, k) => s.kind[k] === V_BYTES && findBytes(s.buf[k]!, s.off[k]!, s.len[k]!, needle));
      }
      case 'ether': {
        if (a.kind !== 'word') fail(a, `${f.name} is a MAC address: search it with bytes such as 00:1b`);
        const needle = needleBytes();
        const nl = needle.length;
        return anyOf(f, (s, k) => {
          const v = s.num[k]!;
          outer: for (let x = 0; x + nl <= 6; x++) {
            for (let j = 0; j < nl; j++) if (macByte(v, x + j) !== needle[j]) continue outer;
            return true;
          }
          return false;
        });
      }
      default:
        return fail(f, `${f.name} (${describeType(f.ref.def)}) cannot be searched with contains`);
    }
  };

  /** Over raw bytes the pattern is matched byte for byte (latin1), over text as UTF-8 text. */
  const regex = (a: Atom, overBytes: boolean): RegExp => {
    if (a.kind !== 'string') fail(a, 'a regular expression must be quoted: matches "..."');
    const lit = a as Extract<Atom, { kind: 'string' }>;
    let pattern = overBytes ? lit.bytes.toString('latin1') : lit.value;
    // Wireshark's regular expressions are case-insensitive unless they say (?-i).
    let flags = 'i';
    const m = /^\(\?([a-z]*)(?:-([a-z]+))?\)/.exec(pattern);
    if (m) {
      for (const c of m[1]! + (m[2] ?? '')) if (!'ims'.includes(c)) fail(a, `regular expression option (?${c}) is not supported`);
      const on = m[1]!;
      const off = m[2] ?? '';
      flags = [...new Set(('i' + on).split(''))].filter((c) => !off.includes(c)).join('');
      pattern = pattern.slice(m[0].length);
    }
    try {
      return new RegExp(pattern, flags);
    } catch (err) {
      return fail(a, `invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
  };

  const matchesExpr = (e: Extract<Expr, { kind: 'matches' }>): Pred => {
    const o = subject(e.left, 'matches');
    if (e.right.kind === 'mask') fail(e.right, '"&" is not allowed here');
    const right = e.right as Atom;
    if (o.kind === 'proto') {
      if (o.name !== 'frame') fail(o, `only frame can be searched with matches; search a field of ${o.name} instead`);
      const re = regex(right, true);
      // Raw bytes have to become text for the regular expression engine: this allocates.
      return (p) => re.test(p.buf.toString('latin1', p.base, p.base + p.capLen));
    }
    const f = asField(o, 'searched with matches');
    if (f.mask !== null) fail(e.left, '"&" is not allowed with matches');
    if (f.cls === 'string') {
      const re = regex(right, false);
      return anyOf(f, (s, k) => s.kind[k] === V_STR && re.test(s.str[k]!));
    }
    if (f.cls === 'bytes') {
      const re = regex(right, true);
      return anyOf(f, (s, k) => s.kind[k] === V_BYTES && re.test(s.buf[k]!.toString('latin1', s.off[k]!, s.off[k]! + s.len[k]!)));
    }
    return fail(f, `${f.name} (${describeType(f.ref.def)}) cannot be searched with matches`);
  };

  // ---- logic -------------------------------------------------------------------------

  const compile = (e: Expr): Pred => {
    switch (e.kind) {
      case 'or': {
        const ps = e.items.map(compile);
        if (ps.length === 2) {
          const [a, b] = ps as [Pred, Pred];
          return (p) => a(p) || b(p);
        }
        return (p) => {
          for (let k = 0; k < ps.length; k++) if (ps[k]!(p)) return true;
          return false;
        };
      }
      case 'and': {
        const ps = e.items.map(compile);
        if (ps.length === 2) {
          const [a, b] = ps as [Pred, Pred];
          return (p) => a(p) && b(p);
        }
        return (p) => {
          for (let k = 0; k < ps.length; k++) if (!ps[k]!(p)) return false;
          return true;
        };
      }
      case 'not': {
        const a = compile(e.expr);
        return (p) => !a(p);
      }
      case 'test':
        return present(subject(e.value, null));
      case 'cmp':
        return compare(e);
      case 'in':
        return membership(e);
      case 'contains':
        return contains(e);
      case 'matches':
        return matchesExpr(e);
    }
  };

  const pred = compile(tree);
  return { pred, protocols };
}

/** Levenshtein distance, giving up (returning `cap`) once it must exceed cap - 1. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best >= cap) return cap;
    prev = cur;
  }
  return Math.min(prev[b.length]!, cap);
}
