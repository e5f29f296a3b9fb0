import { FRESH, type Arrays } from './array-pool.js';
import type { Joined } from './match.js';

/**
 * Instances joined into packets: one group's instances from different captures whose
 * corrected times lie within `window` of the first. Instances the header identity left
 * alone get a second chance by the NAT key (addresses and ports rewritten, the rest kept)
 * within a tighter window.
 */
export interface Packets {
  count: number;
  pktOf: Int32Array;
  /** Instances of packet p: list[start[p] .. start[p+1]) in corrected-time order. */
  start: Int32Array;
  list: Int32Array;
  /** Corrected first time per instance. */
  instTime: Float64Array;
  /** Packets that were joined through the NAT key. */
  natJoined: number;
}

export const MATCH_WINDOW = 1;
export const NAT_WINDOW = 0.2;

/** With a pool for `arrays`, the result is valid until the pool's next use for packets. */
export function buildPackets(j: Joined, offsets: Array<number | null>, window = MATCH_WINDOW, arrays: Arrays = FRESH): Packets {
  const n = j.instances;
  const instTime = arrays.float64('p.instTime', n);
  for (let q = 0; q < n; q++) instTime[q] = j.instT0[q]! + (offsets[j.instCap[q]!] ?? 0);
  const pktOf = arrays.int32('p.pktOf', n).fill(-1);
  let count = 0;
  // A group's instances are numbered consecutively (join walks groups in order).
  const order = arrays.int32('p.order', n);
  const stamp = new Int32Array(j.tables.length).fill(-1);
  let s = 0;
  while (s < n) {
    const k = j.instGroup[s]!;
    let e = s;
    while (e < n && j.instGroup[e] === k) {
      order[e] = e;
      e++;
    }
    if (e - s > 1) sortByTime(order, s, e, instTime);
    count = clusterGroup(j, order, s, e, instTime, stamp, pktOf, count, window);
    s = e;
  }

  // NAT fallback over instances that stayed alone.
  const size = arrays.int32('p.size', count).fill(0);
  for (let q = 0; q < n; q++) size[pktOf[q]!]!++;
  // A pooled array, not a growing list: when the captures share few packets, nearly every instance is alone.
  const aloneAll = arrays.int32('p.alone', n);
  let nAlone = 0;
  for (let q = 0; q < n; q++) if (size[pktOf[q]!] === 1) aloneAll[nAlone++] = q;
  const alone = aloneAll.subarray(0, nAlone);
  let natJoined = 0;
  if (nAlone > 1) {
    const natAt = arrays.uint32('p.nat', n);
    for (const q of alone) {
      const g = j.instHead[q]!;
      const c = j.capOf[g]!;
      natAt[q] = j.tables[c]!.nat[g - j.base[c]!]!;
    }
    // Only keys held by two or more instances can join anything. Most are held by one when
    // the captures share few packets, and sorting just the rest keeps this step small.
    const shared = withSharedKey(alone, natAt, arrays);
    shared.sort((x, y) => natAt[x]! - natAt[y]! || instTime[x]! - instTime[y]!);
    let a = 0;
    while (a < shared.length) {
      let b = a + 1;
      const key = natAt[shared[a]!]!;
      while (b < shared.length && natAt[shared[b]!] === key) b++;
      if (b - a > 1) {
        const run = shared.subarray(a, b);
        const before = new Set(Array.from(run, (q) => pktOf[q]!));
        const next = cluster(j, shared, a, b, instTime, stamp, pktOf, count, NAT_WINDOW);
        const after = new Set(Array.from(run, (q) => pktOf[q]!));
        natJoined += Math.max(0, before.size - after.size);
        count = next;
      }
      a = b;
    }
  }

  // Renumber densely and lay out per packet.
  const remap = arrays.int32('p.remap', count).fill(-1);
  let dense = 0;
  for (let q = 0; q < n; q++) {
    const p = pktOf[q]!;
    if (remap[p] === -1) remap[p] = dense++;
    pktOf[q] = remap[p]!;
  }
  const start = arrays.int32('p.start', dense + 1).fill(0);
  for (let q = 0; q < n; q++) start[pktOf[q]! + 1]!++;
  for (let p = 0; p < dense; p++) start[p + 1]! += start[p]!;
  const fill = arrays.int32('p.fill', dense);
  fill.set(start.subarray(0, dense));
  const list = arrays.int32('p.list', n);
  for (let q = 0; q < n; q++) list[fill[pktOf[q]!]!++] = q;
  for (let p = 0; p < dense; p++) if (start[p + 1]! - start[p]! > 1) sortByTime(list, start[p]!, start[p + 1]!, instTime);
  return { count: dense, pktOf, start, list, instTime, natJoined };
}

/** The members of `qs` whose `key` another member also has, in their order (an open-addressing count table). */
function withSharedKey(qs: Int32Array, key: Uint32Array, arrays: Arrays): Int32Array {
  let cap = 16;
  while (cap < qs.length * 2) cap *= 2;
  const mask = cap - 1;
  // Per slot the key and how many hold it (0 empty, 1, 2 for several), side by side so a
  // probe reads one cache line; each member's slot is kept for the second pass.
  const slots = arrays.uint32('p.natSlots', cap * 2).fill(0);
  const slotOf = arrays.int32('p.natSlotOf', qs.length);
  for (let x = 0; x < qs.length; x++) {
    const k = key[qs[x]!]!;
    let h = (Math.imul(k, 0x9e3779b1) >>> 0) & mask;
    while (slots[2 * h + 1] !== 0 && slots[2 * h] !== k) h = (h + 1) & mask;
    if (slots[2 * h + 1] === 0) {
      slots[2 * h] = k;
      slots[2 * h + 1] = 1;
    } else slots[2 * h + 1] = 2;
    slotOf[x] = h;
  }
  const shared: number[] = [];
  for (let x = 0; x < qs.length; x++) if (slots[2 * slotOf[x]! + 1] === 2) shared.push(qs[x]!);
  return Int32Array.from(shared);
}

/**
 * Sort a[from..to) by instance time, ties in their present order (stable, as the join
 * laid them out). A packet or group has a handful of instances: insertion sort, unless a
 * hostile capture makes one large.
 */
function sortByTime(a: Int32Array, from: number, to: number, instTime: Float64Array): void {
  if (to - from > 16) {
    const part = Array.from(a.subarray(from, to)).sort((x, y) => instTime[x]! - instTime[y]!);
    a.set(part, from);
    return;
  }
  for (let x = from + 1; x < to; x++) {
    const q = a[x]!;
    const t = instTime[q]!;
    let y = x;
    while (y > from && instTime[a[y - 1]!]! > t) {
      a[y] = a[y - 1]!;
      y--;
    }
    a[y] = q;
  }
}

/** Groups up to this size are split by payload before time decides; larger ones by time alone. */
export const PAYLOAD_SPLIT_MAX = 64;

function payloadOf(j: Joined, q: number): number {
  const c = j.instCap[q]!;
  return j.tables[c]!.payload[j.instHead[q]! - j.base[c]!]!;
}

/**
 * One group's instances into packets. Headers alike (IPv6 UDP, or IPv4 with IP ID 0) can
 * leave many packets in one group, sent closer together than the path's delay: the payload
 * prefix sorts those out first, then instances whose payload the snaplen hid join the
 * nearest packet in time that lacks their capture.
 */
function clusterGroup(j: Joined, order: Int32Array, from: number, to: number, instTime: Float64Array, stamp: Int32Array, pktOf: Int32Array, count: number, window: number): number {
  const size = to - from;
  if (size <= 2 || size > PAYLOAD_SPLIT_MAX || onePayload(j, order, from, to)) return cluster(j, order, from, to, instTime, stamp, pktOf, count, window);
  const group = order.subarray(from, to);
  const known = group.filter((q) => payloadOf(j, q) !== 0);
  const unknown = group.filter((q) => payloadOf(j, q) === 0);
  known.sort((x, y) => payloadOf(j, x) - payloadOf(j, y) || instTime[x]! - instTime[y]!);
  const first = count;
  for (let a = 0; a < known.length; ) {
    let b = a + 1;
    while (b < known.length && payloadOf(j, known[b]!) === payloadOf(j, known[a]!)) b++;
    count = cluster(j, known, a, b, instTime, stamp, pktOf, count, window);
    a = b;
  }
  const start: number[] = [];
  const caps: number[][] = [];
  for (let p = first; p < count; p++) {
    start.push(Infinity);
    caps.push([]);
  }
  for (const q of known) {
    const k = pktOf[q]! - first;
    start[k] = Math.min(start[k]!, instTime[q]!);
    caps[k]!.push(j.instCap[q]!);
  }
  for (const u of unknown) {
    const c = j.instCap[u]!;
    let best = -1;
    let bestGap = Infinity;
    for (let k = 0; k < start.length; k++) {
      const gap = Math.abs(instTime[u]! - start[k]!);
      if (gap <= window && gap < bestGap && !caps[k]!.includes(c)) {
        best = k;
        bestGap = gap;
      }
    }
    if (best < 0) {
      best = start.length;
      start.push(instTime[u]!);
      caps.push([]);
      count++;
    }
    caps[best]!.push(c);
    pktOf[u] = first + best;
  }
  return count;
}

/** No payload known, or one payload and none unknown: time alone splits the group. */
function onePayload(j: Joined, order: Int32Array, from: number, to: number): boolean {
  let seen = 0;
  let unknown = false;
  for (let x = from; x < to; x++) {
    const pay = payloadOf(j, order[x]!);
    if (pay === 0) unknown = true;
    else if (seen === 0) seen = pay;
    else if (pay !== seen) return false;
  }
  return seen === 0 || !unknown;
}

/** Time-ordered instances order[from..to) into packets: a capture seen twice, a payload mismatch or the window starts a new one. */
function cluster(j: Joined, order: Int32Array, from: number, to: number, instTime: Float64Array, stamp: Int32Array, pktOf: Int32Array, count: number, window: number): number {
  let cur = -1;
  let curStart = 0;
  let curPayload = 0;
  for (let x = from; x < to; x++) {
    const q = order[x]!;
    const c = j.instCap[q]!;
    const g = j.instHead[q]!;
    const pay = j.tables[c]!.payload[g - j.base[c]!]!;
    const clash = cur >= 0 && pay !== 0 && curPayload !== 0 && pay !== curPayload;
    if (cur < 0 || stamp[c] === cur || instTime[q]! - curStart > window || clash) {
      cur = count++;
      curStart = instTime[q]!;
      curPayload = 0;
    }
    stamp[c] = cur;
    if (pay !== 0) curPayload = pay;
    pktOf[q] = cur;
  }
  return count;
}
