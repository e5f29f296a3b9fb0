/**
 * BGP-4 messages (RFC 4271) with the extensions Kubernetes routing daemons
 * (BIRD in Calico, GoBGP in kube-router/MetalLB) negotiate: 4-byte AS
 * (RFC 6793), multiprotocol (RFC 4760), ADD-PATH (RFC 7911), route refresh
 * (RFC 2918).
 */
import { ipBytes, ipv4Bytes, parsePrefix } from './addr.js';

export const BGP_TYPE = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;
export const AFI = { IPV4: 1, IPV6: 2 } as const;
export const SAFI = { UNICAST: 1, MULTICAST: 2 } as const;
/** RFC 6793: the 2-byte My AS field of a speaker whose AS does not fit. */
export const AS_TRANS = 23456;

export const BGP_ERROR = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
} as const;
/** OPEN Message Error subcodes. */
export const BGP_OPEN_ERROR = {
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

function message(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(19 + body.length);
  if (b.length > 4096) throw new Error(`BGP message longer than 4096 bytes: ${b.length}`);
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(b.length, 16);
  b[18] = type;
  body.copy(b, 19);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export type BgpCapability =
  | { code: 'multiprotocol'; afi: number; safi: number }
  | { code: 'route-refresh' }
  | { code: 'as4'; asn: number }
  /** sendReceive: 1 receive, 2 send, 3 both. */
  | { code: 'add-path'; entries: Array<{ afi: number; safi: number; sendReceive: number }> }
  | { code: number; data: Buffer };

function capability(c: BgpCapability): Buffer {
  let code: number;
  let value: Buffer;
  switch (c.code) {
    case 'multiprotocol':
      code = 1;
      value = Buffer.concat([u16(c.afi), Buffer.from([0, c.safi])]);
      break;
    case 'route-refresh':
      code = 2;
      value = Buffer.alloc(0);
      break;
    case 'as4':
      code = 65;
      value = u32(c.asn);
      break;
    case 'add-path':
      code = 69;
      value = Buffer.concat(c.entries.map((e) => Buffer.concat([u16(e.afi), Buffer.from([e.safi, e.sendReceive])])));
      break;
    default:
      code = c.code;
      value = c.data;
  }
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

export interface BgpOpenOptions {
  /** A 4-byte AS goes out as AS_TRANS in My AS; add an 'as4' capability to carry it. */
  asn: number;
  holdTime?: number;
  bgpId: string;
  capabilities?: BgpCapability[];
}

/** All capabilities in one Capabilities optional parameter (type 2), as BIRD and GoBGP send them. */
export function bgpOpen(o: BgpOpenOptions): Buffer {
  const caps = Buffer.concat((o.capabilities ?? []).map(capability));
  const params = caps.length > 0 ? Buffer.concat([Buffer.from([2, caps.length]), caps]) : Buffer.alloc(0);
  const body = Buffer.concat([
    Buffer.from([4]),
    u16(o.asn > 0xffff ? AS_TRANS : o.asn),
    u16(o.holdTime ?? 90),
    ipv4Bytes(o.bgpId),
    Buffer.from([params.length]),
    params,
  ]);
  return message(BGP_TYPE.OPEN, body);
}

export function bgpKeepalive(): Buffer {
  return message(BGP_TYPE.KEEPALIVE, Buffer.alloc(0));
}

export function bgpNotification(o: { code: number; subcode?: number; data?: Buffer }): Buffer {
  return message(BGP_TYPE.NOTIFICATION, Buffer.concat([Buffer.from([o.code, o.subcode ?? 0]), o.data ?? Buffer.alloc(0)]));
}

/** `subtype`: 0 plain refresh, 1 BoRR, 2 EoRR (RFC 7313). */
export function bgpRouteRefresh(o: { afi: number; safi: number; subtype?: number }): Buffer {
  return message(BGP_TYPE.ROUTE_REFRESH, Buffer.concat([u16(o.afi), Buffer.from([o.subtype ?? 0, o.safi])]));
}

/** A prefix, optionally with the ADD-PATH path identifier that precedes it. */
export type BgpNlri = string | { prefix: string; pathId: number };

export function encodeNlri(items: readonly BgpNlri[]): Buffer {
  return Buffer.concat(
    items.map((it) => {
      const text = typeof it === 'string' ? it : it.prefix;
      const p = parsePrefix(text);
      const bytes = Math.ceil(p.length / 8);
      const enc = Buffer.concat([Buffer.from([p.length]), p.addr.subarray(0, bytes)]);
      return typeof it === 'string' ? enc : Buffer.concat([u32(it.pathId), enc]);
    }),
  );
}

export type BgpPathAttribute =
  | { type: 'origin'; value: 'igp' | 'egp' | 'incomplete' }
  /** `asnSize` 4 once both speakers sent the as4 capability, else 2. */
  | { type: 'as-path'; segments: Array<{ kind: 'sequence' | 'set'; asns: number[] }>; asnSize?: 2 | 4 }
  | { type: 'next-hop'; addr: string }
  | { type: 'med'; value: number }
  | { type: 'local-pref'; value: number }
  /** '65000:100' or the 32-bit value. */
  | { type: 'communities'; values: Array<string | number> }
  /** Next hops: one global, or global + link-local for IPv6. */
  | { type: 'mp-reach'; afi: number; safi: number; nextHops: string[]; nlri: BgpNlri[] }
  | { type: 'mp-unreach'; afi: number; safi: number; withdrawn: BgpNlri[] }
  | { type: number; flags: number; data: Buffer };

const ATTR_FLAG = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED: 0x10 } as const;

function community(v: string | number): number {
  if (typeof v === 'number') return v;
  const [hi, lo] = v.split(':').map(Number);
  if (hi === undefined || lo === undefined || !(hi <= 0xffff && lo <= 0xffff)) throw new Error(`bad community: ${v}`);
  return hi * 0x10000 + lo;
}

function attribute(a: BgpPathAttribute): Buffer {
  let flags: number;
  let code: number;
  let data: Buffer;
  const wellKnown = ATTR_FLAG.TRANSITIVE;
  switch (a.type) {
    case 'origin':
      [flags, code, data] = [wellKnown, 1, Buffer.from([{ igp: 0, egp: 1, incomplete: 2 }[a.value]])];
      break;
    case 'as-path': {
      const size = a.asnSize ?? 4;
      data = Buffer.concat(
        a.segments.map((s) => {
          const b = Buffer.alloc(2 + size * s.asns.length);
          b[0] = s.kind === 'set' ? 1 : 2;
          b[1] = s.asns.length;
          s.asns.forEach((asn, i) => {
            if (size === 2) b.writeUInt16BE(asn, 2 + 2 * i);
            else b.writeUInt32BE(asn >>> 0, 2 + 4 * i);
          });
          return b;
        }),
      );
      [flags, code] = [wellKnown, 2];
      break;
    }
    case 'next-hop':
      [flags, code, data] = [wellKnown, 3, ipv4Bytes(a.addr)];
      break;
    case 'med':
      [flags, code, data] = [ATTR_FLAG.OPTIONAL, 4, u32(a.value)];
      break;
    case 'local-pref':
      [flags, code, data] = [wellKnown, 5, u32(a.value)];
      break;
    case 'communities':
      [flags, code, data] = [ATTR_FLAG.OPTIONAL | ATTR_FLAG.TRANSITIVE, 8, Buffer.concat(a.values.map((v) => u32(community(v))))];
      break;
    case 'mp-reach': {
      const nh = Buffer.concat(a.nextHops.map(ipBytes));
      data = Buffer.concat([u16(a.afi), Buffer.from([a.safi, nh.length]), nh, Buffer.from([0]), encodeNlri(a.nlri)]);
      [flags, code] = [ATTR_FLAG.OPTIONAL, 14];
      break;
    }
    case 'mp-unreach':
      [flags, code, data] = [ATTR_FLAG.OPTIONAL, 15, Buffer.concat([u16(a.afi), Buffer.from([a.safi]), encodeNlri(a.withdrawn)])];
      break;
    default:
      [flags, code, data] = [a.flags, a.type, a.data];
  }
  // The extended-length flag is only needed past 255 bytes; some speakers
  // set it always, so an explicit raw attribute may too.
  const extended = data.length > 255 || (flags & ATTR_FLAG.EXTENDED) !== 0;
  const head = extended
    ? Buffer.from([flags | ATTR_FLAG.EXTENDED, code, data.length >> 8, data.length & 0xff])
    : Buffer.from([flags, code, data.length]);
  return Buffer.concat([head, data]);
}

export interface BgpUpdateOptions {
  withdrawn?: BgpNlri[];
  attributes?: BgpPathAttribute[];
  nlri?: BgpNlri[];
}

export function bgpUpdate(o: BgpUpdateOptions): Buffer {
  const withdrawn = encodeNlri(o.withdrawn ?? []);
  const attrs = Buffer.concat((o.attributes ?? []).map(attribute));
  return message(
    BGP_TYPE.UPDATE,
    Buffer.concat([u16(withdrawn.length), withdrawn, u16(attrs.length), attrs, encodeNlri(o.nlri ?? [])]),
  );
}
