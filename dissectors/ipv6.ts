import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed } from '../src/decode/define.js';
import { u8, u16, u32 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import { ipv6String } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';
import { AUX_QUOTED } from './ipv4.js';

/*
 * IPv6 (RFC 8200)
 *  0                   1                   2                   3
 * |Version| Traffic Class |           Flow Label                  |
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * |                  Source Address (16 bytes)                    |
 * |               Destination Address (16 bytes)                  |
 *
 * followed by a chain of extension headers, which this layer covers too:
 * hop-by-hop / destination options (RFC 8200 4.3, 4.6)
 * |  Next Header  |  Hdr Ext Len  |  Options (TLVs) ...           |
 * routing (4.4)
 * |  Next Header  |  Hdr Ext Len  |  Routing Type | Segments Left |
 * fragment (4.5)
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * |                         Identification                        |
 * authentication header (RFC 4302), length in 4-byte units minus 2
 * |  Next Header  |  Payload Len  |          RESERVED             |
 * |                 Security Parameters Index (SPI)               |
 * |                    Sequence Number Field                      |
 * |                Integrity Check Value (variable)               |
 *
 * Field names are Wireshark's (which shows each extension header as its own protocol,
 * ipv6.hopopts, ipv6.routing, ipv6.fraghdr, ipv6.dstopts, ah). Field getters walk the
 * chain again with the same rules decode() used, so both agree on where a truncated or
 * malformed chain stops: where Wireshark's dissector would have thrown.
 */

const NH_HOPOPTS = 0;
const NH_IPIP = 4;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_IPV6 = 41;
const NH_AH = 51;
const NH_NONE = 59;
const NH_DSTOPTS = 60;

const OPT_PAD1 = 0x00;
const OPT_PADN = 0x01;
const OPT_RTALERT = 0x05;
const OPT_JUMBO = 0xc2;

/** Longest extension header chain followed; real packets carry a handful. */
const MAX_EXT_HEADERS = 32;

/** aux bit: the fixed header is complete, version 6: the extension chain can be walked. */
const AUX_WALK = 1 << 8;

let ipProtos: Uint16Array = new Uint16Array(0);
let A_VERSION = 0;
let A_BEYOND = 0;
let A_JUMBO_MISSING = 0;
let A_PLEN_ZERO = 0;
let A_CHAIN = 0;

const isExt = (nh: number) => nh === NH_HOPOPTS || nh === NH_ROUTING || nh === NH_FRAGMENT || nh === NH_AH || nh === NH_DSTOPTS;

const MPL_SEED_LEN = [0, 2, 8, 16] as const;

/** Bytes an option's dissector reads after its type and length bytes (at least its length). */
function optionReads(b: Buffer, off: number, limit: number, type: number, len: number): number {
  let n = len;
  switch (type) {
    case 0x04: // tunnel encapsulation limit
      n = 1;
      break;
    case OPT_RTALERT:
      n = 2;
      break;
    case 0x07: // CALIPSO: 8 bytes plus the compartment bitmap
      n = off + 7 <= limit ? 8 + u8(b, off + 6) * 4 : 8;
      break;
    case 0x0f: // PDM
      n = 10;
      break;
    case 0x26: // quick-start
      n = 6;
      break;
    case 0x30: // minimum path MTU
    case 0x41: // tunnel payload forwarding
    case 0x63: // RPL
    case OPT_JUMBO:
      n = 4;
      break;
    case 0x6d: // MPL: flags, sequence and a seed id sized by the flags
      n = off + 3 <= limit ? 2 + MPL_SEED_LEN[u8(b, off + 2) >> 6]! : 2;
      break;
    case 0x8c: // line identification
      n = len > 0 ? len : 1;
      break;
    case 0xc9: // home address
      n = 16;
      break;
    case 0xee: // DFF
      n = 3;
      break;
  }
  return n > len ? n : len;
}

/**
 * Cursor over one layer's extension headers, shared by decode() and the field getters
 * (reused, so walking allocates nothing).
 */
const X = {
  b: Buffer.alloc(0) as Buffer,
  /** Offset of the current header, its type, and the end of readable bytes. */
  pos: 0,
  type: 0,
  limit: 0,
  /** Length of the current header when it is complete. */
  len: 0,
  /** Bytes of the current header whose fields can be shown (truncated headers show a prefix). */
  shown: 0,
  /** 0: complete, go on; 1: cut short or malformed (stop); 2: a fragment (stop, payload undissected). */
  state: 0,
  /** Payload length left for fragment reassembly, as Wireshark tracks it. */
  fragPlen: 0,
  count: 0,
};

function measure(): void {
  const b = X.b;
  const pos = X.pos;
  const avail = X.limit - pos;
  X.state = 1;
  X.len = 0;
  X.shown = 0;
  switch (X.type) {
    case NH_HOPOPTS:
    case NH_DSTOPTS: {
      if (avail < 2) return;
      const len = (u8(b, pos + 1) + 1) * 8;
      X.shown = 2;
      let off = pos + 2;
      const end = pos + len;
      while (off < end) {
        if (off + 2 > X.limit) return;
        const t = u8(b, off);
        const ol = u8(b, off + 1);
        if (t === OPT_PAD1) {
          off += 1;
          continue;
        }
        const n = t === OPT_PADN ? ol : optionReads(b, off, X.limit, t, ol);
        if (off + 2 + n > X.limit) return;
        off += 2 + n;
      }
      X.len = len;
      break;
    }
    case NH_ROUTING: {
      X.shown = avail < 4 ? (avail > 0 ? avail : 0) : 4;
      if (avail < 4) return;
      const len = (u8(b, pos + 1) + 1) * 8;
      if (len > avail) return;
      X.len = len;
      break;
    }
    case NH_FRAGMENT: {
      if (avail < 8) return;
      X.shown = 8;
      X.len = 8;
      break;
    }
    case NH_AH: {
      if (avail < 2) return;
      const len = (u8(b, pos + 1) + 2) * 4;
      X.shown = avail < len ? avail : len;
      if (len > avail) return;
      X.len = len;
      break;
    }
    default:
      return;
  }
  X.state = 0;
  if (X.type !== NH_AH && X.fragPlen > 0) X.fragPlen -= X.len;
  if (X.type === NH_FRAGMENT && X.fragPlen > 0 && (u16(b, pos + 2) & 0xfff9) !== 0) X.state = 2;
}

/** Position X on layer i's first extension header; false when there is none to walk. */
function extFirst(p: PacketView, i: number): boolean {
  if ((p.aux[i]! & AUX_WALK) === 0) return false;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  X.b = b;
  X.pos = s + 40;
  X.type = u8(b, s + 6);
  X.limit = p.end[i]!;
  X.fragPlen = u16(b, s + 4);
  X.count = 0;
  if (!isExt(X.type)) return false;
  measure();
  return true;
}

/** Advance X to the next extension header; false at the end of the chain. */
function extNext(): boolean {
  if (X.state !== 0) return false;
  const nxt = u8(X.b, X.pos);
  X.pos += X.len;
  X.type = nxt;
  X.count++;
  if (!isExt(nxt) || X.count >= MAX_EXT_HEADERS) return false;
  measure();
  return true;
}

/**
 * Offset (in p.layerBuf[i]) of the address an upper-layer checksum covers as the
 * destination: the last hop of a routing header with segments left (type 0: the last
 * listed address; type 2: the home address; type 4: segment 0), else the IPv6
 * destination. -1 when layer i's fixed header is incomplete.
 */
export function ipv6ChecksumDestination(p: PacketView, i: number): number {
  if (p.hdrEnd[i]! - p.start[i]! < 40) return -1;
  let dst = p.start[i]! + 24;
  if (!extFirst(p, i)) return dst;
  do {
    if (X.type !== NH_ROUTING || X.state !== 0) continue;
    const rt = u8(X.b, X.pos + 2);
    if (u8(X.b, X.pos + 3) === 0) continue;
    if (rt === 0) {
      const n = u8(X.b, X.pos + 1) >> 1;
      if (n > 0 && X.pos + 8 + n * 16 <= X.pos + X.len) dst = X.pos + 8 + (n - 1) * 16;
    } else if ((rt === 2 || rt === 4) && X.len >= 24) {
      dst = X.pos + 8;
    }
  } while (extNext());
  return dst;
}

/** Hop-by-hop option walk for the jumbo payload length, as Wireshark does before anything else. */
function jumboLength(b: Buffer, hbh: number, limit: number): number {
  if (hbh + 2 > limit) return 0;
  const end = hbh + (u8(b, hbh + 1) + 1) * 8;
  let off = hbh + 2;
  while (off < end && off + 6 <= limit) {
    const t = u8(b, off);
    off += 1;
    if (t === OPT_PAD1) continue;
    const len = u8(b, off);
    off += 1;
    if (t === OPT_JUMBO && len === 4) {
      const v = u32(b, off);
      return v > 0xffff ? v : 0;
    }
    off += len;
  }
  return 0;
}

/** A field of one kind of extension header: `at` bytes into it, shown when they were reached. */
function extField(
  name: string,
  label: string,
  type: 'uint' | 'bool' | 'bytes',
  ext: number,
  at: number,
  size: number,
  get: (b: Buffer, o: number) => number,
  opts: { base?: 'hex'; bits?: number } = {},
) {
  return field(
    name,
    label,
    type,
    (p, i, out) => {
      if (!extFirst(p, i)) return;
      do {
        if (X.type === ext && at + size <= X.shown) {
          if (type === 'bytes') out.pushBytes(X.b, X.pos + at, size);
          else out.pushNum(get(X.b, X.pos + at));
        }
      } while (extNext());
    },
    opts,
  );
}

const byte = (b: Buffer, o: number) => u8(b, o);
const lenOctets = (b: Buffer, o: number) => (u8(b, o) + 1) * 8;

/** Visit each option of the hop-by-hop and destination options headers that Wireshark shows. */
function forOptions(p: PacketView, i: number, out: FieldSink, emit: (b: Buffer, off: number, type: number, len: number, out: FieldSink) => void): void {
  if (!extFirst(p, i)) return;
  do {
    if (X.type !== NH_HOPOPTS && X.type !== NH_DSTOPTS) continue;
    if (X.shown < 2) continue;
    const b = X.b;
    const end = X.pos + (u8(b, X.pos + 1) + 1) * 8;
    let off = X.pos + 2;
    while (off < end && off + 2 <= X.limit) {
      const t = u8(b, off);
      const ol = u8(b, off + 1);
      emit(b, off, t, ol, out);
      if (t === OPT_PAD1) {
        off += 1;
        continue;
      }
      const n = t === OPT_PADN ? ol : optionReads(b, off, X.limit, t, ol);
      if (off + 2 + n > X.limit) break;
      off += 2 + n;
    }
  } while (extNext());
}

function optField(
  name: string,
  label: string,
  type: 'uint' | 'bytes',
  emit: (b: Buffer, off: number, t: number, len: number, out: FieldSink) => void,
  opts: { base?: 'hex'; bits?: number } = {},
) {
  return field(name, label, type, (p, i, out) => forOptions(p, i, out, emit), opts);
}

function addr(p: PacketView, i: number, at: number, out: FieldSink): void {
  if (p.start[i]! + at + 16 <= p.hdrEnd[i]!) out.pushBytes(p.layerBuf[i]!, p.start[i]! + at, 16);
}

/** Wireshark reads the next header byte before showing the payload length. */
const plenShown = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]! >= 7 && u8(p.layerBuf[i]!, p.start[i]!) >> 4 === 6;

export const ipv6: ProtocolModule = {
  dispatch: [
    ['ethertype', 0x86dd],
    ['linktype', 229],
    ['ip.proto', NH_IPV6],
    ['gre.proto', 0x86dd],
  ],
  anomalies: {
    version_bad: ['error', 'IP version is not 6'],
    plen_exceeds_frame: ['warning', 'IPv6 payload length runs past the end of the frame'],
    jumbo_missing: ['error', 'IPv6 payload length 0 with a hop-by-hop header but no jumbo payload option'],
    plen_zero: ['note', 'IPv6 payload length 0 (TCP segmentation offload on the capturing host?)'],
    ext_chain_too_long: ['warning', 'IPv6 extension header chain longer than netdiag follows'],
  },
  dissector: {
    name: 'ipv6',
    label: 'IPv6',
    fields: [
      fixed('ipv6.version', 'Version', 'uint', 0, 1, { mask: 0xf0 }),
      field('ipv6.tclass', 'Traffic Class', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! >= 4 && u8(p.layerBuf[i]!, p.start[i]!) >> 4 === 6) out.pushNum((u32(p.layerBuf[i]!, p.start[i]!) >>> 20) & 0xff);
      }, { base: 'hex', bits: 32 }),
      field('ipv6.tclass.dscp', 'Differentiated Services Codepoint', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! >= 4 && u8(p.layerBuf[i]!, p.start[i]!) >> 4 === 6) out.pushNum((u32(p.layerBuf[i]!, p.start[i]!) >>> 22) & 0x3f);
      }),
      field('ipv6.tclass.ecn', 'Explicit Congestion Notification', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! >= 4 && u8(p.layerBuf[i]!, p.start[i]!) >> 4 === 6) out.pushNum((u32(p.layerBuf[i]!, p.start[i]!) >>> 20) & 0x3);
      }),
      field('ipv6.flow', 'Flow Label', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! >= 4 && u8(p.layerBuf[i]!, p.start[i]!) >> 4 === 6) out.pushNum(u32(p.layerBuf[i]!, p.start[i]!) & 0xfffff);
      }, { base: 'hex', bits: 24 }),
      field('ipv6.plen', 'Payload Length', 'uint', (p, i, out) => {
        if (plenShown(p, i)) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 4));
      }),
      field('ipv6.nxt', 'Next Header', 'uint', (p, i, out) => {
        if (plenShown(p, i)) out.pushNum(u8(p.layerBuf[i]!, p.start[i]! + 6));
      }),
      field('ipv6.hlim', 'Hop Limit', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! >= 8 && u8(p.layerBuf[i]!, p.start[i]!) >> 4 === 6) out.pushNum(u8(p.layerBuf[i]!, p.start[i]! + 7));
      }),
      field('ipv6.src', 'Source Address', 'ipv6', (p, i, out) => addr(p, i, 8, out)),
      field('ipv6.dst', 'Destination Address', 'ipv6', (p, i, out) => addr(p, i, 24, out)),
      field('ipv6.addr', 'Source or Destination Address', 'ipv6', (p, i, out) => {
        addr(p, i, 8, out);
        addr(p, i, 24, out);
      }),

      extField('ipv6.hopopts.nxt', 'Next Header', 'uint', NH_HOPOPTS, 0, 1, byte),
      extField('ipv6.hopopts.len', 'Length', 'uint', NH_HOPOPTS, 1, 1, byte),
      extField('ipv6.hopopts.len_oct', 'Length', 'uint', NH_HOPOPTS, 1, 1, lenOctets),
      extField('ipv6.dstopts.nxt', 'Next Header', 'uint', NH_DSTOPTS, 0, 1, byte),
      extField('ipv6.dstopts.len', 'Length', 'uint', NH_DSTOPTS, 1, 1, byte),
      extField('ipv6.dstopts.len_oct', 'Length', 'uint', NH_DSTOPTS, 1, 1, lenOctets),
      optField('ipv6.opt.type', 'Type', 'uint', (b, off, _t, _l, out) => out.pushNum(u8(b, off)), { base: 'hex', bits: 8 }),
      optField('ipv6.opt.length', 'Length', 'uint', (_b, _off, t, len, out) => {
        if (t !== OPT_PAD1) out.pushNum(len);
      }),
      optField('ipv6.opt.padn', 'PadN', 'bytes', (b, off, t, len, out) => {
        if (t === OPT_PADN && off + 2 + len <= X.limit) out.pushBytes(b, off + 2, len);
      }),
      optField('ipv6.opt.jumbo', 'Payload Length', 'uint', (b, off, t, _l, out) => {
        if (t === OPT_JUMBO && off + 6 <= X.limit) out.pushNum(u32(b, off + 2));
      }),
      optField('ipv6.opt.router_alert', 'Router Alert', 'uint', (b, off, t, _l, out) => {
        if (t === OPT_RTALERT && off + 4 <= X.limit) out.pushNum(u16(b, off + 2));
      }),

      extField('ipv6.routing.nxt', 'Next Header', 'uint', NH_ROUTING, 0, 1, byte),
      extField('ipv6.routing.len', 'Length', 'uint', NH_ROUTING, 1, 1, byte),
      extField('ipv6.routing.len_oct', 'Length', 'uint', NH_ROUTING, 1, 1, lenOctets),
      extField('ipv6.routing.type', 'Type', 'uint', NH_ROUTING, 2, 1, byte),
      extField('ipv6.routing.segleft', 'Segments Left', 'uint', NH_ROUTING, 3, 1, byte),

      extField('ipv6.fraghdr.nxt', 'Next header', 'uint', NH_FRAGMENT, 0, 1, byte),
      extField('ipv6.fraghdr.reserved_octet', 'Reserved octet', 'uint', NH_FRAGMENT, 1, 1, byte, { base: 'hex', bits: 8 }),
      extField('ipv6.fraghdr.offset', 'Offset', 'uint', NH_FRAGMENT, 2, 2, (b, o) => u16(b, o) >>> 3),
      extField('ipv6.fraghdr.reserved_bits', 'Reserved bits', 'uint', NH_FRAGMENT, 2, 2, (b, o) => (u16(b, o) >>> 1) & 3),
      extField('ipv6.fraghdr.more', 'More Fragments', 'bool', NH_FRAGMENT, 2, 2, (b, o) => u16(b, o) & 1),
      extField('ipv6.fraghdr.ident', 'Identification', 'uint', NH_FRAGMENT, 4, 4, (b, o) => u32(b, o), { base: 'hex', bits: 32 }),

      extField('ah.next_header', 'Next header', 'uint', NH_AH, 0, 1, byte),
      extField('ah.length', 'Length', 'uint', NH_AH, 1, 1, byte),
      extField('ah.reserved', 'Reserved', 'bytes', NH_AH, 2, 2, byte),
      extField('ah.spi', 'AH SPI', 'uint', NH_AH, 4, 4, (b, o) => u32(b, o), { base: 'hex', bits: 32 }),
      extField('ah.sequence', 'AH Sequence', 'uint', NH_AH, 8, 4, (b, o) => u32(b, o)),
      field('ah.icv', 'AH ICV', 'bytes', (p, i, out) => {
        if (!extFirst(p, i)) return;
        do {
          if (X.type === NH_AH && X.len > 12) out.pushBytes(X.b, X.pos + 12, X.len - 12);
        } while (extNext());
      }),
    ],
    init(reg: Registry) {
      ipProtos = reg.table('ip.proto');
      A_VERSION = reg.anomaly('ipv6.version_bad');
      A_BEYOND = reg.anomaly('ipv6.plen_exceeds_frame');
      A_JUMBO_MISSING = reg.anomaly('ipv6.jumbo_missing');
      A_PLEN_ZERO = reg.anomaly('ipv6.plen_zero');
      A_CHAIN = reg.anomaly('ipv6.ext_chain_too_long');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 1) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      if (u8(b, s) >> 4 !== 6) {
        p.hdrEnd[i] = s + 1;
        p.anomaly(i, A_VERSION);
        return;
      }
      if (e - s < 40) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const quoted = (p.aux[i]! & AUX_QUOTED) !== 0;
      const plenField = u16(b, s + 4);
      const nxt = u8(b, s + 6);
      let plen = plenField;
      if (plen === 0 && nxt === NH_HOPOPTS) {
        plen = jumboLength(b, s + 40, e);
        if (plen === 0) p.anomaly(i, A_JUMBO_MISSING);
      } else if (plen === 0 && nxt !== NH_NONE) {
        p.anomaly(i, A_PLEN_ZERO);
      }
      let end = e;
      if (s + 40 + plen <= e) end = s + 40 + plen;
      else if (!quoted && p.capLen >= p.wireLen) p.anomaly(i, A_BEYOND);
      p.end[i] = end;
      p.hdrEnd[i] = s + 40;
      p.aux[i] = p.aux[i]! | AUX_WALK;
      let next = nxt;
      let pos = s + 40;
      if (extFirst(p, i)) {
        for (;;) {
          if (X.state === 1) {
            p.hdrEnd[i] = X.pos + X.shown;
            p.truncated(i);
            return;
          }
          if (X.state === 2) {
            p.hdrEnd[i] = X.pos + X.len;
            return;
          }
          if (!extNext()) break;
        }
        // extNext stopped after a complete header: X.pos/X.type are the upper layer.
        pos = X.pos;
        next = X.type;
        if (isExt(next)) {
          p.hdrEnd[i] = pos;
          p.anomaly(i, A_CHAIN);
          return;
        }
      }
      p.hdrEnd[i] = pos;
      if (next === NH_NONE) return;
      const proto = ipProtos[next]!;
      if (proto === 0) return;
      if (next === NH_IPV6 || next === NH_IPIP) p.nextTunnel = true;
      p.setNext(proto, pos, end);
    },
    summary(p, i) {
      if (p.hdrEnd[i]! - p.start[i]! < 40) return 'IPv6 (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      return `${ipv6String(b, s + 8)} → ${ipv6String(b, s + 24)}`;
    },
  },
};
