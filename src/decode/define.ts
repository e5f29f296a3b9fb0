import { u8, u16, u24, u32, u48 } from './bytes.js';
import type { FieldDef, FieldType, IntBase } from './field.js';
import type { FieldSink } from './field-sink.js';
import type { PacketView } from './packet-view.js';

/** Helpers for declaring fields concisely; every getter stays within the layer's bytes. */

interface FieldOpts {
  base?: IntBase;
  bits?: number;
  names?: Readonly<Record<number, string>>;
}

/** A field computed by a custom getter. */
export function field(
  name: string,
  label: string,
  type: FieldType,
  get: (p: PacketView, i: number, out: FieldSink) => void,
  opts: FieldOpts = {},
): FieldDef {
  return { name, label, type, get, ...opts };
}

interface FixedOpts extends FieldOpts {
  /** Bit mask applied to the value read (Wireshark's bitmask); the result is shifted down. */
  mask?: number;
  /** Read within the layer's header only (default) or its whole extent. */
  within?: 'header' | 'layer';
}

function readUint(b: Buffer, o: number, size: number): number {
  switch (size) {
    case 1:
      return u8(b, o);
    case 2:
      return u16(b, o);
    case 3:
      return u24(b, o);
    case 4:
      return u32(b, o);
    case 6:
      return u48(b, o);
    default:
      throw new Error(`unsupported size ${size}`);
  }
}

function shiftOf(mask: number): number {
  let s = 0;
  while (mask > 0 && (mask & 1) === 0) {
    mask = Math.floor(mask / 2);
    s++;
  }
  return s;
}

/**
 * A field at a fixed offset from the layer's start, `size` bytes big-endian.
 * ipv6 and bytes fields push a byte range; everything else a number.
 */
export function fixed(name: string, label: string, type: FieldType, offset: number, size: number, opts: FixedOpts = {}): FieldDef {
  const mask = opts.mask ?? 0;
  const shift = mask ? shiftOf(mask) : 0;
  const div = 2 ** shift;
  const header = (opts.within ?? 'header') === 'header';
  const bits = opts.bits ?? size * 8;
  const get = (p: PacketView, i: number, out: FieldSink): void => {
    const o = p.start[i]! + offset;
    const limit = header ? p.hdrEnd[i]! : p.end[i]!;
    if (o + size > limit) return;
    const b = p.layerBuf[i]!;
    if (type === 'ipv6' || type === 'bytes') {
      out.pushBytes(b, o, size);
      return;
    }
    let v = readUint(b, o, size);
    if (mask) v = Math.floor((v & mask) >>> 0) / div;
    if (type === 'bool') v = v ? 1 : 0;
    out.pushNum(Math.floor(v));
  };
  // Offset and size let the detail views place the field on its exact bytes.
  const def: FieldDef & { offset: number; size: number } = { name, label, type, get, bits, offset, size };
  if (opts.base) def.base = opts.base;
  if (opts.names) def.names = opts.names;
  return def;
}

/** A field present only when `cond` holds for the layer (e.g. ICMP's MTU only in type 3 code 4). */
export function when(cond: (p: PacketView, i: number) => boolean, def: FieldDef): FieldDef {
  const inner = def.get;
  return { ...def, get: (p, i, out) => (cond(p, i) ? inner(p, i, out) : undefined) };
}
