import type { PacketView } from './packet-view.js';
import type { FieldSink } from './field-sink.js';

/**
 * Field types, named after Wireshark's FT_* types so `-T fields` output can be
 * formatted exactly as tshark prints it.
 */
export type FieldType =
  | 'none' // protocol or label: present or absent
  | 'uint'
  | 'int'
  | 'bool'
  | 'ipv4'
  | 'ipv6'
  | 'ether'
  | 'bytes'
  | 'string'
  | 'abs_time' // seconds since the epoch, printed with nanoseconds
  | 'rel_time' // seconds, printed with nanoseconds
  | 'float';

/** How an integer is printed: as tshark does for BASE_DEC, BASE_HEX, BASE_DEC_HEX, BASE_HEX_DEC. */
export type IntBase = 'dec' | 'hex' | 'dec_hex' | 'hex_dec' | 'oct';

export interface FieldDef {
  /** Wireshark's display-filter name, e.g. `ip.src`. */
  name: string;
  type: FieldType;
  /** Human label for the detail view. */
  label: string;
  base?: IntBase;
  /** Width in bits of the underlying integer; hex values are zero-padded to it. */
  bits?: number;
  /** Value names for enumerated integers, shown in detail views and usable in filters. */
  names?: Readonly<Record<number, string>>;
  /**
   * Push the field's values for layer `i` of the packet (zero, one or several occurrences).
   * Must read only inside the layer's bytes and never throw on short input.
   */
  get(p: PacketView, i: number, out: FieldSink): void;
}
