import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed, when } from '../src/decode/define.js';
import { u8, u16, u32 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * GRE (RFC 2784, key and sequence number from RFC 2890; routing from RFC 1701) and the
 * enhanced GRE of PPTP (RFC 2637, version 1):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 * |      Checksum (optional)      |       Offset (optional)       |  C or R
 * |                         Key (optional)                        |  K (v1: payload length, call ID)
 * |                 Sequence Number (optional)                    |  S
 * |               Acknowledgment Number (optional)                |  v1 and A
 * |        Source Route Entries (optional, ending in 0/0)         |  R
 *
 * WCCP redirection (protocol 0x883e) puts a 4-byte redirect header before the IPv4 packet
 * unless the payload already starts with an IPv4 version nibble. PPP (0x880b, PPTP) is
 * named and not dissected.
 */
const F_CHECKSUM = 0x8000;
const F_ROUTING = 0x4000;
const F_KEY = 0x2000;
const F_SEQ = 0x1000;
const F_ACK = 0x0080;

export const GRE_WCCP = 0x883e;
export const GRE_PPP = 0x880b;
export const GRE_ERSPAN_II = 0x88be;
export const GRE_ERSPAN_III = 0x22eb;

let greProtos: Uint16Array = new Uint16Array(0);
let IP = 0;
let GRE = 0;
let ETH = 0;
let A_VERSION = 0;
let A_ERSPAN_VERSION = 0;

const captured = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]!;
/**
 * tshark shows no GRE field before it has the flags and the protocol type, and for WCCP
 * not before the first payload byte that tells whether a redirect header follows.
 */
function hasBase(p: PacketView, i: number): boolean {
  const n = captured(p, i);
  return n >= 4 && (n >= 5 || u16(p.layerBuf[i]!, p.start[i]! + 2) !== GRE_WCCP);
}
const flagsOf = (p: PacketView, i: number) => (hasBase(p, i) ? u16(p.layerBuf[i]!, p.start[i]!) : -1);

/** Offset (from the layer start) of each optional field, -1 when the flags leave it out. */
function offsetOf(fv: number, which: 'checksum' | 'key' | 'seq' | 'ack' | 'routing'): number {
  let o = 4;
  const cr = (fv & (F_CHECKSUM | F_ROUTING)) !== 0;
  if (which === 'checksum') return cr ? o : -1;
  if (cr) o += 4;
  if (which === 'key') return fv & F_KEY ? o : -1;
  if (fv & F_KEY) o += 4;
  if (which === 'seq') return fv & F_SEQ ? o : -1;
  if (fv & F_SEQ) o += 4;
  const v1ack = (fv & 7) === 1 && (fv & F_ACK) !== 0;
  if (which === 'ack') return v1ack ? o : -1;
  if (v1ack) o += 4;
  return fv & F_ROUTING ? o : -1;
}

/** Length of the fixed part of the header (everything before the source route entries). */
function fixedLength(fv: number): number {
  let o = 4;
  if (fv & (F_CHECKSUM | F_ROUTING)) o += 4;
  if (fv & F_KEY) o += 4;
  if (fv & F_SEQ) o += 4;
  if ((fv & 7) === 1 && fv & F_ACK) o += 4;
  return o;
}

/**
 * End of the GRE header proper (fixed part plus source route entries) within [s, e), or
 * -1 when it runs past e. Each entry is at least 4 bytes, so the walk always ends.
 */
function baseEnd(b: Buffer, s: number, e: number): number {
  const fv = u16(b, s);
  let o = s + fixedLength(fv);
  if (o > e) return -1;
  if ((fv & F_ROUTING) === 0) return o;
  for (;;) {
    if (o + 4 > e) return -1;
    const af = u16(b, o);
    const len = u8(b, o + 3);
    o += 4 + len;
    if (o > e) return -1;
    if (af === 0 && len === 0) return o;
  }
}

function optional(
  name: string,
  label: string,
  which: 'checksum' | 'key' | 'seq' | 'ack',
  at: number,
  size: 2 | 4,
  opts: { base?: 'hex'; version?: number } = {},
) {
  return field(
    name,
    label,
    'uint',
    (p, i, out) => {
      const fv = flagsOf(p, i);
      if (fv < 0 || (opts.version !== undefined && (fv & 7) !== opts.version)) return;
      const rel = offsetOf(fv, which);
      if (rel < 0 || rel + at + size > captured(p, i)) return;
      const b = p.layerBuf[i]!;
      const o = p.start[i]! + rel + at;
      out.pushNum(size === 2 ? u16(b, o) : u32(b, o));
    },
    opts.base ? { base: opts.base, bits: size * 8 } : {},
  );
}

/** Source route entries: address family, SRE offset, SRE length, then that many bytes. */
function routing(p: PacketView, i: number, which: 0 | 2 | 3, out: FieldSink): void {
  const fv = flagsOf(p, i);
  if (fv < 0 || (fv & F_ROUTING) === 0) return;
  const b = p.layerBuf[i]!;
  const he = p.hdrEnd[i]!;
  let o = p.start[i]! + offsetOf(fv, 'routing');
  while (o + 2 <= he) {
    if (which === 0) out.pushNum(u16(b, o));
    else if (o + which < he) out.pushNum(u8(b, o + which));
    if (o + 4 > he) return;
    const len = u8(b, o + 3);
    if (u16(b, o) === 0 && len === 0) return;
    o += 4 + len;
  }
}

/** Offset of the WCCP redirect header, or -1 when the packet has none. */
function wccpHeader(p: PacketView, i: number): number {
  if (captured(p, i) < 4) return -1;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  if (u16(b, s + 2) !== GRE_WCCP) return -1;
  const he = p.hdrEnd[i]!;
  const o = baseEnd(b, s, he);
  // decode() keeps the header at its base length when the payload is already IPv4.
  return o >= 0 && o < he && u8(b, o) >> 4 !== 4 ? o : -1;
}

function wccp(name: string, label: string, type: 'uint' | 'bool', at: number, mask = 0) {
  return field(name, label, type, (p, i, out) => {
    const o = wccpHeader(p, i);
    if (o < 0 || o + at >= p.hdrEnd[i]!) return;
    const v = u8(p.layerBuf[i]!, o + at);
    out.pushNum(mask ? (v & mask ? 1 : 0) : v);
  });
}

export const gre: ProtocolModule = {
  dispatch: [['ip.proto', 47]],
  anomalies: {
    version_bad: ['error', 'GRE version other than 0 (GRE) or 1 (PPTP enhanced GRE)'],
  },
  dissector: {
    name: 'gre',
    label: 'GRE',
    tunnel: true,
    fields: [
      when(hasBase, fixed('gre.flags_and_version', 'Flags and Version', 'uint', 0, 2, { base: 'hex' })),
      when(hasBase, fixed('gre.flags.checksum', 'Checksum Bit', 'bool', 0, 2, { mask: F_CHECKSUM })),
      when(hasBase, fixed('gre.flags.routing', 'Routing Bit', 'bool', 0, 2, { mask: F_ROUTING })),
      when(hasBase, fixed('gre.flags.key', 'Key Bit', 'bool', 0, 2, { mask: F_KEY })),
      when(hasBase, fixed('gre.flags.sequence_number', 'Sequence Number Bit', 'bool', 0, 2, { mask: F_SEQ })),
      when(hasBase, fixed('gre.flags.strict_source_route', 'Strict Source Route Bit', 'bool', 0, 2, { mask: 0x0800 })),
      when(hasBase, fixed('gre.flags.recursion_control', 'Recursion control', 'uint', 0, 2, { mask: 0x0700 })),
      when((p, i) => (flagsOf(p, i) & 7) === 1, fixed('gre.flags.ack', 'Acknowledgment', 'bool', 0, 2, { mask: F_ACK })),
      // Version 1 takes the A bit out of the reserved flags.
      field('gre.flags.reserved', 'Flags (Reserved)', 'uint', (p, i, out) => {
        const fv = flagsOf(p, i);
        if (fv >= 0) out.pushNum(((fv & ((fv & 7) === 1 ? 0x78 : 0xf8)) >> 3) >>> 0);
      }),
      when(hasBase, fixed('gre.flags.version', 'Version', 'uint', 0, 2, { mask: 0x0007, names: { 0: 'GRE', 1: 'Enhanced GRE' } })),
      when(hasBase, fixed('gre.proto', 'Protocol Type', 'uint', 2, 2, {
        base: 'hex',
        names: { 0x0800: 'IP', 0x86dd: 'IPv6', 0x6558: 'Transparent Ethernet bridging', 0x880b: 'PPP', 0x883e: 'WCCP', 0x88be: 'ERSPAN', 0x22eb: 'ERSPAN' },
      })),
      optional('gre.checksum', 'Checksum', 'checksum', 0, 2, { base: 'hex' }),
      optional('gre.offset', 'Offset', 'checksum', 2, 2),
      optional('gre.key', 'Key', 'key', 0, 4, { base: 'hex', version: 0 }),
      optional('gre.key.payload_length', 'Payload Length', 'key', 0, 2, { version: 1 }),
      optional('gre.key.call_id', 'Call ID', 'key', 2, 2, { version: 1 }),
      optional('gre.sequence_number', 'Sequence Number', 'seq', 0, 4),
      optional('gre.ack_number', 'Acknowledgment Number', 'ack', 0, 4),
      field('gre.routing.address_family', 'Address Family', 'uint', (p, i, out) => routing(p, i, 0, out)),
      field('gre.routing.sre_offset', 'SRE Offset', 'uint', (p, i, out) => routing(p, i, 2, out)),
      field('gre.routing.src_length', 'SRE Length', 'uint', (p, i, out) => routing(p, i, 3, out)),
      wccp('gre.wccp.dynamic_service', 'Dynamic Service', 'bool', 0, 0x01),
      wccp('gre.wccp.alternative_bucket_used', 'Alternative bucket used', 'bool', 0, 0x02),
      wccp('gre.wccp.redirect_header_valid', 'WCCP Redirect header is valid', 'bool', 0, 0x04),
      wccp('gre.wccp.service_id', 'Service ID', 'uint', 1),
      wccp('gre.wccp.alternative_bucket', 'Alternative Bucket', 'uint', 2),
      wccp('gre.wccp.primary_bucket', 'Primary Bucket', 'uint', 3),
    ],
    init(reg: Registry) {
      greProtos = reg.table('gre.proto');
      IP = reg.id('ip');
      A_VERSION = reg.anomaly('gre.version_bad');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 4) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const fv = u16(b, s);
      if ((fv & 7) > 1) {
        p.hdrEnd[i] = s + 4;
        p.anomaly(i, A_VERSION);
        return;
      }
      let o = baseEnd(b, s, e);
      if (o < 0) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const proto = u16(b, s + 2);
      let next = greProtos[proto]!;
      if (proto === GRE_WCCP) {
        next = IP;
        if (o < e && u8(b, o) >> 4 !== 4) {
          if (o + 4 > e) {
            p.hdrEnd[i] = e;
            p.truncated(i);
            return;
          }
          o += 4;
        }
      }
      p.hdrEnd[i] = o;
      if (next !== 0 && e > o) p.setNext(next, o, e);
    },
    summary(p, i) {
      if (captured(p, i) < 4) return 'GRE (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const fv = u16(b, s);
      let text = `GRE proto 0x${u16(b, s + 2).toString(16).padStart(4, '0')}`;
      if ((fv & 7) === 1) text += ' (PPTP)';
      const key = offsetOf(fv, 'key');
      if (key >= 0 && key + 4 <= captured(p, i)) {
        text += (fv & 7) === 1 ? ` call ${u16(b, s + key + 2)}` : ` key 0x${u32(b, s + key).toString(16)}`;
      }
      return text;
    },
  },
};

/*
 * ERSPAN, carried in GRE (draft-foschiano-erspan). GRE protocol 0x88be without the GRE
 * sequence bit is type I: no ERSPAN header, the mirrored Ethernet frame follows at once.
 * Type II (0x88be, version 1), 8 bytes:
 * |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 * |      Reserved         |                  Index                |
 * Type III (0x22eb, version 2), 12 bytes, then 8 more when O is set:
 * |  Ver  |          VLAN         | COS |BSO|T|    Session ID     |
 * |                          Timestamp                            |
 * |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 * The payload is an Ethernet frame when the frame type (FT) is 0.
 */
const erspanVersion = (p: PacketView, i: number) => (captured(p, i) >= 2 ? u8(p.layerBuf[i]!, p.start[i]!) >> 4 : -1);
const v1 = (p: PacketView, i: number) => erspanVersion(p, i) === 1;
const v2 = (p: PacketView, i: number) => erspanVersion(p, i) === 2;

export const erspan: ProtocolModule = {
  dispatch: [
    ['gre.proto', GRE_ERSPAN_II],
    ['gre.proto', GRE_ERSPAN_III],
  ],
  anomalies: {
    version_unknown: ['warning', 'ERSPAN version unknown: the mirrored frame is not dissected'],
  },
  dissector: {
    name: 'erspan',
    label: 'ERSPAN',
    tunnel: true,
    fields: [
      fixed('erspan.version', 'Version', 'uint', 0, 2, { mask: 0xf000, names: { 1: 'Type II', 2: 'Type III' } }),
      when((p, i) => v1(p, i) || v2(p, i), fixed('erspan.vlan', 'Vlan', 'uint', 0, 2, { mask: 0x0fff })),
      when((p, i) => v1(p, i) || v2(p, i), fixed('erspan.cos', 'COS', 'uint', 2, 2, { mask: 0xe000 })),
      when(v1, fixed('erspan.encap', 'Encap', 'uint', 2, 2, { mask: 0x1800 })),
      when(v2, fixed('erspan.bso', 'Bad/Short/Oversized', 'uint', 2, 2, { mask: 0x1800 })),
      when((p, i) => v1(p, i) || v2(p, i), fixed('erspan.truncated', 'Truncated', 'uint', 2, 2, { mask: 0x0400 })),
      when((p, i) => v1(p, i) || v2(p, i), fixed('erspan.spanid', 'SpanID', 'uint', 2, 2, { mask: 0x03ff })),
      when(v1, fixed('erspan.reserved', 'Reserved', 'uint', 4, 4, { mask: 0xfff00000 })),
      when(v1, fixed('erspan.index', 'Index', 'uint', 4, 4, { mask: 0x000fffff })),
      when(v2, fixed('erspan.timestamp', 'Timestamp', 'uint', 4, 4)),
      when(v2, fixed('erspan.sgt', 'Security Group Tag', 'uint', 8, 2)),
      when(v2, fixed('erspan.p', 'Has Ethernet PDU', 'uint', 10, 2, { mask: 0x8000 })),
      when(v2, fixed('erspan.ft', 'Frame Type', 'uint', 10, 2, { mask: 0x7c00, names: { 0: 'Ethernet', 2: 'IP' } })),
      when(v2, fixed('erspan.hw', 'Hardware ID', 'uint', 10, 2, { mask: 0x03f0 })),
      when(v2, fixed('erspan.direction', 'Direction', 'bool', 10, 2, { mask: 0x0008 })),
      when(v2, fixed('erspan.gra', 'Timestamp granularity', 'uint', 10, 2, { mask: 0x0006 })),
      when(v2, fixed('erspan.o', 'Optional Sub headers', 'uint', 10, 2, { mask: 0x0001 })),
    ],
    init(reg: Registry) {
      GRE = reg.id('gre');
      ETH = reg.id('eth');
      A_ERSPAN_VERSION = reg.anomaly('erspan.version_unknown');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      const g = i - 1;
      if (g >= 0 && p.proto[g] === GRE && p.hdrEnd[g]! - p.start[g]! >= 4) {
        const gb = p.layerBuf[g]!;
        const gs = p.start[g]!;
        if (u16(gb, gs + 2) === GRE_ERSPAN_II && (u16(gb, gs) & F_SEQ) === 0) {
          p.hdrEnd[i] = s;
          if (e > s) p.setNext(ETH, s, e);
          return;
        }
      }
      if (e - s < 2) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const ver = u8(b, s) >> 4;
      let o: number;
      if (ver === 1) o = s + 8;
      else if (ver === 2) {
        if (e - s < 12) {
          p.hdrEnd[i] = e;
          p.truncated(i);
          return;
        }
        o = s + 12 + (u16(b, s + 10) & 1 ? 8 : 0);
      } else {
        p.hdrEnd[i] = s + 2;
        p.anomaly(i, A_ERSPAN_VERSION);
        return;
      }
      if (o > e) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = o;
      if (ver === 2 && (u16(b, s + 10) & 0x7c00) !== 0) return;
      if (e > o) p.setNext(ETH, o, e);
    },
    summary(p, i) {
      const s = p.start[i]!;
      if (p.hdrEnd[i] === s) return 'ERSPAN type I';
      const ver = erspanVersion(p, i);
      if (ver < 0) return 'ERSPAN (truncated)';
      if (ver !== 1 && ver !== 2) return `ERSPAN version ${ver}`;
      return `ERSPAN type ${ver === 1 ? 'II' : 'III'} session ${captured(p, i) >= 4 ? u16(p.layerBuf[i]!, s + 2) & 0x3ff : '?'}`;
    },
  },
};
