/** Geneve (RFC 8926), UDP 6081. */
import { ETHERTYPE } from './constants.js';

export interface GeneveOption {
  /** IANA option class; 0x0102 is OVN's. */
  optClass: number;
  /** Type, without the critical bit. */
  type: number;
  critical?: boolean;
  /** Length must be a multiple of 4, at most 124. */
  data: Buffer;
}

export interface GeneveOptions {
  vni: number;
  /** EtherType of the payload; a frame (0x6558) unless said otherwise. */
  protocol?: number;
  /** O bit: control/OAM packet. */
  oam?: boolean;
  /** C bit; by default set when any option is critical, as the RFC requires. */
  critical?: boolean;
  options?: GeneveOption[];
}

export function geneve(o: GeneveOptions, payload: Buffer): Buffer {
  if (o.vni < 0 || o.vni > 0xffffff) throw new Error(`VNI out of range: ${o.vni}`);
  const opts = o.options ?? [];
  const encoded = opts.map((opt) => {
    if (opt.data.length % 4 !== 0 || opt.data.length > 124) {
      throw new Error(`Geneve option data must be a multiple of 4 up to 124 bytes, got ${opt.data.length}`);
    }
    const b = Buffer.alloc(4 + opt.data.length);
    b.writeUInt16BE(opt.optClass, 0);
    b[2] = (opt.critical ? 0x80 : 0) | (opt.type & 0x7f);
    b[3] = opt.data.length / 4;
    opt.data.copy(b, 4);
    return b;
  });
  const optLen = encoded.reduce((n, e) => n + e.length, 0);
  if (optLen > 252) throw new Error(`Geneve options too long: ${optLen}`);
  const b = Buffer.alloc(8 + optLen + payload.length);
  const critical = o.critical ?? opts.some((x) => x.critical);
  b[0] = optLen / 4; // version 0 in the top two bits
  b[1] = (o.oam ? 0x80 : 0) | (critical ? 0x40 : 0);
  b.writeUInt16BE(o.protocol ?? ETHERTYPE.TEB, 2);
  b.writeUIntBE(o.vni, 4, 3);
  let off = 8;
  for (const e of encoded) {
    e.copy(b, off);
    off += e.length;
  }
  payload.copy(b, off);
  return b;
}
