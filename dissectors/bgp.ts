import type { ProtocolModule } from '../src/decode/dissector.js';
import { field } from '../src/decode/define.js';
import { u8, u16, u32 } from '../src/decode/bytes.js';
import type { FieldType } from '../src/decode/field.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import { ipv4String, ipv6String } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';
import { tcpPayloadLength, tcpSeq } from './tcp.js';

/*
 * BGP-4 (RFC 4271), TCP port 179. Every message starts with the same header:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |                                                               |
 * +                      Marker (16 x 0xff)                       +
 * |                                                               |
 * |          Length               |      Type     |
 * Type 1 OPEN:          |Version| My AS (2) | Hold Time (2) | BGP Identifier (4) |
 *                       |Opt Parm Len| Optional Parameters (type, length, value)...
 *                       (parameter 2 holds capabilities: code, length, value)
 * Type 2 UPDATE:        |Withdrawn Routes Length (2)| Withdrawn Routes (prefixes)
 *                       |Total Path Attribute Length (2)| Path Attributes
 *                       |Network Layer Reachability Information (prefixes to the end)
 *                       attribute: |flags|type code|length (1, or 2 if flag 0x10)| value
 *                       prefix: |length in bits| ceil(bits/8) bytes of address|
 * Type 3 NOTIFICATION:  |Error code|Error subcode| Data...
 * Type 4 KEEPALIVE:     header only
 * Type 5 ROUTE-REFRESH: |AFI (2)|Subtype|SAFI|
 * Lengths run from 19 to 4096, or 65535 with the extended message capability (RFC 8654).
 *
 * Messages are framed across TCP segments. As tshark does, a BGP dissection that starts
 * afresh (new stream, after a gap, or after a segment that ended on a message boundary)
 * first looks for a 16-byte marker, skipping anything before it; from there messages
 * are framed by their length fields, a bad marker being reported but not resynchronised
 * on. A frame carrying only part of a message shows no BGP layer; the frame that
 * completes it shows the message, read from the stream's reassembly buffer. Streams are
 * followed by sequence number: a retransmission shows nothing, a loss drops the partial
 * message and restarts the marker scan, and a segment far outside the stream is dissected
 * on its own unless the next one continues it.
 */

export const BGP_OPEN = 1;
export const BGP_UPDATE = 2;
export const BGP_NOTIFICATION = 3;
export const BGP_KEEPALIVE = 4;
export const BGP_ROUTE_REFRESH = 5;

const HDR = 19;
const MARKER = 16;
/** The largest message (RFC 8654): the length field's limit. */
const MAX_MESSAGE = 65535;
/** Per-stream buffering bound: one whole message plus a following header. */
export const MAX_STREAM_BUFFER = MAX_MESSAGE + HDR;
/** Streams tracked at once; the oldest is forgotten to make room for a new one. */
export const MAX_STREAMS = 4096;
/**
 * How far from the expected sequence number a segment may start and still belong to the
 * stream (as a retransmission behind it, or after a loss ahead of it). Anything farther
 * is taken for unrelated data unless the next segment continues it.
 */
const SEQ_WINDOW = 1 << 22;

export const BGP_MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'OPEN',
  2: 'UPDATE',
  3: 'NOTIFICATION',
  4: 'KEEPALIVE',
  5: 'ROUTE-REFRESH',
};

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313). */
export const BGP_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

/** NOTIFICATION subcodes per error code (IANA "BGP Error Subcodes"). */
export const BGP_SUBCODE_NAMES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    5: 'Authentication Failure',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    11: 'Role Mismatch',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    7: 'AS Routing Loop',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  4: {},
  5: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 1: 'Invalid Message Length' },
};

export const BGP_CAPABILITY_NAMES: Readonly<Record<number, string>> = {
  1: 'Multiprotocol extensions',
  2: 'Route refresh',
  3: 'Outbound route filtering',
  5: 'Extended next hop encoding',
  6: 'Extended message',
  9: 'BGP role',
  64: 'Graceful restart',
  65: '4-octet AS number',
  69: 'ADD-PATH',
  70: 'Enhanced route refresh',
  71: 'Long-lived graceful restart',
  73: 'FQDN',
  128: 'Route refresh (Cisco)',
};

export const BGP_ATTRIBUTE_NAMES: Readonly<Record<number, string>> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  32: 'LARGE_COMMUNITY',
};

const ATTR_ORIGIN = 1;
const ATTR_AS_PATH = 2;
const ATTR_NEXT_HOP = 3;
const ATTR_MED = 4;
const ATTR_LOCAL_PREF = 5;
const ATTR_AGGREGATOR = 7;
const ATTR_COMMUNITIES = 8;
const ATTR_ORIGINATOR_ID = 9;
const ATTR_CLUSTER_LIST = 10;
const ATTR_MP_REACH = 14;
const ATTR_MP_UNREACH = 15;
const ATTR_AS4_PATH = 17;
const ATTR_AS4_AGGREGATOR = 18;
const ATTR_LARGE_COMMUNITY = 32;

const AFI_IPV4 = 1;
const AFI_IPV6 = 2;

let TCP = 0;
let IP = -1;
let IPV6 = -1;
let BGP = 0;
let A_MARKER = 0;
let A_LENGTH = 0;
let A_LONG = 0;
let A_TYPE = 0;
let A_TYPE_LENGTH = 0;
let A_NO_MARKER = 0;
let A_GAP = 0;
let A_TOO_MANY = 0;
let A_OPEN = 0;
let A_UPDATE = 0;
let A_PREFIX = 0;
let A_AS_PATH = 0;
let A_NOTIFY = 0;

// ---------------------------------------------------------------------------------------
// Stream table: next expected sequence number and the partial message, per direction.

/** Source address (4 words), destination address (4), ports (1), IP version (1). */
const KEY_WORDS = 10;
const HASH_BUCKETS = 8192;

class BgpStreams {
  readonly keys = new Uint32Array(MAX_STREAMS * KEY_WORDS);
  readonly nextSeq = new Float64Array(MAX_STREAMS);
  /** Where an out-of-window segment ended (-1: none): a segment starting there resynchronises. */
  readonly altSeq = new Float64Array(MAX_STREAMS);
  readonly buffered = new Int32Array(MAX_STREAMS);
  readonly bufs: Array<Buffer | null> = new Array<Buffer | null>(MAX_STREAMS).fill(null);
  readonly heads = new Int32Array(HASH_BUCKETS).fill(-1);
  readonly chain = new Int32Array(MAX_STREAMS).fill(-1);
  readonly bucketOf = new Int32Array(MAX_STREAMS).fill(-1);
  /** Slots in use; once full, `oldest` is the next one recycled (creation order). */
  count = 0;
  oldest = 0;
  /** Set by lookup(): the slot was just created. */
  created = false;
  readonly key = new Uint32Array(KEY_WORDS);
  /**
   * A buffer swapped with a stream's own when the stream's buffer holds a message shown
   * in the current packet and a new partial message must be kept at the same time.
   */
  spare: Buffer | null = null;

  private hash(): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < KEY_WORDS; k++) h = Math.imul(h ^ this.key[k]!, 0x01000193);
    return (h >>> 0) & (HASH_BUCKETS - 1);
  }

  /** Slot of the stream whose key is in `key`, created (evicting the oldest) if new. */
  lookup(): number {
    const bucket = this.hash();
    for (let s = this.heads[bucket]!; s >= 0; s = this.chain[s]!) {
      let same = true;
      const base = s * KEY_WORDS;
      for (let k = 0; k < KEY_WORDS; k++) {
        if (this.keys[base + k] !== this.key[k]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.created = false;
        return s;
      }
    }
    let slot: number;
    if (this.count < MAX_STREAMS) slot = this.count++;
    else {
      slot = this.oldest;
      this.oldest = (this.oldest + 1) % MAX_STREAMS;
      this.unlink(slot);
    }
    this.keys.set(this.key, slot * KEY_WORDS);
    this.chain[slot] = this.heads[bucket]!;
    this.heads[bucket] = slot;
    this.bucketOf[slot] = bucket;
    this.buffered[slot] = 0;
    this.nextSeq[slot] = 0;
    this.altSeq[slot] = -1;
    this.created = true;
    return slot;
  }

  private unlink(slot: number): void {
    const bucket = this.bucketOf[slot]!;
    if (bucket < 0) return;
    if (this.heads[bucket] === slot) this.heads[bucket] = this.chain[slot]!;
    else {
      for (let s = this.heads[bucket]!; s >= 0; s = this.chain[s]!) {
        if (this.chain[s] === slot) {
          this.chain[s] = this.chain[slot]!;
          break;
        }
      }
    }
    this.chain[slot] = -1;
    this.bucketOf[slot] = -1;
  }

  /** The stream's buffer, grown to hold `n` bytes (growth is rare: doubling, capped). */
  ensure(slot: number, n: number): Buffer {
    let b = this.bufs[slot];
    if (b === null || b === undefined || b.length < n) {
      const size = Math.min(MAX_STREAM_BUFFER, Math.max(n, b ? b.length * 2 : 4096));
      const nb = Buffer.allocUnsafe(size);
      if (b && this.buffered[slot]! > 0) b.copy(nb, 0, 0, this.buffered[slot]!);
      b = nb;
      this.bufs[slot] = b;
    }
    return b;
  }

  /** Give the stream a fresh buffer, leaving its current one (shown in this packet) untouched. */
  swapOut(slot: number): void {
    const held = this.bufs[slot]!;
    this.bufs[slot] = this.spare;
    this.spare = held;
  }
}

/** Streams tracked by a decoder (for tests and diagnostics). */
export function bgpStreamCount(p: PacketView): number {
  const st = p.state[BGP] as BgpStreams | undefined;
  return st ? st.count : 0;
}

/** Fill the stream key from the IP and TCP layers around BGP layer i; false when there are none. */
function streamKey(p: PacketView, i: number, key: Uint32Array): boolean {
  const t = i - 1;
  if (t < 1 || p.proto[t] !== TCP || p.hdrEnd[t]! - p.start[t]! < 20) return false;
  let ip = t - 1;
  while (ip >= 0 && p.proto[ip] !== IP && p.proto[ip] !== IPV6) ip--;
  if (ip < 0) return false;
  const b = p.layerBuf[ip]!;
  const s = p.start[ip]!;
  key.fill(0);
  if (p.proto[ip] === IP) {
    if (p.hdrEnd[ip]! - s < 20) return false;
    key[3] = u32(b, s + 12);
    key[7] = u32(b, s + 16);
  } else {
    if (p.end[ip]! - s < 40) return false;
    for (let k = 0; k < 4; k++) {
      key[k] = u32(b, s + 8 + 4 * k);
      key[4 + k] = u32(b, s + 24 + 4 * k);
    }
  }
  key[9] = p.proto[ip] === IP ? 4 : 6;
  const tb = p.layerBuf[t]!;
  const ts = p.start[t]!;
  key[8] = u32(tb, ts);
  return true;
}

// ---------------------------------------------------------------------------------------
// Decoding: framing, reassembly and validation (no allocation once buffers exist).

/** Index of the layer the next message goes into: layer i first, then pushed layers. */
let fillIndex = 0;
let firstFilled = false;
let layersFull = false;

function emit(p: PacketView, i: number, buf: Buffer, start: number, end: number): number {
  if (!firstFilled) {
    firstFilled = true;
    p.layerBuf[i] = buf;
    p.start[i] = start;
    p.hdrEnd[i] = start + HDR;
    p.end[i] = end;
    fillIndex = i;
    return i;
  }
  if (layersFull) return -1;
  const k = p.pushLayer(BGP, buf, start, start + HDR, end, p.depth[i]!);
  if (k < 0) {
    layersFull = true;
    p.anomaly(fillIndex, A_TOO_MANY);
    return -1;
  }
  p.aux[k] = p.aux[i]!;
  fillIndex = k;
  return k;
}

function allFF(b: Buffer, from: number, to: number): boolean {
  for (let o = from; o < to; o++) if (u8(b, o) !== 0xff) return false;
  return true;
}

/** First offset in [from, to) where a (possibly partial, at the end) marker starts, else `to`. */
function scanMarker(b: Buffer, from: number, to: number): number {
  for (let o = from; o < to; o++) {
    if (u8(b, o) !== 0xff) continue;
    const n = Math.min(MARKER, to - o);
    if (allFF(b, o, o + n)) return o;
  }
  return to;
}

const MIN_LENGTH: readonly number[] = [0, 29, 23, 21, 19, 23];

/** Check one whole message and record what is wrong with it (decode path). */
function validate(p: PacketView, k: number): void {
  const b = p.layerBuf[k]!;
  const s = p.start[k]!;
  const e = p.end[k]!;
  if (!allFF(b, s, s + MARKER)) p.anomaly(k, A_MARKER);
  const len = e - s;
  if (len > 4096) p.anomaly(k, A_LONG);
  const type = u8(b, s + 18);
  if (type < 1 || type > 5) {
    p.anomaly(k, A_TYPE);
    return;
  }
  if (len < MIN_LENGTH[type]! || (type === BGP_KEEPALIVE && len !== HDR)) {
    p.anomaly(k, A_TYPE_LENGTH);
    return;
  }
  if (type === BGP_OPEN) validateOpen(p, k, b, s, e);
  else if (type === BGP_UPDATE) validateUpdate(p, k, b, s, e);
  else if (type === BGP_NOTIFICATION && u8(b, s + 19) === 6) {
    const sub = u8(b, s + 20);
    const data = len - 21;
    // RFC 9003: a shutdown communication's length byte covers exactly what follows it.
    if ((sub === 2 || sub === 4) && data > 0 && u8(b, s + 21) !== data - 1) p.anomaly(k, A_NOTIFY);
    // RFC 8538: a Hard Reset carries the error code and subcode it stands for.
    else if (sub === 9 && data < 2) p.anomaly(k, A_NOTIFY);
  }
}

// Results of optParams(), to avoid allocating per call.
let paramsStart = 0;
let paramsEnd = 0;
let paramsExt = false;

/**
 * Locate an OPEN's optional parameters: [paramsStart, paramsEnd), each parameter a type
 * byte and a 1-byte length, or a 2-byte one in the RFC 9072 extended format (announced
 * by a length of 255 and a first type of 255). False when the area overruns the message.
 */
function optParams(b: Buffer, s: number, e: number): boolean {
  if (s + 29 > e) return false;
  const len = u8(b, s + 28);
  paramsExt = len === 255 && s + 32 <= e && u8(b, s + 29) === 255;
  paramsStart = paramsExt ? s + 32 : s + 29;
  paramsEnd = paramsStart + (paramsExt ? u16(b, s + 30) : len);
  return paramsEnd <= e;
}

function validateOpen(p: PacketView, k: number, b: Buffer, s: number, e: number): void {
  if (!optParams(b, s, e)) {
    p.anomaly(k, A_OPEN);
    return;
  }
  const end = paramsEnd;
  const lenSize = paramsExt ? 2 : 1;
  for (let o = paramsStart; o < end; ) {
    if (o + 1 + lenSize > end) {
      p.anomaly(k, A_OPEN);
      return;
    }
    const v = o + 1 + lenSize;
    const pEnd = v + (paramsExt ? u16(b, o + 1) : u8(b, o + 1));
    if (pEnd > end) {
      p.anomaly(k, A_OPEN);
      return;
    }
    if (u8(b, o) === 2) {
      for (let c = v; c < pEnd; ) {
        if (c + 2 > pEnd || c + 2 + u8(b, c + 1) > pEnd) {
          p.anomaly(k, A_OPEN);
          return;
        }
        c += 2 + u8(b, c + 1);
      }
    }
    o = pEnd;
  }
}

/**
 * Whether a prefix list parses with (`pathIds`) or without RFC 7911 path identifiers:
 * every length within `maxBits`, every prefix inside `end`, and (when `strict`) no bits
 * set past the prefix length.
 */
function prefixListFits(b: Buffer, o: number, end: number, maxBits: number, pathIds: boolean, strict: boolean): boolean {
  const skip = pathIds ? 4 : 0;
  while (o < end) {
    if (o + skip >= end) return false;
    const bits = u8(b, o + skip);
    if (bits > maxBits) return false;
    o += skip + 1 + ((bits + 7) >> 3);
    if (o > end) return false;
    if (strict && bits & 7 && u8(b, o - 1) & (0xff >> (bits & 7))) return false;
  }
  return true;
}

/**
 * ADD-PATH prefixes carry no marker of their own: like tshark, take a list as ADD-PATH
 * when it does not parse as plain prefixes but does with a path ID before each one.
 */
function hasPathIds(b: Buffer, o: number, end: number, maxBits: number): boolean {
  return !prefixListFits(b, o, end, maxBits, false, true) && prefixListFits(b, o, end, maxBits, true, true);
}

/**
 * tshark 4.0's own ADD-PATH guess, which its fields follow: the path-ID reading must
 * hold (its loop steps over a trailing partial path ID), and the plain reading must fail
 * or contain a /0 in a list longer than one byte.
 */
function tsharkPathIds(b: Buffer, from: number, end: number, maxBits: number): boolean {
  for (let o = from + 4; o < end; o += 4) {
    const bits = u8(b, o);
    if (bits > maxBits) return false;
    o += 1 + ((bits + 7) >> 3);
    if (o > end) return false;
    if (bits & 7 && u8(b, o - 1) & (0xff >> (bits & 7))) return false;
  }
  for (let o = from; o < end; ) {
    const bits = u8(b, o);
    if (bits === 0 && end - from > 1) return true;
    if (bits > maxBits) return true;
    o += 1 + ((bits + 7) >> 3);
    if (o > end) return true;
    if (bits & 7 && u8(b, o - 1) & (0xff >> (bits & 7))) return true;
  }
  return false;
}

/** A prefix list that parses either way; false when a length is invalid or a prefix overruns. */
function prefixesOk(b: Buffer, o: number, end: number, maxBits: number): boolean {
  return prefixListFits(b, o, end, maxBits, false, false) || hasPathIds(b, o, end, maxBits);
}

function validateUpdate(p: PacketView, k: number, b: Buffer, s: number, e: number): void {
  const body = s + HDR;
  const wEnd = body + 2 + u16(b, body);
  if (wEnd + 2 > e) {
    p.anomaly(k, A_UPDATE);
    return;
  }
  if (!prefixesOk(b, body + 2, wEnd, 32)) p.anomaly(k, A_PREFIX);
  const aEnd = wEnd + 2 + u16(b, wEnd);
  if (aEnd > e) {
    p.anomaly(k, A_UPDATE);
    return;
  }
  for (let o = wEnd + 2; o < aEnd; ) {
    const a = attrAt(b, o, aEnd);
    if (a < 0) {
      p.anomaly(k, A_UPDATE);
      return;
    }
    const type = u8(b, o + 1);
    const v = attrValue;
    const vEnd = attrEnd;
    if (type === ATTR_AS_PATH || type === ATTR_AS4_PATH) {
      if (asPathWidth(b, v, vEnd, type) === 0) p.anomaly(k, A_AS_PATH);
    } else if (type === ATTR_MP_REACH || type === ATTR_MP_UNREACH) {
      const nlri = mpNlriStart(b, v, vEnd, type);
      if (nlri < 0) p.anomaly(k, A_UPDATE);
      else {
        const afi = u16(b, v);
        const safi = u8(b, v + 2);
        if (isPlainUnicast(afi, safi) && !prefixesOk(b, nlri, vEnd, afi === AFI_IPV4 ? 32 : 128)) p.anomaly(k, A_PREFIX);
      }
    }
    o = vEnd;
  }
  if (!prefixesOk(b, aEnd, e, 32)) p.anomaly(k, A_PREFIX);
}

// Results of attrAt(), to avoid allocating a tuple per attribute.
let attrValue = 0;
let attrEnd = 0;

/** Parse the attribute header at o; sets attrValue/attrEnd and returns o, or -1 if it overruns `end`. */
function attrAt(b: Buffer, o: number, end: number): number {
  if (o + 3 > end) return -1;
  const ext = (u8(b, o) & 0x10) !== 0;
  if (ext && o + 4 > end) return -1;
  const len = ext ? u16(b, o + 2) : u8(b, o + 2);
  attrValue = o + (ext ? 4 : 3);
  attrEnd = attrValue + len;
  return attrEnd > end ? -1 : o;
}

/**
 * Width of the AS numbers in an AS_PATH (2 or 4 bytes), or 0 when the segments fit
 * neither. AS4_PATH is always 4. AS_PATH carries no width of its own: the one whose
 * segments (types 1 to 4, non-empty) tile the attribute exactly wins, 4 when both do.
 */
function asPathWidth(b: Buffer, v: number, end: number, type: number): number {
  if (type === ATTR_AS4_PATH) return segmentsFit(b, v, end, 4) ? 4 : 0;
  if (segmentsFit(b, v, end, 4)) return 4;
  return segmentsFit(b, v, end, 2) ? 2 : 0;
}

function segmentsFit(b: Buffer, o: number, end: number, width: number): boolean {
  while (o < end) {
    if (o + 2 > end) return false;
    const t = u8(b, o);
    const n = u8(b, o + 1);
    if (t < 1 || t > 4 || n === 0) return false;
    o += 2 + n * width;
  }
  return o === end;
}

const isPlainUnicast = (afi: number, safi: number) => (afi === AFI_IPV4 || afi === AFI_IPV6) && (safi === 1 || safi === 2);

/** Start of the NLRI inside an MP_REACH / MP_UNREACH value, or -1 when the value is too short. */
function mpNlriStart(b: Buffer, v: number, end: number, type: number): number {
  if (type === ATTR_MP_UNREACH) return v + 3 <= end ? v + 3 : -1;
  if (v + 4 > end) return -1;
  let o = v + 4 + u8(b, v + 3);
  if (o + 1 > end) return -1;
  let snpas = u8(b, o);
  o++;
  while (snpas-- > 0) {
    if (o + 1 > end) return -1;
    o += 1 + ((u8(b, o) + 1) >> 1);
  }
  return o <= end ? o : -1;
}

/** Make layer i an empty BGP layer carrying anomaly `code` (data that holds no message). */
function emptyLayer(p: PacketView, i: number, code: number): void {
  p.hdrEnd[i] = p.start[i]!;
  p.end[i] = p.start[i]!;
  p.anomaly(i, code);
}

/**
 * Dissect the payload [p.start[i], p.end[i]) of one segment. With a stream (st, slot), a
 * message left incomplete by earlier segments is completed first, and the incomplete tail
 * of this one is kept; `snapped` says the capture holds less than the segment carried.
 */
function decodeSegment(p: PacketView, i: number, st: BgpStreams | null, slot: number, snapped: boolean): void {
  const seg = p.layerBuf[i]!;
  let o = p.start[i]!;
  const e = p.end[i]!;
  let bufHeld = false;
  let kept = false;

  if (st !== null && st.buffered[slot]! > 0) {
    let have = st.buffered[slot]!;
    let sb = st.bufs[slot]!;
    if (have < MARKER) {
      // A partial marker waits for its remaining 0xff bytes; anything else restarts the scan.
      const need = Math.min(MARKER - have, e - o);
      if (!allFF(seg, o, o + need)) have = 0;
    } else if (!allFF(sb, 0, MARKER)) {
      // A message framed by length but without a marker: tshark rescans the reassembled
      // bytes for a marker; here the scan restarts with this segment.
      have = 0;
    }
    st.buffered[slot] = have;
    if (have > 0) {
      if (have < HDR) {
        const take = Math.min(HDR - have, e - o);
        sb = st.ensure(slot, have + take);
        seg.copy(sb, have, o, o + take);
        have += take;
        o += take;
        st.buffered[slot] = have;
        if (have < HDR) {
          p.nLayers = i;
          return;
        }
      }
      const len = u16(sb, MARKER);
      if (len < HDR) {
        st.buffered[slot] = 0;
        emptyLayer(p, i, A_LENGTH);
        return;
      }
      const take = Math.min(len - have, e - o);
      sb = st.ensure(slot, len);
      seg.copy(sb, have, o, o + take);
      have += take;
      o += take;
      st.buffered[slot] = have;
      if (have < len) {
        p.nLayers = i;
        return;
      }
      st.buffered[slot] = 0;
      validate(p, emit(p, i, sb, 0, len));
      bufHeld = true;
      kept = true;
    }
  }

  if (!kept) {
    const m = scanMarker(seg, o, e);
    if (m === e) {
      // Payload on the BGP port with no marker anywhere: shown as BGP with nothing in it.
      emptyLayer(p, i, A_NO_MARKER);
      return;
    }
    o = m;
  }

  while (o < e) {
    const rem = e - o;
    const len = rem >= HDR ? u16(seg, o + MARKER) : 0;
    if (rem >= HDR && len < HDR) {
      // No way to find the next message: the rest of the segment is lost, as in tshark.
      if (st !== null) st.buffered[slot] = 0;
      if (kept) p.anomaly(fillIndex, A_LENGTH);
      else emptyLayer(p, i, A_LENGTH);
      return;
    }
    if (rem < HDR || len > rem) {
      if (snapped) {
        // The rest was not captured: show what there is of a message whose header was.
        if (rem >= HDR) {
          const k = emit(p, i, seg, o, e);
          if (k >= 0) {
            p.truncated(k);
            if (!allFF(seg, o, o + MARKER)) p.anomaly(k, A_MARKER);
          }
          kept = true;
        }
      } else if (st !== null) {
        if (bufHeld) st.swapOut(slot);
        const sb = st.ensure(slot, rem);
        seg.copy(sb, 0, o, e);
        st.buffered[slot] = rem;
      }
      break;
    }
    const k = emit(p, i, seg, o, o + len);
    if (k >= 0) validate(p, k);
    kept = true;
    o += len;
  }
  if (!kept) p.nLayers = i;
}

// ---------------------------------------------------------------------------------------
// Field values (output path): walks that push into a sink, allocation-free.

const typeOf = (p: PacketView, i: number) => (p.end[i]! - p.start[i]! >= HDR ? u8(p.layerBuf[i]!, p.start[i]! + 18) : 0);
/**
 * The type as tshark shows it: a message longer than 4096 bytes gets its marker and
 * length shown and nothing more (tshark 4.0 does not consult the extended message
 * capability). The helpers below read such messages all the same.
 */
const shownType = (p: PacketView, i: number) => (p.end[i]! - p.start[i]! >= HDR && u16(p.layerBuf[i]!, p.start[i]! + 16) <= 4096 ? typeOf(p, i) : 0);

/** A fixed field of one message type, present when it lies inside the message. */
function msgField(name: string, label: string, type: FieldType, msgType: number, at: number, size: 1 | 2 | 4, opts: { base?: 'hex'; names?: Readonly<Record<number, string>> } = {}) {
  return field(
    name,
    label,
    type,
    (p, i, out) => {
      if (shownType(p, i) !== msgType) return;
      const o = p.start[i]! + at;
      if (o + size > p.end[i]!) return;
      const b = p.layerBuf[i]!;
      out.pushNum(size === 1 ? u8(b, o) : size === 2 ? u16(b, o) : u32(b, o));
    },
    { ...opts, ...(opts.base ? { bits: size * 8 } : {}) },
  );
}

// OPEN: capabilities.
const C_PARAM_TYPE = 0;
const C_PARAM_LEN = 1;
const C_TYPE = 2;
const C_LEN = 3;
const C_MP_AFI = 4;
const C_MP_SAFI = 5;
const C_MP_RESERVED = 6;
const C_4AS = 7;
const C_AP_AFI = 8;
const C_AP_SAFI = 9;
const C_AP_SR = 10;
const C_GR_TIMERS = 11;
const C_GR_TIME = 12;
const C_GR_AFI = 13;
const C_GR_SAFI = 14;
const C_GR_FLAG = 15;
const C_ENH_AFI = 16;
const C_ENH_SAFI = 17;
const C_ENH_NHAFI = 18;
const C_UNKNOWN = 19;
const C_FQDN_HOST = 20;
const C_FQDN_DOMAIN = 21;

/** Capabilities tshark 4.0 decodes into fields of their own (the rest show raw bytes). */
const KNOWN_CAPS = new Set([1, 2, 3, 5, 6, 7, 64, 65, 66, 67, 68, 69, 70, 72, 73, 128, 130, 131]);

function walkOpen(p: PacketView, i: number, want: number, out: FieldSink): void {
  if (shownType(p, i) !== BGP_OPEN) return;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  if (s + 29 > e) return;
  optParams(b, s, e);
  const end = Math.min(e, paramsEnd);
  const lenSize = paramsExt ? 2 : 1;
  for (let o = paramsStart; o + 1 + lenSize <= end; ) {
    const ptype = u8(b, o);
    const plen = paramsExt ? u16(b, o + 1) : u8(b, o + 1);
    const v = o + 1 + lenSize;
    const pEnd = v + plen;
    if (want === C_PARAM_TYPE) out.pushNum(ptype);
    else if (want === C_PARAM_LEN) out.pushNum(plen);
    if (pEnd > end) return;
    if (ptype === 2) {
      for (let c = v; c + 2 <= pEnd; ) {
        const code = u8(b, c);
        const clen = u8(b, c + 1);
        const cv = c + 2;
        const cEnd = cv + clen;
        if (cEnd > pEnd) return;
        if (want === C_TYPE) out.pushNum(code);
        else if (want === C_LEN) out.pushNum(clen);
        else capabilityValues(b, code, cv, cEnd, want, out);
        c = cEnd;
      }
    }
    o = pEnd;
  }
}

function capabilityValues(b: Buffer, code: number, v: number, end: number, want: number, out: FieldSink): void {
  const len = end - v;
  switch (code) {
    case 1:
      if (len !== 4) return;
      if (want === C_MP_AFI) out.pushNum(u16(b, v));
      else if (want === C_MP_RESERVED) out.pushBytes(b, v + 2, 1);
      else if (want === C_MP_SAFI) out.pushNum(u8(b, v + 3));
      return;
    case 65:
      if (len === 4 && want === C_4AS) out.pushNum(u32(b, v));
      return;
    case 69:
      for (let o = v; o + 4 <= end; o += 4) {
        if (want === C_AP_AFI) out.pushNum(u16(b, o));
        else if (want === C_AP_SAFI) out.pushNum(u8(b, o + 2));
        else if (want === C_AP_SR) out.pushNum(u8(b, o + 3));
      }
      return;
    case 64:
      if (len < 2) return;
      if (want === C_GR_TIMERS) out.pushNum(u16(b, v));
      else if (want === C_GR_TIME) out.pushNum(u16(b, v) & 0xfff);
      for (let o = v + 2; o + 4 <= end; o += 4) {
        if (want === C_GR_AFI) out.pushNum(u16(b, o));
        else if (want === C_GR_SAFI) out.pushNum(u8(b, o + 2));
        else if (want === C_GR_FLAG) out.pushNum(u8(b, o + 3));
      }
      return;
    case 5:
      for (let o = v; o + 6 <= end; o += 6) {
        if (want === C_ENH_AFI) out.pushNum(u16(b, o));
        else if (want === C_ENH_SAFI) out.pushNum(u16(b, o + 2));
        else if (want === C_ENH_NHAFI) out.pushNum(u16(b, o + 4));
      }
      return;
    case 73: {
      // Hostname capability: host name length and text, domain name length and text.
      if (len < 1) return;
      const hl = u8(b, v);
      if (v + 1 + hl > end) return;
      if (want === C_FQDN_HOST) out.pushStr(b.toString('latin1', v + 1, v + 1 + hl));
      const d = v + 1 + hl;
      if (d + 1 > end || d + 1 + u8(b, d) > end) return;
      if (want === C_FQDN_DOMAIN) out.pushStr(b.toString('latin1', d + 1, d + 1 + u8(b, d)));
      return;
    }
    default:
      if (!KNOWN_CAPS.has(code) && len > 0 && want === C_UNKNOWN) out.pushBytes(b, v, len);
  }
}

function openField(name: string, label: string, type: FieldType, want: number, base?: 'hex', bits?: number) {
  return field(name, label, type, (p, i, out) => walkOpen(p, i, want, out), base ? { base, bits: bits ?? 8 } : {});
}

// UPDATE.
const U_WITHDRAWN_LEN = 0;
const U_WITHDRAWN = 1;
const U_PREFIX_LEN = 2;
const U_ATTRS_LEN = 3;
const U_FLAGS = 4;
const U_F_OPTIONAL = 5;
const U_F_TRANSITIVE = 6;
const U_F_PARTIAL = 7;
const U_F_EXTENDED = 8;
const U_F_UNUSED = 9;
const U_TYPE = 10;
const U_LENGTH = 11;
const U_ORIGIN = 12;
const U_SEG_TYPE = 13;
const U_SEG_LEN = 14;
const U_AS2 = 15;
const U_AS4 = 16;
const U_NEXT_HOP = 17;
const U_MED = 18;
const U_LOCAL_PREF = 19;
const U_AGG_AS = 20;
const U_AGG_ORIGIN = 21;
const U_COMM_AS = 22;
const U_COMM_VALUE = 23;
const U_COMM_WELLKNOWN = 24;
const U_ORIGINATOR = 25;
const U_CLUSTER = 26;
const U_MP_AFI = 27;
const U_MP_SAFI = 28;
const U_MP_NH = 29;
const U_MP_NH_V4 = 30;
const U_MP_NH_V6 = 31;
const U_MP_NH_LL = 32;
const U_MP_SNPA = 33;
const U_MP_V4 = 34;
const U_MP_V6 = 35;
const U_MPU_AFI = 36;
const U_MPU_SAFI = 37;
const U_MPU_V4 = 38;
const U_MPU_V6 = 39;
const U_NLRI = 40;
const U_LC_GA = 41;
const U_LC_LDP1 = 42;
const U_LC_LDP2 = 43;
const U_PATH_ID = 44;
const U_CLUSTER_LIST = 45;

/** Zero-padded copies of IPv6 prefixes: values point into it, and it is never overwritten. */
let padArena = Buffer.alloc(0);
let padUsed = 0;

function pushIpv6Prefix(b: Buffer, o: number, n: number, bits: number, out: FieldSink): void {
  if (padUsed + 16 > padArena.length) {
    padArena = Buffer.alloc(65536);
    padUsed = 0;
  }
  const at = padUsed;
  padArena.fill(0, at, at + 16);
  b.copy(padArena, at, o, o + n);
  if (bits & 7 && n > 0) padArena[at + n - 1] = padArena[at + n - 1]! & (0xff << (8 - (bits & 7)));
  padUsed += 16;
  out.pushBytes(padArena, at, 16);
}

/** An IPv4 prefix of `bits` bits stored in n bytes at o, host bits cleared, as a uint32. */
function ipv4Prefix(b: Buffer, o: number, n: number, bits: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) v = v * 256 + (k < n ? u8(b, o + k) : 0);
  if (bits < 32) v -= v % 2 ** (32 - bits);
  return v;
}

/**
 * Push the prefixes of [o, end); `wantPrefix` selects the address field, U_PREFIX_LEN the
 * lengths. False when a prefix is malformed (the walk stops there).
 */
function walkPrefixes(b: Buffer, o: number, end: number, v6: boolean, wantPrefix: number, want: number, out: FieldSink): boolean {
  const max = v6 ? 128 : 32;
  const skip = tsharkPathIds(b, o, end, max) ? 4 : 0;
  while (o + skip < end) {
    const bits = u8(b, o + skip);
    if (bits > max) return false;
    const n = (bits + 7) >> 3;
    const a = o + skip + 1;
    if (a + n > end) return false;
    if (want === U_PREFIX_LEN) out.pushNum(bits);
    else if (want === U_PATH_ID && skip) out.pushNum(u32(b, o));
    else if (want === wantPrefix) {
      if (v6) pushIpv6Prefix(b, a, n, bits, out);
      else out.pushNum(ipv4Prefix(b, a, n, bits));
    }
    o = a + n;
  }
  return o === end;
}

function walkUpdate(p: PacketView, i: number, want: number, out: FieldSink): void {
  if (shownType(p, i) !== BGP_UPDATE) return;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  const body = s + HDR;
  if (body + 2 > e) return;
  const wlen = u16(b, body);
  if (want === U_WITHDRAWN_LEN) return out.pushNum(wlen);
  const wEnd = body + 2 + wlen;
  if (wEnd > e) return;
  // tshark gives up on the message at a malformed withdrawn route.
  if (!walkPrefixes(b, body + 2, wEnd, false, U_WITHDRAWN, want, out)) return;
  if (wEnd + 2 > e) return;
  if (want === U_ATTRS_LEN) return out.pushNum(u16(b, wEnd));
  const aEnd = wEnd + 2 + u16(b, wEnd);
  const limit = Math.min(aEnd, e);
  for (let o = wEnd + 2; o + 3 <= limit; ) {
    const flags = u8(b, o);
    const type = u8(b, o + 1);
    switch (want) {
      case U_FLAGS:
        out.pushNum(flags);
        break;
      case U_F_OPTIONAL:
        out.pushNum(flags & 0x80 ? 1 : 0);
        break;
      case U_F_TRANSITIVE:
        out.pushNum(flags & 0x40 ? 1 : 0);
        break;
      case U_F_PARTIAL:
        out.pushNum(flags & 0x20 ? 1 : 0);
        break;
      case U_F_EXTENDED:
        out.pushNum(flags & 0x10 ? 1 : 0);
        break;
      case U_F_UNUSED:
        out.pushNum(flags & 0x0f);
        break;
      case U_TYPE:
        out.pushNum(type);
        break;
    }
    if (attrAt(b, o, limit) < 0) {
      if (want === U_LENGTH && o + 3 + (flags & 0x10 ? 1 : 0) <= limit) out.pushNum(flags & 0x10 ? u16(b, o + 2) : u8(b, o + 2));
      return;
    }
    const v = attrValue;
    const vEnd = attrEnd;
    if (want === U_LENGTH) out.pushNum(vEnd - v);
    else attributeValues(b, type, v, vEnd, want, out);
    // An AS path that fits no AS number width ends tshark's dissection of the message.
    if ((type === ATTR_AS_PATH || type === ATTR_AS4_PATH) && vEnd > v && asPathWidth(b, v, vEnd, type) === 0) return;
    o = vEnd;
  }
  if (aEnd > e) return;
  walkPrefixes(b, aEnd, e, false, U_NLRI, want, out);
}

function attributeValues(b: Buffer, type: number, v: number, end: number, want: number, out: FieldSink): void {
  const len = end - v;
  switch (type) {
    case ATTR_ORIGIN:
      if (want === U_ORIGIN && len === 1) out.pushNum(u8(b, v));
      return;
    case ATTR_AS_PATH:
    case ATTR_AS4_PATH: {
      if (want < U_SEG_TYPE || want > U_AS4) return;
      const width = asPathWidth(b, v, end, type);
      if (width === 0) return;
      for (let o = v; o + 2 <= end; ) {
        const n = u8(b, o + 1);
        if (want === U_SEG_TYPE) out.pushNum(u8(b, o));
        else if (want === U_SEG_LEN) out.pushNum(n);
        else if (want === (width === 2 ? U_AS2 : U_AS4)) {
          for (let k = 0; k < n; k++) out.pushNum(width === 2 ? u16(b, o + 2 + 2 * k) : u32(b, o + 2 + 4 * k));
        }
        o += 2 + n * width;
      }
      return;
    }
    case ATTR_NEXT_HOP:
      if (want === U_NEXT_HOP && len === 4) out.pushNum(u32(b, v));
      return;
    case ATTR_MED:
      if (want === U_MED && len === 4) out.pushNum(u32(b, v));
      return;
    case ATTR_LOCAL_PREF:
      if (want === U_LOCAL_PREF && len === 4) out.pushNum(u32(b, v));
      return;
    case ATTR_AGGREGATOR:
    case ATTR_AS4_AGGREGATOR: {
      const asLen = type === ATTR_AS4_AGGREGATOR || len === 8 ? 4 : 2;
      if (len !== asLen + 4) return;
      if (want === U_AGG_AS) out.pushNum(asLen === 4 ? u32(b, v) : u16(b, v));
      else if (want === U_AGG_ORIGIN) out.pushNum(u32(b, v + asLen));
      return;
    }
    case ATTR_COMMUNITIES:
      if (len % 4 !== 0) return;
      for (let o = v; o < end; o += 4) {
        const hi = u16(b, o);
        // The reserved range 0xffff0000-0xffffffff holds the well-known communities.
        if (hi === 0xffff) {
          if (want === U_COMM_WELLKNOWN) out.pushNum(u32(b, o));
        } else if (want === U_COMM_AS) out.pushNum(hi);
        else if (want === U_COMM_VALUE) out.pushNum(u16(b, o + 2));
      }
      return;
    case ATTR_ORIGINATOR_ID:
      if (want === U_ORIGINATOR && len === 4) out.pushNum(u32(b, v));
      return;
    case ATTR_CLUSTER_LIST:
      // tshark shows no list at all when the length is not a whole number of IDs.
      if (len % 4 !== 0) return;
      if (want === U_CLUSTER_LIST) out.pushNum(1);
      else if (want === U_CLUSTER) for (let o = v; o < end; o += 4) out.pushNum(u32(b, o));
      return;
    case ATTR_LARGE_COMMUNITY:
      if (len % 12 !== 0) return;
      for (let o = v; o < end; o += 12) {
        if (want === U_LC_GA) out.pushNum(u32(b, o));
        else if (want === U_LC_LDP1) out.pushNum(u32(b, o + 4));
        else if (want === U_LC_LDP2) out.pushNum(u32(b, o + 8));
      }
      return;
    case ATTR_MP_REACH:
      return mpReach(b, v, end, want, out);
    case ATTR_MP_UNREACH: {
      if (len < 3) return;
      const afi = u16(b, v);
      const safi = u8(b, v + 2);
      if (want === U_MPU_AFI) out.pushNum(afi);
      else if (want === U_MPU_SAFI) out.pushNum(safi);
      else if (isPlainUnicast(afi, safi)) walkPrefixes(b, v + 3, end, afi === AFI_IPV6, afi === AFI_IPV6 ? U_MPU_V6 : U_MPU_V4, want, out);
      return;
    }
  }
}

function mpReach(b: Buffer, v: number, end: number, want: number, out: FieldSink): void {
  if (v + 4 > end) return;
  const afi = u16(b, v);
  const safi = u8(b, v + 2);
  if (want === U_MP_AFI) return out.pushNum(afi);
  if (want === U_MP_SAFI) return out.pushNum(safi);
  const nhLen = u8(b, v + 3);
  const nh = v + 4;
  if (nh + nhLen > end) return;
  // tshark's next hop bytes include the length octet before them.
  if (want === U_MP_NH) return out.pushBytes(b, v + 3, nhLen + 1);
  if (afi === AFI_IPV4 && nhLen === 4 && want === U_MP_NH_V4) return out.pushNum(u32(b, nh));
  if (afi === AFI_IPV6 && (nhLen === 16 || nhLen === 32)) {
    if (want === U_MP_NH_V6) return out.pushBytes(b, nh, 16);
    if (want === U_MP_NH_LL && nhLen === 32) return out.pushBytes(b, nh + 16, 16);
  }
  const nlri = mpNlriStart(b, v, end, ATTR_MP_REACH);
  if (nlri < 0) return;
  if (want === U_MP_SNPA) return out.pushNum(u8(b, nh + nhLen));
  if (isPlainUnicast(afi, safi)) walkPrefixes(b, nlri, end, afi === AFI_IPV6, afi === AFI_IPV6 ? U_MP_V6 : U_MP_V4, want, out);
}

function updateField(name: string, label: string, type: FieldType, want: number, base?: 'hex', bits?: number) {
  return field(name, label, type, (p, i, out) => walkUpdate(p, i, want, out), base ? { base, bits: bits ?? 8 } : {});
}

// NOTIFICATION.
const MINOR_FIELDS: readonly string[] = [
  'bgp.notify.minor_error_unknown',
  'bgp.notify.minor_error',
  'bgp.notify.minor_error_open',
  'bgp.notify.minor_error_update',
  'bgp.notify.minor_error_expired',
  'bgp.notify.minor_error_state',
  'bgp.notify.minor_error_cease',
  'bgp.notify.minor_error_capability',
];

/** The subcode field tshark uses for an error code (7 is its "Capability Message" slot). */
const minorSlot = (major: number) => (major >= 1 && major <= 7 ? major : 0);

/**
 * The NOTIFICATION's data as tshark splits it: 'comm' (a shutdown communication: Cease
 * subcode 2 or 4 with a length byte matching the rest), 'peer_as' (OPEN error 2 with a
 * 2- or 4-byte AS), 'caps' (unsupported capabilities), or 'data'; '' when there is none.
 */
function notifyDataKind(b: Buffer, s: number, e: number): '' | 'comm' | 'peer_as' | 'caps' | 'data' {
  if (e - s <= 21) return '';
  const major = u8(b, s + 19);
  const minor = u8(b, s + 20);
  if (major === 6 && (minor === 2 || minor === 4) && u8(b, s + 21) === e - s - 22) return 'comm';
  if (major === 2 && minor === 7) return 'caps';
  if (major === 2 && minor === 2) return e - s === 23 || e - s === 25 ? 'peer_as' : '';
  return 'data';
}

function notifyField(name: string, label: string, type: FieldType, get: (b: Buffer, s: number, e: number, out: FieldSink) => void) {
  return field(name, label, type, (p, i, out) => {
    if (shownType(p, i) !== BGP_NOTIFICATION || p.end[i]! - p.start[i]! < 21) return;
    get(p.layerBuf[i]!, p.start[i]!, p.end[i]!, out);
  });
}

/** UTF-8 text of a shutdown communication (RFC 9003); the output layer escapes it. */
function communication(b: Buffer, s: number, e: number): string {
  return b.toString('utf8', s + 22, e);
}

export const bgp: ProtocolModule = {
  dispatch: [['tcp.port', 179]],
  anomalies: {
    marker_bad: ['warning', 'BGP marker is not all ones'],
    length_bad: ['error', 'BGP message length below 19: the rest of the TCP stream cannot be framed'],
    length_long: ['note', 'BGP message longer than 4096 bytes (valid only with the extended message capability)'],
    type_bad: ['warning', 'Unknown BGP message type'],
    length_type_bad: ['error', 'BGP message length wrong for its type'],
    no_marker: ['warning', 'TCP payload on the BGP port holds no BGP marker'],
    stream_gap: ['warning', 'Bytes missing from the TCP stream: a partly received BGP message was dropped'],
    too_many_messages: ['note', 'More BGP messages in one segment than the decoder shows'],
    open_bad: ['error', 'BGP OPEN optional parameters or capabilities run past their container'],
    update_bad: ['error', 'BGP UPDATE lengths (withdrawn routes, path attributes) run past the message'],
    prefix_bad: ['error', 'BGP prefix length invalid or prefix runs past its field'],
    as_path_bad: ['error', 'BGP AS_PATH segments do not fit the attribute'],
    notification_data_bad: ['warning', 'BGP NOTIFICATION data malformed: shutdown communication length wrong, or Hard Reset without the error it stands for'],
  },
  dissector: {
    name: 'bgp',
    label: 'BGP',
    fields: [
      field('bgp.marker', 'Marker', 'bytes', (p, i, out) => {
        if (p.end[i]! - p.start[i]! >= HDR) out.pushBytes(p.layerBuf[i]!, p.start[i]!, MARKER);
      }),
      field('bgp.length', 'Length', 'uint', (p, i, out) => {
        if (p.end[i]! - p.start[i]! >= HDR) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 16));
      }),
      field(
        'bgp.type',
        'Type',
        'uint',
        (p, i, out) => {
          if (p.end[i]! - p.start[i]! >= HDR && u16(p.layerBuf[i]!, p.start[i]! + 16) <= 4096) out.pushNum(typeOf(p, i));
        },
        { names: BGP_MESSAGE_TYPES },
      ),
      msgField('bgp.open.version', 'Version', 'uint', BGP_OPEN, 19, 1),
      msgField('bgp.open.myas', 'My AS', 'uint', BGP_OPEN, 20, 2),
      msgField('bgp.open.holdtime', 'Hold Time', 'uint', BGP_OPEN, 22, 2),
      msgField('bgp.open.identifier', 'BGP Identifier', 'ipv4', BGP_OPEN, 24, 4),
      msgField('bgp.open.opt.len', 'Optional Parameters Length', 'uint', BGP_OPEN, 28, 1),
      openField('bgp.open.opt.param.type', 'Parameter Type', 'uint', C_PARAM_TYPE),
      openField('bgp.open.opt.param.len', 'Parameter Length', 'uint', C_PARAM_LEN),
      field('bgp.cap.type', 'Type', 'uint', (p, i, out) => walkOpen(p, i, C_TYPE, out), { names: BGP_CAPABILITY_NAMES }),
      openField('bgp.cap.length', 'Length', 'uint', C_LEN),
      openField('bgp.cap.mp.afi', 'AFI', 'uint', C_MP_AFI),
      openField('bgp.cap.reserved', 'Reserved', 'bytes', C_MP_RESERVED),
      openField('bgp.cap.mp.safi', 'SAFI', 'uint', C_MP_SAFI),
      openField('bgp.cap.4as', 'AS Number', 'uint', C_4AS),
      openField('bgp.cap.ap.afi', 'AFI', 'uint', C_AP_AFI),
      openField('bgp.cap.ap.safi', 'SAFI', 'uint', C_AP_SAFI),
      openField('bgp.cap.ap.sendreceive', 'Send/Receive', 'uint', C_AP_SR),
      openField('bgp.cap.gr.timers', 'Restart Timers', 'uint', C_GR_TIMERS, 'hex', 16),
      openField('bgp.cap.gr.timers.restart_time', 'Time', 'uint', C_GR_TIME),
      openField('bgp.cap.gr.afi', 'AFI', 'uint', C_GR_AFI),
      openField('bgp.cap.gr.safi', 'SAFI', 'uint', C_GR_SAFI),
      openField('bgp.cap.gr.flag', 'Flag', 'uint', C_GR_FLAG, 'hex', 8),
      openField('bgp.cap.enh.afi', 'AFI', 'uint', C_ENH_AFI),
      openField('bgp.cap.enh.safi', 'SAFI', 'uint', C_ENH_SAFI),
      openField('bgp.cap.enh.nhafi', 'Next hop AFI', 'uint', C_ENH_NHAFI),
      openField('bgp.cap.orf.fqdn.hostname', 'Hostname', 'string', C_FQDN_HOST),
      openField('bgp.cap.orf.fqdn.domain_name', 'Domain Name', 'string', C_FQDN_DOMAIN),
      openField('bgp.cap.unknown', 'Unknown', 'bytes', C_UNKNOWN),
      updateField('bgp.update.withdrawn_routes.length', 'Withdrawn Routes Length', 'uint', U_WITHDRAWN_LEN),
      updateField('bgp.withdrawn_prefix', 'Withdrawn prefix', 'ipv4', U_WITHDRAWN),
      updateField('bgp.prefix_length', 'Prefix Length', 'uint', U_PREFIX_LEN),
      updateField('bgp.update.path_attributes.length', 'Total Path Attribute Length', 'uint', U_ATTRS_LEN),
      updateField('bgp.update.path_attribute.flags', 'Flags', 'uint', U_FLAGS, 'hex', 8),
      updateField('bgp.update.path_attribute.flags.optional', 'Optional', 'bool', U_F_OPTIONAL),
      updateField('bgp.update.path_attribute.flags.transitive', 'Transitive', 'bool', U_F_TRANSITIVE),
      updateField('bgp.update.path_attribute.flags.partial', 'Partial', 'bool', U_F_PARTIAL),
      updateField('bgp.update.path_attribute.flags.extended_length', 'Extended-Length', 'bool', U_F_EXTENDED),
      updateField('bgp.update.path_attribute.flags.unused', 'Unused', 'uint', U_F_UNUSED, 'hex', 8),
      field('bgp.update.path_attribute.type_code', 'Type Code', 'uint', (p, i, out) => walkUpdate(p, i, U_TYPE, out), { names: BGP_ATTRIBUTE_NAMES }),
      updateField('bgp.update.path_attribute.length', 'Length', 'uint', U_LENGTH),
      field('bgp.update.path_attribute.origin', 'Origin', 'uint', (p, i, out) => walkUpdate(p, i, U_ORIGIN, out), { names: { 0: 'IGP', 1: 'EGP', 2: 'INCOMPLETE' } }),
      updateField('bgp.update.path_attribute.as_path_segment.type', 'Segment type', 'uint', U_SEG_TYPE),
      updateField('bgp.update.path_attribute.as_path_segment.length', 'Segment length (number of ASN)', 'uint', U_SEG_LEN),
      updateField('bgp.update.path_attribute.as_path_segment.as2', 'AS2', 'uint', U_AS2),
      updateField('bgp.update.path_attribute.as_path_segment.as4', 'AS4', 'uint', U_AS4),
      updateField('bgp.update.path_attribute.next_hop', 'Next hop', 'ipv4', U_NEXT_HOP),
      updateField('bgp.update.path_attribute.multi_exit_disc', 'Multiple exit discriminator', 'uint', U_MED),
      updateField('bgp.update.path_attribute.local_pref', 'Local preference', 'uint', U_LOCAL_PREF),
      updateField('bgp.update.path_attribute.aggregator_as', 'Aggregator AS', 'uint', U_AGG_AS),
      updateField('bgp.update.path_attribute.aggregator_origin', 'Aggregator origin', 'ipv4', U_AGG_ORIGIN),
      updateField('bgp.update.path_attribute.community_as', 'Community AS', 'uint', U_COMM_AS),
      updateField('bgp.update.path_attribute.community_value', 'Community value', 'uint', U_COMM_VALUE),
      updateField('bgp.update.path_attribute.community_wellknown', 'Community Well-known', 'uint', U_COMM_WELLKNOWN, 'hex', 32),
      updateField('bgp.large_communities.ga', 'Global Administrator', 'uint', U_LC_GA),
      updateField('bgp.large_communities.ldp1', 'Local Data Part 1', 'uint', U_LC_LDP1),
      updateField('bgp.large_communities.ldp2', 'Local Data Part 2', 'uint', U_LC_LDP2),
      updateField('bgp.update.path_attribute.originator_id', 'Originator identifier', 'ipv4', U_ORIGINATOR),
      updateField('bgp.path_attribute.cluster_list', 'Cluster List', 'none', U_CLUSTER_LIST),
      updateField('bgp.path_attribute.cluster_id', 'Cluster ID', 'ipv4', U_CLUSTER),
      updateField('bgp.update.path_attribute.mp_reach_nlri.afi', 'Address family identifier (AFI)', 'uint', U_MP_AFI),
      updateField('bgp.update.path_attribute.mp_reach_nlri.safi', 'Subsequent address family identifier (SAFI)', 'uint', U_MP_SAFI),
      updateField('bgp.update.path_attribute.mp_reach_nlri.next_hop', 'Next hop', 'bytes', U_MP_NH),
      updateField('bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4', 'IPv4 Address', 'ipv4', U_MP_NH_V4),
      updateField('bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6', 'IPv6 Address', 'ipv6', U_MP_NH_V6),
      updateField('bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6.link_local', 'Link-local Address', 'ipv6', U_MP_NH_LL),
      updateField('bgp.update.path_attribute.mp_reach_nlri.nbr_snpa', 'Number of Subnetwork points of attachment (SNPA)', 'uint', U_MP_SNPA),
      updateField('bgp.mp_reach_nlri_ipv4_prefix', 'MP Reach NLRI IPv4 prefix', 'ipv4', U_MP_V4),
      updateField('bgp.mp_reach_nlri_ipv6_prefix', 'MP Reach NLRI IPv6 prefix', 'ipv6', U_MP_V6),
      updateField('bgp.update.path_attribute.mp_unreach_nlri.afi', 'Address family identifier (AFI)', 'uint', U_MPU_AFI),
      updateField('bgp.update.path_attribute.mp_unreach_nlri.safi', 'Subsequent address family identifier (SAFI)', 'uint', U_MPU_SAFI),
      updateField('bgp.mp_unreach_nlri_ipv4_prefix', 'MP Unreach NLRI IPv4 prefix', 'ipv4', U_MPU_V4),
      updateField('bgp.mp_unreach_nlri_ipv6_prefix', 'MP Unreach NLRI IPv6 prefix', 'ipv6', U_MPU_V6),
      updateField('bgp.nlri_prefix', 'NLRI prefix', 'ipv4', U_NLRI),
      updateField('bgp.nlri_path_id', 'NLRI path id', 'uint', U_PATH_ID),
      notifyField('bgp.notify.major_error', 'Major error Code', 'uint', (b, s, _e, out) => out.pushNum(u8(b, s + 19))),
      ...MINOR_FIELDS.map((name, slot) =>
        notifyField(name, 'Minor error Code', 'uint', (b, s, _e, out) => {
          if (minorSlot(u8(b, s + 19)) === slot) out.pushNum(u8(b, s + 20));
        }),
      ),
      notifyField('bgp.notify.communication_length', 'BGP Shutdown Communication Length', 'uint', (b, s, e, out) => {
        if (notifyDataKind(b, s, e) === 'comm') out.pushNum(u8(b, s + 21));
      }),
      notifyField('bgp.notify.communication', 'Shutdown Communication', 'string', (b, s, e, out) => {
        if (notifyDataKind(b, s, e) === 'comm') out.pushStr(communication(b, s, e));
      }),
      notifyField('bgp.notify.error_open.bad_peer_as', 'Bad Peer AS', 'uint', (b, s, e, out) => {
        if (notifyDataKind(b, s, e) === 'peer_as') out.pushNum(e - s === 23 ? u16(b, s + 21) : u32(b, s + 21));
      }),
      notifyField('bgp.notify.minor_data', 'Data', 'bytes', (b, s, e, out) => {
        if (notifyDataKind(b, s, e) === 'data') out.pushBytes(b, s + 21, e - s - 21);
      }),
      msgField('bgp.route_refresh.afi', 'Address family identifier (AFI)', 'uint', BGP_ROUTE_REFRESH, 19, 2),
      msgField('bgp.route_refresh.subtype', 'Subtype', 'uint', BGP_ROUTE_REFRESH, 21, 1),
      msgField('bgp.route_refresh.safi', 'Subsequent address family identifier (SAFI)', 'uint', BGP_ROUTE_REFRESH, 22, 1),
    ],
    createState() {
      return new BgpStreams();
    },
    init(reg: Registry) {
      TCP = reg.id('tcp');
      IP = reg.has('ip') ? reg.id('ip') : -1;
      IPV6 = reg.has('ipv6') ? reg.id('ipv6') : -1;
      BGP = reg.id('bgp');
      A_MARKER = reg.anomaly('bgp.marker_bad');
      A_LENGTH = reg.anomaly('bgp.length_bad');
      A_LONG = reg.anomaly('bgp.length_long');
      A_TYPE = reg.anomaly('bgp.type_bad');
      A_TYPE_LENGTH = reg.anomaly('bgp.length_type_bad');
      A_NO_MARKER = reg.anomaly('bgp.no_marker');
      A_GAP = reg.anomaly('bgp.stream_gap');
      A_TOO_MANY = reg.anomaly('bgp.too_many_messages');
      A_OPEN = reg.anomaly('bgp.open_bad');
      A_UPDATE = reg.anomaly('bgp.update_bad');
      A_PREFIX = reg.anomaly('bgp.prefix_bad');
      A_AS_PATH = reg.anomaly('bgp.as_path_bad');
      A_NOTIFY = reg.anomaly('bgp.notification_data_bad');
    },
    decode(p, i) {
      firstFilled = false;
      layersFull = false;
      fillIndex = i;
      p.hdrEnd[i] = p.start[i]!;
      const t = i - 1;
      const got = p.end[i]! - p.start[i]!;
      const wire = t >= 0 && p.proto[t] === TCP ? tcpPayloadLength(p, t) : got;
      const st = p.state[BGP] as BgpStreams | undefined;
      if (st === undefined || !streamKey(p, i, st.key)) {
        decodeSegment(p, i, null, -1, got < wire);
        return;
      }
      const seq = tcpSeq(p, t);
      const slot = st.lookup();
      if (!st.created) {
        const diff = (seq - st.nextSeq[slot]!) | 0;
        if (diff < -SEQ_WINDOW || diff > SEQ_WINDOW) {
          if (seq !== st.altSeq[slot]) {
            // Far from where the stream is: dissected on its own, the stream left as it was.
            st.altSeq[slot] = (seq + wire) >>> 0;
            decodeSegment(p, i, null, -1, got < wire);
            return;
          }
          // Two consecutive far segments: the stream really moved on (a long capture loss).
          if (st.buffered[slot]! > 0) p.anomaly(t, A_GAP);
          st.buffered[slot] = 0;
        } else if (diff < 0) {
          if (diff + wire <= 0) {
            // All of it was seen before: a retransmission shows no BGP, as in tshark.
            p.nLayers = i;
            return;
          }
          // Overlap: only the new bytes continue the stream.
          if (-diff >= got) {
            st.nextSeq[slot] = (seq + wire) >>> 0;
            p.nLayers = i;
            return;
          }
          p.start[i] = p.start[i]! - diff;
        } else if (diff > 0) {
          if (st.buffered[slot]! > 0) p.anomaly(t, A_GAP);
          st.buffered[slot] = 0;
        }
      }
      st.altSeq[slot] = -1;
      st.nextSeq[slot] = (seq + wire) >>> 0;
      decodeSegment(p, i, st, slot, got < wire);
      // Bytes that were not captured break the stream: start afresh with the next segment.
      if (got < wire) st.buffered[slot] = 0;
    },
    summary(p, i) {
      const type = typeOf(p, i);
      if (type === 0) return 'BGP';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      const name = BGP_MESSAGE_TYPES[type] ?? `type ${type}`;
      if (type === BGP_OPEN) {
        const o = openInfo(p, i);
        return o ? `BGP OPEN AS ${o.as4 >= 0 ? o.as4 : o.myAs} hold ${o.holdTime}s id ${ipv4String(o.identifier)}` : 'BGP OPEN';
      }
      if (type === BGP_NOTIFICATION) {
        const n = notificationInfo(p, i);
        return n ? `BGP NOTIFICATION ${n.codeName}${n.subcodeName ? ' / ' + n.subcodeName : ''}` : 'BGP NOTIFICATION';
      }
      if (type === BGP_UPDATE) {
        let ann = 0;
        let wd = 0;
        forEachNlri(p, i, () => void ann++);
        forEachWithdrawn(p, i, () => void wd++);
        return `BGP UPDATE ${ann} announced, ${wd} withdrawn`;
      }
      return `BGP ${name} len=${e - s}${b === p.buf ? '' : ' (reassembled)'}`;
    },
  },
};

// ---------------------------------------------------------------------------------------
// Helpers for analyzers: plain values, read on demand from a decoded BGP layer.

/** Message type of BGP layer i (1..5), or 0 for a layer holding no message. */
export function bgpMessageType(p: PacketView, i: number): number {
  return typeOf(p, i);
}

export interface BgpOpenInfo {
  version: number;
  /** The 2-byte My AS field (23456 when the real AS needs 4 bytes). */
  myAs: number;
  holdTime: number;
  /** BGP identifier as a uint32 (format with ipv4String). */
  identifier: number;
  /** The 4-octet AS capability's AS, or -1. */
  as4: number;
  /** Capability codes in order of appearance. */
  capabilities: number[];
  /** Multiprotocol capability AFI/SAFI pairs. */
  multiprotocol: Array<{ afi: number; safi: number }>;
  /** ADD-PATH capability entries (send/receive: 1 receive, 2 send, 3 both). */
  addPath: Array<{ afi: number; safi: number; sendReceive: number }>;
  routeRefresh: boolean;
  extendedMessage: boolean;
  gracefulRestartTime: number;
}

/** The OPEN message's parameters and capabilities, or null when layer i is not a whole OPEN. */
export function openInfo(p: PacketView, i: number): BgpOpenInfo | null {
  if (typeOf(p, i) !== BGP_OPEN) return null;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  if (s + 29 > e) return null;
  const info: BgpOpenInfo = {
    version: u8(b, s + 19),
    myAs: u16(b, s + 20),
    holdTime: u16(b, s + 22),
    identifier: u32(b, s + 24),
    as4: -1,
    capabilities: [],
    multiprotocol: [],
    addPath: [],
    routeRefresh: false,
    extendedMessage: false,
    gracefulRestartTime: -1,
  };
  optParams(b, s, e);
  const end = Math.min(e, paramsEnd);
  const lenSize = paramsExt ? 2 : 1;
  for (let o = paramsStart; o + 1 + lenSize <= end; ) {
    const v0 = o + 1 + lenSize;
    const pEnd = v0 + (paramsExt ? u16(b, o + 1) : u8(b, o + 1));
    if (pEnd > end) break;
    if (u8(b, o) === 2) {
      for (let c = v0; c + 2 <= pEnd; ) {
        const code = u8(b, c);
        const v = c + 2;
        const cEnd = v + u8(b, c + 1);
        if (cEnd > pEnd) break;
        info.capabilities.push(code);
        if (code === 1 && cEnd - v === 4) info.multiprotocol.push({ afi: u16(b, v), safi: u8(b, v + 3) });
        else if (code === 65 && cEnd - v === 4) info.as4 = u32(b, v);
        else if (code === 2 || code === 128) info.routeRefresh = true;
        else if (code === 6) info.extendedMessage = true;
        else if (code === 64 && cEnd - v >= 2) info.gracefulRestartTime = u16(b, v) & 0xfff;
        else if (code === 69) for (let a = v; a + 4 <= cEnd; a += 4) info.addPath.push({ afi: u16(b, a), safi: u8(b, a + 2), sendReceive: u8(b, a + 3) });
        c = cEnd;
      }
    }
    o = pEnd;
  }
  return info;
}

export interface BgpNotificationInfo {
  code: number;
  subcode: number;
  codeName: string;
  /** '' when the code has no such subcode. */
  subcodeName: string;
  /** Shutdown communication (Cease / Administrative Shutdown or Reset), or null. */
  communication: string | null;
}

/** The NOTIFICATION's error, or null when layer i is not a NOTIFICATION. */
export function notificationInfo(p: PacketView, i: number): BgpNotificationInfo | null {
  if (typeOf(p, i) !== BGP_NOTIFICATION) return null;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  if (e - s < 21) return null;
  const code = u8(b, s + 19);
  const subcode = u8(b, s + 20);
  return {
    code,
    subcode,
    codeName: BGP_ERROR_NAMES[code] ?? `Unknown error ${code}`,
    subcodeName: BGP_SUBCODE_NAMES[code]?.[subcode] ?? '',
    communication: notifyDataKind(b, s, e) === 'comm' ? communication(b, s, e) : null,
  };
}

/** Called per prefix: AFI (1 IPv4, 2 IPv6), SAFI, address text, prefix length. */
export type BgpPrefixCallback = (afi: number, safi: number, address: string, length: number) => void;

function eachPrefix(b: Buffer, o: number, end: number, afi: number, safi: number, cb: BgpPrefixCallback): void {
  const v6 = afi === AFI_IPV6;
  const max = v6 ? 128 : 32;
  const skip = hasPathIds(b, o, end, max) ? 4 : 0;
  const scratch = Buffer.alloc(16);
  while (o + skip < end) {
    const bits = u8(b, o + skip);
    if (bits > max) return;
    const n = (bits + 7) >> 3;
    const a = o + skip + 1;
    if (a + n > end) return;
    if (v6) {
      scratch.fill(0);
      b.copy(scratch, 0, a, a + n);
      if (bits & 7) scratch[n - 1] = scratch[n - 1]! & (0xff << (8 - (bits & 7)));
      cb(afi, safi, ipv6String(scratch, 0), bits);
    } else cb(afi, safi, ipv4String(ipv4Prefix(b, a, n, bits)), bits);
    o = a + n;
  }
}

/** Visit the UPDATE's path attributes: type code and value bounds. */
function eachAttribute(p: PacketView, i: number, cb: (type: number, v: number, end: number) => void): { wEnd: number; aEnd: number } | null {
  if (typeOf(p, i) !== BGP_UPDATE) return null;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  const e = p.end[i]!;
  const body = s + HDR;
  if (body + 2 > e) return null;
  const wEnd = body + 2 + u16(b, body);
  if (wEnd + 2 > e) return null;
  const aEnd = wEnd + 2 + u16(b, wEnd);
  if (aEnd > e) return { wEnd, aEnd: -1 };
  for (let o = wEnd + 2; o < aEnd; ) {
    if (attrAt(b, o, aEnd) < 0) break;
    const v = attrValue;
    const vEnd = attrEnd;
    cb(u8(b, o + 1), v, vEnd);
    o = vEnd;
  }
  return { wEnd, aEnd };
}

/** Every prefix an UPDATE announces: its IPv4 NLRI and MP_REACH_NLRI unicast/multicast prefixes. */
export function forEachNlri(p: PacketView, i: number, cb: BgpPrefixCallback): void {
  const b = p.layerBuf[i]!;
  const r = eachAttribute(p, i, (type, v, end) => {
    if (type !== ATTR_MP_REACH || v + 4 > end) return;
    const afi = u16(b, v);
    const safi = u8(b, v + 2);
    const nlri = mpNlriStart(b, v, end, ATTR_MP_REACH);
    if (nlri >= 0 && isPlainUnicast(afi, safi)) eachPrefix(b, nlri, end, afi, safi, cb);
  });
  if (r && r.aEnd >= 0) eachPrefix(b, r.aEnd, p.end[i]!, AFI_IPV4, 1, cb);
}

/** Every prefix an UPDATE withdraws: withdrawn routes and MP_UNREACH_NLRI unicast/multicast prefixes. */
export function forEachWithdrawn(p: PacketView, i: number, cb: BgpPrefixCallback): void {
  const b = p.layerBuf[i]!;
  const r = eachAttribute(p, i, (type, v, end) => {
    if (type !== ATTR_MP_UNREACH || v + 3 > end) return;
    const afi = u16(b, v);
    const safi = u8(b, v + 2);
    if (isPlainUnicast(afi, safi)) eachPrefix(b, v + 3, end, afi, safi, cb);
  });
  if (r) eachPrefix(b, p.start[i]! + HDR + 2, r.wEnd, AFI_IPV4, 1, cb);
}

export interface BgpPathInfo {
  /** 0 IGP, 1 EGP, 2 INCOMPLETE, -1 absent. */
  origin: number;
  /** AS numbers of AS_PATH in order (sets flattened), or of AS4_PATH when AS_PATH has AS_TRANS. */
  asPath: number[];
  /** IPv4 NEXT_HOP text, or the MP_REACH next hop(s), '' when absent. */
  nextHop: string;
  med: number;
  localPref: number;
  /** Standard communities as "AS:value". */
  communities: string[];
  /**
   * ORIGINATOR_ID (RFC 4456): the router ID of the speaker that first announced the route,
   * set by a route reflector when it passes the route on; '' when absent.
   */
  originatorId: string;
  /** CLUSTER_LIST (RFC 4456): the cluster IDs of the reflectors the route went through, nearest first. */
  clusterList: string[];
}

/** The UPDATE's main path attributes, or null when layer i is not an UPDATE. */
export function pathInfo(p: PacketView, i: number): BgpPathInfo | null {
  if (typeOf(p, i) !== BGP_UPDATE) return null;
  const b = p.layerBuf[i]!;
  const info: BgpPathInfo = { origin: -1, asPath: [], nextHop: '', med: -1, localPref: -1, communities: [], originatorId: '', clusterList: [] };
  let as4: number[] | null = null;
  eachAttribute(p, i, (type, v, end) => {
    const len = end - v;
    if (type === ATTR_ORIGIN && len === 1) info.origin = u8(b, v);
    else if (type === ATTR_AS_PATH || type === ATTR_AS4_PATH) {
      const width = asPathWidth(b, v, end, type);
      if (width === 0) return;
      const list: number[] = [];
      for (let o = v; o + 2 <= end; o += 2 + u8(b, o + 1) * width) {
        for (let k = 0; k < u8(b, o + 1); k++) list.push(width === 2 ? u16(b, o + 2 + 2 * k) : u32(b, o + 2 + 4 * k));
      }
      if (type === ATTR_AS_PATH) info.asPath = list;
      else as4 = list;
    } else if (type === ATTR_NEXT_HOP && len === 4) info.nextHop = ipv4String(u32(b, v));
    else if (type === ATTR_MED && len === 4) info.med = u32(b, v);
    else if (type === ATTR_LOCAL_PREF && len === 4) info.localPref = u32(b, v);
    else if (type === ATTR_COMMUNITIES && len % 4 === 0) {
      for (let o = v; o < end; o += 4) info.communities.push(`${u16(b, o)}:${u16(b, o + 2)}`);
    } else if (type === ATTR_ORIGINATOR_ID && len === 4) info.originatorId = ipv4String(u32(b, v));
    else if (type === ATTR_CLUSTER_LIST && len % 4 === 0) {
      for (let o = v; o < end; o += 4) info.clusterList.push(ipv4String(u32(b, o)));
    } else if (type === ATTR_MP_REACH && len >= 4 && !info.nextHop) {
      const afi = u16(b, v);
      const nhLen = u8(b, v + 3);
      if (v + 4 + nhLen > end) return;
      if (afi === AFI_IPV4 && nhLen === 4) info.nextHop = ipv4String(u32(b, v + 4));
      else if (afi === AFI_IPV6 && (nhLen === 16 || nhLen === 32)) {
        info.nextHop = ipv6String(b, v + 4) + (nhLen === 32 ? ` ${ipv6String(b, v + 20)}` : '');
      }
    }
  });
  // RFC 6793: an old speaker's path has AS_TRANS where the 4-byte path has the real ASes.
  const four = as4 as number[] | null;
  if (four !== null && info.asPath.includes(23456) && four.length <= info.asPath.length) {
    info.asPath = info.asPath.slice(0, info.asPath.length - four.length).concat(four);
  }
  return info;
}

/** The ROUTE-REFRESH AFI, subtype and SAFI, or null. */
export function routeRefreshInfo(p: PacketView, i: number): { afi: number; subtype: number; safi: number } | null {
  if (typeOf(p, i) !== BGP_ROUTE_REFRESH || p.end[i]! - p.start[i]! < 23) return null;
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  return { afi: u16(b, s + 19), subtype: u8(b, s + 21), safi: u8(b, s + 22) };
}
