import type { FieldDef } from './field.js';
import type { PacketView } from './packet-view.js';
import type { Registry } from './registry.js';

/**
 * One protocol. `decode` is the hot path: it reads the header of layer `i`
 * (bytes [p.start[i], p.end[i]) of p.layerBuf[i]), sets p.hdrEnd[i], and names what
 * comes next by calling p.setNext(protoId, start, end) — or leaves p.next at 0 to
 * stop. It allocates nothing and never reads outside the layer; a short or
 * malformed header becomes p.anomaly(i, id) and the dissection stops cleanly. It is called
 * as a plain function (the decode loop's indirect call stays cheap that way): no `this`.
 */
export interface Dissector {
  /** Wireshark's protocol filter name (`ip`, `vxlan`, `bgp`). */
  readonly name: string;
  /** Name shown in the Protocol column and detail views (`IPv4`, `VXLAN`). */
  readonly label: string;
  /** True for encapsulations: each one crossed counts against the tunnel depth limit. */
  readonly tunnel?: boolean;
  readonly fields: readonly FieldDef[];
  /**
   * Per-pass state (e.g. TCP stream reassembly buffers), created once per decoder and
   * reachable from decode() as p.state[proto id]. Must keep its memory bounded.
   */
  createState?(): unknown;
  /** Resolve protocol ids and dispatch tables once, after every protocol is registered. */
  init?(reg: Registry): void;
  decode(p: PacketView, i: number): void;
  /** One-line description of this layer for packet lists (output path only). */
  summary?(p: PacketView, i: number): string;
}

/** A protocol module: its dissector plus the dispatch entries that lead to it. */
export interface ProtocolModule {
  readonly dissector: Dissector;
  /** Dispatch entries, e.g. ['udp.port', 4789]: "UDP port 4789 carries this protocol". */
  readonly dispatch?: ReadonlyArray<readonly [table: string, key: number]>;
  /** Anomalies this protocol can report: id suffix → [severity, description]. */
  readonly anomalies?: Readonly<Record<string, readonly [AnomalySeverity, string]>>;
}

export type AnomalySeverity = 'error' | 'warning' | 'note';
