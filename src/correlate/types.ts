/**
 * Cross-capture correlation: what netdiag learns by following each packet through every
 * capture point it was seen at. Plain JSON data (the report's `correlation` member); the
 * terminal UI and the HTML report read these types, so changes here are additive only.
 *
 * Times are seconds. "Corrected" times are on the first capture's clock: the capture's
 * own timestamp plus its `clockOffset`.
 */

/** What a capture point is, judged from the packets it saw. */
export type PointKind =
  /** A pod's eth0 (or its host-side veth): bare packets to and from one pod address. */
  | 'pod'
  /** A node's underlay NIC: encapsulated packets between node addresses, or routed pod traffic. */
  | 'underlay'
  /** `tcpdump -i any` on a node: the same packet on several interfaces, bare and encapsulated. */
  | 'any'
  /** Could not tell. */
  | 'unknown';

/** One capture as a point on the network, with its clock relative to the first capture. */
export interface CapturePoint {
  /** Capture point name, as evidence cites it. */
  capture: string;
  /** Index of the capture in the report's `captures`. */
  index: number;
  kind: PointKind;
  /** Underlay IP of the node the capture was taken on, when known. */
  node: string | null;
  /** The pod address a `pod` point belongs to. */
  pod: string | null;
  /** 0..1: how sure the kind and node are. */
  confidence: number;
  /** Why, in words (e.g. "every packet is to or from 100.96.1.2"). */
  why: string;
  /**
   * Seconds to add to this capture's timestamps to put it on the first capture's clock
   * (0 for the first capture), or null when no packet links it to the first capture.
   */
  clockOffset: number | null;
  /** Half-width of the interval the offset is known to lie in; null when unknown. */
  clockOffsetError: number | null;
  /**
   * How the offset was found: `reference` (the first capture), `two-way` (packets in both
   * directions, NTP-style), `one-way` (one direction only: no offset when every packet
   * shows up later at one end within 50 ms, else the minimum delay taken as zero; a wider
   * error), `none` (no packet seen both here and in a linked capture).
   */
  clockMethod: 'reference' | 'two-way' | 'one-way' | 'none';
  /** Packets this capture shares with at least one other capture. */
  matchedPackets: number;
  /** Packets (distinct, per identity) the capture held that could be followed. */
  packets: number;
}

export type EncapKind = 'none' | 'vxlan' | 'geneve' | 'gre' | 'ipip' | 'flannel-udp' | 'vxlan-gpe' | 'wireguard';

/** How a packet looked at one point: bare, or inside a tunnel between two addresses. */
export interface Encapsulation {
  kind: EncapKind;
  /** Outer source and destination (tunnel endpoints); null when bare. */
  outerSrc: string | null;
  outerDst: string | null;
  /** VXLAN/Geneve VNI or GRE key; null when none. */
  vni: number | null;
}

/** The inner (pod-level) identity of a flow in one direction. */
export interface FlowKey {
  src: string;
  dst: string;
  /** IP protocol number (1 ICMP, 6 TCP, 17 UDP...). */
  proto: number;
  /** Transport ports; 0 for ICMP and others. */
  sport: number;
  dport: number;
}

/** A sighting point: a capture, and for `any` captures the interface within it. */
export interface Hop {
  capture: string;
  /** Interface index within the capture (pcapng interface × 2^20 + Linux cooked ifindex); 0 when there is one. */
  iface: number;
  encap: Encapsulation;
  /** Distinct packets of the flow seen here. */
  packets: number;
  /** A bounded sample of frame numbers, for `netdiag read FILE --list`. */
  sample: number[];
}

/** Latency between two consecutive hops, from packets seen at both (corrected clocks). */
export interface Segment {
  from: string;
  fromIface: number;
  to: string;
  toIface: number;
  /** Packets seen at both ends. */
  packets: number;
  /** Packets seen at `from` whose journey ended there (lost on this segment). */
  lost: number;
  /** Seconds from `from` to `to`: minimum, median, maximum; null without packets at both. */
  latency: { min: number; median: number; max: number } | null;
}

/** One flow direction across every capture point it crossed. */
export interface FlowPath {
  flow: FlowKey;
  /** Distinct packets of this direction (retransmissions count separately). */
  packets: number;
  /** Packets that stopped short of the last point they were expected at. */
  lost: number;
  /** Hops in the order packets crossed them (corrected time). */
  hops: Hop[];
  segments: Segment[];
}

/** Where a loss happened, in network terms. */
export type LossPlace =
  /** Left the source pod but never reached its node's underlay (routing/forwarding on the source node). */
  | 'source-node'
  /** Left the source node's underlay, never reached the destination node's underlay. */
  | 'underlay'
  /** Reached the destination node's underlay, never the pod (decapsulation, firewall, forwarding). */
  | 'destination-node'
  /** Encapsulated or routed toward a node that does not own the destination pod. */
  | 'misdirected'
  /** Between two points netdiag could not place. */
  | 'unknown';

/** What the lost packets have in common, beyond their place. */
export interface LossPattern {
  /** Every packet of the group's flows crossing that point was lost (not just some). */
  allPackets: boolean;
  /** Only packets above this inner IP length were lost (the largest delivered size); null when sizes do not explain it. */
  sizeAbove: number | null;
  /** Only one direction of the flows is affected. */
  oneDirection: boolean;
  /** The one destination node every lost packet was headed to, if they share one. */
  dstNode: string | null;
  /** Outer destination of the lost packets at the last point, if encapsulated and shared. */
  outerDst: string | null;
}

/** Lost packets grouped by their last point and first missing point. */
export interface LossGroup {
  place: LossPlace;
  /** Last capture point the packets were seen at. */
  lastSeen: string;
  /** First capture point they should have reached; null when no capture covers it. */
  firstMissing: string | null;
  /**
   * At an `any` point, which form of the packet: `encapsulated` (on the NIC) or `bare`
   * (on the VTEP, bridge or veth); null elsewhere. `node2-any` bare missing after
   * `node2-any` encapsulated seen is a decapsulation drop.
   */
  lastSeenForm: 'encapsulated' | 'bare' | null;
  firstMissingForm: 'encapsulated' | 'bare' | null;
  /** Node of the last point and of the first missing point (underlay IPs) when known; for `misdirected`, `toNode` is where the packets were sent. */
  fromNode: string | null;
  toNode: string | null;
  /** For `misdirected`: whether the address packets were sent to owns a pod CIDR known from the captures or node state (false: a stale or foreign address, or one whose pods were not seen); null otherwise. */
  toNodeOwnsPods: boolean | null;
  /** Packets lost here, and packets of the same flows that made it past this segment. */
  lost: number;
  delivered: number;
  pattern: LossPattern;
  /** Flows with losses here ("100.96.1.2 → 100.96.2.2 icmp"). */
  flows: string[];
  /** Frame numbers at `lastSeen` (bounded sample). */
  sample: number[];
  /** Inner IP lengths of the lost packets: smallest and largest. */
  sizes: { min: number; max: number };
}

/** One packet at one point of its journey. */
export interface TraceEvent {
  capture: string;
  iface: number;
  /** Frame number within that capture. */
  packet: number;
  /** Corrected time (seconds since the epoch on the first capture's clock). */
  time: number;
  /** Seconds since the packet's first sighting. */
  since: number;
  encap: Encapsulation;
  /** Inner IP total length. */
  size: number;
  /** 1 arriving at, 2 leaving the capturing host, 0 unknown. */
  direction: number;
}

/** The journey of one packet matching `--trace`. */
export interface TracedPacket {
  flow: FlowKey;
  /** Human label: "icmp echo id 7 seq 3", "tcp seq 1000 ack 1 [PSH ACK] len 1448". */
  label: string;
  events: TraceEvent[];
  /** The first expected point it never reached; null when it arrived (or nothing was expected). */
  missing: string | null;
}

export interface Trace {
  filter: string;
  packets: TracedPacket[];
  /** Matching packets beyond the listed ones. */
  omitted: number;
}

/** Everything correlation found: the report's `correlation`. */
export interface Correlation {
  points: CapturePoint[];
  /** Distinct packets seen at two or more points. */
  matched: number;
  paths: FlowPath[];
  pathsOmitted: number;
  losses: LossGroup[];
  /** The `--trace` journeys; null when no trace was asked for. */
  trace: Trace | null;
  /**
   * Captures whose sightings were cut at the per-capture bound (their later packets are
   * not followed), and the bound.
   */
  truncated: string[];
  sightingLimit: number;
}
