import { encapOf, flowKeyOf, packetLabel } from './describe.js';
import type { ChainStep, FlowEnds } from './expect.js';
import type { JoinedRows } from './match.js';
import type { TracedFrames } from './trace-frames.js';
import type { FlowKey, Trace, TracedPacket } from './types.js';

/** Journeys listed per trace; the rest are counted. */
export const TRACE_PACKETS = 200;

/**
 * Records, while correlation streams by, the journey of every packet one of whose
 * sightings matched the --trace filter: each point it was seen at, in corrected time, and
 * the first point it should have reached but did not.
 */
export class TraceRecorder {
  private readonly frames: Array<Set<number>>;
  private beyond: number;
  private readonly found: Array<{ first: number; packet: TracedPacket }> = [];

  constructor(
    traced: ReadonlyArray<TracedFrames | undefined>,
    private readonly names: readonly string[],
    private readonly chains: ReadonlyArray<{ flow: FlowKey; ends: FlowEnds; chain: ChainStep[] } | undefined>,
  ) {
    this.frames = names.map((_, c) => new Set(traced[c]?.packets ?? []));
    this.beyond = traced.reduce((n, t) => n + (t ? t.count - t.packets.length : 0), 0);
  }

  /** One packet (rows[from .. to) of `j`, corrected times, first corrected time, chain step missed or -1). */
  packet(flow: number, rows: Int32Array, times: Float64Array, from: number, to: number, first: number, missed: number, j: JoinedRows): void {
    let hit = false;
    for (let k = from; k < to && !hit; k++) {
      const g = rows[k]!;
      const c = j.capOf[g]!;
      hit = this.frames[c]!.has(j.tables[c]!.frame[g - j.base[c]!]!);
    }
    if (!hit) return;
    const events: TracedPacket['events'] = [];
    for (let k = from; k < to; k++) {
      const g = rows[k]!;
      const c = j.capOf[g]!;
      const t = j.tables[c]!;
      const i = g - j.base[c]!;
      events.push({ capture: this.names[c]!, iface: t.iface[i]!, packet: t.frame[i]!, time: times[k]!, since: 0, encap: encapOf(t, i), size: t.size[i]!, direction: t.flags[i]! & 3 });
    }
    events.sort((a, b) => a.time - b.time);
    const t0 = events[0]?.time ?? 0;
    for (const e of events) e.since = e.time - t0;
    const head = rows[from]!;
    const hc = j.capOf[head]!;
    const ht = j.tables[hc]!;
    const hi = head - j.base[hc]!;
    const miss = missed >= 0 ? this.chains[flow]!.chain[missed] : undefined;
    const missing = miss ? `${this.names[miss.capture]!}${miss.form === 'outer' ? ' (encapsulated)' : miss.form === 'inner' ? ' (bare)' : ''}` : null;
    this.found.push({ first, packet: { flow: flowKeyOf(ht, hi), label: packetLabel(ht, hi), events, missing } });
    // Only the earliest are listed: later ones are counted and let go as they come.
    if (this.found.length >= 2 * TRACE_PACKETS) this.trim();
  }

  private trim(): void {
    this.found.sort((a, b) => a.first - b.first);
    this.beyond += this.found.length - TRACE_PACKETS;
    this.found.length = TRACE_PACKETS;
  }

  result(filter: string): Trace {
    if (this.found.length > TRACE_PACKETS) this.trim();
    else this.found.sort((a, b) => a.first - b.first);
    return { filter, packets: this.found.map((f) => f.packet), omitted: this.beyond };
  }
}
