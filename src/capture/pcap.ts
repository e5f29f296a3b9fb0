/**
 * Classic pcap (libpcap savefile) reading.
 *
 * File header (24 bytes), in the writer's byte order:
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   0 |          magic a1b2c3d4 (usec) or a1b23c4d (nsec)             |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   4 |        major version (2)      |        minor version (4)      |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   8 |                   thiszone (unused, 0)                        |
 *  12 |                   sigfigs (unused, 0)                         |
 *  16 |                   snaplen                                     |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  20 |FCS len|0|F|   reserved (0)    |           linktype            |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Record header (16 bytes) followed by caplen bytes of packet:
 *
 *   0 | seconds | 4 | microseconds or nanoseconds | 8 | caplen | 12 | original length |
 */
import type { CaptureRecord } from './record.js';
import type { ProblemLog } from './problems.js';
import { CaptureOpenError } from './problems.js';
import { MAX_CAPLEN, MAX_RECORD_BYTES, type Window, u16, u32, hex32 } from './source.js';

export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
const MAGIC_KUZNETZOV = 0xa1b2cd34;

/** libpcap: caplen and len were swapped in files written before 2.3 (always) and by 2.3 (sometimes). */
export const LengthSwap = { None: 0, Always: 1, IfCapLarger: 2 } as const;
export type LengthSwap = (typeof LengthSwap)[keyof typeof LengthSwap];

export interface PcapHeader {
  le: boolean;
  nsec: boolean;
  major: number;
  minor: number;
  snaplen: number;
  /** The raw 32-bit network field (linktype plus FCS bits). */
  network: number;
  linktype: number;
  /** FCS bytes at the end of each packet when the header announces them (F bit), else -1. */
  fcsLen: number;
  swap: LengthSwap;
  /** A warning to report once reading starts (e.g. a minor version newer than 2.4). */
  warning: string | null;
}

/** True when the 4 bytes look like a classic pcap magic (or a variant's) in either byte order. */
export function isPcapMagic(b: Buffer, o: number): boolean {
  const m = u32(b, o, true);
  const s = u32(b, o, false);
  return m === MAGIC_USEC || m === MAGIC_NSEC || s === MAGIC_USEC || s === MAGIC_NSEC || m === MAGIC_KUZNETZOV || s === MAGIC_KUZNETZOV;
}

/**
 * Parse the 24-byte file header; throws CaptureOpenError for the headers libpcap refuses
 * (wrong major version, non-zero reserved linktype bits) or that are cut short.
 */
export function parsePcapHeader(b: Buffer, o: number, avail: number, file: string): PcapHeader {
  const m = u32(b, o, true);
  let le: boolean;
  let nsec: boolean;
  if (m === MAGIC_USEC || m === MAGIC_NSEC) {
    le = true;
    nsec = m === MAGIC_NSEC;
  } else {
    const s = u32(b, o, false);
    if (s === MAGIC_KUZNETZOV || m === MAGIC_KUZNETZOV) {
      throw new CaptureOpenError(file, 'unsupported pcap variant (Kuznetzov\'s modified pcap, magic a1b2cd34)');
    }
    if (s !== MAGIC_USEC && s !== MAGIC_NSEC) throw new CaptureOpenError(file, `not a pcap file (magic ${hex32(s)})`);
    le = false;
    nsec = s === MAGIC_NSEC;
  }
  if (avail < PCAP_HEADER_LEN) {
    throw new CaptureOpenError(file, `pcap file header cut short (${avail} of ${PCAP_HEADER_LEN} bytes)`);
  }
  const major = u16(b, o + 4, le);
  const minor = u16(b, o + 6, le);
  if (major !== 2) throw new CaptureOpenError(file, `unsupported pcap version ${major}.${minor}`);
  const snaplen = u32(b, o + 16, le);
  const network = u32(b, o + 20, le);
  if ((network & 0x03ff0000) !== 0) {
    throw new CaptureOpenError(file, `linktype reserved field not zero (${hex32(network)})`);
  }
  const linktype = network & 0xffff;
  // FCS length is in 16-bit units in the top 4 bits, meaningful only with the F bit.
  const fcsLen = (network & 0x04000000) !== 0 ? ((network >>> 28) & 0xf) * 2 : -1;
  const swap: LengthSwap = minor < 3 ? LengthSwap.Always : minor === 3 ? LengthSwap.IfCapLarger : LengthSwap.None;
  const warning =
    minor > 4
      ? `pcap version 2.${minor} is newer than 2.4; read as 2.4 (as Wireshark does; libpcap refuses it)`
      : null;
  return { le, nsec, major, minor, snaplen, network, linktype, fcsLen, swap, warning };
}

export function pcapFormatDetail(h: PcapHeader): string {
  return `pcap ${h.major}.${h.minor} ${h.le ? 'LE' : 'BE'} ${h.nsec ? 'nsec' : 'usec'}`;
}

const DAY = 86400;
const MAX_PLAUSIBLE_WIRE = 16 << 20;
const CUT_OFF = 'the capture was probably cut off while being written';

/**
 * Walks the records of a classic pcap stream held in a Window. next() fills the shared
 * record and returns true, or returns false when the window needs more bytes (or, at the
 * end of the input, after reporting a cut-off last record).
 */
export class PcapParser {
  private readonly le: boolean;
  private readonly nsecMul: number;
  private readonly fracLimit: number;
  private readonly swap: LengthSwap;
  /** Frame number of the last delivered record. */
  private number = 0;
  private lastSec = -1;
  /** Stream offset where the damaged region began, while looking for the next good record; -1 otherwise. */
  private resyncFrom = -1;

  constructor(
    private readonly win: Window,
    private readonly rec: CaptureRecord,
    private readonly log: ProblemLog,
    readonly header: PcapHeader,
  ) {
    this.le = header.le;
    this.nsecMul = header.nsec ? 1 : 1000;
    this.fracLimit = header.nsec ? 1e9 : 1e6;
    this.swap = header.swap;
    rec.linktype = header.linktype;
    rec.ifIndex = 0;
    rec.comment = null;
    rec.flags = 0;
  }

  get delivered(): number {
    return this.number;
  }

  get pending(): boolean {
    return this.resyncFrom >= 0;
  }

  next(): boolean {
    const w = this.win;
    const le = this.le;
    for (;;) {
      if (this.resyncFrom >= 0 && !this.resync()) return false;
      const b = w.buf;
      const p = w.pos;
      const avail = w.end - p;
      if (avail < PCAP_RECORD_HEADER_LEN) return this.short(p, avail, -1);
      let cap = u32(b, p + 8, le);
      let wire = u32(b, p + 12, le);
      if (this.swap !== LengthSwap.None && (this.swap === LengthSwap.Always || cap > wire)) {
        const t = cap;
        cap = wire;
        wire = t;
      }
      if (cap > MAX_CAPLEN) {
        this.corrupt(p, `captured length ${cap} is larger than the maximum record size ${MAX_CAPLEN}`);
        continue;
      }
      const end = p + PCAP_RECORD_HEADER_LEN + cap;
      if (end > w.end) {
        const q = w.eof ? this.recordsFollow(p + 1) : -1;
        if (q >= 0) {
          // Not a cut-off tail: the length is damaged (or the header misplaced) and whole
          // records come after it, so the rest of the capture is still read.
          this.corrupt(p, `captured length ${cap} runs past the end of the capture (${avail - PCAP_RECORD_HEADER_LEN} bytes left) although valid records follow`);
          w.pos = q;
          continue;
        }
        return this.short(p, avail, cap);
      }
      if (wire < cap) {
        // Wireshark and libpcap show such a record as it is, so it is kept when what
        // follows looks right; when it does not, the length itself is the damage.
        const v = this.followerOk(end);
        if (v < 0) return false;
        if (v === 0) {
          this.corrupt(p, `captured length ${cap} is larger than the original length ${wire} and no valid record follows`);
          continue;
        }
        this.log.once(
          'cap>wire',
          'warning',
          w.offset(p),
          `record ${this.number + 1} at offset ${w.offset(p)}: captured length ${cap} is larger than the original length ${wire} (further such records not reported)`,
          this.number + 1,
        );
      }
      const sec = u32(b, p, le);
      const frac = u32(b, p + 4, le);
      if (frac >= this.fracLimit) {
        this.log.once(
          'frac',
          'warning',
          w.offset(p),
          `record ${this.number + 1} at offset ${w.offset(p)}: timestamp fraction ${frac} is out of range for ${this.nsecMul === 1 ? 'nanoseconds' : 'microseconds'} (kept as is; further ones not reported)`,
          this.number + 1,
        );
      }
      const r = this.rec;
      r.off = p + PCAP_RECORD_HEADER_LEN;
      r.capLen = cap;
      r.wireLen = wire;
      r.tsSec = sec;
      r.tsNsec = frac * this.nsecMul;
      r.number = ++this.number;
      r.fileOffset = w.base + p;
      this.lastSec = sec;
      w.pos = end;
      return true;
    }
  }

  /** Not enough bytes for the record at p: wait for more, or report the cut-off tail at EOF. */
  private short(p: number, avail: number, cap: number): boolean {
    const w = this.win;
    if (!w.eof) return false;
    if (avail > 0) {
      const n = this.number + 1;
      const at = w.offset(p);
      const msg =
        cap < 0
          ? `capture ends in the middle of the header of record ${n} at offset ${at} (${avail} of ${PCAP_RECORD_HEADER_LEN} bytes present) — ${CUT_OFF}`
          : `capture ends in the middle of record ${n} at offset ${at} (header says ${cap} bytes, ${avail - PCAP_RECORD_HEADER_LEN} present) — ${CUT_OFF}`;
      this.log.add('warning', at, msg, n);
    }
    w.pos = w.end;
    return false;
  }

  private corrupt(p: number, what: string): void {
    const w = this.win;
    const at = w.offset(p);
    this.log.add('error', at, `record ${this.number + 1} at offset ${at}: ${what}; looking for the next valid record`, this.number + 1);
    this.resyncFrom = at;
    w.pos = p + 1;
  }

  /** A header that could start a record: sane non-zero lengths and fraction, time near `refSec` (if >= 0). */
  private plausible(q: number, refSec: number): boolean {
    const b = this.win.buf;
    const le = this.le;
    let cap = u32(b, q + 8, le);
    let wire = u32(b, q + 12, le);
    if (this.swap !== LengthSwap.None && (this.swap === LengthSwap.Always || cap > wire)) {
      const t = cap;
      cap = wire;
      wire = t;
    }
    // Stricter than the main path: empty records and huge original lengths are legal but
    // are what zero-filled or random damage looks like.
    if (cap === 0 || cap > MAX_CAPLEN || wire < cap || wire > MAX_PLAUSIBLE_WIRE) return false;
    if (u32(b, q + 4, le) >= this.fracLimit) return false;
    if (refSec >= 0 && Math.abs(u32(b, q, le) - refSec) > DAY) return false;
    return true;
  }

  /**
   * Whether the record ending at `end` is followed by something sane: 1 yes (a plausible
   * header, or the end of the input), 0 no, -1 more bytes are needed to tell.
   */
  private followerOk(end: number): number {
    const w = this.win;
    if (w.end - end >= PCAP_RECORD_HEADER_LEN) return this.plausible(end, -1) ? 1 : 0;
    if (!w.eof) return -1;
    return 1;
  }

  /**
   * At the end of the input, the offset within the next MAX_RECORD_BYTES from `from` of a
   * plausible record that is followed by a second whole plausible one (or, once a record
   * has been read to compare timestamps with, that ends exactly at the end of the input);
   * -1 when there is none. Stricter than resync(): the bytes of a record cut off at the end
   * must not pass for records.
   */
  private recordsFollow(from: number): number {
    const w = this.win;
    const b = w.buf;
    const le = this.le;
    const last = Math.min(w.end - PCAP_RECORD_HEADER_LEN, from + MAX_RECORD_BYTES);
    for (let q = from; q <= last; q++) {
      if (!this.plausible(q, this.lastSec)) continue;
      const nq = q + PCAP_RECORD_HEADER_LEN + Math.min(u32(b, q + 8, le), u32(b, q + 12, le));
      if (nq === w.end && this.lastSec >= 0) return q;
      if (w.end - nq < PCAP_RECORD_HEADER_LEN || !this.plausible(nq, u32(b, q, le))) continue;
      if (nq + PCAP_RECORD_HEADER_LEN + Math.min(u32(b, nq + 8, le), u32(b, nq + 12, le)) <= w.end) return q;
    }
    return -1;
  }

  /**
   * Scan forward byte by byte for a plausible record header whose successor is plausible
   * too (or is the end of the input). Returns true when reading can go on at w.pos.
   */
  private resync(): boolean {
    const w = this.win;
    const b = w.buf;
    let q = w.pos;
    for (;;) {
      if (w.end - q < PCAP_RECORD_HEADER_LEN) {
        if (!w.eof) {
          w.pos = q;
          return false;
        }
        const skipped = w.offset(w.end) - this.resyncFrom;
        this.log.add('warning', this.resyncFrom, `no valid record found after offset ${this.resyncFrom}; ${skipped} bytes skipped to the end of the capture`);
        this.resyncFrom = -1;
        w.pos = w.end;
        return false;
      }
      if (this.plausible(q, this.lastSec)) {
        const cap = Math.min(u32(b, q + 8, this.le), u32(b, q + 12, this.le));
        const nq = q + PCAP_RECORD_HEADER_LEN + cap;
        let ok: boolean;
        if (w.end - nq >= PCAP_RECORD_HEADER_LEN) ok = this.plausible(nq, u32(b, q, this.le));
        else if (!w.eof) {
          w.pos = q;
          return false;
        } else ok = true;
        if (ok) {
          const at = w.offset(q);
          this.log.add('warning', at, `resynchronized at offset ${at} after skipping ${at - this.resyncFrom} bytes`);
          this.resyncFrom = -1;
          w.pos = q;
          return true;
        }
      }
      q++;
    }
  }
}
