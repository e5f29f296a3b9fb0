import type { FlowSummary } from '../flow-table.js';
import type { PairStat } from '../pair-counter.js';
import type { BgpHint } from './build.js';
import type { CniSignals } from './cni-signals.js';
import type { CniGuess, Topology } from './types.js';

/** Everything a CNI mode's recogniser may look at; each mode is one function of this. */
export interface CniInputs {
  topology: Topology;
  /** Tunnel kind × 65536 + UDP port (or IP protocol), as the topology collector records them. */
  kinds: ReadonlySet<number>;
  /** UDP port → VNIs seen on it (VXLAN and Geneve frames with an inner Ethernet header). */
  vnis: ReadonlyMap<number, ReadonlySet<number>>;
  flows: ReadonlyArray<ReadonlyArray<FlowSummary>>;
  signals: ReadonlyArray<CniSignals | undefined>;
  bgp: BgpHint | null;
}

export type CniMode = (inputs: CniInputs) => CniGuess | null;

/** "node1.pcap packets 3, 7, 9": where a fact was seen, for the evidence line. */
export function seenIn(capture: string, s: Pick<PairStat, 'packets'>): string {
  return `${capture} packet${s.packets.length === 1 ? '' : 's'} ${s.packets.slice(0, 5).join(', ')}`;
}

/** Conversations on a well-known port, counted across captures with the first few as text. */
export function portFlows(flows: CniInputs['flows'], proto: 'tcp' | 'udp', port: number): { count: number; packets: number; examples: string[] } {
  const out = { count: 0, packets: 0, examples: [] as string[] };
  for (const list of flows) {
    for (const f of list) {
      if (f.protoName !== proto || f.tunnel !== 'none' || (f.dport !== port && f.sport !== port)) continue;
      out.count++;
      out.packets += f.packets[0] + f.packets[1];
      const ex = `${f.src} ↔ ${f.dst}`;
      if (out.examples.length < 3 && !out.examples.includes(ex)) out.examples.push(ex);
    }
  }
  return out;
}
