import { EVIDENCE_SAMPLE } from './finding.js';

/** Counts of one observed association (e.g. "MAC m sent from IP x") with sample packets. */
export interface PairStat {
  a: number;
  b: number;
  /** Extra small key (VNI, UDP port...), -1 when unused. */
  c: number;
  count: number;
  firstPacket: number;
  lastPacket: number;
  firstTime: number;
  lastTime: number;
  packets: number[];
}

/**
 * A bounded map of (a, b, c) → PairStat for facts seen on many packets. Consecutive
 * packets of one flow repeat the same pair, so the last hit is cached and most packets
 * cost three comparisons. Beyond `cap` distinct pairs new ones are only counted.
 */
export class PairCounter {
  private readonly map = new Map<number, Map<number, PairStat[]>>();
  private last: PairStat | null = null;
  size = 0;
  overflow = 0;

  constructor(private readonly cap = 20000) {}

  add(a: number, b: number, c: number, packet: number, time: number): void {
    const l = this.last;
    if (l !== null && l.a === a && l.b === b && l.c === c) {
      this.bump(l, packet, time);
      return;
    }
    let inner = this.map.get(a);
    if (inner === undefined) {
      if (this.size >= this.cap) {
        this.overflow++;
        return;
      }
      inner = new Map();
      this.map.set(a, inner);
    }
    let list = inner.get(b);
    let stat: PairStat | undefined;
    if (list !== undefined) for (const s of list) if (s.c === c) stat = s;
    if (stat === undefined) {
      if (this.size >= this.cap) {
        this.overflow++;
        return;
      }
      stat = { a, b, c, count: 0, firstPacket: packet, lastPacket: packet, firstTime: time, lastTime: time, packets: [] };
      if (list === undefined) inner.set(b, (list = []));
      list.push(stat);
      this.size++;
    }
    this.last = stat;
    this.bump(stat, packet, time);
  }

  private bump(s: PairStat, packet: number, time: number): void {
    s.count++;
    s.lastPacket = packet;
    s.lastTime = time;
    if (s.packets.length < EVIDENCE_SAMPLE) s.packets.push(packet);
  }

  all(): PairStat[] {
    const out: PairStat[] = [];
    for (const inner of this.map.values()) for (const list of inner.values()) out.push(...list);
    return out;
  }
}
