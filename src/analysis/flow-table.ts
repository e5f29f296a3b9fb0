import { addrString } from './addr.js';
import { TUNNEL_NAMES, type PacketFacts } from './facts.js';

/**
 * The flow table: outer path + tunnel id + inner 5-tuple → counters and TCP health.
 *
 * Hot-path design: a flow is a row in parallel typed arrays, found through a numeric hash
 * with collision chains; nothing is allocated per packet and memory is fixed by the
 * capacity. When the table is full the least recently seen of a few sampled flows is
 * evicted and counted, so a scan of millions of flows stays bounded and says so.
 *
 * Both directions of a conversation share one row: the endpoints are ordered
 * canonically (side A is the lower address/port), and `dir` 0 means A→B.
 */

const KEY_WORDS = 16; // inner a, inner b, outer a, outer b: 4 words each
const NIL = -1;
/** Retransmitted-segment packet numbers kept per flow as evidence. */
export const EVIDENCE_PER_FLOW = 6;
/** SYN times kept per flow to show the retransmission backoff. */
export const SYN_TIMES = 8;
/** Size histogram bucket upper bounds (IP length of the innermost packet). */
export const SIZE_BUCKETS = [64, 128, 256, 512, 1024, 1400, 1460, 1500, Infinity] as const;

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
  evictedPackets = 0;
  private readonly buckets: Int32Array;
  private readonly mask: number;
  private readonly chain: Int32Array;
  private readonly hash: Int32Array;
  private readonly keys: Uint32Array;
  private readonly proto: Int16Array;
  private readonly portA: Uint16Array;
  private readonly portB: Uint16Array;
  private readonly tunnelKind: Uint8Array;
  private readonly tunnelId: Int32Array;
  private readonly iface: Float64Array;
  /** Per direction: bit 0 seen arriving at the capturing host, bit 1 seen leaving it. */
  private readonly seenDir: Uint8Array;
  private readonly initiatorIsB: Uint8Array;
  private readonly packets: Float64Array; // 2 per flow
  private readonly bytes: Float64Array;
  private readonly firstTime: Float64Array;
  private readonly lastTime: Float64Array;
  private readonly firstPacket: Int32Array;
  private readonly lastPacket: Int32Array;
  private readonly maxInner: Uint32Array; // 2 per flow
  private readonly maxOuter: Uint32Array; // 2 per flow
  private readonly hist: Uint32Array; // SIZE_BUCKETS per flow
  private readonly outerSeen: Uint8Array; // per direction: outer addresses recorded
  // TCP
  private readonly syn: Uint16Array;
  private readonly synAck: Uint16Array;
  private readonly rst: Uint16Array; // 2
  private readonly fin: Uint16Array;
  private readonly retrans: Uint32Array; // 2
  private readonly maxRetransSize: Uint32Array;
  private readonly retransPk: Int32Array; // EVIDENCE_PER_FLOW
  private readonly zeroWin: Uint32Array; // 2
  private readonly mss: Uint16Array; // 2
  private readonly seqEnd: Float64Array; // 2: highest seq+len seen, NaN before any
  private readonly synTimes: Float64Array; // SYN_TIMES
  private readonly handshakeAck: Uint8Array;
  private readonly dataPackets: Uint32Array; // 2
  private readonly maxAckedSize: Uint32Array;
  /** Size of the segment that set seqEnd, per direction: when it is acknowledged, that size got through. */
  private readonly lastSegSize: Uint32Array;
  private readonly lastSegRetrans: Uint8Array;
  private readonly icmpErrors: Uint32Array;
  private free: number;

  constructor(capacity = 131072) {
    const c = Math.max(16, capacity);
    this.capacity = c;
    let nb = 1;
    while (nb < c * 2) nb <<= 1;
    this.buckets = new Int32Array(nb).fill(NIL);
    this.mask = nb - 1;
    this.chain = new Int32Array(c).fill(NIL);
    this.hash = new Int32Array(c);
    this.keys = new Uint32Array(c * KEY_WORDS);
    this.proto = new Int16Array(c).fill(-1);
    this.portA = new Uint16Array(c);
    this.portB = new Uint16Array(c);
    this.tunnelKind = new Uint8Array(c);
    this.tunnelId = new Int32Array(c);
    this.iface = new Float64Array(c);
    this.seenDir = new Uint8Array(c * 2);
    this.initiatorIsB = new Uint8Array(c);
    this.packets = new Float64Array(c * 2);
    this.bytes = new Float64Array(c * 2);
    this.firstTime = new Float64Array(c);
    this.lastTime = new Float64Array(c);
    this.firstPacket = new Int32Array(c);
    this.lastPacket = new Int32Array(c);
    this.maxInner = new Uint32Array(c * 2);
    this.maxOuter = new Uint32Array(c * 2);
    this.hist = new Uint32Array(c * SIZE_BUCKETS.length);
    this.outerSeen = new Uint8Array(c);
    this.syn = new Uint16Array(c);
    this.synAck = new Uint16Array(c);
    this.rst = new Uint16Array(c * 2);
    this.fin = new Uint16Array(c);
    this.retrans = new Uint32Array(c * 2);
    this.maxRetransSize = new Uint32Array(c);
    this.retransPk = new Int32Array(c * EVIDENCE_PER_FLOW);
    this.zeroWin = new Uint32Array(c * 2);
    this.mss = new Uint16Array(c * 2);
    this.seqEnd = new Float64Array(c * 2);
    this.synTimes = new Float64Array(c * SYN_TIMES);
    this.handshakeAck = new Uint8Array(c);
    this.dataPackets = new Uint32Array(c * 2);
    this.maxAckedSize = new Uint32Array(c);
    this.lastSegSize = new Uint32Array(c * 2);
    this.lastSegRetrans = new Uint8Array(c * 2);
    this.icmpErrors = new Uint32Array(c);
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
    const k = this.k;
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
    for (let w = 0; w < 4; w++) {
      k[w] = a[ia + w]!;
      k[4 + w] = a[ib + w]!;
      k[8 + w] = tunnelled ? a[oa + w]! : 0;
      k[12 + w] = tunnelled ? a[ob + w]! : 0;
    }
    const pA = dir === 0 ? sp : dp;
    const pB = dir === 0 ? dp : sp;
    const tk = f.tunnelKind;
    const tid = f.tunnelId;
    const ifc = f.iface;
    let h = mix(mix(mix(mix(proto, pA), pB), tk * 16777259 + tid), ifc | 0);
    for (let w = 0; w < KEY_WORDS; w++) h = mix(h, k[w]!);
    let row = this.buckets[h & this.mask]!;
    while (row !== NIL) {
      if (this.hash[row] === h && this.proto[row] === proto && this.portA[row] === pA && this.portB[row] === pB && this.tunnelKind[row] === tk && this.tunnelId[row] === tid && this.iface[row] === ifc && this.sameKey(row)) break;
      row = this.chain[row]!;
    }
    if (row === NIL) row = this.insert(h, proto, pA, pB, tk, tid, time, number, dir, f);
    this.iface[row] = ifc;
    this.lastDir = dir;
    this.lastWasRetrans = false;
    this.update(row, dir, f, time, number, wireLen);
    return row;
  }

  private sameKey(row: number): boolean {
    const base = row * KEY_WORDS;
    const keys = this.keys;
    const k = this.k;
    for (let w = 0; w < KEY_WORDS; w++) if (keys[base + w] !== k[w]) return false;
    return true;
  }

  private insert(h: number, proto: number, pA: number, pB: number, tk: number, tid: number, time: number, number: number, dir: number, f: PacketFacts): number {
    let row: number;
    if (this.free < this.capacity) row = this.free++;
    else row = this.evictOne();
    this.size++;
    this.hash[row] = h;
    this.proto[row] = proto;
    this.portA[row] = pA;
    this.portB[row] = pB;
    this.tunnelKind[row] = tk;
    this.tunnelId[row] = tid;
    this.keys.set(this.k, row * KEY_WORDS);
    // The initiator is whoever sends a lone SYN, else whoever sends first.
    const synOnly = f.l4 >= 0 && (f.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const synAckOnly = f.l4 >= 0 && (f.tcpFlags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    this.initiatorIsB[row] = synAckOnly ? (dir === 0 ? 1 : 0) : synOnly ? dir : dir;
    this.firstTime[row] = time;
    this.firstPacket[row] = number;
    for (let d = 0; d < 2; d++) {
      const j = row * 2 + d;
      this.packets[j] = 0;
      this.bytes[j] = 0;
      this.maxInner[j] = 0;
      this.maxOuter[j] = 0;
      this.rst[j] = 0;
      this.retrans[j] = 0;
      this.zeroWin[j] = 0;
      this.mss[j] = 0;
      this.seqEnd[j] = NaN;
      this.dataPackets[j] = 0;
      this.lastSegSize[j] = 0;
      this.lastSegRetrans[j] = 0;
      this.seenDir[j] = 0;
    }
    this.hist.fill(0, row * SIZE_BUCKETS.length, (row + 1) * SIZE_BUCKETS.length);
    this.retransPk.fill(0, row * EVIDENCE_PER_FLOW, (row + 1) * EVIDENCE_PER_FLOW);
    this.synTimes.fill(0, row * SYN_TIMES, (row + 1) * SYN_TIMES);
    this.outerSeen[row] = 0;
    this.syn[row] = 0;
    this.synAck[row] = 0;
    this.fin[row] = 0;
    this.maxRetransSize[row] = 0;
    this.handshakeAck[row] = 0;
    this.maxAckedSize[row] = 0;
    this.icmpErrors[row] = 0;
    const bucket = h & this.mask;
    this.chain[row] = this.buckets[bucket]!;
    this.buckets[bucket] = row;
    return row;
  }

  /** Evict the least recently seen of 8 sampled rows (approximate LRU, constant time). */
  private evictOne(): number {
    let victim = 0;
    let oldest = Infinity;
    let x = (this.evicted * 2654435761 + 12345) >>> 0;
    for (let s = 0; s < 8; s++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const r = x % this.capacity;
      if (this.lastTime[r]! < oldest) {
        oldest = this.lastTime[r]!;
        victim = r;
      }
    }
    this.evicted++;
    this.evictedPackets += this.packets[victim * 2]! + this.packets[victim * 2 + 1]!;
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
    const j = row * 2 + dir;
    this.packets[j]!++;
    if (f.direction) this.seenDir[j]! |= f.direction;
    this.bytes[j] = this.bytes[j]! + wireLen;
    this.lastTime[row] = time;
    this.lastPacket[row] = number;
    const inner = f.innerIpLen;
    if (inner > this.maxInner[j]!) this.maxInner[j] = inner;
    if (f.tunnelKind !== 0 && f.outerIpLen > this.maxOuter[j]!) this.maxOuter[j] = f.outerIpLen;
    let bkt = 0;
    while (inner > SIZE_BUCKETS[bkt]!) bkt++;
    this.hist[row * SIZE_BUCKETS.length + bkt]!++;
    if (f.icmp >= 0 && f.quotedIp >= 0) this.icmpErrors[row]!++;
    if (f.innerProto !== 6 || f.l4 < 0 || f.icmp >= 0) return;
    const flags = f.tcpFlags;
    if ((flags & TCP_SYN) !== 0) {
      if ((flags & TCP_ACK) === 0) {
        const n = this.syn[row]!;
        if (n < SYN_TIMES) this.synTimes[row * SYN_TIMES + n] = time;
        this.syn[row] = n + 1;
        if (n > 0) this.noteRetrans(row, j, number, inner);
      } else this.synAck[row]!++;
      if (f.tcpMss) this.mss[j] = f.tcpMss;
    } else if ((flags & TCP_ACK) !== 0 && this.synAck[row]! > 0 && this.handshakeAck[row] === 0) {
      this.handshakeAck[row] = 1;
    }
    if ((flags & TCP_RST) !== 0) this.rst[j]!++;
    if ((flags & TCP_FIN) !== 0) this.fin[row]!++;
    if (f.tcpWindow === 0 && (flags & (TCP_SYN | TCP_RST)) === 0) this.zeroWin[j]!++;
    const len = f.payloadLen;
    if (len > 0) {
      this.dataPackets[j]!++;
      const end = f.tcpSeq + len;
      const prev = this.seqEnd[j]!;
      // Sequence space wraps at 2^32: compare by signed 32-bit difference.
      if (prev === prev && ((end - prev) | 0) <= 0) {
        this.noteRetrans(row, j, number, inner);
        if (((end - prev) | 0) === 0) this.lastSegRetrans[j] = 1;
      } else {
        this.seqEnd[j] = end >>> 0;
        this.lastSegSize[j] = inner;
        this.lastSegRetrans[j] = 0;
      }
    }
    if ((flags & TCP_ACK) !== 0) {
      // An ACK covering the other side's newest segment proves a segment of that size got
      // through on its first try: the largest such size bounds the path MTU from below.
      const rj = row * 2 + (1 - dir);
      const rEnd = this.seqEnd[rj]!;
      if (rEnd === rEnd && ((f.tcpAck - rEnd) | 0) >= 0 && this.lastSegRetrans[rj] === 0) {
        const size = this.lastSegSize[rj]!;
        if (size > this.maxAckedSize[row]!) this.maxAckedSize[row] = size;
      }
    }
  }

  private noteRetrans(row: number, j: number, number: number, size: number): void {
    this.lastWasRetrans = true;
    const n = this.retrans[j]! + this.retrans[j ^ 1]!;
    this.retrans[j]!++;
    if (n < EVIDENCE_PER_FLOW) this.retransPk[row * EVIDENCE_PER_FLOW + n] = number;
    if (size > this.maxRetransSize[row]!) this.maxRetransSize[row] = size;
  }

  /** Every live flow as plain data (end of pass; allocation is fine here). */
  summaries(): FlowSummary[] {
    const out: FlowSummary[] = [];
    for (let row = 0; row < this.free; row++) {
      if (this.proto[row]! < 0 || !this.isLive(row)) continue;
      out.push(this.summary(row));
    }
    return out;
  }

  private isLive(row: number): boolean {
    const bucket = this.hash[row]! & this.mask;
    for (let cur = this.buckets[bucket]!; cur !== NIL; cur = this.chain[cur]!) if (cur === row) return true;
    return false;
  }

  summary(row: number): FlowSummary {
    const base = row * KEY_WORDS;
    const keys = this.keys;
    const aStr = addrString(keys, base);
    const bStr = addrString(keys, base + 4);
    const tunnelled = this.tunnelKind[row] !== 0;
    const oA = tunnelled ? addrString(keys, base + 8) : null;
    const oB = tunnelled ? addrString(keys, base + 12) : null;
    const swap = this.initiatorIsB[row] === 1;
    const d0 = swap ? 1 : 0;
    const d1 = 1 - d0;
    const pair = <T extends Float64Array | Uint32Array | Uint16Array>(arr: T): [number, number] => [arr[row * 2 + d0]!, arr[row * 2 + d1]!];
    const proto = this.proto[row]!;
    const isTcp = proto === 6;
    const syn = this.syn[row]!;
    const synAck = this.synAck[row]!;
    const rsts = pair(this.rst);
    const retransPackets: number[] = [];
    for (let e = 0; e < EVIDENCE_PER_FLOW; e++) {
      const pk = this.retransPk[row * EVIDENCE_PER_FLOW + e]!;
      if (pk) retransPackets.push(pk);
    }
    const synTimes: number[] = [];
    for (let e = 0; e < Math.min(syn, SYN_TIMES); e++) synTimes.push(this.synTimes[row * SYN_TIMES + e]!);
    const handshake: NonNullable<FlowSummary['tcp']>['handshake'] =
      syn === 0 && synAck === 0
        ? 'none'
        : this.handshakeAck[row]
          ? 'complete'
          : rsts[1] > 0 && synAck === 0
            ? 'reset'
            : synAck > 0
              ? 'syn-ack-no-ack'
              : 'syn-only';
    const protoName = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 ? 'icmp' : proto === 58 ? 'icmpv6' : `ip-proto-${proto}`;
    const hist: number[] = [];
    for (let e = 0; e < SIZE_BUCKETS.length; e++) hist.push(this.hist[row * SIZE_BUCKETS.length + e]!);
    const sport = swap ? this.portB[row]! : this.portA[row]!;
    const dport = swap ? this.portA[row]! : this.portB[row]!;
    return {
      key: `${protoName} ${swap ? bStr : aStr}:${sport} > ${swap ? aStr : bStr}:${dport}${tunnelled ? ` via ${TUNNEL_NAMES[this.tunnelKind[row]!]}${this.tunnelId[row]! >= 0 ? ' ' + this.tunnelId[row] : ''} ${swap ? oB : oA}>${swap ? oA : oB}` : ''}`,
      proto,
      protoName,
      src: swap ? bStr : aStr,
      sport,
      dst: swap ? aStr : bStr,
      dport,
      tunnel: TUNNEL_NAMES[this.tunnelKind[row]!] ?? 'none',
      tunnelId: this.tunnelId[row]!,
      iface: this.iface[row]!,
      local: localSide(this.seenDir[row * 2 + d0]!, this.seenDir[row * 2 + d1]!),
      outerSrc: swap ? oB : oA,
      outerDst: swap ? oA : oB,
      packets: pair(this.packets),
      bytes: pair(this.bytes),
      firstTime: this.firstTime[row]!,
      lastTime: this.lastTime[row]!,
      firstPacket: this.firstPacket[row]!,
      lastPacket: this.lastPacket[row]!,
      maxInnerSize: pair(this.maxInner),
      maxOuterSize: pair(this.maxOuter),
      sizeHistogram: hist,
      tcp: isTcp
        ? {
            syn,
            synAck,
            rst: rsts,
            fin: this.fin[row]!,
            handshake,
            retransmissions: pair(this.retrans),
            maxRetransmittedSize: this.maxRetransSize[row]!,
            retransmissionPackets: retransPackets,
            zeroWindow: pair(this.zeroWin),
            mss: pair(this.mss),
            synTimes,
            dataPackets: pair(this.dataPackets),
            maxAckedSize: this.maxAckedSize[row]!,
          }
        : null,
      icmpErrors: this.icmpErrors[row]!,
    };
  }
}
