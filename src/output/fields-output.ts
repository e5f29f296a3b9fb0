import { FieldSink } from '../decode/field-sink.js';
import type { PacketView } from '../decode/packet-view.js';
import type { FieldRef, Registry } from '../decode/registry.js';
import { formatValues, type Occurrence } from './field-format.js';
import { PacketLister, type PacketColumns } from './packet-list.js';

/** tshark's `-E` options. */
export interface FieldsOptions {
  separator: string;
  header: boolean;
  occurrence: Occurrence;
  aggregator: string;
  /** '' for none. */
  quote: string;
}

export const DEFAULT_FIELDS_OPTIONS: FieldsOptions = { separator: '\t', header: false, occurrence: 'a', aggregator: ',', quote: '' };

/** tshark spells tab and space as /t and /s in -E values. */
function unslash(v: string): string {
  if (v === '/t') return '\t';
  if (v === '/s') return ' ';
  return v;
}

/** Parse `-E key=value` options as tshark does; returns a message when one is wrong. */
export function parseFieldsOptions(specs: readonly string[]): FieldsOptions | string {
  const o: FieldsOptions = { ...DEFAULT_FIELDS_OPTIONS };
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq < 1) return `-E ${spec}: expected KEY=VALUE (header, separator, occurrence, aggregator, quote)`;
    const key = spec.slice(0, eq);
    const value = spec.slice(eq + 1);
    switch (key) {
      case 'header':
        if (value !== 'y' && value !== 'n') return `-E header=${value}: expected y or n`;
        o.header = value === 'y';
        break;
      case 'separator':
        if (value === '') return '-E separator=: give a separator (/t for tab, /s for space)';
        o.separator = unslash(value);
        break;
      case 'aggregator':
        if (value === '') return '-E aggregator=: give an aggregator (/s for space)';
        o.aggregator = unslash(value);
        break;
      case 'occurrence':
        if (value === 'f' || value === 'l' || value === 'a') o.occurrence = value;
        else return `-E occurrence=${value}: expected f, l or a`;
        break;
      case 'quote':
        if (value === 'd') o.quote = '"';
        else if (value === 's') o.quote = "'";
        else if (value === 'n') o.quote = '';
        else return `-E quote=${value}: expected d, s or n`;
        break;
      case 'bom':
      case 'escape':
        // Accepted for tshark compatibility: no byte-order mark is ever written, and
        // values never contain raw control characters to escape.
        if (value !== 'y' && value !== 'n') return `-E ${key}=${value}: expected y or n`;
        break;
      default:
        return `-E ${key}: unknown option (header, separator, occurrence, aggregator, quote)`;
    }
  }
  return o;
}

/** tshark's column pseudo-fields, usable with -e. */
const COLUMNS: Readonly<Record<string, (c: PacketColumns) => string>> = {
  '_ws.col.No.': (c) => String(c.number),
  '_ws.col.number': (c) => String(c.number),
  '_ws.col.Time': (c) => c.time,
  '_ws.col.Source': (c) => c.source,
  '_ws.col.Destination': (c) => c.destination,
  '_ws.col.Protocol': (c) => c.protocol,
  '_ws.col.Length': (c) => String(c.length),
  '_ws.col.Info': (c) => c.info,
};

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Known field names closest to an unknown one, best first. */
export function closeFieldNames(reg: Registry, name: string, max = 5): string[] {
  const all = [...reg.fieldNames(), ...Object.keys(COLUMNS)];
  const lower = name.toLowerCase();
  const scored = all.map((f) => {
    const fl = f.toLowerCase();
    let score = editDistance(lower, fl);
    // Same protocol, or one name containing the other, counts as close.
    if (fl.startsWith(lower) || lower.startsWith(fl)) score = Math.min(score, 1);
    else if (fl.includes(lower) || lower.includes(fl)) score = Math.min(score, 2);
    return [f, score] as const;
  });
  const limit = Math.max(2, Math.floor(name.length / 3));
  return scored
    .filter(([, s]) => s <= limit)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([f]) => f);
}

/** A message for each field name netdiag does not know, with close matches. */
export function unknownFields(reg: Registry, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (reg.field(n) || COLUMNS[n]) continue;
    const close = closeFieldNames(reg, n);
    out.push(close.length ? `unknown field ${n} (did you mean: ${close.join(', ')}?)` : `unknown field ${n}`);
  }
  return out;
}

type Column = { kind: 'field'; ref: FieldRef; sink: FieldSink } | { kind: 'col'; get: (c: PacketColumns) => string };

/**
 * `-T fields`: one line per packet with the values of each requested field, formatted as
 * tshark 4.0 prints them (several occurrences joined by the aggregator).
 */
export class FieldsOutput {
  private readonly cols: Column[];
  private readonly lister: PacketLister | null;
  private readonly o: FieldsOptions;
  private headerDone = false;

  constructor(
    reg: Registry,
    private readonly names: readonly string[],
    options: FieldsOptions,
    private readonly out: { write(s: string): boolean },
  ) {
    this.o = options;
    let needColumns = false;
    this.cols = names.map((n) => {
      const ref = reg.field(n);
      if (ref) return { kind: 'field', ref, sink: new FieldSink() };
      const get = COLUMNS[n];
      if (!get) throw new Error(unknownFields(reg, [n])[0]);
      needColumns = true;
      return { kind: 'col', get };
    });
    this.lister = needColumns ? new PacketLister(reg) : null;
  }

  /** The header line (-E header=y), written before the first packet or at the end if there is none. */
  header(): void {
    if (this.headerDone) return;
    this.headerDone = true;
    if (this.o.header) this.out.write(this.names.join(this.o.separator) + '\n');
  }

  /** The formatted values of one packet, one string per requested field. */
  values(p: PacketView): string[] {
    const columns = this.lister ? this.lister.columns(p) : null;
    const vals: string[] = [];
    for (const c of this.cols) {
      if (c.kind === 'col') {
        vals.push(c.get(columns!));
        continue;
      }
      const { ref, sink } = c;
      sink.reset();
      for (let i = 0; i < p.nLayers; i++) ref.byProto[p.proto[i]!]?.get(p, i, sink);
      vals.push(formatValues(ref.def, sink, this.o.occurrence, this.o.aggregator));
    }
    return vals;
  }

  packet(p: PacketView): boolean {
    this.header();
    const q = this.o.quote;
    const vals = this.values(p);
    let line = '';
    for (let k = 0; k < vals.length; k++) {
      if (k) line += this.o.separator;
      const v = vals[k]!;
      // tshark leaves empty values unquoted.
      line += q && v !== '' ? q + v + q : v;
    }
    return this.out.write(line + '\n');
  }
}
