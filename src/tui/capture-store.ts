import { CaptureReader, RecordFile, RecordIndex } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import type { CaptureProblem } from '../capture/problems.js';
import { Decoder } from '../decode/decoder.js';
import type { PacketView } from '../decode/packet-view.js';
import type { Registry } from '../decode/registry.js';
import { packetDetail, type PacketDetail } from '../output/detail.js';
import { escapeControl } from '../output/escape.js';
import { PacketLister, type PacketColumns } from '../output/packet-list.js';
import { gunzipToSpool, isGzipFile, type GunzipSpool } from './gunzip-spool.js';

/** How a row is coloured: by the worst anomaly, else by what the packet is. */
export type RowTone = 'error' | 'warning' | 'tunnel' | 'tcp' | 'udp' | 'icmp' | 'arp' | 'routing' | 'other';

export interface PacketRow extends PacketColumns {
  tone: RowTone;
}

export type StoreStatus = 'opening' | 'indexing' | 'done' | 'live' | 'failed';

const ROUTING = new Set(['BGP', 'OSPF', 'BFD', 'VRRP']);
const ICMP = new Set(['ICMP', 'ICMPv6']);

/**
 * One capture as the terminal UI holds it: the byte offset of every record (8 bytes a
 * packet, filled as the file is read, or appended live), and random access to single
 * records through one reused buffer and one reused decoder. Nothing decoded is kept:
 * a row or a detail is decoded when it is on screen.
 */
export class CaptureStore {
  readonly index = new RecordIndex();
  status: StoreStatus = 'opening';
  /** Why the capture cannot be read, or why single packets cannot be shown. */
  error: string | null = null;
  bytesRead = 0;
  size: number | undefined = undefined;
  /** Reader problems (already bounded by the reader's problem log). */
  problems: CaptureProblem[] = [];
  linktypes: number[] = [];
  private file: RecordFile | null = null;
  /** A gzip-compressed capture, decompressed for random access (removed on close). */
  private spool: GunzipSpool | null = null;
  private readonly decoder: Decoder;
  private lister: PacketLister;
  private closed = false;

  constructor(
    readonly label: string,
    readonly path: string,
    readonly captureIndex: number,
    readonly reg: Registry,
    private readonly changed: () => void,
  ) {
    this.decoder = new Decoder(reg);
    this.lister = new PacketLister(reg);
  }

  /**
   * Set before load(): reading stops after the first chunk until this settles. The terminal
   * UI's modules load meanwhile, and the rest of a large file would only delay its first screen.
   */
  holdAfterFirstChunk: Promise<void> | null = null;

  /** Show addresses by the cluster's names (`namespace/pod`) in the rows from now on. */
  setNames(label: (address: string) => string | undefined): void {
    this.lister = new PacketLister(this.reg, label);
  }

  /** True once the UI has let go of the capture: background passes stop. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The file records are read from: the capture, or its decompressed copy. */
  private get readPath(): string {
    return this.spool?.path ?? this.path;
  }

  /** True once single packets can be read. */
  get ready(): boolean {
    return this.file !== null;
  }

  get count(): number {
    return this.index.count;
  }

  /** Read the file once for record offsets, a chunk at a time, telling the UI after each. */
  async load(): Promise<void> {
    let r: CaptureReader;
    try {
      if (isGzipFile(this.path)) {
        this.spool = await gunzipToSpool(this.path, (bytes) => (this.bytesRead = bytes));
        if (this.closed) {
          this.spool.remove();
          return;
        }
      }
      r = await CaptureReader.open(this.readPath);
    } catch (e) {
      this.status = 'failed';
      this.error = (e as Error).message;
      this.changed();
      return;
    }
    this.status = 'indexing';
    const idx = this.index;
    const rec = r.rec;
    try {
      for (;;) {
        if (idx.count === 0 && r.next()) {
          this.decoder.setTimeOrigin(rec.tsSec, rec.tsNsec);
          idx.add(rec.fileOffset);
        }
        while (r.next()) idx.add(rec.fileOffset);
        if (this.closed) return;
        this.bytesRead = r.bytesRead;
        this.size = r.size;
        this.problems = this.spool?.problem ? [...r.problems, { file: this.path, offset: this.spool.bytes, severity: 'error', message: `${this.spool.problem}; packets after decompressed byte ${this.spool.bytes} are missing` }] : r.problems;
        this.linktypes = r.interfaces.map((i) => i.linktype);
        if (idx.count > 0) this.ensureFile(r);
        this.changed();
        const hold = this.holdAfterFirstChunk;
        if (hold !== null) {
          this.holdAfterFirstChunk = null;
          await hold;
          if (this.closed) return;
        }
        if (!(await r.fill())) break;
        // Let a key press or a redraw in between two chunks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.status = 'done';
    } catch (e) {
      this.status = 'failed';
      this.error = `${this.path}: ${(e as Error).message}`;
    } finally {
      await r.close();
      this.changed();
    }
  }

  /** pcapng can define interfaces anywhere: reopen the random-access side when new ones appear. */
  private ensureFile(r: CaptureReader): void {
    if (this.error !== null) return;
    if (this.file !== null && this.file.interfaces.length === r.interfaces.length) return;
    const layout = r.layout();
    const snapshot = { ...layout, interfaces: layout.interfaces.slice(), sections: layout.sections.slice() };
    void RecordFile.open(this.readPath, snapshot).then(
      (f) => {
        if (this.closed) return f.close();
        this.file?.close();
        this.file = f;
        this.changed();
      },
      (e: unknown) => {
        this.error = (e as Error).message;
        this.changed();
      },
    );
  }

  /**
   * Live capture: the capturing side writes records to `path` and hands over each one's
   * offset once it is on disk. The caller bounds how often the UI is told (see Throttle).
   */
  async attachLive(tsSec: number, tsNsec: number): Promise<void> {
    this.status = 'live';
    this.decoder.setTimeOrigin(tsSec, tsNsec);
    this.file = await RecordFile.open(this.path);
    this.linktypes = this.file.interfaces.map((i) => i.linktype);
  }

  append(fileOffset: number): void {
    this.index.add(fileOffset);
  }

  endLive(): void {
    this.status = 'done';
  }

  /** The record numbered `number` (1-based), valid until the next read; null when unavailable. */
  record(number: number): CaptureRecord | null {
    const f = this.file;
    if (f === null) return null;
    const off = this.index.offsetOf(number);
    if (off < 0) return null;
    return f.readAt(off, number) ? f.rec : null;
  }

  /** Why record() returned null. */
  recordError(number: number): string {
    if (this.error !== null) return this.error;
    if (this.file === null) return 'opening…';
    if (this.index.offsetOf(number) < 0) return `no packet ${number}`;
    return this.file.lastError ?? `packet ${number} cannot be read`;
  }

  /** Decode one packet with the display decoder (valid until the next decode). */
  decode(number: number): PacketView | null {
    const rec = this.record(number);
    return rec === null ? null : this.decoder.decode(rec, this.captureIndex);
  }

  row(number: number): PacketRow | null {
    const p = this.decode(number);
    if (p === null) return null;
    const c = this.lister.columns(p);
    return { ...c, tone: this.tone(p, c.protocol) };
  }

  detail(number: number): PacketDetail | null {
    const p = this.decode(number);
    return p === null ? null : packetDetail(p);
  }

  private tone(p: PacketView, protocol: string): RowTone {
    let warn = false;
    for (let a = 0; a < p.nAnomalies; a++) {
      const s = this.reg.anomalies.info(p.anomalyCode[a]!).severity;
      if (s === 'error') return 'error';
      if (s === 'warning') warn = true;
    }
    if (warn) return 'warning';
    if (ICMP.has(protocol)) return 'icmp';
    if (protocol === 'ARP') return 'arp';
    if (ROUTING.has(protocol)) return 'routing';
    if (p.nLayers > 0 && p.depth[p.nLayers - 1]! > 0) return 'tunnel';
    if (protocol === 'TCP') return 'tcp';
    if (protocol === 'UDP') return 'udp';
    return 'other';
  }

  /** The capture's label, safe for the terminal. */
  get title(): string {
    return escapeControl(this.label);
  }

  close(): void {
    this.closed = true;
    this.file?.close();
    this.spool?.remove();
    this.file = null;
  }
}
