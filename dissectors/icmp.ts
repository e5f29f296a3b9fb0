import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed, when } from '../src/decode/define.js';
import { foldChecksum, onesSum, u8, u16, u16le, u32, u32le } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import { ipv4String } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';
import { AUX_QUOTED } from './ipv4.js';

/*
 * ICMP (RFC 792; RFC 1191 next-hop MTU; RFC 4884 original-datagram length and
 * multi-part extensions; RFC 4950 MPLS label stack objects; RFC 8335 extended echo)
 *  0                   1                   2                   3
 * |     Type      |     Code      |          Checksum             |
 * |          Identifier           |        Sequence Number        |   echo, timestamp, mask
 * |    unused     |    Length     |     unused / Next-hop MTU     |   unreachable, time exceeded
 * |    Pointer    |    Length     |            unused             |   parameter problem
 * |                     Gateway Internet Address                  |   redirect
 * |      Internet Header + first bytes of the original datagram ...   (errors)
 *
 * Error messages (3, 4, 5, 11, 12) quote the offending datagram: it is handed to
 * IPv4 (IPv6 if its version nibble says so) as a quoted layer (AUX_QUOTED), so its
 * addresses and ports show up as Wireshark shows them, a second ip.src and all.
 * Wireshark reads the type, code and byte 5 before showing anything, so a message
 * shorter than 6 bytes shows no ICMP field.
 */
const ECHO_REPLY = 0;
const UNREACH = 3;
const SOURCE_QUENCH = 4;
const REDIRECT = 5;
const ALT_HOST = 6;
const ECHO = 8;
const ROUTER_ADVERT = 9;
const TIME_EXCEEDED = 11;
const PARAM_PROBLEM = 12;
const TSTAMP = 13;
const TSTAMP_REPLY = 14;
const IREQ = 15;
const IREQ_REPLY = 16;
const MASK_REQ = 17;
const MASK_REPLY = 18;
const EXT_ECHO = 42;
const EXT_ECHO_REPLY = 43;
const FRAG_NEEDED = 4;

/** Wireshark tries to read an extension structure only after this much original datagram. */
const EXT_MIN_OFFSET = 128;
const SECONDS_PER_DAY = 86400;

let IP = 0;
let IPV6 = 0;
let A_CHECKSUM = 0;

const isError = (t: number) => t === UNREACH || t === SOURCE_QUENCH || t === REDIRECT || t === TIME_EXCEEDED || t === PARAM_PROBLEM;
const hasIdent = (t: number) =>
  t === ECHO_REPLY || t === ECHO || t === TSTAMP || t === TSTAMP_REPLY || t === IREQ || t === IREQ_REPLY || t === MASK_REQ || t === MASK_REPLY;

/** The layer shows fields at all (Wireshark's pre-read of bytes 0, 1 and 5 succeeded). */
const shown = (p: PacketView, i: number) => p.hdrEnd[i]! > p.start[i]!;
const typeOf = (p: PacketView, i: number) => u8(p.layerBuf[i]!, p.start[i]!);
const codeOf = (p: PacketView, i: number) => u8(p.layerBuf[i]!, p.start[i]! + 1);
/** RFC 4884 length of the original datagram in 32-bit words (ignored for alternate host address). */
const origWords = (p: PacketView, i: number) => (typeOf(p, i) === ALT_HOST ? 0 : u8(p.layerBuf[i]!, p.start[i]! + 5));

/** A layer predicate for `when`, built once per field: the message is one of `types`. */
function isType(...types: number[]) {
  return (p: PacketView, i: number) => shown(p, i) && types.includes(typeOf(p, i));
}

function pushUnused(p: PacketView, i: number, out: FieldSink, at: number, n: number): void {
  const o = p.start[i]! + at;
  if (o + n <= p.hdrEnd[i]!) out.pushBytes(p.layerBuf[i]!, o, n);
}

/**
 * Bytes of the ICMP message as sent: the IPv4 payload length, bounded by the frame's
 * length on the wire (a total length beyond the frame does not make the message longer).
 */
function reportedLength(p: PacketView, i: number): number {
  const s = p.start[i]!;
  const e = p.end[i]!;
  const onRecord = p.layerBuf[i] === p.buf;
  let rep = onRecord ? p.base + p.wireLen - s : e - s;
  if (onRecord && e < p.base + p.capLen) rep = e - s;
  const j = i - 1;
  if (j >= 0 && p.proto[j] === IP && p.hdrEnd[j]! - p.start[j]! >= 20 && p.layerBuf[j] === p.layerBuf[i]) {
    const total = u16(p.layerBuf[j]!, p.start[j]! + 2);
    if (total !== 0 && p.start[j]! + total - s < rep) rep = p.start[j]! + total - s;
  }
  return rep;
}

/** Offset (from the ICMP start) of a multi-part extension structure, or -1. */
function extensionOffset(p: PacketView, i: number): number {
  if (!shown(p, i)) return -1;
  const t = typeOf(p, i);
  const s = p.start[i]!;
  const rep = reportedLength(p, i);
  if (t === EXT_ECHO || t === EXT_ECHO_REPLY) return rep > 8 ? 8 : -1;
  if (!isError(t) || rep <= 8 + EXT_MIN_OFFSET) return -1;
  if (s + 12 > p.end[i]!) return -1;
  // Only when the quoted datagram says it fits in the first 128 bytes (Wireshark's default).
  if (u16(p.layerBuf[i]!, s + 10) > EXT_MIN_OFFSET) return -1;
  const orig = origWords(p, i) * 4;
  return (orig > EXT_MIN_OFFSET ? orig : EXT_MIN_OFFSET) + 8;
}

/**
 * Reused cursor over the extension objects: X.off/X.end are the current object's
 * bounds within the captured bytes.
 */
const X = { b: Buffer.alloc(0) as Buffer, base: 0, limit: 0, reported: 0, off: 0, len: 0, end: 0 };

/** Position X at the first extension object; false when there is none Wireshark would show. */
function objFirst(p: PacketView, i: number): boolean {
  const at = extensionOffset(p, i);
  if (at < 0) return false;
  X.b = p.layerBuf[i]!;
  X.base = p.start[i]! + at;
  X.limit = p.end[i]!;
  X.reported = p.start[i]! + reportedLength(p, i);
  if (X.reported - X.base < 4 || X.base + 4 > X.limit) return false;
  const version = u8(X.b, X.base) >> 4;
  if (version !== 1 && version !== 2) return false;
  X.off = X.base + 4;
  return objMeasure();
}

function objMeasure(): boolean {
  if (X.reported - X.off < 4 || X.off + 4 > X.limit) return false;
  X.len = u16(X.b, X.off);
  const room = X.reported - X.off;
  X.end = X.off + (X.len < room ? X.len : room);
  return true;
}

function objNext(): boolean {
  if (X.len < 4) return false;
  X.off = X.end;
  return objMeasure();
}

/** Classes whose C-Type Wireshark shows once; an unknown class or C-Type shows it again, with the data. */
function objKnown(cls: number, ctype: number): boolean {
  if (cls === 1 || cls === 3) return ctype === 1;
  return cls === 2 || cls === 4;
}

function extHeaderField(name: string, label: string, get: (b: Buffer, o: number, p: PacketView, i: number) => number, opts: { base?: 'hex'; bits?: number } = {}) {
  return field(
    name,
    label,
    'uint',
    (p, i, out) => {
      const at = extensionOffset(p, i);
      if (at < 0) return;
      const o = p.start[i]! + at;
      if (p.start[i]! + reportedLength(p, i) - o < 4 || o + 4 > p.end[i]!) return;
      const v = get(p.layerBuf[i]!, o, p, i);
      if (v >= 0) out.pushNum(v);
    },
    opts,
  );
}

function extObjectField(name: string, label: string, type: 'uint' | 'bytes' | 'bool', emit: (out: FieldSink) => void, opts: { base?: 'hex'; bits?: number } = {}) {
  return field(
    name,
    label,
    type,
    (p, i, out) => {
      if (!objFirst(p, i)) return;
      do emit(out);
      while (objNext());
    },
    opts,
  );
}

/** Visit each MPLS label stack entry (class 1, C-Type 1) with its offset. */
function mplsField(name: string, label: string, type: 'uint' | 'bool', get: (b: Buffer, o: number) => number) {
  return extObjectField(name, label, type, (out) => {
    if (X.len < 4 || u8(X.b, X.off + 2) !== 1 || u8(X.b, X.off + 3) !== 1) return;
    for (let o = X.off + 4; o + 4 <= X.end && o + 4 <= X.limit; o += 4) out.pushNum(get(X.b, o));
  });
}

/** Echo data that looks like a sender's timeval (BE or LE, within a day of the frame time). */
const TS = { sec: 0, nsec: 0 };
function echoTimestamp(p: PacketView, i: number): boolean {
  if (!shown(p, i) || (typeOf(p, i) !== ECHO && typeOf(p, i) !== ECHO_REPLY)) return false;
  const o = p.start[i]! + 8;
  if (o + 8 > p.end[i]!) return false;
  const b = p.layerBuf[i]!;
  let found = false;
  let bestSec = SECONDS_PER_DAY;
  let bestNsec = 0;
  for (let k = 0; k < 2; k++) {
    const sec = k === 0 ? u32le(b, o) : u32(b, o);
    const usec = k === 0 ? u32le(b, o + 4) : u32(b, o + 4);
    if (usec >= 1000000) continue;
    let ds = p.tsSec - sec;
    let dn = p.tsNsec - usec * 1000;
    if (ds < 0 || (ds === 0 && dn < 0)) {
      ds = -ds;
      dn = -dn;
    }
    if (dn < 0) {
      ds -= 1;
      dn += 1e9;
    }
    if (ds < bestSec || (ds === bestSec && dn < bestNsec)) {
      bestSec = ds;
      bestNsec = dn;
      TS.sec = sec;
      TS.nsec = usec * 1000;
      found = true;
    }
  }
  return found;
}

function verifyChecksum(p: PacketView, i: number): number {
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  // Computed without the checksum field and compared, so 0xffff never stands in for 0.
  const computed = ~foldChecksum(onesSum(b, s + 4, e, onesSum(b, s, s + 2))) & 0xffff;
  return computed === u16(b, s + 2) ? 1 : 0;
}

/** 1 good, 0 bad, 2 not verified (quoted inside an error, or not wholly captured). */
function checksumStatus(p: PacketView, i: number): number {
  if ((p.aux[i]! & AUX_QUOTED) !== 0) return 2;
  if (p.end[i]! - p.start[i]! < reportedLength(p, i)) return 2;
  return verifyChecksum(p, i);
}

export const icmp: ProtocolModule = {
  dispatch: [['ip.proto', 1]],
  anomalies: {
    checksum_bad: ['warning', 'ICMP checksum is wrong'],
  },
  dissector: {
    name: 'icmp',
    label: 'ICMP',
    fields: [
      fixed('icmp.type', 'Type', 'uint', 0, 1),
      fixed('icmp.code', 'Code', 'uint', 1, 1),
      fixed('icmp.checksum', 'Checksum', 'uint', 2, 2, { base: 'hex' }),
      field('icmp.checksum.status', 'Checksum Status', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! >= 4) out.pushNum(checksumStatus(p, i));
      }, { names: { 0: 'Bad', 1: 'Good', 2: 'Unverified' } }),
      when(isType(...[ECHO_REPLY, ECHO, TSTAMP, TSTAMP_REPLY, IREQ, IREQ_REPLY, MASK_REQ, MASK_REPLY, EXT_ECHO, EXT_ECHO_REPLY]), fixed('icmp.ident', 'Identifier (BE)', 'uint', 4, 2, { base: 'dec_hex' })),
      when(isType(...[ECHO_REPLY, ECHO, TSTAMP, TSTAMP_REPLY, IREQ, IREQ_REPLY, MASK_REQ, MASK_REPLY, EXT_ECHO, EXT_ECHO_REPLY]), field('icmp.ident_le', 'Identifier (LE)', 'uint', (p, i, out) => {
        if (p.start[i]! + 6 <= p.hdrEnd[i]!) out.pushNum(u16le(p.layerBuf[i]!, p.start[i]! + 4));
      }, { base: 'dec_hex' })),
      when((p, i) => shown(p, i) && hasIdent(typeOf(p, i)), fixed('icmp.seq', 'Sequence Number (BE)', 'uint', 6, 2, { base: 'dec_hex' })),
      when((p, i) => shown(p, i) && hasIdent(typeOf(p, i)), field('icmp.seq_le', 'Sequence Number (LE)', 'uint', (p, i, out) => {
        if (p.start[i]! + 8 <= p.hdrEnd[i]!) out.pushNum(u16le(p.layerBuf[i]!, p.start[i]! + 6));
      }, { base: 'dec_hex' })),
      field('icmp.unused', 'Unused', 'bytes', (p, i, out) => {
        if (!shown(p, i)) return;
        const t = typeOf(p, i);
        const orig = origWords(p, i) > 0;
        if (t === UNREACH) {
          if (orig) {
            pushUnused(p, i, out, 4, 1);
            if (codeOf(p, i) !== FRAG_NEEDED) pushUnused(p, i, out, 6, 2);
          } else if (codeOf(p, i) === FRAG_NEEDED) pushUnused(p, i, out, 4, 2);
          else pushUnused(p, i, out, 4, 4);
        } else if (t === TIME_EXCEEDED) {
          if (orig) {
            pushUnused(p, i, out, 4, 1);
            pushUnused(p, i, out, 6, 2);
          } else pushUnused(p, i, out, 4, 4);
        } else if (t === PARAM_PROBLEM) {
          if (orig) pushUnused(p, i, out, 6, 2);
          else pushUnused(p, i, out, 5, 3);
        }
      }),
      when((p, i) => isType(UNREACH, TIME_EXCEEDED, PARAM_PROBLEM)(p, i) && origWords(p, i) > 0, fixed('icmp.length', 'Length', 'uint', 5, 1)),
      when((p, i) => isType(UNREACH, TIME_EXCEEDED, PARAM_PROBLEM)(p, i) && origWords(p, i) > 0, field('icmp.length.original_datagram', 'Length of original datagram', 'uint', (p, i, out) => {
        if (p.start[i]! + 6 <= p.hdrEnd[i]!) out.pushNum(origWords(p, i) * 4);
      })),
      when((p, i) => isType(UNREACH)(p, i) && codeOf(p, i) === FRAG_NEEDED, fixed('icmp.mtu', 'MTU of next hop', 'uint', 6, 2)),
      when(isType(PARAM_PROBLEM), fixed('icmp.pointer', 'Pointer', 'uint', 4, 1)),
      when(isType(REDIRECT), fixed('icmp.redir_gw', 'Gateway Address', 'ipv4', 4, 4)),
      when(isType(ROUTER_ADVERT), fixed('icmp.num_addrs', 'Number of addresses', 'uint', 4, 1)),
      when(isType(ROUTER_ADVERT), fixed('icmp.addr_entry_size', 'Address entry size', 'uint', 5, 1)),
      when(isType(ROUTER_ADVERT), fixed('icmp.lifetime', 'Lifetime', 'uint', 6, 2)),
      field('icmp.router_address', 'Router address', 'ipv4', (p, i, out) => routerEntries(p, i, out, 0)),
      field('icmp.pref_level', 'Preference level', 'int', (p, i, out) => routerEntries(p, i, out, 4)),
      when(isType(TSTAMP, TSTAMP_REPLY), fixed('icmp.originate_timestamp', 'Originate Timestamp', 'uint', 8, 4, { within: 'layer' })),
      when(isType(TSTAMP, TSTAMP_REPLY), fixed('icmp.receive_timestamp', 'Receive Timestamp', 'uint', 12, 4, { within: 'layer' })),
      when(isType(TSTAMP, TSTAMP_REPLY), fixed('icmp.transmit_timestamp', 'Transmit Timestamp', 'uint', 16, 4, { within: 'layer' })),
      when(isType(MASK_REQ, MASK_REPLY), fixed('icmp.address_mask', 'Address Mask', 'ipv4', 8, 4, { within: 'layer' })),
      when(isType(EXT_ECHO, EXT_ECHO_REPLY), fixed('icmp.ext.echo.seq', 'Sequence Number', 'uint', 6, 1, { base: 'dec_hex' })),
      when(isType(EXT_ECHO), fixed('icmp.ext.echo.req.res', 'Reserved', 'uint', 7, 1, { base: 'hex', mask: 0xfe, bits: 8 })),
      when(isType(EXT_ECHO), fixed('icmp.ext.echo.req.local', 'Local bit', 'bool', 7, 1, { mask: 0x01 })),
      when(isType(EXT_ECHO_REPLY), fixed('icmp.ext.echo.rsp.state', 'State', 'uint', 7, 1, { mask: 0xe0 })),
      when(isType(EXT_ECHO_REPLY), fixed('icmp.ext.echo.rsp.res', 'Reserved', 'uint', 7, 1, { base: 'hex', mask: 0x18, bits: 8 })),
      when(isType(EXT_ECHO_REPLY), fixed('icmp.ext.echo.rsp.active', 'Active bit', 'bool', 7, 1, { mask: 0x04 })),
      when(isType(EXT_ECHO_REPLY), fixed('icmp.ext.echo.rsp.ipv4', 'IPv4 bit', 'bool', 7, 1, { mask: 0x02 })),
      when(isType(EXT_ECHO_REPLY), fixed('icmp.ext.echo.rsp.ipv6', 'IPv6 bit', 'bool', 7, 1, { mask: 0x01 })),
      field('icmp.data_time', 'Timestamp from icmp data', 'abs_time', (p, i, out) => {
        if (echoTimestamp(p, i)) out.pushTime(TS.sec, TS.nsec);
      }),
      field('icmp.data_time_relative', 'Timestamp from icmp data (relative)', 'rel_time', (p, i, out) => {
        if (echoTimestamp(p, i)) out.pushTime(p.tsSec - TS.sec, p.tsNsec - TS.nsec);
      }),

      field('icmp.ext', 'ICMP Extensions', 'none', (p, i, out) => {
        if (extensionOffset(p, i) >= 0) out.pushNum(1);
      }),
      extHeaderField('icmp.ext.version', 'Version', (b, o) => u8(b, o) >> 4),
      extHeaderField('icmp.ext.res', 'Reserved', (b, o) => u16(b, o) & 0x0fff, { base: 'hex', bits: 16 }),
      extHeaderField('icmp.ext.checksum', 'Checksum', (b, o) => u16(b, o + 2), { base: 'hex', bits: 16 }),
      extHeaderField('icmp.ext.checksum.status', 'Checksum Status', (b, o, p, i) => {
        if (u16(b, o + 2) === 0) return 3;
        const end = p.start[i]! + reportedLength(p, i);
        if (end > p.end[i]!) return -1;
        return foldChecksum(onesSum(b, o, end)) === 0xffff ? 1 : 0;
      }),
      extObjectField('icmp.ext.length', 'Length', 'uint', (out) => out.pushNum(X.len)),
      extObjectField('icmp.ext.class', 'Class', 'uint', (out) => out.pushNum(u8(X.b, X.off + 2))),
      extObjectField('icmp.ext.ctype', 'C-Type', 'uint', (out) => {
        if (X.len < 4) return;
        const cls = u8(X.b, X.off + 2);
        const ctype = u8(X.b, X.off + 3);
        if (cls === 1 || cls === 2 || cls === 3 || cls === 4) out.pushNum(ctype);
        if (!objKnown(cls, ctype)) out.pushNum(ctype);
      }),
      extObjectField('icmp.ext.data', 'Data', 'bytes', (out) => {
        if (X.len < 4) return;
        const cls = u8(X.b, X.off + 2);
        const ctype = u8(X.b, X.off + 3);
        const known = objKnown(cls, ctype);
        if ((!known || cls === 3) && X.end - X.off > 4 && X.end <= X.limit) out.pushBytes(X.b, X.off + 4, X.end - X.off - 4);
      }),
      mplsField('icmp.mpls.label', 'Label', 'uint', (b, o) => (u16(b, o) << 4) | (u8(b, o + 2) >> 4)),
      mplsField('icmp.mpls.exp', 'Experimental', 'uint', (b, o) => (u8(b, o + 2) >> 1) & 7),
      mplsField('icmp.mpls.s', 'Stack bit', 'bool', (b, o) => u8(b, o + 2) & 1),
      mplsField('icmp.mpls.ttl', 'Time to live', 'uint', (b, o) => u8(b, o + 3)),
    ],
    init(reg: Registry) {
      IP = reg.id('ip');
      IPV6 = reg.id('ipv6');
      A_CHECKSUM = reg.anomaly('icmp.checksum_bad');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 6) {
        p.hdrEnd[i] = s;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = e - s < 8 ? e : s + 8;
      if (e - s < 8) p.truncated(i);
      const quoted = (p.aux[i]! & AUX_QUOTED) !== 0;
      if (!quoted && e - s >= 8 && e - s >= reportedLength(p, i) && verifyChecksum(p, i) === 0) p.anomaly(i, A_CHECKSUM);
      const type = u8(b, s);
      if (!isError(type) || e - s < 8) return;
      let qEnd = e;
      const orig = u8(b, s + 5) * 4;
      if (type === REDIRECT) {
        // Header plus 64 bits of the original datagram, no more.
        if (s + 9 > e) return;
        const lim = s + 8 + (u8(b, s + 8) & 0x0f) * 4 + 8;
        if (lim < qEnd) qEnd = lim;
      } else if (orig > 0 && reportedLength(p, i) > 8 + orig) {
        if (s + 12 > e) return;
        if (u16(b, s + 10) > orig) {
          // RFC 4884: the quoted datagram ends where the length says (Wireshark counts it after the header).
          if (s + 9 > e) return;
          const lim = s + 8 + (u8(b, s + 8) & 0x0f) * 4 + orig;
          if (lim < qEnd) qEnd = lim;
        }
      }
      const inner = s + 8 < e && u8(b, s + 8) >> 4 === 6 ? IPV6 : IP;
      p.nextAux = p.aux[i]! | AUX_QUOTED;
      p.setNext(inner, s + 8, qEnd);
    },
    summary(p, i) {
      if (!shown(p, i)) return 'ICMP (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const t = typeOf(p, i);
      const c = codeOf(p, i);
      const enough = p.hdrEnd[i]! - s >= 8;
      if ((t === ECHO || t === ECHO_REPLY) && enough) {
        return `ICMP echo ${t === ECHO ? 'request' : 'reply'} id=0x${u16(b, s + 4).toString(16).padStart(4, '0')} seq=${u16(b, s + 6)}`;
      }
      if (t === UNREACH && c === FRAG_NEEDED && enough) return `ICMP fragmentation needed, next-hop MTU ${u16(b, s + 6)}`;
      if (t === UNREACH) return `ICMP destination unreachable (code ${c})`;
      if (t === TIME_EXCEEDED) return `ICMP time exceeded (code ${c})`;
      if (t === REDIRECT && enough) return `ICMP redirect to ${ipv4String(u32(b, s + 4))}`;
      return `ICMP type ${t} code ${c}`;
    },
  },
};

/** Router advertisement entries (address, preference), shown when each entry is 2 words. */
function routerEntries(p: PacketView, i: number, out: FieldSink, at: number): void {
  if (p.hdrEnd[i]! - p.start[i]! < 8 || typeOf(p, i) !== ROUTER_ADVERT) return;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  if (u8(b, s + 5) !== 2) return;
  const n = u8(b, s + 4);
  for (let k = 0; k < n; k++) {
    const o = s + 8 + k * 8 + at;
    if (o + 4 > p.end[i]!) return;
    const v = u32(b, o);
    out.pushNum(at === 4 ? v | 0 : v);
  }
}
