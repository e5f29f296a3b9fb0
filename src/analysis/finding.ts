/** What an analyzer concludes, as plain JSON-serializable data. */

export type Severity = 'error' | 'warning' | 'info';

export const COMPONENTS = [
  'mtu',
  'fdb',
  'neighbor',
  'vni',
  'firewall',
  'l2-nexthop',
  'route',
  'bgp-session',
  'bgp-routes',
  'arp',
  'checksum',
  'tcp',
  'icmp',
  'capture',
  /** The cluster's API objects disagree with the wire. */
  'cluster-state',
] as const;
export type Component = (typeof COMPONENTS)[number];

export interface Evidence {
  /** Capture point name (file name or NAME= given on the command line). */
  capture: string;
  /** Frame numbers in that capture (a bounded sample; `count` says how many in all). */
  packets: number[];
  count: number;
  note: string;
}

export interface Finding {
  /** Stable id of the finding kind, e.g. `mtu.size-dependent-loss`. */
  id: string;
  severity: Severity;
  /** 0..1: how sure the analyzer is, from the strength of the evidence. */
  confidence: number;
  component: Component;
  /** Underlay IP of the node where the fault lives, where known. */
  node: string | null;
  title: string;
  detail: string;
  evidence: Evidence[];
  remedy: string[];
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Most important first: severity, then confidence; ties keep a stable order by id. */
export function rankFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.confidence - a.confidence || a.id.localeCompare(b.id),
  );
}

/** Cap on packet numbers carried per evidence item: enough to find them, small enough for a ticket. */
export const EVIDENCE_SAMPLE = 10;

export function evidence(capture: string, packets: Iterable<number>, count: number, note: string): Evidence {
  const sample: number[] = [];
  for (const p of packets) {
    if (sample.length === EVIDENCE_SAMPLE) break;
    sample.push(p);
  }
  return { capture, packets: sample, count, note };
}

/** A bounded sample of packet numbers plus the true count: the shape every piece of evidence keeps. */
export class PacketSample {
  readonly packets: number[] = [];
  count = 0;
  constructor(private readonly cap = EVIDENCE_SAMPLE) {}
  add(n: number): void {
    this.count++;
    if (this.packets.length < this.cap) this.packets.push(n);
  }
  toJSON(): { packets: number[]; count: number } {
    return { packets: this.packets, count: this.count };
  }
}
