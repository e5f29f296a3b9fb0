import type { FieldDef } from '../decode/field.js';
import { V_BYTES, V_STR, V_TIME, type FieldSink } from '../decode/field-sink.js';
import { bytesHex, hexPadded, ipv4String, ipv6String, macString, secondsString } from '../decode/format.js';
import { escapeControl } from './escape.js';

/** Format value k of a sink exactly as `tshark -T fields` prints a value of this field. */
export function formatValue(def: FieldDef, sink: FieldSink, k: number): string {
  const kind = sink.kind[k];
  if (kind === V_STR) return escapeControl(sink.str[k]!);
  if (kind === V_TIME) return secondsString(sink.num[k]!, sink.off[k]!);
  if (kind === V_BYTES) {
    const b = sink.buf[k]!;
    const o = sink.off[k]!;
    if (def.type === 'ipv6') return ipv6String(b, o);
    return bytesHex(b, o, sink.len[k]!);
  }
  const v = sink.num[k]!;
  switch (def.type) {
    case 'ipv4':
      return ipv4String(v);
    case 'ether':
      return macString(v);
    case 'bool':
      return v ? '1' : '0';
    case 'uint':
    case 'int':
      if (def.base === 'hex' || def.base === 'hex_dec') return hexPadded(v, def.bits ?? 32);
      if (def.base === 'oct') return '0' + v.toString(8);
      return String(v);
    default:
      return String(v);
  }
}

export type Occurrence = 'a' | 'f' | 'l' | number;

/** All values of one field in one packet, joined as tshark's -E occurrence/aggregator do. */
export function formatValues(def: FieldDef, sink: FieldSink, occurrence: Occurrence = 'a', aggregator = ','): string {
  if (sink.n === 0) return '';
  if (occurrence === 'f') return formatValue(def, sink, 0);
  if (occurrence === 'l') return formatValue(def, sink, sink.n - 1);
  if (typeof occurrence === 'number') return occurrence >= 1 && occurrence <= sink.n ? formatValue(def, sink, occurrence - 1) : '';
  let s = formatValue(def, sink, 0);
  for (let k = 1; k < sink.n; k++) s += aggregator + formatValue(def, sink, k);
  return s;
}
