import { correlationIndex } from './correlate.js';
import { encapOf, flowKeyOf, packetLabel } from './describe.js';
import type { TracedFrames } from './trace-frames.js';
import type { Correlation, Trace, TracedPacket } from './types.js';

/** Journeys listed per trace; the rest are counted. */
export const TRACE_PACKETS = 200;

function rowOfFrame(frames: Uint32Array, count: number, frame: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const f = frames[mid]!;
    if (f === frame) return mid;
    if (f < frame) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The journey of every packet one of whose sightings matched the filter: each point it
 * was seen at, in corrected time, and the first point it should have reached but did not.
 */
export function traceJourneys(c: Correlation, traced: ReadonlyArray<TracedFrames | undefined>, filter: string): Trace {
  const ix = correlationIndex(c);
  if (!ix) return { filter, packets: [], omitted: traced.reduce((n, t) => n + (t?.count ?? 0), 0) };
  const { joined: j, packets } = ix;
  const chosen = new Set<number>();
  let beyond = 0;
  traced.forEach((t, cap) => {
    if (!t) return;
    beyond += t.count - t.packets.length;
    const table = j.tables[cap];
    if (!table) return;
    for (const frame of t.packets) {
      const i = rowOfFrame(table.frame, table.count, frame);
      if (i < 0) continue;
      chosen.add(packets.pktOf[j.instOf[j.base[cap]! + i]!]!);
    }
  });
  const firstTime = (p: number) => packets.instTime[packets.list[packets.start[p]!]!]!;
  const order = [...chosen].sort((a, b) => firstTime(a) - firstTime(b));
  const out: TracedPacket[] = order.slice(0, TRACE_PACKETS).map((p) => journey(c, p));
  return { filter, packets: out, omitted: Math.max(0, order.length - TRACE_PACKETS) + beyond };
}

function journey(c: Correlation, p: number): TracedPacket {
  const ix = correlationIndex(c)!;
  const { joined: j, packets } = ix;
  const events: TracedPacket['events'] = [];
  let head = -1;
  for (let x = packets.start[p]!; x < packets.start[p + 1]!; x++) {
    const q = packets.list[x]!;
    const cap = j.instCap[q]!;
    const off = c.points[cap]?.clockOffset ?? 0;
    for (let m = ix.instFirst[q]!; m < ix.instFirst[q + 1]!; m++) {
      const g = j.members[m]!;
      const t = j.tables[cap]!;
      const i = g - j.base[cap]!;
      if (head < 0) head = g;
      events.push({ capture: t.capture, iface: t.iface[i]!, packet: t.frame[i]!, time: t.time[i]! + off, since: 0, encap: encapOf(t, i), size: t.size[i]!, direction: t.flags[i]! & 3 });
    }
  }
  events.sort((a, b) => a.time - b.time);
  const t0 = events[0]?.time ?? 0;
  for (const e of events) e.since = e.time - t0;
  const hc = j.capOf[head]!;
  const ht = j.tables[hc]!;
  const hi = head - j.base[hc]!;
  const step = ix.missing[p]!;
  const chain = ix.chains[ix.packetFlow[p]!]!.chain;
  const miss = step >= 0 ? chain[step] : undefined;
  const missing = miss ? `${j.tables[miss.capture]!.capture}${miss.form === 'outer' ? ' (encapsulated)' : miss.form === 'inner' ? ' (bare)' : ''}` : null;
  return { flow: flowKeyOf(ht, hi), label: packetLabel(ht, hi), events, missing };
}
