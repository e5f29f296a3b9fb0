/**
 * Capture file writers: classic pcap (µs or ns, either byte order) and
 * pcapng (sections in either byte order, interfaces with their own
 * linktype and timestamp resolution, EPB/SPB/obsolete PB, ISB, custom and
 * unknown blocks).
 *
 * Two faces over one encoder: `PcapWriter`/`PcapngWriter` stream records into
 * a reused chunk and write it to a file, fd or stream in large pieces (no
 * allocation per record); `encodePcap*`/`PcapngEncoder` return one Buffer per
 * header or block for tests and small tools.
 */
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from './linktypes.js';
import { ChunkSink, OneShotSink, type ByteSink, type ChunkSinkOptions, type SinkTarget } from './writer-sink.js';
import { MICROSECONDS, tickScale, toTicks, type TickScale, type TickWords, type TsResolution } from './writer-ticks.js';

export { MICROSECONDS, NANOSECONDS, type TsResolution } from './writer-ticks.js';
export type { ChunkSinkOptions, SinkTarget } from './writer-sink.js';

/** Seconds and nanoseconds since the epoch, both integers, 0 <= nsec < 1e9. */
export interface Timestamp {
  sec: number;
  nsec: number;
}

export type ByteOrder = 'le' | 'be';

/** The linktypes netdiag writes, grouped for `LINKTYPE.ETHERNET`-style use. */
export const LINKTYPE = {
  NULL: LINKTYPE_NULL,
  ETHERNET: LINKTYPE_ETHERNET,
  RAW: LINKTYPE_RAW,
  LOOP: LINKTYPE_LOOP,
  LINUX_SLL: LINKTYPE_LINUX_SLL,
  IPV4: LINKTYPE_IPV4,
  IPV6: LINKTYPE_IPV6,
  LINUX_SLL2: LINKTYPE_LINUX_SLL2,
} as const;

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** libpcap's MAXIMUM_SNAPLEN. */
export const DEFAULT_SNAPLEN = 262144;

function checkTs(ts: Timestamp): void {
  if (!(ts.nsec >= 0 && ts.nsec < 1e9) || !(ts.sec >= 0)) {
    throw new Error(`bad timestamp: ${ts.sec}.${ts.nsec}`);
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

// ---------------------------------------------------------------- classic pcap

export interface PcapOptions {
  linktype: number;
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
  byteOrder?: ByteOrder;
}

class PcapCore {
  private readonly le: boolean;
  private readonly nanos: boolean;
  readonly snaplen: number;

  constructor(
    private readonly sink: ByteSink,
    private readonly o: PcapOptions,
  ) {
    this.le = (o.byteOrder ?? 'le') === 'le';
    this.nanos = o.nanosecond ?? false;
    this.snaplen = o.snaplen ?? DEFAULT_SNAPLEN;
  }

  header(): void {
    const at = this.sink.reserve(24);
    const v = this.sink.view;
    const le = this.le;
    v.setUint32(at, this.nanos ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, le);
    v.setUint16(at + 4, 2, le);
    v.setUint16(at + 6, 4, le);
    v.setUint32(at + 8, 0, le); // thiszone
    v.setUint32(at + 12, 0, le); // sigfigs
    v.setUint32(at + 16, this.snaplen, le);
    v.setUint32(at + 20, this.o.linktype, le);
  }

  /** Captured bytes beyond the snaplen are dropped, as libpcap does; `origLen` keeps the wire length. */
  record(ts: Timestamp, data: Buffer, offset: number, length: number, origLen: number): void {
    checkTs(ts);
    if (ts.sec > 0xffffffff) throw new Error(`pcap timestamps end in 2106: ${ts.sec}`);
    if (origLen < length) throw new Error(`original length ${origLen} < captured length ${length}`);
    const cap = Math.min(length, this.snaplen);
    const at = this.sink.reserve(16 + cap);
    const v = this.sink.view;
    const le = this.le;
    v.setUint32(at, ts.sec, le);
    v.setUint32(at + 4, this.nanos ? ts.nsec : Math.floor(ts.nsec / 1000), le);
    v.setUint32(at + 8, cap, le);
    v.setUint32(at + 12, origLen, le);
    data.copy(this.sink.buf, at + 16, offset, offset + cap);
  }
}

export function encodePcapHeader(o: PcapOptions): Buffer {
  const sink = new OneShotSink();
  new PcapCore(sink, o).header();
  return sink.take();
}

export function encodePcapRecord(o: PcapOptions, ts: Timestamp, data: Buffer, origLen = data.length): Buffer {
  const sink = new OneShotSink();
  new PcapCore(sink, o).record(ts, data, 0, data.length, origLen);
  return sink.take();
}

/** Shared plumbing of the two streaming writers. */
abstract class StreamingWriter {
  protected readonly sink: ChunkSink;

  constructor(target: SinkTarget, o: ChunkSinkOptions) {
    this.sink = new ChunkSink(target, o);
  }

  get bytesWritten(): number {
    return this.sink.bytesWritten;
  }

  /** Hands buffered records to the target now. */
  flush(): void {
    this.sink.flush();
  }

  /** After a write returned false: resolves when the stream target wants more. */
  drain(): Promise<void> {
    return this.sink.drain();
  }

  /** Flushes and finishes; the file is complete and valid afterwards. */
  close(): Promise<void> {
    return this.sink.close();
  }

  /** `close` for path and fd targets. */
  closeSync(): void {
    this.sink.closeSync();
  }
}

export class PcapWriter extends StreamingWriter {
  private readonly core: PcapCore;

  constructor(target: SinkTarget, o: PcapOptions & ChunkSinkOptions) {
    super(target, o);
    this.core = new PcapCore(this.sink, o);
    this.core.header();
  }

  /**
   * One record from `data[offset, offset+length)`. Returns false when a
   * stream target is full: await `drain()` before writing much more.
   */
  writePacket(ts: Timestamp, data: Buffer, offset = 0, length = data.length - offset, origLen = length): boolean {
    this.core.record(ts, data, offset, length, origLen);
    return this.sink.writable;
  }
}

// ---------------------------------------------------------------- pcapng

export const PCAPNG_BLOCK = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 1,
  OBSOLETE_PACKET: 2,
  SIMPLE_PACKET: 3,
  INTERFACE_STATISTICS: 5,
  ENHANCED_PACKET: 6,
  CUSTOM_COPYABLE: 0x00000bad,
  CUSTOM_NOT_COPYABLE: 0x40000bad,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export interface SectionOptions {
  byteOrder?: ByteOrder;
  hardware?: string;
  os?: string;
  userAppl?: string;
  comment?: string;
}

export interface InterfaceOptions {
  linktype: number;
  /** 0: no limit. */
  snaplen?: number;
  name?: string;
  description?: string;
  /** Omitted: microseconds, and no if_tsresol option is written. */
  tsresol?: TsResolution;
  comment?: string;
}

export interface PacketOptions {
  comment?: string;
  /** epb_flags; see `epbFlags`. */
  flags?: number;
}

export interface InterfaceStatistics {
  comment?: string;
  startTime?: Timestamp;
  endTime?: Timestamp;
  ifRecv?: number;
  ifDrop?: number;
  filterAccept?: number;
  osDrop?: number;
  usrDeliv?: number;
}

export interface EpbFlagFields {
  direction?: 'inbound' | 'outbound';
  reception?: 'unicast' | 'multicast' | 'broadcast' | 'promiscuous';
  fcsLength?: number;
  /** Link-layer error bits (the high 16). */
  errors?: number;
}

export function epbFlags(f: EpbFlagFields): number {
  const dir = f.direction === 'inbound' ? 1 : f.direction === 'outbound' ? 2 : 0;
  const rx = f.reception ? { unicast: 1, multicast: 2, broadcast: 3, promiscuous: 4 }[f.reception] : 0;
  return (dir | (rx << 2) | (((f.fcsLength ?? 0) & 0xf) << 5) | ((f.errors ?? 0) << 16)) >>> 0;
}

interface IfaceState {
  scale: TickScale;
  snaplen: number;
}

type Opt = [code: number, value: Buffer];

class PcapngCore {
  private le = true;
  private ifaces: IfaceState[] = [];
  private readonly ticks: TickWords = { hi: 0, lo: 0 };

  constructor(private readonly sink: ByteSink) {}

  private u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(n >>> 0, 0);
    else b.writeUInt32BE(n >>> 0, 0);
    return b;
  }

  private u64(n: number): Buffer {
    const hi = Math.floor(n / 4294967296);
    const lo = n - hi * 4294967296;
    return this.le ? Buffer.concat([this.u32(lo), this.u32(hi)]) : Buffer.concat([this.u32(hi), this.u32(lo)]);
  }

  /** Timestamps in options are the EPB's two words, high first, each in section byte order. */
  private tsWords(ifId: number, ts: Timestamp): Buffer {
    checkTs(ts);
    toTicks(this.iface(ifId).scale, ts.sec, ts.nsec, this.ticks);
    return Buffer.concat([this.u32(this.ticks.hi), this.u32(this.ticks.lo)]);
  }

  private iface(id: number): IfaceState {
    const s = this.ifaces[id];
    if (s === undefined) throw new Error(`no interface ${id} in this section (${this.ifaces.length} defined)`);
    return s;
  }

  private static optionsLength(opts: Opt[]): number {
    if (opts.length === 0) return 0;
    return opts.reduce((n, [, v]) => n + 4 + pad4(v.length), 4);
  }

  private writeOptions(at: number, opts: Opt[]): number {
    if (opts.length === 0) return at;
    const { buf, view } = this.sink;
    for (const [code, value] of opts) {
      view.setUint16(at, code, this.le);
      view.setUint16(at + 2, value.length, this.le);
      value.copy(buf, at + 4);
      buf.fill(0, at + 4 + value.length, at + 4 + pad4(value.length));
      at += 4 + pad4(value.length);
    }
    view.setUint32(at, 0, this.le); // opt_endofopt
    return at + 4;
  }

  /** A block with a pre-encoded fixed part and generic options; for the rare blocks. */
  private block(type: number, fixed: Buffer, opts: Opt[]): void {
    const len = 12 + pad4(fixed.length) + PcapngCore.optionsLength(opts);
    const at = this.sink.reserve(len);
    const { buf, view } = this.sink;
    view.setUint32(at, type, this.le);
    view.setUint32(at + 4, len, this.le);
    fixed.copy(buf, at + 8);
    buf.fill(0, at + 8 + fixed.length, at + 8 + pad4(fixed.length));
    this.writeOptions(at + 8 + pad4(fixed.length), opts);
    view.setUint32(at + len - 4, len, this.le);
  }

  private static str(code: number, s: string | undefined, out: Opt[]): void {
    if (s !== undefined) out.push([code, Buffer.from(s, 'utf8')]);
  }

  section(o: SectionOptions): void {
    this.le = (o.byteOrder ?? 'le') === 'le';
    this.ifaces = [];
    const fixed = Buffer.concat([this.u32(BYTE_ORDER_MAGIC), Buffer.alloc(4), Buffer.alloc(8, 0xff)]);
    // Major 1, minor 0; section length -1 ("not given") lets a writer stream.
    if (this.le) fixed.writeUInt16LE(1, 4);
    else fixed.writeUInt16BE(1, 4);
    const opts: Opt[] = [];
    PcapngCore.str(1, o.comment, opts);
    PcapngCore.str(2, o.hardware, opts);
    PcapngCore.str(3, o.os, opts);
    PcapngCore.str(4, o.userAppl, opts);
    this.block(PCAPNG_BLOCK.SECTION_HEADER, fixed, opts);
  }

  interface(o: InterfaceOptions): number {
    const scale = tickScale(o.tsresol ?? MICROSECONDS);
    const fixed = Buffer.alloc(8);
    if (this.le) {
      fixed.writeUInt16LE(o.linktype, 0);
      fixed.writeUInt32LE(o.snaplen ?? 0, 4);
    } else {
      fixed.writeUInt16BE(o.linktype, 0);
      fixed.writeUInt32BE(o.snaplen ?? 0, 4);
    }
    const opts: Opt[] = [];
    PcapngCore.str(1, o.comment, opts);
    PcapngCore.str(2, o.name, opts);
    PcapngCore.str(3, o.description, opts);
    if (o.tsresol) opts.push([9, Buffer.from([scale.optionByte])]);
    this.block(PCAPNG_BLOCK.INTERFACE_DESCRIPTION, fixed, opts);
    this.ifaces.push({ scale, snaplen: o.snaplen ?? 0 });
    return this.ifaces.length - 1;
  }

  private capLen(s: IfaceState, length: number): number {
    return s.snaplen !== 0 && length > s.snaplen ? s.snaplen : length;
  }

  enhanced(ifId: number, ts: Timestamp, data: Buffer, offset: number, length: number, origLen: number, po?: PacketOptions): void {
    const s = this.iface(ifId);
    checkTs(ts);
    if (origLen < length) throw new Error(`original length ${origLen} < captured length ${length}`);
    const cap = this.capLen(s, length);
    const comment = po?.comment;
    const flags = po?.flags;
    const commentLen = comment === undefined ? 0 : Buffer.byteLength(comment, 'utf8');
    const optLen = (comment === undefined ? 0 : 4 + pad4(commentLen)) + (flags === undefined ? 0 : 8);
    const len = 32 + pad4(cap) + (optLen === 0 ? 0 : optLen + 4);
    toTicks(s.scale, ts.sec, ts.nsec, this.ticks);
    const at = this.sink.reserve(len);
    const { buf, view } = this.sink;
    const le = this.le;
    view.setUint32(at, PCAPNG_BLOCK.ENHANCED_PACKET, le);
    view.setUint32(at + 4, len, le);
    view.setUint32(at + 8, ifId, le);
    view.setUint32(at + 12, this.ticks.hi, le);
    view.setUint32(at + 16, this.ticks.lo, le);
    view.setUint32(at + 20, cap, le);
    view.setUint32(at + 24, origLen, le);
    data.copy(buf, at + 28, offset, offset + cap);
    let p = at + 28 + cap;
    while (p & 3) buf[p++] = 0;
    if (optLen !== 0) {
      if (comment !== undefined) {
        view.setUint16(p, 1, le);
        view.setUint16(p + 2, commentLen, le);
        buf.write(comment, p + 4, commentLen, 'utf8');
        p += 4 + commentLen;
        while (p & 3) buf[p++] = 0;
      }
      if (flags !== undefined) {
        view.setUint16(p, 2, le);
        view.setUint16(p + 2, 4, le);
        view.setUint32(p + 4, flags >>> 0, le);
        p += 8;
      }
      view.setUint32(p, 0, le);
    }
    view.setUint32(at + len - 4, len, le);
  }

  /**
   * Readers take the captured length as min(original length, snaplen of
   * interface 0), so exactly that many bytes must be given.
   */
  simple(data: Buffer, offset: number, length: number, origLen: number): void {
    const s = this.iface(0);
    const cap = this.capLen(s, origLen);
    if (length < cap) throw new Error(`simple packet needs ${cap} captured bytes, got ${length}`);
    const len = 16 + pad4(cap);
    const at = this.sink.reserve(len);
    const { buf, view } = this.sink;
    view.setUint32(at, PCAPNG_BLOCK.SIMPLE_PACKET, this.le);
    view.setUint32(at + 4, len, this.le);
    view.setUint32(at + 8, origLen, this.le);
    data.copy(buf, at + 12, offset, offset + cap);
    buf.fill(0, at + 12 + cap, at + 12 + pad4(cap));
    view.setUint32(at + len - 4, len, this.le);
  }

  obsolete(ifId: number, ts: Timestamp, data: Buffer, o: ObsoletePacketOptions): void {
    const s = this.iface(ifId);
    const origLen = o.origLen ?? data.length;
    if (origLen < data.length) throw new Error(`original length ${origLen} < captured length ${data.length}`);
    const cap = this.capLen(s, data.length);
    const fixed = Buffer.concat([Buffer.alloc(4), this.tsWords(ifId, ts), this.u32(cap), this.u32(origLen), data.subarray(0, cap)]);
    if (this.le) {
      fixed.writeUInt16LE(ifId, 0);
      fixed.writeUInt16LE(o.dropsCount ?? 0xffff, 2);
    } else {
      fixed.writeUInt16BE(ifId, 0);
      fixed.writeUInt16BE(o.dropsCount ?? 0xffff, 2);
    }
    const opts: Opt[] = [];
    PcapngCore.str(1, o.comment, opts);
    if (o.flags !== undefined) opts.push([2, this.u32(o.flags)]);
    this.block(PCAPNG_BLOCK.OBSOLETE_PACKET, fixed, opts);
  }

  statistics(ifId: number, ts: Timestamp, st: InterfaceStatistics): void {
    const fixed = Buffer.concat([this.u32(ifId), this.tsWords(ifId, ts)]);
    const opts: Opt[] = [];
    PcapngCore.str(1, st.comment, opts);
    if (st.startTime) opts.push([2, this.tsWords(ifId, st.startTime)]);
    if (st.endTime) opts.push([3, this.tsWords(ifId, st.endTime)]);
    const counters: Array<[number, number | undefined]> = [
      [4, st.ifRecv],
      [5, st.ifDrop],
      [6, st.filterAccept],
      [7, st.osDrop],
      [8, st.usrDeliv],
    ];
    for (const [code, v] of counters) if (v !== undefined) opts.push([code, this.u64(v)]);
    this.block(PCAPNG_BLOCK.INTERFACE_STATISTICS, fixed, opts);
  }

  custom(pen: number, data: Buffer, copyable: boolean): void {
    this.block(copyable ? PCAPNG_BLOCK.CUSTOM_COPYABLE : PCAPNG_BLOCK.CUSTOM_NOT_COPYABLE, Buffer.concat([this.u32(pen), data]), []);
  }

  raw(type: number, body: Buffer): void {
    this.block(type, body, []);
  }
}

export interface ObsoletePacketOptions {
  origLen?: number;
  /** 0xffff: unknown. */
  dropsCount?: number;
  /** pack_flags, same layout as epb_flags. */
  flags?: number;
  comment?: string;
}

export class PcapngWriter extends StreamingWriter {
  private readonly core: PcapngCore;

  /** Writes the first Section Header Block at once. */
  constructor(target: SinkTarget, o: ChunkSinkOptions & { section?: SectionOptions } = {}) {
    super(target, o);
    this.core = new PcapngCore(this.sink);
    this.core.section(o.section ?? {});
  }

  /** Starts a new section (possibly in the other byte order); interface ids restart at 0. */
  newSection(o: SectionOptions = {}): void {
    this.core.section(o);
  }

  /** Returns the interface id to write packets with. */
  addInterface(o: InterfaceOptions): number {
    return this.core.interface(o);
  }

  /** An Enhanced Packet Block; returns false when a stream target asks to wait (see `drain`). */
  writePacket(
    ifId: number,
    ts: Timestamp,
    data: Buffer,
    offset = 0,
    length = data.length - offset,
    origLen = length,
    opts?: PacketOptions,
  ): boolean {
    this.core.enhanced(ifId, ts, data, offset, length, origLen, opts);
    return this.sink.writable;
  }

  /** A Simple Packet Block: no timestamp, always interface 0. */
  writeSimplePacket(data: Buffer, offset = 0, length = data.length - offset, origLen = length): boolean {
    this.core.simple(data, offset, length, origLen);
    return this.sink.writable;
  }

  /** The obsolete Packet Block (type 2), still found in old files. */
  writeObsoletePacket(ifId: number, ts: Timestamp, data: Buffer, o: ObsoletePacketOptions = {}): void {
    this.core.obsolete(ifId, ts, data, o);
  }

  writeStatistics(ifId: number, ts: Timestamp, st: InterfaceStatistics): void {
    this.core.statistics(ifId, ts, st);
  }

  /** Custom Block (0x00000BAD, or 0x40000BAD when not copyable) with a Private Enterprise Number. */
  writeCustomBlock(pen: number, data: Buffer, o: { copyable?: boolean } = {}): void {
    this.core.custom(pen, data, o.copyable ?? true);
  }

  /** Any block type with `body` as its contents (padded): readers must skip types they do not know. */
  writeRawBlock(type: number, body: Buffer): void {
    this.core.raw(type, body);
  }
}

/** The pcapng blocks as Buffers; keeps the section and interface state between calls. */
export class PcapngEncoder {
  private readonly sink = new OneShotSink();
  private readonly core = new PcapngCore(this.sink);

  sectionHeader(o: SectionOptions = {}): Buffer {
    this.core.section(o);
    return this.sink.take();
  }

  /** The id of the interface is its position among the section's interface blocks. */
  interfaceDescription(o: InterfaceOptions): Buffer {
    this.core.interface(o);
    return this.sink.take();
  }

  enhancedPacket(ifId: number, ts: Timestamp, data: Buffer, o: PacketOptions & { origLen?: number } = {}): Buffer {
    this.core.enhanced(ifId, ts, data, 0, data.length, o.origLen ?? data.length, o);
    return this.sink.take();
  }

  simplePacket(data: Buffer, origLen = data.length): Buffer {
    this.core.simple(data, 0, data.length, origLen);
    return this.sink.take();
  }

  obsoletePacket(ifId: number, ts: Timestamp, data: Buffer, o: ObsoletePacketOptions = {}): Buffer {
    this.core.obsolete(ifId, ts, data, o);
    return this.sink.take();
  }

  interfaceStatistics(ifId: number, ts: Timestamp, st: InterfaceStatistics): Buffer {
    this.core.statistics(ifId, ts, st);
    return this.sink.take();
  }

  customBlock(pen: number, data: Buffer, o: { copyable?: boolean } = {}): Buffer {
    this.core.custom(pen, data, o.copyable ?? true);
    return this.sink.take();
  }

  rawBlock(type: number, body: Buffer): Buffer {
    this.core.raw(type, body);
    return this.sink.take();
  }
}
