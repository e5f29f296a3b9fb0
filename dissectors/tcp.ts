import type { ProtocolModule } from '../src/decode/dissector.js';
import { field } from '../src/decode/define.js';
import { checkRange, u8, u16, u32 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import type { PacketView } from '../src/decode/packet-view.js';
import { OCCUPANCY_SHIFT, type Registry } from '../src/decode/registry.js';
import { AUX_QUOTED } from './ipv4.js';
import { CHECKSUM_STATUS_NAMES, CHECKSUM_UNVERIFIED, l4ChecksumStatus } from './l4-checksum.js';

/*
 * TCP (RFC 9293)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |          Source Port          |       Destination Port        |
 * |                        Sequence Number                        |
 * |                    Acknowledgment Number                      |
 * |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsv |E|W|C|R|C|S|S|Y|I|            Window             |
 * |           Checksum            |         Urgent Pointer        |
 * |                           [Options]                           |
 *
 * Options are kind (1 byte), then for every kind but EOL (0) and NOP (1) a length byte
 * counting the whole option. Fields follow tshark 4.0: a header is shown field by field as
 * far as it was captured, an option's value only when its bytes were captured, and SACK
 * edges are the raw sequence numbers (tshark prints them relative to the peer's ISN
 * unless run with `-o tcp.relative_sequence_numbers:FALSE`).
 */

export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;
export const TCP_URG = 0x020;
export const TCP_ECE = 0x040;
export const TCP_CWR = 0x080;
export const TCP_AE = 0x100;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

let ports: Uint16Array = new Uint16Array(0);
let portsUsed: Uint8Array = new Uint8Array(0);
let IP = -1;
let IPV6 = -1;
let A_HDRLEN = 0;
let A_SHORT = 0;
let A_OPTLEN = 0;

/** Bytes of the header captured (the header may be cut short by the snapshot length). */
const captured = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]!;
/** Data offset in bytes; callers check that byte 12 was captured. */
const hdrLen = (p: PacketView, i: number) => (u8(p.layerBuf[i]!, p.start[i]! + 12) >> 4) * 4;
/** Seq, ack, data offset and window are read together: with fewer than 16 bytes none is shown. */
const hasCore = (p: PacketView, i: number) => captured(p, i) >= 16;
const hasSaneCore = (p: PacketView, i: number) => hasCore(p, i) && hdrLen(p, i) >= 20;

/**
 * End of the segment as the IP headers report it (offset in the layer's buffer): the
 * smallest of every enclosing IP datagram's stated end and the frame's length on the
 * wire, so a snapped capture still yields the segment's true length.
 */
function reportedEnd(p: PacketView, i: number): number {
  const buf = p.layerBuf[i]!;
  let end = buf === p.buf && (p.aux[i]! & AUX_QUOTED) === 0 ? p.base + p.wireLen : p.end[i]!;
  for (let j = i - 1; j >= 0; j--) {
    if (p.layerBuf[j] !== buf) break;
    const pr = p.proto[j]!;
    const s = p.start[j]!;
    if (pr === IP && p.hdrEnd[j]! - s >= 4) {
      const total = u16(buf, s + 2);
      if (total !== 0 && s + total < end) end = s + total;
    } else if (pr === IPV6 && p.end[j]! - s >= 40) {
      const plen = u16(buf, s + 4);
      if (plen !== 0 && s + 40 + plen < end) end = s + 40 + plen;
    }
  }
  return end;
}

/** The segment's length as reported by IP (header plus payload), or -1 before 16 header bytes. */
export function tcpSegmentLength(p: PacketView, i: number): number {
  if (!hasCore(p, i)) return -1;
  return reportedEnd(p, i) - p.start[i]!;
}

/** `tcp.len`: payload bytes the segment carries on the wire (not just those captured), or -1. */
export function tcpPayloadLength(p: PacketView, i: number): number {
  const seg = tcpSegmentLength(p, i);
  if (seg < 0) return -1;
  const h = hdrLen(p, i);
  return h <= seg ? seg - h : -1;
}

/** Header length in bytes (data offset * 4), or -1 when not captured. */
export function tcpHeaderLength(p: PacketView, i: number): number {
  return hasCore(p, i) ? hdrLen(p, i) : -1;
}

/** The 12 flag bits (TCP_SYN, TCP_ACK, ...), or -1 when not captured or the header is bogus. */
export function tcpFlags(p: PacketView, i: number): number {
  return hasSaneCore(p, i) ? u16(p.layerBuf[i]!, p.start[i]! + 12) & 0xfff : -1;
}

/** Raw sequence number, or -1. */
export function tcpSeq(p: PacketView, i: number): number {
  return hasCore(p, i) ? u32(p.layerBuf[i]!, p.start[i]! + 4) : -1;
}

/** Raw acknowledgment number, or -1. */
export function tcpAck(p: PacketView, i: number): number {
  return hasSaneCore(p, i) ? u32(p.layerBuf[i]!, p.start[i]! + 8) : -1;
}

/** Unscaled window field, or -1. */
export function tcpWindow(p: PacketView, i: number): number {
  return hasSaneCore(p, i) ? u16(p.layerBuf[i]!, p.start[i]! + 14) : -1;
}

/** Verify the checksum over the pseudo-header (CHECKSUM_GOOD / _BAD / _UNVERIFIED). */
export function tcpChecksumStatus(p: PacketView, i: number): number {
  if (!hasSaneCore(p, i) || captured(p, i) < 18) return CHECKSUM_UNVERIFIED;
  const seg = tcpSegmentLength(p, i);
  if (seg < hdrLen(p, i)) return CHECKSUM_UNVERIFIED;
  return l4ChecksumStatus(p, i, 6, seg);
}

// What an option walk is after: one field's values, or (-1) just whether the options are well formed.
const W_CHECK = -1;
const W_KIND = 0;
const W_LEN = 1;
const W_MSS = 2;
const W_MSS_VAL = 3;
const W_WS = 4;
const W_WS_SHIFT = 5;
const W_WS_MULT = 6;
const W_SACK_PERM = 7;
const W_SACK = 8;
const W_SACK_LE = 9;
const W_SACK_RE = 10;
const W_SACK_COUNT = 11;
const W_TS = 12;
const W_TSVAL = 13;
const W_TSECR = 14;
const W_NOP = 15;
const W_EOL = 16;
const W_FIND = 17;

/** The length each fixed-size option must have (0: variable or unknown). */
function fixedLen(kind: number): number {
  switch (kind) {
    case TCPOPT_MSS:
      return 4;
    case TCPOPT_WSCALE:
      return 3;
    case TCPOPT_SACK_PERM:
      return 2;
    case TCPOPT_TIMESTAMP:
      return 10;
    default:
      return 0;
  }
}

/**
 * Walk the options of a header whose captured part ends at `cap`, as tshark does: each
 * EOL byte is listed and only zero bytes may follow it; a length below 2 or running past
 * the header ends the walk; an option of the wrong fixed length is listed without its
 * value and the walk goes on. Pushes the values of field `want` into `out`; returns false
 * when the options are malformed (for W_FIND: the offset of option `kind`, or -1).
 */
function walkOptions(b: Buffer, from: number, optEnd: number, cap: number, want: number, out: FieldSink | null, kind = -1): number {
  // Exit values: malformed options, and the end of what can be walked.
  const bad = want === W_FIND ? -1 : 0;
  const done = want === W_FIND ? -1 : 1;
  let o = from;
  let eol = false;
  while (o < optEnd && o < cap) {
    const k = u8(b, o);
    if (k === TCPOPT_EOL || k === TCPOPT_NOP || eol) {
      if (eol && k !== TCPOPT_EOL) return done;
      if (want === W_KIND) out!.pushNum(k);
      else if ((want === W_EOL && k === TCPOPT_EOL) || (want === W_NOP && k === TCPOPT_NOP)) out!.pushBytes(b, o, 1);
      if (k === TCPOPT_EOL) eol = true;
      o++;
      continue;
    }
    if (o + 1 >= optEnd) return bad;
    if (o + 1 >= cap) return done;
    const len = u8(b, o + 1);
    if (len < 2 || o + len > optEnd) return bad;
    if (k === TCPOPT_SACK && len === 2) {
      // An empty SACK: tshark lists it with a zero count, then gives up on the options.
      if (want === W_KIND) out!.pushNum(k);
      else if (want === W_LEN) out!.pushNum(len);
      else if (want === W_SACK) out!.pushBytes(b, o, 2);
      else if (want === W_SACK_COUNT) out!.pushNum(0);
      return bad;
    }
    const fixed = fixedLen(k);
    const ok = fixed === 0 || fixed === len;
    if (want === W_CHECK) {
      if (!ok) return bad;
    } else if (want === W_FIND) {
      if (k === kind && ok && o + len <= cap) return o;
    } else if (want === W_KIND) out!.pushNum(k);
    else if (want === W_LEN) out!.pushNum(len);
    else optionValues(b, o, k, len, ok, cap, want, out!);
    o += len;
  }
  return done;
}

function optionValues(b: Buffer, o: number, k: number, len: number, ok: boolean, cap: number, want: number, out: FieldSink): void {
  const avail = Math.min(o + len, cap) - o;
  switch (k) {
    case TCPOPT_MSS:
      if (want === W_MSS) out.pushBytes(b, o, avail);
      else if (want === W_MSS_VAL && ok && avail >= 4) out.pushNum(u16(b, o + 2));
      return;
    case TCPOPT_WSCALE:
      if (want === W_WS) out.pushBytes(b, o, avail);
      else if (ok && avail >= 3) {
        const shift = u8(b, o + 2);
        if (want === W_WS_SHIFT) out.pushNum(shift);
        else if (want === W_WS_MULT) out.pushNum(2 ** Math.min(shift, 14));
      }
      return;
    case TCPOPT_SACK_PERM:
      if (want === W_SACK_PERM) out.pushBytes(b, o, avail);
      return;
    case TCPOPT_SACK: {
      if (want === W_SACK) out.pushBytes(b, o, avail);
      else if (want === W_SACK_COUNT) out.pushNum(Math.floor((len - 2) / 8));
      else if (want === W_SACK_LE || want === W_SACK_RE) {
        const at = want === W_SACK_LE ? 0 : 4;
        for (let q = o + 2; q + 8 <= o + len; q += 8) {
          if (q + at + 4 > cap) return;
          out.pushNum(u32(b, q + at));
        }
      }
      return;
    }
    case TCPOPT_TIMESTAMP:
      if (want === W_TS) out.pushBytes(b, o, avail);
      else if (want === W_TSVAL && ok && avail >= 6) out.pushNum(u32(b, o + 2));
      else if (want === W_TSECR && ok && avail >= 10) out.pushNum(u32(b, o + 6));
      return;
  }
}

/**
 * True for the two option layouts Linux puts on nearly every segment, both well formed:
 * recognising them costs a few byte compares where the full walk costs a call and a loop
 * per option. `o` is the first option byte of a header of `hlen` bytes, all of it captured
 * (the caller checked), so the Buffer is indexed directly.
 */
function commonOptions(b: Buffer, o: number, hlen: number): boolean {
  // NOP, NOP, timestamps: every segment of a connection that negotiated timestamps.
  if (hlen === 32) return b[o] === TCPOPT_NOP && b[o + 1] === TCPOPT_NOP && b[o + 2] === TCPOPT_TIMESTAMP && b[o + 3] === 10;
  // MSS, SACK permitted, timestamps, NOP, window scale: Linux's SYN and SYN-ACK.
  if (hlen === 40) {
    return (
      b[o] === TCPOPT_MSS && b[o + 1] === 4 &&
      b[o + 4] === TCPOPT_SACK_PERM && b[o + 5] === 2 &&
      b[o + 6] === TCPOPT_TIMESTAMP && b[o + 7] === 10 &&
      b[o + 16] === TCPOPT_NOP && b[o + 17] === TCPOPT_WSCALE && b[o + 18] === 3
    );
  }
  return false;
}

/** Run an option walk over layer i's captured header (nothing when the header is bogus). */
function options(p: PacketView, i: number, want: number, out: FieldSink | null, kind = -1): number {
  if (captured(p, i) < 20) return -1;
  const h = hdrLen(p, i);
  if (h <= 20) return -1;
  const s = p.start[i]!;
  return walkOptions(p.layerBuf[i]!, s + 20, s + h, p.hdrEnd[i]!, want, out, kind);
}

/**
 * Offset (in p.layerBuf[i]) of the first well-formed, fully captured option of `kind`, or
 * -1: analyzers read MSS, window scale or timestamps from there.
 */
export function tcpOptionOffset(p: PacketView, i: number, kind: number): number {
  if (captured(p, i) < 20) return -1;
  return options(p, i, W_FIND, null, kind);
}

/** MSS option value, or -1. */
export function tcpMss(p: PacketView, i: number): number {
  const o = tcpOptionOffset(p, i, TCPOPT_MSS);
  return o < 0 ? -1 : u16(p.layerBuf[i]!, o + 2);
}

/** Window scale shift count, or -1. */
export function tcpWindowScale(p: PacketView, i: number): number {
  const o = tcpOptionOffset(p, i, TCPOPT_WSCALE);
  return o < 0 ? -1 : u8(p.layerBuf[i]!, o + 2);
}

/** Offset of the captured payload when the header is whole and some payload was captured, else -1. */
function payloadStart(p: PacketView, i: number): number {
  const s = p.start[i]!;
  const he = p.hdrEnd[i]!;
  if (he - s < 20 || hdrLen(p, i) !== he - s || p.end[i]! <= he) return -1;
  return he;
}

/** Text some stacks put in a RST's payload (RFC 9293 §3.6.1), read as tshark reads an ASCII string. */
function resetText(b: Buffer, from: number, to: number): string {
  let s = '';
  for (let o = from; o < to; o++) {
    const c = u8(b, o);
    if (c === 0) break;
    s += c < 0x80 ? String.fromCharCode(c) : '\ufffd';
  }
  return s;
}

function optionField(name: string, label: string, type: 'uint' | 'bytes', want: number) {
  return field(name, label, type, (p, i, out) => void options(p, i, want, out));
}

function flagBit(name: string, label: string, mask: number) {
  return field(name, label, 'bool', (p, i, out) => {
    if (hasSaneCore(p, i)) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 12) & mask ? 1 : 0);
  });
}

const FLAG_CHARS = 'RRRACEUAPRSF';
const flagStrings: string[] = [];

/** tshark's `tcp.flags.str`: one letter per set bit, a middle dot per clear one. */
function flagString(flags: number): string {
  let s = flagStrings[flags];
  if (s === undefined) {
    s = '';
    for (let k = 0; k < 12; k++) s += flags & (0x800 >> k) ? FLAG_CHARS[k] : '\u00b7';
    flagStrings[flags] = s;
  }
  return s;
}

const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [TCP_FIN, 'FIN'],
  [TCP_SYN, 'SYN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
  [TCP_AE, 'AE'],
];
const flagLists: string[] = [];

/** The summary's ` [SYN, ACK]` (empty without flags), built once per flag combination: a list prints a line per packet. */
function flagList(flags: number): string {
  let s = flagLists[flags];
  if (s === undefined) {
    const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
    s = flagLists[flags] = names.length ? ` [${names.join(', ')}]` : '';
  }
  return s;
}

export const tcp: ProtocolModule = {
  dispatch: [['ip.proto', 6]],
  anomalies: {
    hdr_len_bad: ['error', 'TCP data offset below 20 bytes'],
    hdr_len_exceeds: ['error', 'TCP header longer than the segment'],
    option_len_bad: ['warning', 'TCP option length invalid'],
  },
  dissector: {
    name: 'tcp',
    label: 'TCP',
    fields: [
      field('tcp.srcport', 'Source Port', 'uint', (p, i, out) => {
        if (captured(p, i) >= 4) out.pushNum(u16(p.layerBuf[i]!, p.start[i]!));
      }),
      field('tcp.dstport', 'Destination Port', 'uint', (p, i, out) => {
        if (captured(p, i) >= 4) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 2));
      }),
      field('tcp.port', 'Source or Destination Port', 'uint', (p, i, out) => {
        if (captured(p, i) < 4) return;
        out.pushNum(u16(p.layerBuf[i]!, p.start[i]!));
        out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 2));
      }),
      field('tcp.seq_raw', 'Sequence Number (raw)', 'uint', (p, i, out) => {
        if (hasCore(p, i)) out.pushNum(u32(p.layerBuf[i]!, p.start[i]! + 4));
      }),
      field('tcp.ack_raw', 'Acknowledgment number (raw)', 'uint', (p, i, out) => {
        if (hasSaneCore(p, i)) out.pushNum(u32(p.layerBuf[i]!, p.start[i]! + 8));
      }),
      field('tcp.hdr_len', 'Header Length', 'uint', (p, i, out) => {
        if (hasCore(p, i)) out.pushNum(hdrLen(p, i));
      }),
      field(
        'tcp.flags',
        'Flags',
        'uint',
        (p, i, out) => {
          if (hasSaneCore(p, i)) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 12) & 0xfff);
        },
        { base: 'hex', bits: 16 },
      ),
      flagBit('tcp.flags.res', 'Reserved', 0xe00),
      flagBit('tcp.flags.ae', 'Accurate ECN', TCP_AE),
      flagBit('tcp.flags.cwr', 'Congestion Window Reduced', TCP_CWR),
      flagBit('tcp.flags.ece', 'ECN-Echo', TCP_ECE),
      flagBit('tcp.flags.urg', 'Urgent', TCP_URG),
      flagBit('tcp.flags.ack', 'Acknowledgment', TCP_ACK),
      flagBit('tcp.flags.push', 'Push', TCP_PSH),
      flagBit('tcp.flags.reset', 'Reset', TCP_RST),
      flagBit('tcp.flags.syn', 'Syn', TCP_SYN),
      flagBit('tcp.flags.fin', 'Fin', TCP_FIN),
      field('tcp.flags.str', 'TCP Flags', 'string', (p, i, out) => {
        if (hasSaneCore(p, i)) out.pushStr(flagString(u16(p.layerBuf[i]!, p.start[i]! + 12) & 0xfff));
      }),
      field('tcp.window_size_value', 'Window', 'uint', (p, i, out) => {
        if (hasSaneCore(p, i)) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 14));
      }),
      field(
        'tcp.checksum',
        'Checksum',
        'uint',
        (p, i, out) => {
          if (hasSaneCore(p, i) && captured(p, i) >= 18) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 16));
        },
        { base: 'hex', bits: 16 },
      ),
      field(
        'tcp.checksum.status',
        'Checksum Status',
        'uint',
        (p, i, out) => {
          if (hasSaneCore(p, i) && captured(p, i) >= 18) out.pushNum(tcpChecksumStatus(p, i));
        },
        { names: CHECKSUM_STATUS_NAMES },
      ),
      field('tcp.urgent_pointer', 'Urgent Pointer', 'uint', (p, i, out) => {
        if (hasSaneCore(p, i) && captured(p, i) >= 20) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 18));
      }),
      field('tcp.len', 'TCP Segment Len', 'uint', (p, i, out) => {
        const n = tcpPayloadLength(p, i);
        if (n >= 0) out.pushNum(n);
      }),
      field('tcp.options', 'TCP Options', 'bytes', (p, i, out) => {
        if (captured(p, i) < 20 || hdrLen(p, i) <= 20) return;
        const s = p.start[i]!;
        // tshark's text for an options field of which nothing was captured.
        if (p.hdrEnd[i]! === s + 20) out.pushStr('<MISSING>');
        else out.pushBytes(p.layerBuf[i]!, s + 20, p.hdrEnd[i]! - s - 20);
      }),
      optionField('tcp.option_kind', 'Kind', 'uint', W_KIND),
      optionField('tcp.option_len', 'Length', 'uint', W_LEN),
      optionField('tcp.options.mss', 'TCP Option - Maximum segment size', 'bytes', W_MSS),
      optionField('tcp.options.mss_val', 'MSS Value', 'uint', W_MSS_VAL),
      optionField('tcp.options.wscale', 'TCP Option - Window scale', 'bytes', W_WS),
      optionField('tcp.options.wscale.shift', 'Shift count', 'uint', W_WS_SHIFT),
      optionField('tcp.options.wscale.multiplier', 'Multiplier', 'uint', W_WS_MULT),
      optionField('tcp.options.sack_perm', 'TCP Option - SACK permitted', 'bytes', W_SACK_PERM),
      optionField('tcp.options.sack', 'TCP Option - SACK', 'bytes', W_SACK),
      optionField('tcp.options.sack_le', 'TCP SACK Left Edge', 'uint', W_SACK_LE),
      optionField('tcp.options.sack_re', 'TCP SACK Right Edge', 'uint', W_SACK_RE),
      optionField('tcp.options.sack.count', 'TCP SACK Count', 'uint', W_SACK_COUNT),
      optionField('tcp.options.timestamp', 'TCP Option - Timestamps', 'bytes', W_TS),
      optionField('tcp.options.timestamp.tsval', 'Timestamp value', 'uint', W_TSVAL),
      optionField('tcp.options.timestamp.tsecr', 'Timestamp echo reply', 'uint', W_TSECR),
      optionField('tcp.options.nop', 'TCP Option - No-Operation (NOP)', 'bytes', W_NOP),
      optionField('tcp.options.eol', 'TCP Option - End of Option List (EOL)', 'bytes', W_EOL),
      field('tcp.payload', 'TCP payload', 'bytes', (p, i, out) => {
        const he = payloadStart(p, i);
        if (he >= 0 && (tcpFlags(p, i) & TCP_RST) === 0) out.pushBytes(p.layerBuf[i]!, he, p.end[i]! - he);
      }),
      field('tcp.reset_cause', 'Reset cause', 'string', (p, i, out) => {
        const he = payloadStart(p, i);
        if (he >= 0 && tcpFlags(p, i) & TCP_RST) out.pushStr(resetText(p.layerBuf[i]!, he, p.end[i]!));
      }),
    ],
    init(reg: Registry) {
      ports = reg.table('tcp.port');
      portsUsed = reg.occupied('tcp.port');
      IP = reg.has('ip') ? reg.id('ip') : -1;
      IPV6 = reg.has('ipv6') ? reg.id('ipv6') : -1;
      A_HDRLEN = reg.anomaly('tcp.hdr_len_bad');
      A_SHORT = reg.anomaly('tcp.hdr_len_exceeds');
      A_OPTLEN = reg.anomaly('tcp.option_len_bad');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 20) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      // The fixed 20 bytes are captured (checked above): indexed directly, as in IPv4.
      checkRange(b, s, 20);
      const hlen = (b[s + 12]! >> 4) * 4;
      if (hlen < 20) {
        p.hdrEnd[i] = s + 20;
        p.anomaly(i, A_HDRLEN);
        return;
      }
      if (s + hlen > reportedEnd(p, i)) {
        // The segment itself is shorter than its header: malformed, not merely snapped.
        p.hdrEnd[i] = Math.min(e, s + hlen);
        p.anomaly(i, A_SHORT);
        return;
      }
      if (s + hlen > e) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + hlen;
      if (hlen > 20 && !commonOptions(b, s + 20, hlen) && walkOptions(b, s + 20, s + hlen, s + hlen, W_CHECK, null) === 0) p.anomaly(i, A_OPTLEN);
      // A header quoted in an ICMP error carries no live payload for the protocols above,
      // and the data of a RST is a diagnostic text, not application data.
      if (e === s + hlen || (p.aux[i]! & AUX_QUOTED) !== 0 || b[s + 13]! & TCP_RST) return;
      const sport = (b[s]! << 8) | b[s + 1]!;
      const dport = (b[s + 2]! << 8) | b[s + 3]!;
      // Lower port first, as Wireshark does: well-known ports win over ephemeral ones,
      // and both directions of a connection pick the same protocol.
      const lo = sport < dport ? sport : dport;
      const hi = sport < dport ? dport : sport;
      const next = (lo !== 0 && portsUsed[lo >> OCCUPANCY_SHIFT] !== 0 ? ports[lo]! : 0) || (portsUsed[hi >> OCCUPANCY_SHIFT] !== 0 ? ports[hi]! : 0);
      if (next !== 0) p.setNext(next, s + hlen, e);
    },
    summary(p, i) {
      if (captured(p, i) < 4) return 'TCP (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      let text = `TCP ${u16(b, s)} → ${u16(b, s + 2)}`;
      const flags = tcpFlags(p, i);
      if (flags < 0) return text + (hasCore(p, i) ? ' (bad header length)' : ' (truncated)');
      text += `${flagList(flags)} seq=${tcpSeq(p, i)}`;
      if (flags & TCP_ACK) text += ` ack=${tcpAck(p, i)}`;
      text += ` win=${tcpWindow(p, i)}`;
      const len = tcpPayloadLength(p, i);
      if (len >= 0) text += ` len=${len}`;
      return text;
    },
  },
};
