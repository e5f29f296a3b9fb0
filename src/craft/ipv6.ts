/** IPv6 (RFC 8200) with extension headers. */
import { ipv6Bytes } from './addr.js';
import { IPPROTO } from './constants.js';

export type Ipv6Extension =
  /** `options`: TLV-encoded options; padded with Pad1/PadN to a multiple of 8. */
  | { type: 'hop-by-hop' | 'destination'; options?: Buffer }
  /** `data`: everything after the 4 fixed bytes; zero-padded to a multiple of 8. */
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; data?: Buffer }
  /** `offset` in bytes, a multiple of 8. */
  | { type: 'fragment'; offset?: number; more?: boolean; id: number };

export interface Ipv6Options {
  src: string;
  dst: string;
  /** Protocol of `payload`, i.e. the next header after the last extension. */
  next: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** In order of appearance. */
  ext?: Ipv6Extension[];
  /** Overrides the payload-length field. */
  payloadLength?: number;
}

function extProto(e: Ipv6Extension): number {
  switch (e.type) {
    case 'hop-by-hop':
      return IPPROTO.HOPOPTS;
    case 'destination':
      return IPPROTO.DSTOPTS;
    case 'routing':
      return IPPROTO.ROUTING;
    case 'fragment':
      return IPPROTO.FRAGMENT;
  }
}

function padOptions(opts: Buffer): Buffer {
  const len = 2 + opts.length;
  const padded = Math.max(8, (len + 7) & ~7);
  const pad = padded - len;
  const out = Buffer.alloc(padded - 2);
  opts.copy(out);
  if (pad === 1) out[opts.length] = 0; // Pad1
  else if (pad > 1) {
    out[opts.length] = 1; // PadN
    out[opts.length + 1] = pad - 2;
  }
  return out;
}

function encodeExt(e: Ipv6Extension, next: number): Buffer {
  if (e.type === 'fragment') {
    const off = e.offset ?? 0;
    if (off % 8 !== 0) throw new Error(`bad fragment offset: ${off}`);
    const b = Buffer.alloc(8);
    b[0] = next;
    b.writeUInt16BE(off | (e.more ? 1 : 0), 2);
    b.writeUInt32BE(e.id >>> 0, 4);
    return b;
  }
  let body: Buffer;
  if (e.type === 'routing') {
    const data = e.data ?? Buffer.alloc(4);
    const len = (4 + data.length + 7) & ~7;
    body = Buffer.alloc(len - 2);
    body[0] = e.routingType ?? 0;
    body[1] = e.segmentsLeft ?? 0;
    data.copy(body, 2);
  } else {
    body = padOptions(e.options ?? Buffer.alloc(0));
  }
  const b = Buffer.alloc(2 + body.length);
  b[0] = next;
  b[1] = b.length / 8 - 1;
  body.copy(b, 2);
  return b;
}

export function ipv6(o: Ipv6Options, payload: Buffer): Buffer {
  const ext = o.ext ?? [];
  const encoded = ext.map((e, i) => encodeExt(e, i + 1 < ext.length ? extProto(ext[i + 1]!) : o.next));
  const extLen = encoded.reduce((n, e) => n + e.length, 0);
  const b = Buffer.alloc(40 + extLen + payload.length);
  b.writeUInt32BE(((6 << 28) | ((o.trafficClass ?? 0) << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  b.writeUInt16BE(o.payloadLength ?? extLen + payload.length, 4);
  b[6] = ext.length > 0 ? extProto(ext[0]!) : o.next;
  b[7] = o.hopLimit ?? 64;
  ipv6Bytes(o.src).copy(b, 8);
  ipv6Bytes(o.dst).copy(b, 24);
  let off = 40;
  for (const e of encoded) {
    e.copy(b, off);
    off += e.length;
  }
  payload.copy(b, off);
  return b;
}
