import type { Registry } from './registry.js';

export const MAX_LAYERS = 64;
export const MAX_ANOMALIES = 32;
/** Encapsulations crossed before dissection stops (VXLAN in GRE in VXLAN ...). */
export const MAX_TUNNEL_DEPTH = 8;

const EMPTY = Buffer.alloc(0);

/**
 * One decoded packet: a stack of layers given as offsets into the capture buffer.
 *
 * A single PacketView is reused for every packet of a pass; nothing in it survives the
 * next decode. Layer i covers bytes [start[i], end[i]) of layerBuf[i] (the record's
 * chunk buffer, or a reassembly buffer for messages rebuilt from several segments);
 * its header is [start[i], hdrEnd[i]). Consumers that keep anything copy the numbers
 * they need, never the view.
 */
export class PacketView {
  readonly reg: Registry;

  // The record.
  buf: Buffer = EMPTY;
  /** Offset of the record's first byte in buf. */
  base = 0;
  capLen = 0;
  wireLen = 0;
  linktype = 0;
  /** 1-based frame number within its capture, as tshark numbers frames. */
  number = 0;
  tsSec = 0;
  tsNsec = 0;
  /** Timestamp of the capture's first packet, for relative times. */
  t0Sec = 0;
  t0Nsec = 0;
  captureIndex = 0;
  ifIndex = 0;
  comment: string | null = null;
  /** pcapng epb_flags of the record (direction in bits 0-1); 0 when absent. */
  recordFlags = 0;

  // The layers.
  nLayers = 0;
  readonly proto = new Uint16Array(MAX_LAYERS);
  readonly start = new Int32Array(MAX_LAYERS);
  readonly hdrEnd = new Int32Array(MAX_LAYERS);
  readonly end = new Int32Array(MAX_LAYERS);
  /** Tunnel depth of each layer: 0 for the outermost headers, +1 inside each encapsulation. */
  readonly depth = new Uint8Array(MAX_LAYERS);
  /** Dissector-private word per layer (e.g. a flag saying the IP layer is quoted inside ICMP). */
  readonly aux = new Int32Array(MAX_LAYERS);
  readonly layerBuf: Buffer[] = new Array<Buffer>(MAX_LAYERS).fill(EMPTY);

  // Anomalies.
  nAnomalies = 0;
  readonly anomalyCode = new Uint16Array(MAX_ANOMALIES);
  readonly anomalyLayer = new Uint8Array(MAX_ANOMALIES);

  // What the current dissector says comes next.
  next = 0;
  nextStart = 0;
  nextEnd = 0;
  nextBuf: Buffer = EMPTY;
  /** Set by a dissector whose payload belongs to the quoted packet inside an ICMP error. */
  nextAux = 0;
  /** Set when what comes next is encapsulated (IP-in-IP): it counts against the depth limit. */
  nextTunnel = false;

  /** Per-protocol decoder state, indexed by protocol id (see Dissector.createState). */
  readonly state: unknown[];

  constructor(reg: Registry) {
    this.reg = reg;
    this.state = reg.dissectors.map((d) => d.createState?.());
  }

  /** Name the protocol that continues at [start, end) of the same buffer. */
  setNext(proto: number, start: number, end: number): void {
    this.next = proto;
    this.nextStart = start;
    this.nextEnd = end;
  }

  anomaly(layer: number, code: number): void {
    const n = this.nAnomalies;
    if (n === MAX_ANOMALIES) return;
    this.anomalyCode[n] = code;
    this.anomalyLayer[n] = layer;
    this.nAnomalies = n + 1;
  }

  /** Layer i's header is cut short: record the protocol's truncation anomaly. */
  truncated(i: number): void {
    this.anomaly(i, this.reg.truncatedCode[this.proto[i]!]!);
  }

  hasAnomaly(code: number): boolean {
    for (let k = 0; k < this.nAnomalies; k++) if (this.anomalyCode[k] === code) return true;
    return false;
  }

  /**
   * Append a layer directly (for dissectors that emit several layers from one payload,
   * such as several BGP messages packed in one TCP segment).
   */
  pushLayer(proto: number, buf: Buffer, start: number, hdrEnd: number, end: number, depth: number): number {
    const i = this.nLayers;
    if (i === MAX_LAYERS) return -1;
    this.nLayers = i + 1;
    this.proto[i] = proto;
    this.layerBuf[i] = buf;
    this.start[i] = start;
    this.hdrEnd[i] = hdrEnd;
    this.end[i] = end;
    this.depth[i] = depth;
    this.aux[i] = 0;
    return i;
  }

  /** Index of the first layer of a protocol at or after `from`, or -1. */
  find(proto: number, from = 0): number {
    for (let i = from; i < this.nLayers; i++) if (this.proto[i] === proto) return i;
    return -1;
  }

  /** Index of the last layer of a protocol before `before`, or -1. */
  findLast(proto: number, before = this.nLayers): number {
    for (let i = Math.min(before, this.nLayers) - 1; i >= 0; i--) if (this.proto[i] === proto) return i;
    return -1;
  }

  /** Seconds since the capture's first packet. */
  relativeTime(): number {
    return this.tsSec - this.t0Sec + (this.tsNsec - this.t0Nsec) / 1e9;
  }
}
