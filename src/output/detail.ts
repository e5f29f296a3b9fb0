import type { FieldDef } from '../decode/field.js';
import { FieldSink, V_BYTES, V_NUM } from '../decode/field-sink.js';
import type { PacketView } from '../decode/packet-view.js';
import type { Registry } from '../decode/registry.js';
import { formatValue } from './field-format.js';
import { escapeControl, printableAscii } from './escape.js';

/**
 * The detail of one packet as plain data: the layer tree with every field's label, value
 * text and byte range where known, the anomalies, and the bytes themselves. Everything is
 * copied out of the decoder's reused view, so a detail can be kept (TUI, reports) while
 * other packets are decoded. All text is already escaped for display.
 */
export interface PacketDetail {
  number: number;
  captureIndex: number;
  title: string;
  /** Byte buffers the layers point into: [0] is the frame; others are reassembled data. */
  buffers: DetailBuffer[];
  layers: DetailLayer[];
  anomalies: DetailAnomaly[];
}

export interface DetailBuffer {
  label: string;
  bytes: Buffer;
}

export interface ByteRange {
  /** Index into PacketDetail.buffers. */
  buffer: number;
  start: number;
  end: number;
}

export interface DetailLayer {
  /** Filter name (`ip`). */
  name: string;
  /** Display name (`IPv4`). */
  label: string;
  /** The layer's tree line: label and summary. */
  title: string;
  /** Tunnel depth: 0 for the outermost headers. */
  depth: number;
  /** Whole layer and its header. */
  range: ByteRange;
  header: ByteRange;
  fields: DetailField[];
  anomalies: DetailAnomaly[];
}

export interface DetailField {
  /** Filter name (`ip.flags.df`). */
  name: string;
  label: string;
  /** The value as `-T fields` prints it (`1`, `0x0800`, `10.0.0.1`). */
  value: string;
  /** The value for people: named values and units as tshark's tree shows them (`UDP (17)`, `Set`). */
  display: string;
  /** Where the value lies in the bytes, when the decoder knows it. */
  range?: ByteRange;
  /** Sub-fields (`ip.flags.df` under `ip.flags`). */
  children: DetailField[];
}

export interface DetailAnomaly {
  id: string;
  severity: string;
  message: string;
  /** Index into PacketDetail.layers. */
  layer: number;
}

/** Fields that only exist to be filtered on (`ip.addr`, `udp.port`): tshark hides them in its tree. */
function hiddenField(def: FieldDef): boolean {
  return def.label.startsWith('Source or Destination');
}

function display(def: FieldDef, sink: FieldSink, k: number, value: string): string {
  if (sink.kind[k] !== V_NUM) return value;
  const v = sink.num[k]!;
  if (def.type === 'bool') return v ? 'Set' : 'Not set';
  const name = def.names?.[v];
  if ((def.type === 'uint' || def.type === 'int') && (def.base === 'hex' || def.base === 'hex_dec')) {
    const dec = `${value} (${v})`;
    return name !== undefined ? `${escapeControl(name)} (${value})` : dec;
  }
  if (name !== undefined) return `${escapeControl(name)} (${value})`;
  return value;
}

/** Where a field of layer i lies, when the definition records its offset and size. */
function fieldRange(def: FieldDef, p: PacketView, i: number, sink: FieldSink, k: number, bufIndex: number, base: number): ByteRange | undefined {
  if (sink.kind[k] === V_BYTES && sink.buf[k] === p.layerBuf[i]) {
    const start = sink.off[k]! - base;
    return { buffer: bufIndex, start, end: start + sink.len[k]! };
  }
  const at = def as FieldDef & { offset?: number; size?: number };
  if (typeof at.offset === 'number' && typeof at.size === 'number') {
    const start = p.start[i]! + at.offset - base;
    return { buffer: bufIndex, start, end: start + at.size };
  }
  return undefined;
}

function frameTitle(p: PacketView): string {
  const w = p.wireLen;
  const c = p.capLen;
  return `Frame ${p.number}: ${w} bytes on wire (${w * 8} bits), ${c} bytes captured (${c * 8} bits)`;
}

/** Decode-time view → kept detail. */
export function packetDetail(p: PacketView): PacketDetail {
  const reg: Registry = p.reg;
  const buffers: DetailBuffer[] = [{ label: 'Frame', bytes: Buffer.from(p.buf.subarray(p.base, p.base + p.capLen)) }];
  // Reassembly buffers: keep the span every layer in them covers.
  const bufIndex = new Map<Buffer, number>([[p.buf, 0]]);
  const bufBase: number[] = [p.base];
  for (let i = 0; i < p.nLayers; i++) {
    const lb = p.layerBuf[i]!;
    const bi = bufIndex.get(lb);
    if (bi === undefined) {
      let lo = p.start[i]!;
      let hi = p.end[i]!;
      for (let j = i + 1; j < p.nLayers; j++) {
        if (p.layerBuf[j] !== lb) continue;
        lo = Math.min(lo, p.start[j]!);
        hi = Math.max(hi, p.end[j]!);
      }
      const label = reg.dissectors[p.proto[i]!]!.label;
      bufIndex.set(lb, buffers.length);
      bufBase.push(lo);
      buffers.push({ label: `Reassembled ${label} (${hi - lo} bytes)`, bytes: Buffer.from(lb.subarray(lo, hi)) });
    }
  }
  const sink = new FieldSink();
  const layers: DetailLayer[] = [];
  const anomalies: DetailAnomaly[] = [];
  for (let i = 0; i < p.nLayers; i++) {
    const d = reg.dissectors[p.proto[i]!]!;
    const bi = bufIndex.get(p.layerBuf[i]!)!;
    const base = bufBase[bi]!;
    let title: string;
    if (d.name === 'frame') title = frameTitle(p);
    else {
      const s = d.summary ? d.summary(p, i) : '';
      title = s === '' || s === d.label ? d.label : s.startsWith(d.label) ? s : `${d.label}, ${s}`;
    }
    const fields: DetailField[] = [];
    for (const def of d.fields) {
      if (hiddenField(def)) continue;
      sink.reset();
      def.get(p, i, sink);
      for (let k = 0; k < sink.n; k++) {
        const value = formatValue(def, sink, k);
        const f: DetailField = { name: def.name, label: escapeControl(def.label), value, display: display(def, sink, k, value), children: [] };
        const r = fieldRange(def, p, i, sink, k, bi, base);
        if (r) f.range = r;
        place(fields, f);
      }
    }
    const layer: DetailLayer = {
      name: d.name,
      label: d.label,
      title: escapeControl(title),
      depth: p.depth[i]!,
      range: { buffer: bi, start: p.start[i]! - base, end: p.end[i]! - base },
      header: { buffer: bi, start: p.start[i]! - base, end: p.hdrEnd[i]! - base },
      fields,
      anomalies: [],
    };
    layers.push(layer);
  }
  for (let a = 0; a < p.nAnomalies; a++) {
    const info = reg.anomalies.info(p.anomalyCode[a]!);
    const li = Math.min(p.anomalyLayer[a]!, layers.length - 1);
    const an: DetailAnomaly = { id: info.id, severity: info.severity, message: escapeControl(info.description), layer: li };
    anomalies.push(an);
    if (li >= 0) layers[li]!.anomalies.push(an);
  }
  return { number: p.number, captureIndex: p.captureIndex, title: frameTitle(p), buffers, layers, anomalies };
}

/** Put a field under the last field whose name it extends (`ip.flags.df` under `ip.flags`). */
function place(list: DetailField[], f: DetailField): void {
  for (let k = list.length - 1; k >= 0; k--) {
    const parent = list[k]!;
    if (f.name.startsWith(parent.name + '.')) {
      place(parent.children, f);
      return;
    }
  }
  list.push(f);
}

const SEVERITY: Readonly<Record<string, string>> = { error: 'Error', warning: 'Warning', note: 'Note' };

/** The detail as tshark -V prints it: one line per layer, its fields indented below. */
export function renderDetail(d: PacketDetail): string {
  const lines: string[] = [];
  const walk = (fs: DetailField[], indent: string) => {
    for (const f of fs) {
      lines.push(`${indent}${f.label}: ${f.display}`);
      walk(f.children, indent + '    ');
    }
  };
  for (const l of d.layers) {
    lines.push(l.title);
    walk(l.fields, '    ');
    for (const a of l.anomalies) lines.push(`    [Expert Info (${SEVERITY[a.severity] ?? a.severity}): ${a.message} (${a.id})]`);
  }
  return lines.join('\n') + '\n';
}

export interface HexRow {
  offset: number;
  /** Up to 16 bytes as two-digit hex. */
  hex: string[];
  /** The same bytes, printable ASCII or '.'. */
  ascii: string;
}

/** Rows of 16 bytes, for hex panes that highlight a field's range. */
export function hexRows(b: Buffer, start = 0, end = b.length): HexRow[] {
  const rows: HexRow[] = [];
  for (let o = start; o < end; o += 16) {
    const e = Math.min(end, o + 16);
    const hex: string[] = [];
    for (let k = o; k < e; k++) hex.push(b[k]!.toString(16).padStart(2, '0'));
    rows.push({ offset: o - start, hex, ascii: printableAscii(b, o, e) });
  }
  return rows;
}

/** tshark -x: `0000  45 00 …   E.…`, 16 bytes a line. */
export function hexDump(b: Buffer, start = 0, end = b.length): string {
  let s = '';
  for (const r of hexRows(b, start, end)) {
    const off = r.offset.toString(16).padStart(r.offset > 0xffff ? 8 : 4, '0');
    s += `${off}  ${r.hex.join(' ').padEnd(47)}   ${r.ascii}\n`;
  }
  return s;
}

/** Every buffer of a detail as hex dumps; reassembled data under its own heading, as tshark does. */
export function renderHex(d: PacketDetail): string {
  let s = '';
  d.buffers.forEach((b, k) => {
    if (k > 0) s += `${escapeControl(b.label)}:\n`;
    s += hexDump(b.bytes);
    s += '\n';
  });
  return s;
}
