/**
 * CaptureReader: classic pcap and pcapng, plain or gzip-compressed, from a file, stdin
 * or a buffer, with one streaming design. The input is read in large chunks into two
 * reused buffers, the next chunk into one while the records of the other are consumed; a
 * record is handed out as an offset into its buffer (rec.buf, rec.off), so reading
 * allocates nothing per record and memory does not grow with the file. Damage
 * (a cut-off tail, corrupt lengths, unknown interfaces) is reported in `problems` with the
 * byte offset, and reading resumes at the next plausible record where the format allows.
 *
 * The consumer loop:
 *
 *   for (;;) {
 *     while (r.next()) consume(r.rec);
 *     if (!(await r.fill())) break;
 *   }
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants as zc, gunzipSync } from 'node:zlib';
import { emptyRecord, type CaptureRecord } from './record.js';
import { CaptureOpenError, ProblemLog, type CaptureProblem } from './problems.js';
import { linktypeName } from './linktypes.js';
import {
  isPcapMagic,
  parsePcapHeader,
  pcapFormatDetail,
  PcapParser,
  LengthSwap,
  PCAP_HEADER_LEN,
  PCAP_RECORD_HEADER_LEN,
  type PcapHeader,
} from './pcap.js';
import {
  blockName,
  BT_EPB,
  BT_OPB,
  BT_SPB,
  checkFirstShb,
  isPcapngMagic,
  PcapngParser,
  TsConv,
  type InterfaceInfo,
  type SectionInfo,
} from './pcapng.js';
import { MAX_CAPLEN, MAX_RECORD_BYTES, openSource, u32, Window, type ByteSource } from './source.js';

export { CaptureOpenError, type CaptureProblem } from './problems.js';
export type { InterfaceInfo, SectionInfo } from './pcapng.js';
export type { CaptureRecord } from './record.js';

export const DEFAULT_CHUNK_SIZE = 8 << 20;
/** Room kept past a chunk so a record started near its end still fits after the next read. */
const SLACK = MAX_RECORD_BYTES + 64;

export interface CaptureReaderOptions {
  /** Bytes read per fill (default 8 MiB). */
  chunkSize?: number;
}

/** What random access (RecordFile) needs to know about a file, as learnt by a first pass. */
export interface CaptureLayout {
  format: 'pcap' | 'pcapng';
  formatDetail: string;
  interfaces: InterfaceInfo[];
  sections: SectionInfo[];
  pcap?: PcapHeader;
}

interface FormatParser {
  next(): boolean;
  readonly delivered: number;
  /** Mid-way through skipping or resynchronizing: next() still has something to settle at the end. */
  readonly pending: boolean;
}

export class CaptureReader {
  readonly name: string;
  readonly rec: CaptureRecord = emptyRecord();
  readonly interfaces: InterfaceInfo[] = [];
  readonly problems: CaptureProblem[];
  /** The input was gzip-compressed. */
  readonly gzip: boolean;
  private fmt: 'pcap' | 'pcapng' = 'pcap';
  private detail = '';
  private header: PcapHeader | undefined;

  private readonly log: ProblemLog;
  private readonly win: Window;
  private parser: FormatParser | null = null;
  private done = false;
  private tailChecked = false;
  /**
   * Read-ahead: while the records of one chunk are consumed, the next chunk is read into
   * the other buffer at offset SLACK (the I/O runs on libuv's thread pool, so on a second
   * core). On the swap, the unconsumed tail, a partial record and so at most SLACK bytes,
   * is copied in front of it.
   */
  private spare: Buffer | null = null;
  private ahead: Promise<number> | null = null;

  private constructor(
    name: string,
    win: Window,
    private readonly source: ByteSource | null,
    private readonly chunkSize: number,
    gzip: boolean,
    private readonly bufferSize: number,
  ) {
    this.name = name;
    this.win = win;
    this.gzip = gzip;
    this.log = new ProblemLog(name);
    this.problems = this.log.list;
    this.rec.buf = win.buf;
  }

  /**
   * Open a capture file ('-' = stdin). gzip is recognised by its magic. Throws
   * CaptureOpenError when the input cannot be read or is not a capture we read.
   */
  static async open(path: string, opts: CaptureReaderOptions = {}): Promise<CaptureReader> {
    const chunk = Math.max(16, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_SIZE));
    const source = await openSource(path);
    const name = path === '-' ? 'stdin' : path;
    const r = new CaptureReader(name, new Window(Buffer.allocUnsafe(chunk + SLACK)), source, chunk, source.gzip, 0);
    try {
      for (;;) {
        const need = r.tryInit();
        if (need === 0) break;
        while (r.win.end - r.win.pos < need && !r.win.eof) await r.readMore();
      }
    } catch (e) {
      await r.closeSource();
      throw e;
    }
    return r;
  }

  /** Read a capture held in memory (gzip-compressed or not); the records are views into it. */
  static fromBuffer(buf: Buffer, name = 'buffer'): CaptureReader {
    let data = buf;
    let gzipProblem: string | null = null;
    const gz = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
    if (gz) {
      try {
        data = gunzipSync(buf);
      } catch (e) {
        try {
          data = gunzipSync(buf, { finishFlush: zc.Z_SYNC_FLUSH });
        } catch {
          data = Buffer.alloc(0);
        }
        gzipProblem =
          (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
            ? `gzip stream ends early (${data.length} bytes decompressed)`
            : `gzip data is corrupt after ${data.length} bytes decompressed (${(e as Error).message})`;
      }
    }
    const w = new Window(data);
    w.end = data.length;
    w.eof = true;
    const r = new CaptureReader(name, w, null, data.length, gz, buf.length);
    if (gzipProblem !== null) {
      if (data.length < 4) throw new CaptureOpenError(name, gzipProblem);
      r.log.add('error', data.length, gzipProblem);
    }
    r.tryInit();
    return r;
  }

  /**
   * Recognise the format and parse the file header. Returns the number of bytes needed in
   * the window when more must be read first, 0 when done; throws CaptureOpenError.
   */
  private tryInit(): number {
    const w = this.win;
    // The header is parsed at buf[0]; a read-ahead swap leaves the bytes further in.
    this.compact();
    const b = w.buf;
    const avail = w.end - w.pos;
    const err = this.source?.error ?? null;
    if (avail < 4) {
      if (!w.eof) return 4;
      if (err !== null) throw new CaptureOpenError(this.name, err);
      throw new CaptureOpenError(this.name, avail === 0 ? 'empty file, not a capture' : `too short to be a capture (${avail} bytes)`);
    }
    const gz = this.gzip ? ' (gzip)' : '';
    if (isPcapngMagic(b, 0)) {
      const need = checkFirstShb(b, 0, avail, w.eof, this.name);
      if (need !== 0) return need;
      const p = new PcapngParser(w, this.rec, this.log, this.interfaces);
      this.parser = p;
      this.fmt = 'pcapng';
      p.prime();
      this.detail = `pcapng ${p.sections[0]?.littleEndian === false ? 'BE' : 'LE'}${gz}`;
      return 0;
    }
    if (isPcapMagic(b, 0)) {
      if (avail < PCAP_HEADER_LEN && !w.eof) return PCAP_HEADER_LEN;
      const h = parsePcapHeader(b, 0, avail, this.name);
      this.header = h;
      this.fmt = 'pcap';
      this.detail = pcapFormatDetail(h) + gz;
      this.interfaces.push(pcapInterface(h));
      w.pos = PCAP_HEADER_LEN;
      this.parser = new PcapParser(w, this.rec, this.log, h);
      if (h.warning !== null) this.log.add('warning', 4, h.warning);
      return 0;
    }
    if (err !== null && w.eof) throw new CaptureOpenError(this.name, err);
    throw new CaptureOpenError(this.name, describeUnknown(b, avail));
  }

  /** Advance to the next complete record already buffered; false when more bytes are needed or at the end. */
  next(): boolean {
    return this.parser!.next();
  }

  /**
   * Read more bytes (moving the unconsumed tail to the front of the buffer). False at the
   * end of the input, once any cut-off tail has been reported.
   */
  async fill(): Promise<boolean> {
    if (this.done) return false;
    const w = this.win;
    if (!w.eof && this.source !== null) {
      if ((await this.readMore()) > 0) return true;
    }
    // At the end, give next() one more turn to settle what is left (a cut-off tail).
    if (!this.tailChecked) {
      this.tailChecked = true;
      // Also when every byte is consumed but a skip or a resynchronization is under way:
      // only next() can report that it ran into the end of the input.
      if (w.pos < w.end || this.parser?.pending) return true;
    }
    if (w.pos < w.end) w.pos = w.end;
    this.done = true;
    // Let go of the file as soon as it is read; close() stays harmless.
    await this.closeSource();
    return false;
  }

  private async readMore(): Promise<number> {
    if (this.ahead !== null) return this.takeAhead(this.ahead);
    const w = this.win;
    const src = this.source!;
    this.compact();
    const room = Math.min(this.chunkSize, w.buf.length - w.end);
    if (room <= 0) {
      // Cannot happen while records are bounded by MAX_RECORD_BYTES; never spin on it.
      this.unconsumedSkipped();
      return this.readMore();
    }
    const n = await src.read(w.buf, w.end, room);
    if (n === 0) this.ended();
    else {
      w.end += n;
      this.readAhead();
    }
    return n;
  }

  /** Move the unconsumed bytes to the front of the buffer. */
  private compact(): void {
    const w = this.win;
    if (w.pos === 0) return;
    if (w.pos < w.end) w.buf.copy(w.buf, 0, w.pos, w.end);
    w.base += w.pos;
    w.end -= w.pos;
    w.pos = 0;
  }

  private readAhead(): void {
    const spare = (this.spare ??= Buffer.allocUnsafe(this.win.buf.length));
    this.ahead = this.source!.read(spare, SLACK, Math.min(this.chunkSize, spare.length - SLACK));
  }

  private async takeAhead(ahead: Promise<number>): Promise<number> {
    this.ahead = null;
    const n = await ahead;
    if (n === 0) {
      this.ended();
      return 0;
    }
    const w = this.win;
    // The parsers stop short of a record or block of at most MAX_RECORD_BYTES, so the tail fits in front.
    if (w.end - w.pos > SLACK) this.unconsumedSkipped();
    const tail = w.end - w.pos;
    const next = this.spare!;
    w.buf.copy(next, SLACK - tail, w.pos, w.end);
    w.base = w.offset(w.end) - SLACK;
    this.spare = w.buf;
    w.buf = next;
    this.rec.buf = next;
    w.pos = SLACK - tail;
    w.end = SLACK + n;
    this.readAhead();
    return n;
  }

  private ended(): void {
    const w = this.win;
    w.eof = true;
    const err = this.source!.error;
    if (err !== null) this.log.add('error', w.offset(w.end), err);
  }

  private unconsumedSkipped(): void {
    const w = this.win;
    this.log.add('error', w.offset(w.pos), `internal: ${w.end - w.pos} unconsumed bytes fill the read buffer; skipped`);
    w.pos = w.end;
  }

  /** Close the source, then let a read-ahead under way finish (its buffer is ours until then). */
  private async closeSource(): Promise<void> {
    const a = this.ahead;
    this.ahead = null;
    // A stream's read waiting for data ends when the stream is closed; a file handle's close waits for its read.
    await this.source?.close();
    if (a !== null) await a.catch(() => 0);
  }

  async close(): Promise<void> {
    this.done = true;
    await this.closeSource();
  }

  /** Input bytes consumed (compressed bytes for gzip), for progress against `size`. */
  get bytesRead(): number {
    return this.source !== null ? this.source.consumed : this.bufferSize;
  }

  /** Input size in bytes when known (compressed size for gzip; undefined for pipes). */
  get size(): number | undefined {
    return this.source !== null ? this.source.size : this.bufferSize;
  }

  get format(): 'pcap' | 'pcapng' {
    return this.fmt;
  }

  /** E.g. 'pcap 2.4 LE nsec', 'pcapng LE', 'pcap 2.4 BE usec (gzip)'. */
  get formatDetail(): string {
    return this.detail;
  }

  /** The classic pcap file header (undefined for pcapng). */
  get pcapHeader(): PcapHeader | undefined {
    return this.header;
  }

  /** pcapng sections in file order (empty for classic pcap). */
  get sections(): SectionInfo[] {
    return this.parser instanceof PcapngParser ? this.parser.sections : [];
  }

  /** Records delivered so far. */
  get recordCount(): number {
    return this.parser?.delivered ?? 0;
  }

  /** Problems found so far, including those beyond the listed ones. */
  get problemCount(): number {
    return this.log.count;
  }

  /** What RecordFile needs to read single records of this file later. */
  layout(): CaptureLayout {
    const l: CaptureLayout = {
      format: this.format,
      formatDetail: this.formatDetail,
      interfaces: this.interfaces,
      sections: this.sections,
    };
    if (this.header) l.pcap = this.header;
    return l;
  }
}

function pcapInterface(h: PcapHeader): InterfaceInfo {
  return {
    index: 0,
    linktype: h.linktype,
    snaplen: h.snaplen,
    tsresol: h.nsec ? 1e9 : 1e6,
    section: 0,
    linktypeName: linktypeName(h.linktype),
    localId: 0,
    tsoffset: 0,
    fcsLen: h.fcsLen,
  };
}

const KNOWN_MAGICS: Array<[string, string]> = [
  ['736e6f6f70000000', 'a Sun snoop capture'],
  ['58435000', 'a NetXray/Sniffer capture'],
  ['474d4255', 'a Microsoft Network Monitor capture'],
  ['1f8b', 'gzip data inside gzip'],
  ['504b0304', 'a zip archive'],
  ['425a68', 'bzip2 data'],
  ['fd377a585a00', 'xz data'],
  ['28b52ffd', 'zstd data'],
];

function describeUnknown(b: Buffer, avail: number): string {
  const head = b.toString('hex', 0, Math.min(avail, 8));
  for (const [m, what] of KNOWN_MAGICS) if (head.startsWith(m)) return `not a pcap or pcapng file (looks like ${what})`;
  const bytes = head.replace(/(..)/g, '$1 ').trim();
  return `not a pcap or pcapng file (starts with ${bytes})`;
}

/** Read every record: `await forEachRecord(r, (rec) => ...)`; rec is only valid during the call. */
export async function forEachRecord(r: CaptureReader, cb: (rec: CaptureRecord) => void): Promise<void> {
  const rec = r.rec;
  for (;;) {
    while (r.next()) cb(rec);
    if (!(await r.fill())) break;
  }
}

/**
 * Byte offsets of records by frame number, collected during a pass (`index.add(rec.fileOffset)`
 * for each record): 8 bytes per record, so a viewer can find packet N of a huge file.
 */
export class RecordIndex {
  private offsets = new Float64Array(1024);
  private n = 0;

  get count(): number {
    return this.n;
  }

  add(fileOffset: number): void {
    if (this.n === this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.n++] = fileOffset;
  }

  /** Offset of frame `number` (1-based), or -1 when there is no such frame. */
  offsetOf(number: number): number {
    return number >= 1 && number <= this.n ? this.offsets[number - 1]! : -1;
  }
}

/**
 * Random access to single records of an uncompressed capture file by their byte offset
 * (rec.fileOffset from a first pass), with synchronous positioned reads into one reused
 * buffer — so a viewer can show packet N of a huge file without keeping packets around.
 */
export class RecordFile {
  readonly rec: CaptureRecord = emptyRecord();
  readonly layout: CaptureLayout;
  /** Why the last readAt returned false. */
  lastError: string | null = null;
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(MAX_RECORD_BYTES);
  private readonly win: Window;
  private readonly log: ProblemLog;
  private readonly ng: PcapngParser | null = null;
  private readonly size: number;

  private constructor(
    readonly name: string,
    fd: number,
    layout: CaptureLayout,
  ) {
    this.fd = fd;
    this.layout = layout;
    this.size = fstatSync(fd).size;
    this.win = new Window(this.buf);
    this.log = new ProblemLog(name);
    this.rec.buf = this.buf;
    if (layout.format === 'pcapng') {
      this.ng = new PcapngParser(this.win, this.rec, this.log, layout.interfaces.slice());
      this.ng.adopt(layout.sections, layout.interfaces.map((i) => TsConv.fromResolution(i.tsresol, i.tsoffset)));
    }
  }

  /**
   * Open `path` for random access. A classic pcap needs only its header; for pcapng pass
   * the layout from a CaptureReader that has read the file (reader.layout()), or the file
   * is read once here to learn its sections and interfaces.
   */
  static async open(path: string, layout?: CaptureLayout): Promise<RecordFile> {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new CaptureOpenError(path, `cannot open: ${(e as Error).message}`);
    }
    try {
      const head = Buffer.alloc(PCAP_HEADER_LEN);
      const n = readSync(fd, head, 0, PCAP_HEADER_LEN, 0);
      if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
        throw new CaptureOpenError(path, 'gzip-compressed; reading single records needs an uncompressed file');
      }
      if (layout === undefined) {
        if (n >= 4 && isPcapMagic(head, 0)) {
          const h = parsePcapHeader(head, 0, n, path);
          layout = { format: 'pcap', formatDetail: pcapFormatDetail(h), interfaces: [pcapInterface(h)], sections: [], pcap: h };
        } else {
          const r = await CaptureReader.open(path);
          try {
            await forEachRecord(r, () => undefined);
          } finally {
            await r.close();
          }
          layout = r.layout();
        }
      }
      return new RecordFile(path, fd, layout);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get format(): 'pcap' | 'pcapng' {
    return this.layout.format;
  }

  get interfaces(): InterfaceInfo[] {
    return this.layout.interfaces;
  }

  /**
   * Read the record whose header starts at `fileOffset` into `rec` (numbered `number`).
   * False, with lastError set, when there is no valid record there.
   */
  readAt(fileOffset: number, number = 0): boolean {
    this.lastError = null;
    const ok = this.layout.format === 'pcap' ? this.readPcap(fileOffset) : this.readPcapng(fileOffset);
    if (ok) this.rec.number = number;
    return ok;
  }

  private fail(msg: string): boolean {
    this.lastError = `${this.name}: ${msg}`;
    return false;
  }

  private readExactly(off: number, len: number, at: number): boolean {
    const got = readSync(this.fd, this.buf, off, len, at);
    return got === len;
  }

  private readPcap(at: number): boolean {
    const h = this.layout.pcap!;
    const b = this.buf;
    if (at < PCAP_HEADER_LEN || !this.readExactly(0, PCAP_RECORD_HEADER_LEN, at)) {
      return this.fail(`no record header at offset ${at}`);
    }
    let cap = u32(b, 8, h.le);
    let wire = u32(b, 12, h.le);
    if (h.swap !== LengthSwap.None && (h.swap === LengthSwap.Always || cap > wire)) {
      const t = cap;
      cap = wire;
      wire = t;
    }
    if (cap > MAX_CAPLEN) return this.fail(`record at offset ${at}: captured length ${cap} is larger than ${MAX_CAPLEN}`);
    if (!this.readExactly(PCAP_RECORD_HEADER_LEN, cap, at + PCAP_RECORD_HEADER_LEN)) {
      return this.fail(`record at offset ${at} is cut off (header says ${cap} bytes)`);
    }
    const r = this.rec;
    r.off = PCAP_RECORD_HEADER_LEN;
    r.capLen = cap;
    r.wireLen = wire;
    r.tsSec = u32(b, 0, h.le);
    r.tsNsec = u32(b, 4, h.le) * (h.nsec ? 1 : 1000);
    r.linktype = h.linktype;
    r.ifIndex = 0;
    r.fileOffset = at;
    r.comment = null;
    r.comments = null;
    r.flags = 0;
    return true;
  }

  private readPcapng(at: number): boolean {
    const sections = this.layout.sections;
    let lo = 0;
    let hi = sections.length - 1;
    let si = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sections[mid]!.offset <= at) {
        si = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (si < 0) return this.fail(`offset ${at} is before the first section`);
    const s = sections[si]!;
    const b = this.buf;
    if (!this.readExactly(0, 8, at)) return this.fail(`no block at offset ${at}`);
    const type = u32(b, 0, s.littleEndian);
    const L = u32(b, 4, s.littleEndian);
    if (type !== BT_EPB && type !== BT_SPB && type !== BT_OPB) {
      return this.fail(`the block at offset ${at} is a ${blockName(type)}, not a packet`);
    }
    if (L < 16 || (L & 3) !== 0 || L > MAX_RECORD_BYTES || at + L > this.size) {
      return this.fail(`the ${blockName(type)} at offset ${at} has an invalid total length ${L}`);
    }
    if (!this.readExactly(8, L - 8, at + 8)) return this.fail(`the block at offset ${at} is cut off`);
    if (u32(b, L - 4, s.littleEndian) !== L) return this.fail(`the block at offset ${at} has mismatched lengths`);
    this.win.base = at;
    this.win.pos = 0;
    this.win.end = L;
    const before = this.log.count;
    if (!this.ng!.decodeAt(0, L, type, si)) {
      return this.fail(this.log.count > before ? this.log.lastMessage : `the block at offset ${at} could not be read`);
    }
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }
}
