import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import type { PacketView } from '../decode/packet-view.js';
import type { PacketFacts } from '../analysis/facts.js';
import { ADDRESS_WORDS, foldAddr, hashWords, identityWords, innerIcmp, innerPorts, payloadHash, SEED_HI, SEED_LO, SEED_NAT } from './identity.js';

/**
 * Rows of sightings (one per IP packet) as typed-array columns: identity, where and when
 * the packet was seen and how it was wrapped. Correlation works on a sliding window of
 * these; nothing per packet is an object.
 */
export interface SightingTable {
  capture: string;
  count: number;
  /** Sightings stopped at `limit`: later packets of the capture are not followed. */
  truncated: boolean;
  limit: number;
  /** Header identity (64 bits), the address- and port-free NAT key, payload prefix hash (0 unknown). */
  keyHi: Uint32Array;
  keyLo: Uint32Array;
  nat: Uint32Array;
  payload: Uint32Array;
  time: Float64Array;
  frame: Uint32Array;
  iface: Uint32Array;
  /** Inner addresses (IPv4; IPv6 folded to one word and flagged in `flags`). */
  src: Uint32Array;
  dst: Uint32Array;
  /** sport << 16 | dport. */
  ports: Uint32Array;
  proto: Uint8Array;
  /** Inner IP total length. */
  size: Uint16Array;
  /** bits 0-1 direction (1 in, 2 out), bit 2 inner IPv6, bit 3 outer IPv6. */
  flags: Uint8Array;
  /** Tunnel kind (facts' TUNNEL_* numbering), outer addresses, VNI/key (-1 none). */
  tunnel: Uint8Array;
  outerSrc: Uint32Array;
  outerDst: Uint32Array;
  vni: Int32Array;
  /** For labels: TCP seq or ICMP id << 16 | seq; TCP ack or ICMP type << 8 | code; TCP flags. */
  aux1: Uint32Array;
  aux2: Uint32Array;
  tcpFlags: Uint16Array;
}

/**
 * All sightings of one capture, in capture order, as fixed-size chunks: in a spill file
 * (chunks back to back) or, without a spill folder, in memory. Small and
 * structured-cloneable: this is what a worker hands back.
 */
export interface SightingStore {
  capture: string;
  count: number;
  truncated: boolean;
  limit: number;
  /** Rows per chunk; every chunk but the last is full, and every chunk is `chunkBytes` long. */
  chunkRows: number;
  chunkBytes: number;
  /** The spill file, or null when the chunks are in `chunks`. */
  file: string | null;
  chunks: ArrayBuffer[];
  /** Distinct interfaces the capture saw packets on (counted up to 64). */
  interfaces: number;
}

/** Default bound on sightings kept per capture in memory (71 bytes each). */
export const DEFAULT_SIGHTING_LIMIT = 4_000_000;
/** The bound when they spill to a file (2.3 GB of disk at most per capture). */
export const SPILL_SIGHTING_LIMIT = 32_000_000;
/** Rows per chunk: the unit of spill writes and reads (about 1.1 MiB). */
export const CHUNK_ROWS = 16384;

const FLAG_V6 = 4;
const FLAG_OUTER_V6 = 8;
const MAX_INTERFACES = 64;

export type Columns = Omit<SightingTable, 'capture' | 'count' | 'truncated' | 'limit'>;

/** Column order and element sizes: the chunk layout, one column after the other. */
const LAYOUT: ReadonlyArray<[keyof Columns, new (b: ArrayBufferLike, off: number, n: number) => Uint32Array | Float64Array | Int32Array | Uint16Array | Uint8Array, number]> = [
  ['time', Float64Array, 8],
  ['keyHi', Uint32Array, 4],
  ['keyLo', Uint32Array, 4],
  ['nat', Uint32Array, 4],
  ['payload', Uint32Array, 4],
  ['frame', Uint32Array, 4],
  ['iface', Uint32Array, 4],
  ['src', Uint32Array, 4],
  ['dst', Uint32Array, 4],
  ['ports', Uint32Array, 4],
  ['outerSrc', Uint32Array, 4],
  ['outerDst', Uint32Array, 4],
  ['vni', Int32Array, 4],
  ['aux1', Uint32Array, 4],
  ['aux2', Uint32Array, 4],
  ['size', Uint16Array, 2],
  ['tcpFlags', Uint16Array, 2],
  ['proto', Uint8Array, 1],
  ['flags', Uint8Array, 1],
  ['tunnel', Uint8Array, 1],
];

export const COLUMN_NAMES: ReadonlyArray<keyof Columns> = LAYOUT.map((l) => l[0]);
/** Bytes per sighting. */
export const ROW_BYTES = LAYOUT.reduce((n, l) => n + l[2], 0);

/** Bytes of a chunk of `rows` rows (rows a multiple of 8 keeps every column aligned). */
export function chunkBytes(rows: number): number {
  return rows * ROW_BYTES;
}

/** Each column's array type and its byte offset in a chunk of one row (multiply by the rows). */
const PLACE = (() => {
  const at = new Map<keyof Columns, { Ctor: (typeof LAYOUT)[number][1]; offset: number }>();
  let offset = 0;
  for (const [name, Ctor, width] of LAYOUT) {
    at.set(name, { Ctor, offset });
    offset += width;
  }
  return at;
})();

/**
 * Columns as one object literal naming every column. Built by keyed stores (a loop over
 * the names), an object of twenty properties drops into dictionary mode, and every column
 * read in the per-row loops of the correlation becomes a hash lookup (so would a table
 * spread from it; spread from this literal, it stays a fast object).
 */
function columnsFrom(view: <K extends keyof Columns>(name: K) => Columns[K]): Columns {
  return {
    time: view('time'),
    keyHi: view('keyHi'),
    keyLo: view('keyLo'),
    nat: view('nat'),
    payload: view('payload'),
    frame: view('frame'),
    iface: view('iface'),
    src: view('src'),
    dst: view('dst'),
    ports: view('ports'),
    outerSrc: view('outerSrc'),
    outerDst: view('outerDst'),
    vni: view('vni'),
    aux1: view('aux1'),
    aux2: view('aux2'),
    size: view('size'),
    tcpFlags: view('tcpFlags'),
    proto: view('proto'),
    flags: view('flags'),
    tunnel: view('tunnel'),
  };
}

/** Column views over one chunk buffer of `rows` rows. */
export function chunkColumns(buf: ArrayBufferLike, rows: number): Columns {
  return columnsFrom((name) => {
    const { Ctor, offset } = PLACE.get(name)!;
    return new Ctor(buf, offset * rows, rows) as Columns[typeof name];
  });
}

/** The first `n` rows of every column (views, no copy). */
export function subColumns(c: Columns, n: number): Columns {
  return columnsFrom((name) => c[name].subarray(0, n) as Columns[typeof name]);
}

/** Fresh columns of `rows` rows (one buffer; `shared`: a SharedArrayBuffer). */
export function allocateColumns(rows: number, shared = false): Columns {
  const n = Math.max(8, Math.ceil(rows / 8) * 8);
  return chunkColumns(shared ? new SharedArrayBuffer(chunkBytes(n)) : new ArrayBuffer(chunkBytes(n)), n);
}

/** Copy rows [from, to) of `src` to row `at` of `dst`, every column. */
export function copyRows(src: Columns, from: number, to: number, dst: Columns, at: number): void {
  for (const k of COLUMN_NAMES) (dst[k] as Uint32Array).set((src[k] as Uint32Array).subarray(from, to), at);
}

/**
 * Collects sightings during a capture's pass into a chunk; a full chunk goes to the spill
 * file (or the in-memory list). Allocation-free per packet but for a chunk every
 * CHUNK_ROWS packets in memory mode.
 */
export class SightingCollector {
  private readonly rows: number;
  private buf: ArrayBuffer;
  private cols: Columns;
  private n = 0;
  private count = 0;
  private truncated = false;
  private readonly chunks: ArrayBuffer[] = [];
  /** Full chunks in the spill file. */
  private spilled = 0;
  private readonly seenIfaces = new Uint32Array(MAX_INTERFACES);
  private nIfaces = 0;
  private lastIface = -1;
  private readonly words = new Uint32Array(16);

  readonly limit: number;

  /** `file`: spill path (created here); null keeps the chunks in memory. */
  constructor(
    readonly capture: string,
    limit?: number,
    private readonly file: string | null = null,
    chunkRows = CHUNK_ROWS,
  ) {
    this.limit = limit ?? (file !== null ? SPILL_SIGHTING_LIMIT : DEFAULT_SIGHTING_LIMIT);
    this.rows = Math.max(8, Math.ceil(chunkRows / 8) * 8);
    this.buf = new ArrayBuffer(chunkBytes(this.rows));
    this.cols = chunkColumns(this.buf, this.rows);
    if (file !== null) writeFileSync(file, '', { mode: 0o600 });
  }

  add(f: PacketFacts, p: PacketView, time: number): void {
    if (f.innerIp < 0) return;
    if (this.count >= this.limit) {
      this.truncated = true;
      return;
    }
    if (this.n === this.rows) this.flush();
    const c = this.cols;
    const i = this.n++;
    this.count++;
    const w = this.words;
    const n = identityWords(f, w);
    const icmp = innerIcmp(f);
    c.keyHi[i] = hashWords(w, 0, n, SEED_HI);
    c.keyLo[i] = hashWords(w, 0, n, SEED_LO);
    // NAT rewrites addresses, ports and ICMP echo ids; the rest of the header stays.
    c.nat[i] = hashWords(w, ADDRESS_WORDS + 1, icmp ? n - 1 : n, SEED_NAT);
    c.payload[i] = payloadHash(p, f);
    c.time[i] = time;
    c.frame[i] = p.number;
    c.iface[i] = f.iface;
    if (f.iface !== this.lastIface) this.noteIface(f.iface);
    c.src[i] = foldAddr(f.addr, 8);
    c.dst[i] = foldAddr(f.addr, 12);
    c.ports[i] = innerPorts(f);
    c.proto[i] = f.innerProto & 0xff;
    c.size[i] = f.innerIpLen;
    c.flags[i] = (f.direction & 3) | (f.innerV4 ? 0 : FLAG_V6) | (f.outerV4 ? 0 : FLAG_OUTER_V6);
    c.tunnel[i] = f.tunnelKind;
    c.outerSrc[i] = f.tunnelKind !== 0 ? foldAddr(f.addr, 0) : 0;
    c.outerDst[i] = f.tunnelKind !== 0 ? foldAddr(f.addr, 4) : 0;
    c.vni[i] = f.tunnelId;
    if (icmp) {
      c.aux1[i] = ((f.icmpId << 16) | f.icmpSeq) >>> 0;
      c.aux2[i] = ((f.icmpType & 0xff) << 8) | (f.icmpCode & 0xff);
      c.tcpFlags[i] = 0;
    } else {
      c.aux1[i] = f.tcpSeq;
      c.aux2[i] = f.tcpAck;
      c.tcpFlags[i] = f.tcpFlags;
    }
  }

  private noteIface(v: number): void {
    this.lastIface = v;
    for (let k = 0; k < this.nIfaces; k++) if (this.seenIfaces[k] === v) return;
    if (this.nIfaces < MAX_INTERFACES) this.seenIfaces[this.nIfaces++] = v;
  }

  private flush(): void {
    if (this.file !== null) {
      this.writeChunk();
      this.spilled++;
    } else {
      this.chunks.push(this.buf);
      this.buf = new ArrayBuffer(chunkBytes(this.rows));
      this.cols = chunkColumns(this.buf, this.rows);
    }
    this.n = 0;
  }

  /** The chunk being filled, into its slot of the spill file (written again when it is full). */
  private writeChunk(): void {
    // Opened per chunk: a pass that fails midway leaves no descriptor behind, only the file.
    const fd = openSync(this.file!, 'r+');
    try {
      const bytes = new Uint8Array(this.buf);
      const at = this.spilled * bytes.length;
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The sightings so far. Collecting may go on afterwards (a live capture asks midway): the
   * partial chunk is handed out as a copy or written to its slot, never closed off.
   */
  finish(): SightingStore {
    const chunks = this.chunks.slice();
    if (this.n > 0) {
      if (this.file !== null) this.writeChunk();
      else chunks.push(this.buf.slice(0));
    }
    return { capture: this.capture, count: this.count, truncated: this.truncated, limit: this.limit, chunkRows: this.rows, chunkBytes: chunkBytes(this.rows), file: this.file, chunks, interfaces: this.nIfaces };
  }
}

export const SIGHTING_FLAG_V6 = FLAG_V6;
export const SIGHTING_FLAG_OUTER_V6 = FLAG_OUTER_V6;

/** The in-memory chunk buffers among a pass's analyzer results, for a worker's transfer list. */
export function transferables(results: Record<string, unknown>): ArrayBuffer[] {
  const s = results['path'] as SightingStore | undefined;
  return s && Array.isArray(s.chunks) ? s.chunks : [];
}
