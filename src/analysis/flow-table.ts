import { addrString, isV4Mapped } from './addr.js';
import { TUNNEL_NAMES, type PacketFacts } from './facts.js';

/**
 * The flow table: outer path + tunnel id + inner 5-tuple → counters and TCP health.
 *
 * Hot-path design: a flow is a row number into a few typed arrays (its key words, and its
 * counters packed into one row of doubles and one of 32-bit words), found through a
 * numeric hash with collision chains; nothing is allocated per packet and memory is fixed
 * by the capacity. When the table is full the least recently seen of a few sampled flows is
 * evicted and counted, so a scan of millions of flows stays bounded and says so.
 *
 * Both directions of a conversation share one row: the endpoints are ordered
 * canonically (side A is the lower address/port), and `dir` 0 means A→B.
 */

/**
 * Key words per row: inner a, inner b, outer a, outer b (4 words each), then protocol,
 * tunnel kind and high interface bits; the ports; the tunnel id; the interface's low 32
 * bits. A lookup compares one contiguous row instead of reading seven arrays.
 */
const KEY_WORDS = 20;
const INITIAL_BUCKETS = 4096;
const NIL = -1;
/** Beyond this many live flows, only the flows the report and the analyzers read are materialized. */
export const FLOW_DETAIL_LIMIT = 4096;
/** Of a larger table: the most troubled flows kept in full (and as many answered twins of unanswered ones). */
const TROUBLED_FLOWS = 2048;
/** The biggest flows kept in full: more than the report lists. */
const BIGGEST_FLOWS = 256;
/** Distinct tunnel paths (and measures) whose representative flows are kept. */
const PATH_KEYS = 4096;
/** First flows kept per node pair and tunnel: evidence of a VNI mismatch cites up to six. */
const FIRST_PER_PATH = 6;
/** Retransmitted-segment packet numbers kept per flow as evidence. */
export const EVIDENCE_PER_FLOW = 6;
/** SYN times kept per flow to show the retransmission backoff. */
export const SYN_TIMES = 8;
/** Size histogram bucket upper bounds (IP length of the innermost packet). */
export const SIZE_BUCKETS = [64, 128, 256, 512, 1024, 1400, 1460, 1500, Infinity] as const;

/** SIZE_BUCKETS index of every size up to the last finite bound: a table read instead of a search per packet. */
const BUCKET_OF_SIZE = (() => {
  const t = new Uint8Array(SIZE_BUCKETS[SIZE_BUCKETS.length - 2] + 1);
  for (let size = 0, b = 0; size < t.length; size++) {
    while (size > SIZE_BUCKETS[b]!) b++;
    t[size] = b;
  }
  return t;
})();

export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;
export const TCP_RST = 0x04;
export const TCP_FIN = 0x01;

/** The initiator's packets leave the capturing host (or the answers arrive at it): the initiator is local. */
function localSide(initiator: number, responder: number): 'src' | 'dst' | null {
  if (initiator & 2 || responder & 1) return 'src';
  if (initiator & 1 || responder & 2) return 'dst';
  return null;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

/**
 * A flow's per-packet counters live in two rows instead of one array per counter: the
 * doubles in `d` (one 64-byte line per flow) and the 32-bit counters in `w`, those every
 * packet touches first, then the TCP ones, then those read only at the end. Names ending
 * in a pair hold one value per direction (offset + dir).
 */
const D_PACKETS = 0; // pair
const D_BYTES = 2; // pair
const D_SEQ_END = 4; // pair: highest seq+len seen, NaN before any
const D_LAST_TIME = 6;
/** The first SYN's time: later ones (retries, rare) go to `synTimes`. */
const D_FIRST_SYN = 7;
const D_STRIDE = 8;
const W_MAX_INNER = 0; // pair
const W_MAX_OUTER = 2; // pair
const W_SEEN_DIR = 4; // pair: bit 0 seen arriving at the capturing host, bit 1 seen leaving it
// 6: free (a row's last packet number is in `recent`, where eviction samples it)
const W_HIST = 7; // SIZE_BUCKETS.length
const W_DATA = 16; // pair
/** Size of the segment that set seqEnd, per direction: when it is acknowledged, that size got through. */
const W_LAST_SEG_SIZE = 18; // pair
const W_LAST_SEG_RETRANS = 20; // pair
const W_RETRANS = 22; // pair
const W_ZERO_WIN = 24; // pair
const W_RST = 26; // pair, 16-bit count
const W_SYN = 28; // 16-bit count
const W_SYN_ACK = 29; // 16-bit count
const W_FIN = 30; // 16-bit count
const W_HANDSHAKE_ACK = 31;
const W_MAX_ACKED = 32;
const W_MSS = 33; // pair
const W_ICMP_ERRORS = 35;
const W_MAX_RETRANS = 36;
const W_FIRST_PACKET = 37;
const W_INITIATOR_IS_B = 38;
const W_STRIDE = 40;

const MEASURE_OUTER = 0;
const MEASURE_INNER = 1;
const MEASURE_ACKED = 2;
const MEASURE_MSS = 3;
const MEASURE_PAIR = 4;

/** Small dense ids for the addresses of a table's keys (end of pass): IPv4 by number, others by text. */
class AddressIds {
  private readonly v4 = new Map<number, number>();
  private readonly other = new Map<string, number>();
  constructor(private readonly keys: Uint32Array) {}

  of(at: number): number {
    const k = this.keys;
    if (isV4Mapped(k, at)) {
      let id = this.v4.get(k[at + 3]!);
      if (id === undefined) this.v4.set(k[at + 3]!, (id = this.v4.size + this.other.size));
      return id;
    }
    const text = `${k[at]},${k[at + 1]},${k[at + 2]},${k[at + 3]}`;
    let id = this.other.get(text);
    if (id === undefined) this.other.set(text, (id = this.v4.size + this.other.size));
    return id;
  }
}

/** One address (four words) as one word for the hash. */
function fold(k: Uint32Array, at: number): number {
  return k[at + 3]! ^ Math.imul(k[at + 2]! ^ Math.imul(k[at + 1]! ^ Math.imul(k[at]!, 0x27d4eb2d), 0x165667b1), 0x85ebca77);
}

export interface FlowSummary {
  key: string;
  proto: number;
  protoName: string;
  /** Initiator (the side that sent the first SYN, else the first packet). */
  src: string;
  sport: number;
  dst: string;
  dport: number;
  tunnel: string;
  tunnelId: number;
  /** Capture interface (pcapng interface × 2^20 + Linux cooked ifindex); 0 for single-interface captures. */
  iface: number;
  /** Which end is the capturing host, when the capture marks directions: 'src' (the initiator) or 'dst'. */
  local: 'src' | 'dst' | null;
  /** Outer addresses in the initiator's direction (underlay path), when tunnelled. */
  outerSrc: string | null;
  outerDst: string | null;
  packets: [number, number];
  bytes: [number, number];
  firstTime: number;
  lastTime: number;
  firstPacket: number;
  lastPacket: number;
  maxInnerSize: [number, number];
  maxOuterSize: [number, number];
  sizeHistogram: number[];
  tcp: {
    syn: number;
    synAck: number;
    rst: [number, number];
    fin: number;
    handshake: 'complete' | 'syn-only' | 'syn-ack-no-ack' | 'none' | 'reset';
    retransmissions: [number, number];
    maxRetransmittedSize: number;
    retransmissionPackets: number[];
    zeroWindow: [number, number];
    mss: [number, number];
    synTimes: number[];
    dataPackets: [number, number];
    maxAckedSize: number;
  } | null;
  icmpErrors: number;
}

export class FlowTable {
  readonly capacity: number;
  size = 0;
  evicted = 0;
  /** Bucket heads: grown with the live flows (at most half full) up to twice the capacity, so a capture of a few thousand flows looks up in a table that stays in cache. */
  private buckets: Int32Array;
  private mask: number;
  private readonly maxBuckets: number;
  private readonly chain: Int32Array;
  private readonly hash: Int32Array;
  /**
   * The hash's top byte per row, tested before a chained row's key: in a table of many
   * short flows most lookups miss, and this keeps them from reading a cold key row for
   * every row chained in the bucket.
   */
  private readonly tags: Uint8Array;
  /** Key rows (KEY_WORDS each): the protocol, ports, tunnel and interface are read back from them, not kept apart, so taking a row writes no more lines than its key. */
  private readonly keys: Uint32Array;
  private readonly firstTime: Float64Array;
  /** The counters every packet touches, one row per flow (see D_* and W_*): a packet reads two or three cache lines instead of twenty arrays. */
  private readonly d: Float64Array;
  private readonly w: Uint32Array;
  private readonly retransPk: Int32Array; // EVIDENCE_PER_FLOW
  /**
   * SYN_TIMES - 1 per row: the times of SYNs after the first. Neither this nor `retransPk`
   * is cleared when a row is taken: only entries below the row's counts are read, so the
   * pages of rows that never retry or retransmit are never touched and a full table keeps
   * them out of memory.
   */
  private readonly synTimes: Float64Array;
  /**
   * Each row's last packet number, packed apart from the counter rows: eviction samples
   * rows at random, and four bytes a row keep a full table's worth (512 KiB) in cache.
   */
  private readonly recent: Uint32Array;
  private free: number;

  constructor(capacity = 131072) {
    const c = Math.max(16, capacity);
    this.capacity = c;
    let nb = 1;
    while (nb < c * 2) nb <<= 1;
    this.maxBuckets = nb;
    const first = Math.min(nb, INITIAL_BUCKETS);
    this.buckets = new Int32Array(first).fill(NIL);
    this.mask = first - 1;
    this.chain = new Int32Array(c).fill(NIL);
    this.hash = new Int32Array(c);
    this.tags = new Uint8Array(c);
    this.keys = new Uint32Array(c * KEY_WORDS);
    this.firstTime = new Float64Array(c);
    this.d = new Float64Array(c * D_STRIDE);
    this.w = new Uint32Array(c * W_STRIDE);
    this.retransPk = new Int32Array(c * EVIDENCE_PER_FLOW);
    this.synTimes = new Float64Array(c * (SYN_TIMES - 1));
    this.recent = new Uint32Array(c);
    this.free = 0;
  }

  /** Words of the key under construction: a, b (inner), oa, ob (outer). */
  private readonly k = new Uint32Array(KEY_WORDS);

  /**
   * Account one packet. Returns the flow row and sets `lastDir` (0 = A→B).
   * Packets without an IP layer are not flows (ARP is handled by topology).
   */
  lastDir = 0;
  /** The packet just added was a TCP retransmission. */
  lastWasRetrans = false;

  add(f: PacketFacts, time: number, number: number, wireLen: number): number {
    if (f.innerIp < 0) return NIL;
    const a = f.addr;
    // Order endpoints: compare inner src vs dst words, then ports.
    let cmp = 0;
    for (let w = 0; w < 4 && cmp === 0; w++) cmp = a[8 + w]! - a[12 + w]!;
    const proto = f.innerProto;
    const hasPorts = f.l4 >= 0 && f.icmp < 0;
    const sp = hasPorts ? f.sport : 0;
    const dp = hasPorts ? f.dport : 0;
    if (cmp === 0) cmp = sp - dp;
    const dir = cmp <= 0 ? 0 : 1;
    const ia = dir === 0 ? 8 : 12;
    const ib = dir === 0 ? 12 : 8;
    const oa = dir === 0 ? 0 : 4;
    const ob = dir === 0 ? 4 : 0;
    const tunnelled = f.tunnelKind !== 0;
    const pA = dir === 0 ? sp : dp;
    const pB = dir === 0 ? dp : sp;
    const tk = f.tunnelKind;
    const tid = f.tunnelId;
    const ifc = f.iface;
    // Each address folds to one word before mixing: IPv4's three constant words cost
    // three multiplies instead of three rounds, and the hash only picks a bucket.
    let h = mix(mix(mix(mix(proto, pA), pB), tk * 16777259 + tid), ifc | 0);
    h = mix(h, fold(a, ia));
    h = mix(h, fold(a, ib));
    h = mix(h, tunnelled ? fold(a, oa) : 0);
    h = mix(h, tunnelled ? fold(a, ob) : 0);
    // An id of -1 (none) differs from a GRE key of 0xffffffff by the flag in w16.
    const w16 = (proto | (tk << 8) | (tid < 0 ? 0x8000 : 0) | (Math.floor(ifc / 4294967296) << 16)) >>> 0;
    const w17 = ((pA << 16) | pB) >>> 0;
    const w18 = tid >>> 0;
    const w19 = ifc >>> 0;
    const tag = h >>> 24;
    const tags = this.tags;
    let row = this.buckets[h & this.mask]!;
    while (row !== NIL) {
      if (tags[row] === tag && this.sameKey(row, a, ia, ib, oa, ob, tunnelled, w16, w17, w18, w19)) break;
      row = this.chain[row]!;
    }
    if (row === NIL) {
      const k = this.k;
      for (let w = 0; w < 4; w++) {
        k[w] = a[ia + w]!;
        k[4 + w] = a[ib + w]!;
        k[8 + w] = tunnelled ? a[oa + w]! : 0;
        k[12 + w] = tunnelled ? a[ob + w]! : 0;
      }
      k[16] = w16;
      k[17] = w17;
      k[18] = w18;
      k[19] = w19;
      row = this.insert(h, time, number, dir, f);
    }
    this.lastDir = dir;
    this.lastWasRetrans = false;
    this.update(row, dir, f, time, number, wireLen);
    return row;
  }

  /** The row's key against the packet's in place (the last address word first: it differs most often). */
  private sameKey(row: number, a: Uint32Array, ia: number, ib: number, oa: number, ob: number, tunnelled: boolean, w16: number, w17: number, w18: number, w19: number): boolean {
    const keys = this.keys;
    const base = row * KEY_WORDS;
    if (keys[base + 17] !== w17 || keys[base + 16] !== w16 || keys[base + 18] !== w18 || keys[base + 19] !== w19) return false;
    for (let w = 3; w >= 0; w--) if (keys[base + w] !== a[ia + w] || keys[base + 4 + w] !== a[ib + w]) return false;
    if (!tunnelled) return true;
    for (let w = 3; w >= 0; w--) if (keys[base + 8 + w] !== a[oa + w] || keys[base + 12 + w] !== a[ob + w]) return false;
    return true;
  }

  private insert(h: number, time: number, number: number, dir: number, f: PacketFacts): number {
    let row: number;
    if (this.free < this.capacity) row = this.free++;
    else row = this.evictOne();
    this.size++;
    this.hash[row] = h;
    this.tags[row] = h >>> 24;
    // Plain loops: a builtin call per row costs more than the few words it clears.
    const keys = this.keys;
    const k = this.k;
    const kb = row * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) keys[kb + i] = k[i]!;
    this.firstTime[row] = time;
    const d = row * D_STRIDE;
    const w = row * W_STRIDE;
    const dd = this.d;
    for (let i = d; i < d + D_STRIDE; i++) dd[i] = 0;
    dd[d + D_SEQ_END] = NaN;
    dd[d + D_SEQ_END + 1] = NaN;
    const ww = this.w;
    for (let i = w; i < w + W_STRIDE; i++) ww[i] = 0;
    // The initiator is whoever sends a lone SYN, else whoever sends first.
    const synOnly = f.l4 >= 0 && (f.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const synAckOnly = f.l4 >= 0 && (f.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    this.w[w + W_INITIATOR_IS_B] = synAckOnly ? (dir === 0 ? 1 : 0) : synOnly ? dir : dir;
    this.w[w + W_FIRST_PACKET] = number;
    if (this.size * 2 > this.buckets.length && this.buckets.length < this.maxBuckets) this.grow();
    const bucket = h & this.mask;
    this.chain[row] = this.buckets[bucket]!;
    this.buckets[bucket] = row;
    return row;
  }

  /** Twice the buckets, every live row relinked (its hash is kept, so nothing is rehashed). */
  private grow(): void {
    const old = this.buckets;
    const buckets = new Int32Array(old.length * 2).fill(NIL);
    const mask = buckets.length - 1;
    for (let b = 0; b < old.length; b++) {
      for (let row = old[b]!; row !== NIL; ) {
        const next = this.chain[row]!;
        const bucket = this.hash[row]! & mask;
        this.chain[row] = buckets[bucket]!;
        buckets[bucket] = row;
        row = next;
      }
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /** Evict the least recently seen (in capture order) of 8 sampled rows (approximate LRU, constant time). */
  private evictOne(): number {
    let victim = 0;
    let oldest = Infinity;
    let x = (this.evicted * 2654435761 + 12345) >>> 0;
    const recent = this.recent;
    const capacity = this.capacity;
    for (let s = 0; s < 8; s++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // The row from x's high bits (the product is exact in a double): an LCG's low bits
      // repeat with short periods, and x % capacity is a floating-point remainder above 2^31.
      const r = Math.floor((x * capacity) / 4294967296);
      const t = recent[r]!;
      if (t < oldest) {
        oldest = t;
        victim = r;
      }
    }
    this.evicted++;
    this.unlink(victim);
    this.size--;
    return victim;
  }

  private unlink(row: number): void {
    const bucket = this.hash[row]! & this.mask;
    let cur = this.buckets[bucket]!;
    let prev = NIL;
    while (cur !== NIL && cur !== row) {
      prev = cur;
      cur = this.chain[cur]!;
    }
    if (cur === NIL) return;
    if (prev === NIL) this.buckets[bucket] = this.chain[row]!;
    else this.chain[prev] = this.chain[row]!;
  }

  private update(row: number, dir: number, f: PacketFacts, time: number, number: number, wireLen: number): void {
    const d = this.d;
    const w = this.w;
    const dr = row * D_STRIDE;
    const wr = row * W_STRIDE;
    d[dr + D_PACKETS + dir]!++;
    if (f.direction) w[wr + W_SEEN_DIR + dir]! |= f.direction;
    d[dr + D_BYTES + dir] = d[dr + D_BYTES + dir]! + wireLen;
    d[dr + D_LAST_TIME] = time;
    this.recent[row] = number;
    const inner = f.innerIpLen;
    if (inner > w[wr + W_MAX_INNER + dir]!) w[wr + W_MAX_INNER + dir] = inner;
    if (f.tunnelKind !== 0 && f.outerIpLen > w[wr + W_MAX_OUTER + dir]!) w[wr + W_MAX_OUTER + dir] = f.outerIpLen;
    w[wr + W_HIST + (inner < BUCKET_OF_SIZE.length ? BUCKET_OF_SIZE[inner]! : SIZE_BUCKETS.length - 1)]!++;
    if (f.icmp >= 0 && f.quotedIp >= 0) w[wr + W_ICMP_ERRORS]!++;
    if (f.innerProto !== 6 || f.l4 < 0 || f.icmp >= 0) return;
    const flags = f.tcpFlags;
    if ((flags & TCP_SYN) !== 0) {
      if ((flags & TCP_ACK) === 0) {
        const n = w[wr + W_SYN]!;
        if (n === 0) this.d[row * D_STRIDE + D_FIRST_SYN] = time;
        else if (n < SYN_TIMES) this.synTimes[row * (SYN_TIMES - 1) + n - 1] = time;
        w[wr + W_SYN] = (n + 1) & 0xffff;
        if (n > 0) this.noteRetrans(row, dir, number, inner);
      } else w[wr + W_SYN_ACK] = (w[wr + W_SYN_ACK]! + 1) & 0xffff;
      if (f.tcpMss) w[wr + W_MSS + dir] = f.tcpMss;
    } else if ((flags & TCP_ACK) !== 0 && w[wr + W_SYN_ACK]! > 0 && w[wr + W_HANDSHAKE_ACK] === 0) {
      w[wr + W_HANDSHAKE_ACK] = 1;
    }
    if ((flags & TCP_RST) !== 0) w[wr + W_RST + dir] = (w[wr + W_RST + dir]! + 1) & 0xffff;
    if ((flags & TCP_FIN) !== 0) w[wr + W_FIN] = (w[wr + W_FIN]! + 1) & 0xffff;
    if (f.tcpWindow === 0 && (flags & (TCP_SYN | TCP_RST)) === 0) w[wr + W_ZERO_WIN + dir]!++;
    const len = f.payloadLen;
    if (len > 0) {
      w[wr + W_DATA + dir]!++;
      const end = f.tcpSeq + len;
      const prev = d[dr + D_SEQ_END + dir]!;
      // Sequence space wraps at 2^32: compare by signed 32-bit difference.
      if (prev === prev && ((end - prev) | 0) <= 0) {
        this.noteRetrans(row, dir, number, inner);
        if (((end - prev) | 0) === 0) w[wr + W_LAST_SEG_RETRANS + dir] = 1;
      } else {
        d[dr + D_SEQ_END + dir] = end >>> 0;
        w[wr + W_LAST_SEG_SIZE + dir] = inner;
        w[wr + W_LAST_SEG_RETRANS + dir] = 0;
      }
    }
    if ((flags & TCP_ACK) !== 0) {
      // An ACK covering the other side's newest segment proves a segment of that size got
      // through on its first try: the largest such size bounds the path MTU from below.
      const rdir = 1 - dir;
      const rEnd = d[dr + D_SEQ_END + rdir]!;
      if (rEnd === rEnd && ((f.tcpAck - rEnd) | 0) >= 0 && w[wr + W_LAST_SEG_RETRANS + rdir] === 0) {
        const size = w[wr + W_LAST_SEG_SIZE + rdir]!;
        if (size > w[wr + W_MAX_ACKED]!) w[wr + W_MAX_ACKED] = size;
      }
    }
  }

  private noteRetrans(row: number, dir: number, number: number, size: number): void {
    this.lastWasRetrans = true;
    const w = this.w;
    const wr = row * W_STRIDE;
    const n = w[wr + W_RETRANS]! + w[wr + W_RETRANS + 1]!;
    w[wr + W_RETRANS + dir]!++;
    if (n < EVIDENCE_PER_FLOW) this.retransPk[row * EVIDENCE_PER_FLOW + n] = number;
    if (size > w[wr + W_MAX_RETRANS]!) w[wr + W_MAX_RETRANS] = size;
  }

  /**
   * The flows as plain data (end of pass; allocation is fine here): every live flow up to
   * `limit`, else only those the report and the analyzers read (see `detailRows`), so the
   * memory after the pass stays flat however many flows the capture had.
   */
  summaries(limit = FLOW_DETAIL_LIMIT): FlowSummary[] {
    const out: FlowSummary[] = [];
    for (const row of this.detailRows(limit)) out.push(this.summary(row));
    return out;
  }

  /**
   * Live rows in table order: all of them when there are at most `limit`; else the most
   * troubled (what the report lists first and the symptom analyzers group), the biggest
   * (the rest of the report's flow list), the answered twins of unanswered ones (an
   * answer on another path means the conversation works), and per tunnel path the rows
   * that hold its largest sizes, its MSS and its first flows (path MTU, MSS and VNI
   * findings). Everything else is only counted.
   */
  detailRows(limit = FLOW_DETAIL_LIMIT): number[] {
    const live: number[] = [];
    for (let row = 0; row < this.free; row++) if (this.isLive(row)) live.push(row);
    if (live.length <= limit) return live;
    const keep = new Uint8Array(this.free);
    this.keepTroubled(live, keep);
    this.keepBiggest(live, keep);
    this.keepPathRepresentatives(live, keep);
    return live.filter((row) => keep[row] === 1);
  }

  // A row's key fields, read back from its key words (see `add` for the layout).
  private protoOf(row: number): number {
    return this.keys[row * KEY_WORDS + 16]! & 0xff;
  }

  private tunnelKindOf(row: number): number {
    return (this.keys[row * KEY_WORDS + 16]! >>> 8) & 0x7f;
  }

  /** VNI or GRE key, -1 when the tunnel has none. */
  private tunnelIdOf(row: number): number {
    return this.keys[row * KEY_WORDS + 16]! & 0x8000 ? -1 : this.keys[row * KEY_WORDS + 18]!;
  }

  /** Exact up to interface 2^28 (16 bits above the low word): further apart, keys would merge first. */
  private ifaceOf(row: number): number {
    return (this.keys[row * KEY_WORDS + 16]! >>> 16) * 4294967296 + this.keys[row * KEY_WORDS + 19]!;
  }

  private portAOf(row: number): number {
    return this.keys[row * KEY_WORDS + 17]! >>> 16;
  }

  private portBOf(row: number): number {
    return this.keys[row * KEY_WORDS + 17]! & 0xffff;
  }

  /** A row's 32-bit counter at `off` (end of pass). */
  private wv(row: number, off: number): number {
    return this.w[row * W_STRIDE + off]!;
  }

  /** A row's double at `off` (end of pass). */
  private dv(row: number, off: number): number {
    return this.d[row * D_STRIDE + off]!;
  }

  private totalPackets(row: number): number {
    return this.dv(row, D_PACKETS) + this.dv(row, D_PACKETS + 1);
  }

  /** Packets of the side that did not start the conversation. */
  private responderPackets(row: number): number {
    return this.dv(row, D_PACKETS + 1 - this.wv(row, W_INITIATOR_IS_B));
  }

  /** The report's trouble score (syn-only/reset handshakes, retransmissions, resets, no answer); 1 for lesser signs. */
  private trouble(row: number): number {
    let t = 0;
    if (this.protoOf(row) === 6) {
      const hs = this.handshake(row);
      if (hs === 'syn-only' || hs === 'reset') t += 100;
      t += this.wv(row, W_RETRANS) + this.wv(row, W_RETRANS + 1);
      t += 10 * (this.wv(row, W_RST) + this.wv(row, W_RST + 1));
    }
    if (this.responderPackets(row) === 0) t += 5;
    if (t === 0 && (this.wv(row, W_ICMP_ERRORS) > 0 || this.wv(row, W_ZERO_WIN) + this.wv(row, W_ZERO_WIN + 1) > 0)) t = 1;
    return t;
  }

  private keepTroubled(live: number[], keep: Uint8Array): void {
    const score = new Float64Array(this.free);
    const troubled: number[] = [];
    for (const row of live) {
      score[row] = this.trouble(row);
      if (score[row]! > 0) troubled.push(row);
    }
    if (troubled.length > TROUBLED_FLOWS) troubled.sort((a, b) => score[b]! - score[a]! || this.totalPackets(b) - this.totalPackets(a) || a - b);
    const kept = troubled.slice(0, TROUBLED_FLOWS);
    const unanswered = new Set<number>();
    for (const row of kept) {
      keep[row] = 1;
      if (this.responderPackets(row) === 0) unanswered.add(this.innerHash(row));
    }
    if (unanswered.size === 0) return;
    let twins = 0;
    for (const row of live) {
      if (twins >= TROUBLED_FLOWS) break;
      if (keep[row] === 0 && this.responderPackets(row) > 0 && unanswered.has(this.innerHash(row))) {
        keep[row] = 1;
        twins++;
      }
    }
  }

  /** The inner conversation whatever outer path or interface carried it (collisions only keep a few rows more). */
  private innerHash(row: number): number {
    const base = row * KEY_WORDS;
    let h = mix(mix(this.protoOf(row), this.portAOf(row)), this.portBOf(row));
    h = mix(h, fold(this.keys, base));
    return mix(h, fold(this.keys, base + 4));
  }

  private keepBiggest(live: number[], keep: Uint8Array): void {
    const order = live.slice().sort((a, b) => this.totalPackets(b) - this.totalPackets(a) || a - b);
    for (let k = 0; k < Math.min(BIGGEST_FLOWS, order.length); k++) keep[order[k]!] = 1;
  }

  private keepPathRepresentatives(live: number[], keep: Uint8Array): void {
    // Keys are exact numbers: interned address ids (< 2^20: at most two per row) × tunnel kind × measure.
    const best = new Map<number, number[]>(); // key → [row, value]
    const firsts = new Map<number, number[]>(); // key → rows in table order
    const most = (key: number, value: number, row: number): void => {
      const cur = best.get(key);
      if (cur === undefined) {
        if (best.size < PATH_KEYS) best.set(key, [row, value]);
      } else if (value > cur[1]!) {
        cur[0] = row;
        cur[1] = value;
      }
    };
    const first = (key: number, row: number, n: number): void => {
      const cur = firsts.get(key);
      if (cur === undefined) {
        if (firsts.size < PATH_KEYS) firsts.set(key, [row]);
      } else if (cur.length < n) cur.push(row);
    };
    const ids = new AddressIds(this.keys);
    const path = (from: number, to: number, tk: number, measure: number): number => ((from * 2 ** 20 + to) * 8 + tk) * 8 + measure;
    for (const row of live) {
      const base = row * KEY_WORDS;
      const tk = this.tunnelKindOf(row);
      const byInitiator = this.wv(row, W_INITIATOR_IS_B) === 0;
      if (tk === 0) {
        const acked = this.wv(row, W_MAX_ACKED);
        if (acked === 0) continue;
        const a = ids.of(base);
        const b = ids.of(base + 4);
        most(path(byInitiator ? a : b, byInitiator ? b : a, 0, MEASURE_ACKED), acked, row);
        continue;
      }
      const nodeA = ids.of(base + 8);
      const nodeB = ids.of(base + 12);
      for (let d = 0; d < 2; d++) {
        if (this.dv(row, D_PACKETS + d) === 0) continue;
        const from = d === 0 ? nodeA : nodeB;
        const to = d === 0 ? nodeB : nodeA;
        most(path(from, to, tk, MEASURE_OUTER), this.wv(row, W_MAX_OUTER + d), row);
        most(path(from, to, tk, MEASURE_INNER), this.wv(row, W_MAX_INNER + d), row);
      }
      const from = byInitiator ? nodeA : nodeB;
      const to = byInitiator ? nodeB : nodeA;
      if (this.wv(row, W_MAX_ACKED) > 0) most(path(from, to, tk, MEASURE_ACKED), this.wv(row, W_MAX_ACKED), row);
      const mss = Math.max(this.wv(row, W_MSS), this.wv(row, W_MSS + 1));
      if (mss > 0) {
        most(path(from, to, tk, MEASURE_MSS), mss, row);
        first(path(from, to, tk, MEASURE_MSS), row, 1);
      }
      first(path(Math.min(nodeA, nodeB), Math.max(nodeA, nodeB), tk, MEASURE_PAIR), row, FIRST_PER_PATH);
    }
    for (const [row] of best.values()) keep[row!] = 1;
    for (const rows of firsts.values()) for (const row of rows) keep[row] = 1;
  }

  private isLive(row: number): boolean {
    const bucket = this.hash[row]! & this.mask;
    for (let cur = this.buckets[bucket]!; cur !== NIL; cur = this.chain[cur]!) if (cur === row) return true;
    return false;
  }

  private handshake(row: number): NonNullable<FlowSummary['tcp']>['handshake'] {
    const syn = this.wv(row, W_SYN);
    const synAck = this.wv(row, W_SYN_ACK);
    const responderRsts = this.wv(row, W_RST + 1 - this.wv(row, W_INITIATOR_IS_B));
    return syn === 0 && synAck === 0
      ? 'none'
      : this.wv(row, W_HANDSHAKE_ACK)
        ? 'complete'
        : responderRsts > 0 && synAck === 0
          ? 'reset'
          : synAck > 0
            ? 'syn-ack-no-ack'
            : 'syn-only';
  }

  summary(row: number): FlowSummary {
    const base = row * KEY_WORDS;
    const keys = this.keys;
    const aStr = addrString(keys, base);
    const bStr = addrString(keys, base + 4);
    const tk = this.tunnelKindOf(row);
    const tunnelled = tk !== 0;
    const tid = this.tunnelIdOf(row);
    const oA = tunnelled ? addrString(keys, base + 8) : null;
    const oB = tunnelled ? addrString(keys, base + 12) : null;
    const swap = this.wv(row, W_INITIATOR_IS_B) === 1;
    const d0 = swap ? 1 : 0;
    const d1 = 1 - d0;
    const wr = row * W_STRIDE;
    const dr = row * D_STRIDE;
    const pair = (arr: Float64Array | Uint32Array, at: number): [number, number] => [arr[at + d0]!, arr[at + d1]!];
    const wPair = (off: number) => pair(this.w, wr + off);
    const dPair = (off: number) => pair(this.d, dr + off);
    const proto = this.protoOf(row);
    const isTcp = proto === 6;
    const syn = this.wv(row, W_SYN);
    const synAck = this.wv(row, W_SYN_ACK);
    const rsts = wPair(W_RST);
    const retransPackets: number[] = [];
    const retrans = this.wv(row, W_RETRANS) + this.wv(row, W_RETRANS + 1);
    for (let e = 0; e < Math.min(retrans, EVIDENCE_PER_FLOW); e++) retransPackets.push(this.retransPk[row * EVIDENCE_PER_FLOW + e]!);
    const synTimes: number[] = [];
    for (let e = 0; e < Math.min(syn, SYN_TIMES); e++) synTimes.push(e === 0 ? this.d[dr + D_FIRST_SYN]! : this.synTimes[row * (SYN_TIMES - 1) + e - 1]!);
    const handshake = this.handshake(row);
    const protoName = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 ? 'icmp' : proto === 58 ? 'icmpv6' : `ip-proto-${proto}`;
    const hist: number[] = [];
    for (let e = 0; e < SIZE_BUCKETS.length; e++) hist.push(this.wv(row, W_HIST + e));
    const sport = swap ? this.portBOf(row) : this.portAOf(row);
    const dport = swap ? this.portAOf(row) : this.portBOf(row);
    return {
      key: `${protoName} ${swap ? bStr : aStr}:${sport} > ${swap ? aStr : bStr}:${dport}${tunnelled ? ` via ${TUNNEL_NAMES[tk]}${tid >= 0 ? ' ' + tid : ''} ${swap ? oB : oA}>${swap ? oA : oB}` : ''}`,
      proto,
      protoName,
      src: swap ? bStr : aStr,
      sport,
      dst: swap ? aStr : bStr,
      dport,
      tunnel: TUNNEL_NAMES[tk] ?? 'none',
      tunnelId: tid,
      iface: this.ifaceOf(row),
      local: localSide(this.wv(row, W_SEEN_DIR + d0), this.wv(row, W_SEEN_DIR + d1)),
      outerSrc: swap ? oB : oA,
      outerDst: swap ? oA : oB,
      packets: dPair(D_PACKETS),
      bytes: dPair(D_BYTES),
      firstTime: this.firstTime[row]!,
      lastTime: this.dv(row, D_LAST_TIME),
      firstPacket: this.wv(row, W_FIRST_PACKET),
      lastPacket: this.recent[row]!,
      maxInnerSize: wPair(W_MAX_INNER),
      maxOuterSize: wPair(W_MAX_OUTER),
      sizeHistogram: hist,
      tcp: isTcp
        ? {
            syn,
            synAck,
            rst: rsts,
            fin: this.wv(row, W_FIN),
            handshake,
            retransmissions: wPair(W_RETRANS),
            maxRetransmittedSize: this.wv(row, W_MAX_RETRANS),
            retransmissionPackets: retransPackets,
            zeroWindow: wPair(W_ZERO_WIN),
            mss: wPair(W_MSS),
            synTimes,
            dataPackets: wPair(W_DATA),
            maxAckedSize: this.wv(row, W_MAX_ACKED),
          }
        : null,
      icmpErrors: this.wv(row, W_ICMP_ERRORS),
    };
  }
}
