/** IPv4 (RFC 791): header with options, fragmentation fields and checksum. */
import { ipv4Bytes } from './addr.js';
import { inetChecksum, resolveChecksum } from './checksum.js';

/** One IPv4 option; types 0 (EOL) and 1 (NOP) are a single byte with no length. */
export interface Ipv4Option {
  type: number;
  data?: Buffer;
}

export const IPV4_OPTION = {
  EOL: 0,
  NOP: 1,
  RECORD_ROUTE: 7,
  TIMESTAMP: 68,
  ROUTER_ALERT: 148,
} as const;

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  /** The whole second header byte: DSCP << 2 | ECN. */
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes; must be a multiple of 8. */
  fragOffset?: number;
  /** Encoded options or raw bytes; padded with EOL to a 4-byte boundary. */
  options?: Ipv4Option[] | Buffer;
  checksum?: number | 'bad';
  /** Overrides the total-length field (to craft inconsistent packets). */
  totalLength?: number;
}

export function encodeIpv4Options(opts: Ipv4Option[] | Buffer): Buffer {
  if (Buffer.isBuffer(opts)) return opts;
  return Buffer.concat(
    opts.map((o) => {
      if (o.type === IPV4_OPTION.EOL || o.type === IPV4_OPTION.NOP) return Buffer.from([o.type]);
      const data = o.data ?? Buffer.alloc(0);
      return Buffer.concat([Buffer.from([o.type, 2 + data.length]), data]);
    }),
  );
}

export function ipv4(o: Ipv4Options, payload: Buffer): Buffer {
  const rawOpts = o.options ? encodeIpv4Options(o.options) : Buffer.alloc(0);
  const optLen = (rawOpts.length + 3) & ~3;
  if (optLen > 40) throw new Error(`IPv4 options too long: ${rawOpts.length} bytes`);
  const hlen = 20 + optLen;
  const frag = o.fragOffset ?? 0;
  if (frag % 8 !== 0 || frag < 0 || frag / 8 > 0x1fff) throw new Error(`bad fragment offset: ${frag}`);
  const b = Buffer.alloc(hlen + payload.length);
  b[0] = 0x40 | (hlen / 4);
  b[1] = o.tos ?? 0;
  b.writeUInt16BE(o.totalLength ?? hlen + payload.length, 2);
  b.writeUInt16BE(o.id ?? 0, 4);
  b.writeUInt16BE((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (frag / 8), 6);
  b[8] = o.ttl ?? 64;
  b[9] = o.proto;
  ipv4Bytes(o.src).copy(b, 12);
  ipv4Bytes(o.dst).copy(b, 16);
  rawOpts.copy(b, 20);
  b.writeUInt16BE(resolveChecksum(o.checksum, () => inetChecksum(b.subarray(0, hlen))), 10);
  payload.copy(b, hlen);
  return b;
}

/**
 * Splits `payload` (an upper-layer datagram) into IPv4 fragments no larger
 * than `mtu`. Options are copied into every fragment, as if all were
 * copy-flagged, which keeps the arithmetic obvious for fixtures.
 */
export function fragmentIpv4(o: Omit<Ipv4Options, 'mf' | 'fragOffset' | 'df'>, payload: Buffer, mtu: number): Buffer[] {
  const optLen = o.options ? (encodeIpv4Options(o.options).length + 3) & ~3 : 0;
  const chunk = (mtu - 20 - optLen) & ~7;
  if (chunk <= 0) throw new Error(`MTU ${mtu} too small to fragment`);
  const out: Buffer[] = [];
  let off = 0;
  do {
    const end = Math.min(off + chunk, payload.length);
    out.push(ipv4({ ...o, fragOffset: off, mf: end < payload.length }, payload.subarray(off, end)));
    off = end;
  } while (off < payload.length);
  return out;
}

/** IP-in-IP (protocol 4), as Linux `ipip` / Calico's tunl0 sends it. */
export function ipip(outer: Omit<Ipv4Options, 'proto'>, inner: Buffer): Buffer {
  return ipv4({ ...outer, proto: 4 }, inner);
}

/** 6in4 (protocol 41, RFC 4213): an IPv6 packet carried in IPv4. */
export function sixInFour(outer: Omit<Ipv4Options, 'proto'>, inner: Buffer): Buffer {
  return ipv4({ ...outer, proto: 41 }, inner);
}
