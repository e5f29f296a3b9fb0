/**
 * Writes a live capture to pcap or pcapng (one interface description per captured
 * interface), optionally as a ring of files. Records are encoded into the writer's chunk
 * and written out whole, so the file on disk always ends after a complete record; `finish`
 * appends the interface statistics (pcapng) and closes the file.
 */
import { NANOSECONDS, PcapngWriter, PcapWriter, type InterfaceStatistics, type Timestamp } from '../writer.js';
import { ringFileName, type RingOptions } from './ring.js';
import type { LiveRecord } from './record.js';
import { RecordStamps } from './record-stamps.js';
import type { LiveEnd, LiveInterface, LiveStats } from './source.js';

export type LiveFileFormat = 'pcap' | 'pcapng';

export interface LiveFileOptions {
  /** File name, or '-' for stdout (no ring). */
  path: string;
  format: LiveFileFormat;
  interfaces: readonly LiveInterface[];
  ring?: RingOptions;
  /** shb_userappl, e.g. "netdiag 0.1.0". */
  application?: string;
  /** Counters so far, written into each ring file as it is closed. */
  statsNow?: () => LiveStats[];
  /** Chunk buffered before a write (default 256 KiB). */
  chunkSize?: number;
  /**
   * Told of each record once its bytes are in the file (at `flush`/`finish`): a reader may
   * then read it by offset while the file grows. Classic pcap without a ring only: a
   * record's offset must name one place in one file.
   */
  onFlushed?: FlushedRecordListener;
}

/** A record now readable in the file: its byte offset and its timestamp. */
export type FlushedRecordListener = (fileOffset: number, tsSec: number, tsNsec: number) => void;

/** The capture file format asked for: --format, else the name (.pcapng/.ntar, .pcap/.cap), else pcapng for several interfaces. */
export function formatFor(path: string, asked: LiveFileFormat | undefined, interfaceCount: number): LiveFileFormat {
  if (asked) return asked;
  if (/\.(pcapng|ntar)$/i.test(path)) return 'pcapng';
  if (/\.(pcap|cap|dmp)$/i.test(path)) return 'pcap';
  return interfaceCount > 1 ? 'pcapng' : 'pcap';
}

/** Why these interfaces cannot go into this format, or null. */
export function formatProblem(format: LiveFileFormat, interfaces: readonly { name: string; linktype: number }[]): string | null {
  if (format === 'pcap' && interfaces.length > 1) {
    return `a pcap file holds one interface; ${interfaces.length} interfaces need pcapng (--format pcapng or a .pcapng name)`;
  }
  return null;
}

export class LiveFileWriter {
  private pcap: PcapWriter | null = null;
  private ng: PcapngWriter | null = null;
  private readonly ts: Timestamp = { sec: 0, nsec: 0 };
  private fileIndex = 0;
  private packetsInFile = 0;
  private readonly written: string[] = [];
  private readonly started: Timestamp;
  private closed = false;
  /** Packets written, in all files. */
  packets = 0;
  /** Records written but not yet announced to onFlushed. */
  private readonly pending = new RecordStamps();

  constructor(private readonly o: LiveFileOptions) {
    const problem = formatProblem(o.format, o.interfaces);
    if (problem !== null) throw new Error(problem);
    if (o.onFlushed && (o.format !== 'pcap' || o.ring || o.path === '-')) throw new Error('record offsets are reported for a classic pcap file without a ring only');
    this.started = nowTs();
    this.open();
  }

  /** The file being written now. */
  get currentPath(): string {
    return this.o.ring ? ringFileName(this.o.path, this.fileIndex, this.o.ring.files) : this.o.path;
  }

  /** Every file name written, oldest first (a ring lists each name once, at its last use). */
  get paths(): string[] {
    return this.written.slice();
  }

  private open(): void {
    const path = this.currentPath;
    const target = this.o.path === '-' && !this.o.ring ? 1 : path;
    const k = this.written.indexOf(path);
    if (k >= 0) this.written.splice(k, 1);
    this.written.push(path);
    const chunkSize = this.o.chunkSize ?? 256 * 1024;
    if (this.o.format === 'pcap') {
      const i = this.o.interfaces[0]!;
      this.pcap = new PcapWriter(target, { linktype: i.linktype, snaplen: i.snaplen, nanosecond: true, chunkSize });
    } else {
      const ng = new PcapngWriter(target, { chunkSize, section: this.o.application ? { userAppl: this.o.application } : {} });
      for (const i of this.o.interfaces) ng.addInterface({ linktype: i.linktype, snaplen: i.snaplen, name: i.name, tsresol: NANOSECONDS });
      this.ng = ng;
    }
    this.packetsInFile = 0;
  }

  private recordBytes(capLen: number): number {
    return this.o.format === 'pcap' ? 16 + capLen : 32 + ((capLen + 3) & ~3);
  }

  private get bytesWritten(): number {
    return this.pcap?.bytesWritten ?? this.ng?.bytesWritten ?? 0;
  }

  /** A LiveRecordListener: subscribe it to the capture. */
  readonly write = (rec: LiveRecord): void => {
    const ring = this.o.ring;
    if (ring && this.packetsInFile > 0 && this.bytesWritten + this.recordBytes(rec.capLen) > ring.bytes) this.rotate(this.o.statsNow?.() ?? null);
    const ts = this.ts;
    ts.sec = rec.tsSec;
    ts.nsec = rec.tsNsec;
    const at = this.bytesWritten;
    if (this.pcap !== null) this.pcap.writePacket(ts, rec.buf, rec.off, rec.capLen, rec.wireLen);
    else this.ng!.writePacket(rec.ifIndex, ts, rec.buf, rec.off, rec.capLen, rec.wireLen);
    if (this.o.onFlushed) {
      this.pending.push(at, rec.tsSec, rec.tsNsec);
      // Bounded however rarely the owner flushes: a full backlog is written out and announced.
      if (this.pending.length >= 65536) this.flush();
    }
    this.packetsInFile++;
    this.packets++;
  };

  /** Tell onFlushed about the records written out so far. */
  private announce(): void {
    const fn = this.o.onFlushed;
    if (fn) this.pending.drain(fn);
  }

  /** Hand buffered records to the file now (the file stays valid: whole records only). */
  flush(): void {
    if (this.closed) return;
    this.pcap?.flush();
    this.ng?.flush();
    this.announce();
  }

  private rotate(stats: LiveStats[] | null): void {
    this.closeFile(stats);
    this.fileIndex = this.o.ring && Number.isFinite(this.o.ring.files) ? (this.fileIndex + 1) % this.o.ring.files : this.fileIndex + 1;
    this.open();
  }

  private closeFile(stats: LiveStats[] | null): void {
    if (this.ng !== null && stats !== null) {
      const end = nowTs();
      stats.forEach((s, i) => this.ng!.writeStatistics(i, end, statisticsBlock(s, this.started, end)));
    }
    this.pcap?.closeSync();
    this.ng?.closeSync();
    this.pcap = null;
    this.ng = null;
  }

  /** Write the final counters (pcapng) and close. */
  finish(end: LiveEnd | null): void {
    if (this.closed) return;
    this.closeFile(end?.stats ?? null);
    this.closed = true;
    this.announce();
  }
}

function nowTs(): Timestamp {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
}

/** pcapng counters in dumpcap's sense: isb_ifdrop is every packet the capture missed. */
export function statisticsBlock(s: LiveStats, start: Timestamp, end: Timestamp): InterfaceStatistics {
  const st: InterfaceStatistics = { startTime: start, endTime: end, usrDeliv: s.delivered, ifRecv: s.received ?? s.delivered };
  if (s.dropped !== null || s.ifDropped !== null) st.ifDrop = (s.dropped ?? 0) + (s.ifDropped ?? 0);
  if (s.dropped !== null) st.osDrop = s.dropped;
  if (s.received !== null) st.filterAccept = s.received;
  return st;
}
