/**
 * pcapng reading (draft-ietf-opsawg-pcapng).
 *
 * Every block has the same frame, in the byte order of its section:
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   0 |                          Block Type                           |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   4 |                      Block Total Length                       |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   8 /                          Block Body                           /
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                      Block Total Length                       |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Section Header Block (0x0A0D0D0A) body: byte-order magic 0x1A2B3C4D, major u16,
 * minor u16, section length i64, options. Interface Description Block (1): linktype u16,
 * reserved u16, snaplen u32, options. Enhanced Packet Block (6): interface id u32,
 * timestamp high u32, low u32, captured length u32, original length u32, data padded to
 * 4, options. Simple Packet Block (3): original length u32, data. Obsolete Packet Block
 * (2): interface id u16, drops u16, then as the EPB. Interface Statistics Block (5):
 * interface id u32, timestamp high, low, options. Options are code u16, length u16,
 * value padded to 4, ended by code 0.
 *
 * Interface ids are per section; the reader numbers interfaces across the whole file.
 */
import type { CaptureRecord } from './record.js';
import type { ProblemLog } from './problems.js';
import { CaptureOpenError } from './problems.js';
import { linktypeName } from './linktypes.js';
import { MAX_CAPLEN, MAX_RECORD_BYTES, type Window, u16, u32, u64, hex32 } from './source.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_OPB = 2;
export const BT_SPB = 3;
export const BT_NRB = 4;
export const BT_ISB = 5;
export const BT_EPB = 6;
export const BT_SJE = 9;
export const BT_DSB = 10;
export const BT_CB = 0x00000bad;
export const BT_DCB = 0x40000bad;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Non-packet blocks up to this size are skipped without being held in memory. */
export const MAX_OTHER_BLOCK = 16 << 20;

/** Smallest valid total length of a block of this type; 0 for types we do not know. */
function minLen(type: number): number {
  switch (type) {
    case BT_EPB:
    case BT_OPB:
      return 32;
    case BT_SPB:
    case BT_CB:
    case BT_DCB:
      return 16;
    case BT_IDB:
    case BT_DSB:
      return 20;
    case BT_ISB:
      return 24;
    case BT_SHB:
      return 28;
    case BT_NRB:
    case BT_SJE:
      return 12;
    default:
      return 0;
  }
}

const BLOCK_NAMES: Record<number, string> = {
  [BT_SHB]: 'section header block',
  [BT_IDB]: 'interface description block',
  [BT_OPB]: 'packet block',
  [BT_SPB]: 'simple packet block',
  [BT_NRB]: 'name resolution block',
  [BT_ISB]: 'interface statistics block',
  [BT_EPB]: 'enhanced packet block',
  [BT_SJE]: 'systemd journal export block',
  [BT_DSB]: 'decryption secrets block',
  [BT_CB]: 'custom block',
  [BT_DCB]: 'custom block',
};

export function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type ${hex32(type)}`;
}

function isPacketBlock(type: number): boolean {
  return type === BT_EPB || type === BT_SPB || type === BT_OPB;
}

export interface InterfaceInfo {
  /** Index across the whole file (what rec.ifIndex refers to). */
  index: number;
  linktype: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp units per second (if_tsresol; 1e6 by default; 1e6 or 1e9 for classic pcap). */
  tsresol: number;
  /** Section (0-based) the interface belongs to. */
  section: number;
  linktypeName: string;
  /** Packets received and dropped, from the last interface statistics block. */
  recv?: number;
  drop?: number;
  /** Interface id within its section, which is what tshark 4.0 prints as frame.interface_id. */
  localId: number;
  /** if_tsoffset in seconds (0 when absent). */
  tsoffset: number;
  /** FCS bytes at the end of each packet when the file says so (if_fcslen, pcap F bit), else -1. */
  fcsLen: number;
}

export interface SectionInfo {
  index: number;
  /** Stream offset of the section header block. */
  offset: number;
  littleEndian: boolean;
  version: string;
  /** Global index of the section's first interface. */
  firstInterface: number;
  interfaceCount: number;
  hardware?: string;
  os?: string;
  userappl?: string;
  comments?: string[];
  /** The version is not one we read; the section's blocks were skipped. */
  skipped?: boolean;
}

/**
 * Timestamp conversion for one interface. The common resolutions convert with doubles
 * only: nanoseconds since the epoch exceed 2^53, so the 64-bit tick count is divided in
 * 16-bit limbs; BigInt is used only for resolutions finer than 2^-30 s.
 */
export class TsConv {
  /** Units per second. */
  readonly per: number;
  readonly perB: bigint;
  readonly big: boolean;
  /** nsec = r * nsMul when the resolution divides 1e9, else floor(r * 1953125 / div). */
  readonly nsMul: number;
  readonly div: number;

  constructor(
    readonly base: 10 | 2,
    readonly exp: number,
    readonly offset: number,
  ) {
    this.perB = BigInt(base) ** BigInt(exp);
    this.per = Number(this.perB);
    this.big = this.per >= 2 ** 31;
    if (base === 10) {
      this.nsMul = exp <= 9 ? 10 ** (9 - exp) : 0;
      this.div = 1;
    } else {
      // 1e9 = 2^9 * 1953125: below 2^9 the resolution divides 1e9, above it r * 1953125 stays exact.
      this.nsMul = exp <= 9 ? 1e9 / 2 ** exp : 0;
      this.div = exp <= 9 ? 1 : 2 ** (exp - 9);
    }
  }

  static readonly MICRO = new TsConv(10, 6, 0);

  /** Rebuild the conversion from InterfaceInfo.tsresol (units per second) and tsoffset. */
  static fromResolution(per: number, offset: number): TsConv {
    for (let e = 0; e <= 19; e++) if (10 ** e === per) return new TsConv(10, e, offset);
    for (let e = 1; e <= 63; e++) if (2 ** e === per) return new TsConv(2, e, offset);
    return new TsConv(10, 6, offset);
  }

  convert(hi: number, lo: number, rec: CaptureRecord): void {
    const per = this.per;
    if (!this.big && (hi < 0x200000 || per >= 2048)) {
      let q: number;
      let r: number;
      if (hi < 0x200000) {
        // Below 2^53 the tick count is exact as a double.
        const t = hi * 4294967296 + lo;
        q = Math.floor(t / per);
        r = t - q * per;
      } else {
        q = 0;
        r = 0;
        for (let k = 0; k < 4; k++) {
          const limb = k === 0 ? hi >>> 16 : k === 1 ? hi & 0xffff : k === 2 ? lo >>> 16 : lo & 0xffff;
          const cur = r * 65536 + limb;
          let d = Math.floor(cur / per);
          let rr = cur - d * per;
          if (rr < 0) {
            d--;
            rr += per;
          } else if (rr >= per) {
            d++;
            rr -= per;
          }
          r = rr;
          q = q * 65536 + d;
        }
      }
      if (r < 0) {
        q--;
        r += per;
      } else if (r >= per) {
        q++;
        r -= per;
      }
      rec.tsSec = q + this.offset;
      rec.tsNsec = this.nsMul !== 0 ? r * this.nsMul : Math.floor((r * 1953125) / this.div);
      return;
    }
    const t = (BigInt(hi) << 32n) | BigInt(lo);
    rec.tsSec = Number(t / this.perB) + this.offset;
    rec.tsNsec = Number(((t % this.perB) * 1000000000n) / this.perB);
  }
}

/** A reusable cursor over a block's options; no allocation per option. */
class OptionCursor {
  b: Buffer = Buffer.alloc(0);
  le = true;
  pos = 0;
  end = 0;
  code = 0;
  off = 0;
  len = 0;
  /** Set when an option runs past the block: the offset (in buf) of that option. */
  overrun = -1;

  start(b: Buffer, from: number, to: number, le: boolean): void {
    this.b = b;
    this.pos = from;
    this.end = to;
    this.le = le;
    this.overrun = -1;
  }

  next(): boolean {
    const p = this.pos;
    if (p + 4 > this.end) return false;
    const code = u16(this.b, p, this.le);
    if (code === 0) return false;
    const len = u16(this.b, p + 2, this.le);
    if (p + 4 + len > this.end) {
      this.overrun = p;
      this.code = code;
      this.len = len;
      return false;
    }
    this.code = code;
    this.off = p + 4;
    this.len = len;
    this.pos = p + 4 + ((len + 3) & ~3);
    return true;
  }
}

interface Section {
  info: SectionInfo;
  le: boolean;
  skip: boolean;
}

const CUT_OFF = 'the capture was probably cut off while being written';

/**
 * Check the section header block that starts the stream. Returns the number of bytes the
 * check needs in the window when more are needed, 0 when the header is acceptable; throws
 * CaptureOpenError when libpcap and Wireshark would refuse the file.
 */
export function checkFirstShb(b: Buffer, o: number, avail: number, eof: boolean, file: string): number {
  if (avail < 12) {
    if (!eof) return 12;
    throw new CaptureOpenError(file, `pcapng section header block cut short (${avail} of at least 28 bytes)`);
  }
  const le = u32(b, o + 8, true) === BYTE_ORDER_MAGIC;
  if (!le && u32(b, o + 8, false) !== BYTE_ORDER_MAGIC) {
    throw new CaptureOpenError(file, `not a pcapng file (byte-order magic ${hex32(u32(b, o + 8, false))})`);
  }
  const L = u32(b, o + 4, le);
  if (L < 28 || (L & 3) !== 0 || L > MAX_OTHER_BLOCK) {
    throw new CaptureOpenError(file, `pcapng section header block has an invalid total length ${L}`);
  }
  if (avail < 16) {
    if (!eof) return 16;
    throw new CaptureOpenError(file, `pcapng section header block cut short (${avail} of ${L} bytes)`);
  }
  const major = u16(b, o + 12, le);
  const minor = u16(b, o + 14, le);
  if (!versionOk(major, minor)) throw new CaptureOpenError(file, `unsupported pcapng version ${major}.${minor}`);
  const need = Math.min(L, MAX_RECORD_BYTES);
  if (avail < need) {
    if (!eof) return need;
    throw new CaptureOpenError(file, `pcapng section header block cut short (${avail} of ${L} bytes)`);
  }
  if (L <= MAX_RECORD_BYTES) {
    const t = u32(b, o + L - 4, le);
    if (t !== L) {
      throw new CaptureOpenError(
        file,
        `pcapng section header block: block total length ${L} in the header and ${t} in the trailer don't match`,
      );
    }
  }
  return 0;
}

/** pcapng 1.0, and 1.2, which some writers used and libpcap and Wireshark read as 1.0. */
function versionOk(major: number, minor: number): boolean {
  return major === 1 && (minor === 0 || minor === 2);
}

export function isPcapngMagic(b: Buffer, o: number): boolean {
  return u32(b, o, true) === BT_SHB;
}

/**
 * Walks the blocks of a pcapng stream held in a Window and hands out packet records.
 * next() returns true with the shared record filled, or false when the window needs more
 * bytes (or, at the end of the input, after reporting a cut-off last block).
 */
export class PcapngParser {
  readonly sections: SectionInfo[] = [];
  private section: Section | null = null;
  private le = true;
  private readonly conv: TsConv[] = [];
  private number = 0;
  private readonly opt = new OptionCursor();
  /** Stream offset where the damage began while looking for the next good block; -1 otherwise. */
  private resyncFrom = -1;
  /** Bytes of an oversized non-packet block still to skip (before its trailer); -1 when not skipping. */
  private skipLeft = -1;
  private skipStart = 0;
  private skipLen = 0;
  private skipType = 0;

  constructor(
    private readonly win: Window,
    private readonly rec: CaptureRecord,
    private readonly log: ProblemLog,
    readonly interfaces: InterfaceInfo[],
  ) {}

  get delivered(): number {
    return this.number;
  }

  get pending(): boolean {
    return this.skipLeft >= 0 || this.resyncFrom >= 0;
  }

  /** Take over sections and interfaces learnt by an earlier pass (random access). */
  adopt(sections: readonly SectionInfo[], conv: readonly TsConv[]): void {
    this.sections.push(...sections);
    this.conv.push(...conv);
  }

  /**
   * Decode the packet block held whole at buf[p..p+L) as part of section `si`, for random
   * access. False (with a problem logged) when it is not a deliverable packet.
   */
  decodeAt(p: number, L: number, type: number, si: number): boolean {
    const info = this.sections[si]!;
    this.section = { info, le: info.littleEndian, skip: info.skipped === true };
    if (this.section.skip) {
      this.log.add('error', this.win.offset(p), `block at offset ${this.win.offset(p)} is in a section that was skipped`);
      return false;
    }
    this.number = 0;
    return this.packet(p, L, info.littleEndian, type);
  }

  /**
   * Process the blocks before the first packet that are already buffered (the section
   * header, interface descriptions), so the interfaces are known right after opening.
   */
  prime(): void {
    const w = this.win;
    const b = w.buf;
    while (this.skipLeft < 0 && this.resyncFrom < 0) {
      const p = w.pos;
      if (w.end - p < 12) return;
      let le = this.le;
      const type = u32(b, p, le);
      if (type === BT_SHB) {
        if (u32(b, p + 8, true) === BYTE_ORDER_MAGIC) le = true;
        else if (u32(b, p + 8, false) === BYTE_ORDER_MAGIC) le = false;
        else return;
      }
      if (isPacketBlock(type)) return;
      const L = u32(b, p + 4, le);
      if (L < Math.max(12, minLen(type)) || (L & 3) !== 0 || L > w.end - p || u32(b, p + L - 4, le) !== L) return;
      this.other(p, L, le, type);
      w.pos = p + L;
    }
  }

  next(): boolean {
    const w = this.win;
    for (;;) {
      if (this.skipLeft >= 0 && !this.skipping()) return false;
      if (this.resyncFrom >= 0 && !this.resync()) return false;
      const b = w.buf;
      const p = w.pos;
      const avail = w.end - p;
      if (avail < 12) {
        if (avail < 8 || u32(b, p, this.le) === BT_SHB) return this.short(p, avail, -1, -1);
      }
      let le = this.le;
      const type = u32(b, p, le);
      if (type === BT_SHB) {
        if (u32(b, p + 8, true) === BYTE_ORDER_MAGIC) le = true;
        else if (u32(b, p + 8, false) === BYTE_ORDER_MAGIC) le = false;
        else {
          this.corrupt(p, `section header block with an invalid byte-order magic ${hex32(u32(b, p + 8, false))}`);
          continue;
        }
      }
      const L = u32(b, p + 4, le);
      const min = Math.max(12, minLen(type));
      if (L < min || (L & 3) !== 0) {
        this.corrupt(
          p,
          `${blockName(type)} has block total length ${L}, ${(L & 3) !== 0 ? 'not a multiple of 4' : `less than the minimum ${min}`}`,
        );
        continue;
      }
      const packet = isPacketBlock(type);
      if (packet ? L > MAX_RECORD_BYTES : L > MAX_OTHER_BLOCK) {
        this.corrupt(p, `${blockName(type)} has block total length ${L}, larger than the maximum ${packet ? MAX_RECORD_BYTES : MAX_OTHER_BLOCK}`);
        continue;
      }
      if (L > avail) {
        // Blocks too large to hold are streamed past before the end is known, so only a
        // block that fits the window is judged against what follows it (from a file and
        // from memory alike).
        if (L <= MAX_RECORD_BYTES && w.eof && this.blocksFollow(p + 4)) {
          // Not a cut-off tail: the length is damaged and whole blocks come after it.
          this.corrupt(p, `${blockName(type)} has block total length ${L}, which runs past the end of the capture (${avail} bytes left) although valid blocks follow`);
          continue;
        }
        if (L > MAX_RECORD_BYTES) {
          if (!this.startSkip(p, avail, L, le, type)) return false;
          continue;
        }
        return this.short(p, avail, L, type);
      }
      const t = u32(b, p + L - 4, le);
      if (t !== L) {
        this.corrupt(p, `${blockName(type)}: block total length ${L} in the header and ${t} in the trailer don't match`);
        continue;
      }
      w.pos = p + L;
      if (packet) {
        if (this.section === null || this.section.skip) continue;
        if (this.packet(p, L, le, type)) return true;
        continue;
      }
      this.other(p, L, le, type);
    }
  }

  // -- blocks -----------------------------------------------------------------------------

  /** Fill the record from a packet block; false (with a problem) when it cannot be delivered. */
  private packet(p: number, L: number, le: boolean, type: number): boolean {
    const b = this.win.buf;
    const s = this.section!;
    const r = this.rec;
    const at = this.win.offset(p);
    const n = this.number + 1;
    let ifId: number;
    let cap: number;
    let wire: number;
    let data: number;
    let optStart: number;
    if (type === BT_SPB) {
      ifId = 0;
      if (s.info.interfaceCount === 0) {
        this.log.add('error', at, `record ${n} at offset ${at}: simple packet block before any interface description block in its section; skipped`, n);
        return false;
      }
      wire = u32(b, p + 8, le);
      const snap = this.interfaces[s.info.firstInterface]!.snaplen;
      cap = wire;
      if (snap !== 0 && cap > snap) cap = snap;
      if (cap > L - 16) cap = L - 16;
      if (cap > MAX_CAPLEN) {
        this.log.add('error', at, `record ${n} at offset ${at}: captured length ${cap} is larger than the maximum ${MAX_CAPLEN}; skipped`, n);
        return false;
      }
      data = p + 12;
      optStart = -1;
    } else {
      ifId = type === BT_EPB ? u32(b, p + 8, le) : u16(b, p + 8, le);
      const hi = u32(b, p + 12, le);
      const lo = u32(b, p + 16, le);
      cap = u32(b, p + 20, le);
      wire = u32(b, p + 24, le);
      data = p + 28;
      if (cap > MAX_CAPLEN) {
        this.log.add('error', at, `record ${n} at offset ${at}: captured length ${cap} is larger than the maximum ${MAX_CAPLEN}; skipped`, n);
        return false;
      }
      optStart = data + ((cap + 3) & ~3);
      if (optStart + 4 > p + L) {
        this.log.add('error', at, `record ${n} at offset ${at}: block total length ${L} is too small for ${cap} bytes of packet data; skipped`, n);
        return false;
      }
      if (ifId >= s.info.interfaceCount) {
        this.log.add(
          'error',
          at,
          `record ${n} at offset ${at}: interface id ${ifId} does not exist (its section has ${s.info.interfaceCount} interface${s.info.interfaceCount === 1 ? '' : 's'}); skipped`,
          n,
        );
        return false;
      }
      this.conv[s.info.firstInterface + ifId]!.convert(hi, lo, r);
    }
    const g = s.info.firstInterface + ifId;
    r.buf = b;
    r.off = data;
    r.capLen = cap;
    r.wireLen = wire;
    if (type === BT_SPB) {
      // The block carries no timestamp (tshark shows none).
      r.tsSec = 0;
      r.tsNsec = 0;
    }
    r.linktype = this.interfaces[g]!.linktype;
    r.ifIndex = g;
    r.number = ++this.number;
    r.fileOffset = at;
    r.comment = null;
    r.comments = null;
    r.flags = 0;
    if (optStart >= 0 && optStart < p + L - 4) this.packetOptions(optStart, p + L - 4, le, at, n);
    if (cap > wire) {
      this.log.once('cap>wire', 'warning', at, `record ${n} at offset ${at}: captured length ${cap} is larger than the original length ${wire} (further such records not reported)`, n);
    }
    return true;
  }

  private packetOptions(from: number, to: number, le: boolean, at: number, n: number): void {
    const o = this.opt;
    const r = this.rec;
    o.start(this.win.buf, from, to, le);
    while (o.next()) {
      if (o.code === 1) {
        const c = o.b.toString('utf8', o.off, o.off + o.len);
        if (r.comment === null) {
          r.comment = c;
          r.comments = [c];
        } else r.comments!.push(c);
      } else if (o.code === 2) {
        if (o.len === 4) r.flags = u32(o.b, o.off, le);
        else this.log.once('flagslen', 'warning', at, `record ${n} at offset ${at}: packet flags option has length ${o.len}, not 4; ignored`, n);
      }
    }
    if (o.overrun >= 0) this.optionOverrun(at, this.win.offset(o.overrun), n);
  }

  private optionOverrun(blockAt: number, optAt: number, n?: number): void {
    const o = this.opt;
    this.log.add(
      'warning',
      optAt,
      `${n !== undefined ? `record ${n}` : 'block'} at offset ${blockAt}: option ${o.code} at offset ${optAt} has length ${o.len}, which runs past the end of the block; the remaining options were ignored`,
      n,
    );
  }

  /** Section headers, interface descriptions and statistics; other blocks are skipped. */
  private other(p: number, L: number, le: boolean, type: number): void {
    if (type === BT_SHB) return this.shb(p, L, le, true);
    const s = this.section;
    if (s === null || s.skip) return;
    if (type === BT_IDB) this.idb(p, L, le, true);
    else if (type === BT_ISB) this.isb(p, L, le);
  }

  private shb(p: number, L: number, le: boolean, withOptions: boolean): void {
    const b = this.win.buf;
    const at = this.win.offset(p);
    const major = u16(b, p + 12, le);
    const minor = u16(b, p + 14, le);
    const info: SectionInfo = {
      index: this.sections.length,
      offset: at,
      littleEndian: le,
      version: `${major}.${minor}`,
      firstInterface: this.interfaces.length,
      interfaceCount: 0,
    };
    const skip = !versionOk(major, minor);
    if (skip) {
      info.skipped = true;
      this.log.add('error', at, `section ${info.index + 1} at offset ${at} has unsupported pcapng version ${major}.${minor}; its blocks are skipped`);
    }
    this.sections.push(info);
    this.section = { info, le, skip };
    this.le = le;
    if (!withOptions || skip) return;
    const o = this.opt;
    o.start(b, p + 24, p + L - 4, le);
    while (o.next()) {
      const v = (): string => o.b.toString('utf8', o.off, o.off + o.len);
      if (o.code === 1) (info.comments ??= []).push(v());
      else if (o.code === 2) info.hardware = v();
      else if (o.code === 3) info.os = v();
      else if (o.code === 4) info.userappl = v();
    }
    if (o.overrun >= 0) this.optionOverrun(at, this.win.offset(o.overrun));
  }

  private idb(p: number, L: number, le: boolean, withOptions: boolean): void {
    const b = this.win.buf;
    const s = this.section!;
    const at = this.win.offset(p);
    const linktype = u16(b, p + 8, le);
    const snaplen = u32(b, p + 12, le);
    const iface: InterfaceInfo = {
      index: this.interfaces.length,
      linktype,
      snaplen,
      tsresol: 1e6,
      section: s.info.index,
      linktypeName: linktypeName(linktype),
      localId: s.info.interfaceCount,
      tsoffset: 0,
      fcsLen: -1,
    };
    let base: 10 | 2 = 10;
    let exp = 6;
    if (withOptions) {
      const o = this.opt;
      o.start(b, p + 16, p + L - 4, le);
      while (o.next()) {
        switch (o.code) {
          case 2:
            iface.name = o.b.toString('utf8', o.off, o.off + o.len);
            break;
          case 3:
            iface.description = o.b.toString('utf8', o.off, o.off + o.len);
            break;
          case 9: {
            if (o.len < 1) break;
            const v = b[o.off]!;
            const vb: 10 | 2 = (v & 0x80) !== 0 ? 2 : 10;
            const ve = v & 0x7f;
            if ((vb === 10 && ve > 19) || (vb === 2 && ve > 63)) {
              this.log.add('warning', at, `interface ${iface.index} at offset ${at}: timestamp resolution ${vb}^-${ve} is not supported; microseconds assumed`);
            } else {
              base = vb;
              exp = ve;
            }
            break;
          }
          case 13:
            if (o.len >= 1) iface.fcsLen = b[o.off]!;
            break;
          case 14:
            if (o.len === 8) {
              // Signed 64-bit seconds.
              const hi = le ? u32(b, o.off + 4, le) : u32(b, o.off, le);
              const lo = le ? u32(b, o.off, le) : u32(b, o.off + 4, le);
              iface.tsoffset = (hi | 0) * 4294967296 + lo;
            }
            break;
        }
      }
      if (o.overrun >= 0) this.optionOverrun(at, this.win.offset(o.overrun));
    }
    const conv = base === 10 && exp === 6 && iface.tsoffset === 0 ? TsConv.MICRO : new TsConv(base, exp, iface.tsoffset);
    iface.tsresol = conv.per;
    this.interfaces.push(iface);
    this.conv.push(conv);
    s.info.interfaceCount++;
  }

  private isb(p: number, L: number, le: boolean): void {
    const b = this.win.buf;
    const s = this.section!;
    const at = this.win.offset(p);
    const ifId = u32(b, p + 8, le);
    if (ifId >= s.info.interfaceCount) {
      this.log.add('warning', at, `interface statistics block at offset ${at} is for interface ${ifId}, which does not exist; ignored`);
      return;
    }
    const iface = this.interfaces[s.info.firstInterface + ifId]!;
    const o = this.opt;
    o.start(b, p + 20, p + L - 4, le);
    while (o.next()) {
      if (o.code === 4 && o.len === 8) iface.recv = u64(b, o.off, le);
      else if (o.code === 5 && o.len === 8) iface.drop = u64(b, o.off, le);
    }
    if (o.overrun >= 0) this.optionOverrun(at, this.win.offset(o.overrun));
  }

  // -- damage -----------------------------------------------------------------------------

  /** Not enough bytes for the block at p: wait for more, or report the cut-off tail at EOF. */
  private short(p: number, avail: number, L: number, type: number): boolean {
    const w = this.win;
    if (!w.eof) return false;
    if (avail > 0) {
      const at = w.offset(p);
      const what = type < 0 ? 'a block header' : isPacketBlock(type) ? `record ${this.number + 1}` : `a ${blockName(type)}`;
      const msg =
        L < 0
          ? `capture ends in the middle of ${what} at offset ${at} (${avail} bytes present) — ${CUT_OFF}`
          : `capture ends in the middle of ${what} at offset ${at} (header says ${L} bytes, ${avail} present) — ${CUT_OFF}`;
      this.log.add('warning', at, msg, isPacketBlock(type) ? this.number + 1 : undefined);
    }
    w.pos = w.end;
    return false;
  }

  private corrupt(p: number, what: string): void {
    const w = this.win;
    const at = w.offset(p);
    this.log.add('error', at, `block at offset ${at}: ${what}; looking for the next valid block`);
    this.resyncFrom = at;
    w.pos = p + 4;
  }

  /**
   * At the end of the input: does a whole block of a known type, with agreeing lengths,
   * start at a 4-byte step within the next MAX_RECORD_BYTES from `from`?
   */
  private blocksFollow(from: number): boolean {
    const w = this.win;
    const b = w.buf;
    const last = Math.min(w.end - 12, from + MAX_RECORD_BYTES);
    for (let q = from; q <= last; q += 4) {
      let le = this.le;
      const type = u32(b, q, le);
      const min = minLen(type);
      if (min === 0) continue;
      if (type === BT_SHB) {
        if (u32(b, q + 8, true) === BYTE_ORDER_MAGIC) le = true;
        else if (u32(b, q + 8, false) === BYTE_ORDER_MAGIC) le = false;
        else continue;
      }
      const L = u32(b, q + 4, le);
      if (L < min || (L & 3) !== 0 || L > MAX_RECORD_BYTES || q + L > w.end) continue;
      if (u32(b, q + L - 4, le) === L) return true;
    }
    return false;
  }

  /**
   * Scan forward at 4-byte steps for a known block type whose leading and trailing
   * lengths agree. Returns true when reading can go on at w.pos.
   */
  private resync(): boolean {
    const w = this.win;
    const b = w.buf;
    let q = w.pos;
    for (;; q += 4) {
      if (w.end - q < 12) {
        if (!w.eof) {
          w.pos = q;
          return false;
        }
        const skipped = w.offset(w.end) - this.resyncFrom;
        this.log.add('warning', this.resyncFrom, `no valid block found after offset ${this.resyncFrom}; ${skipped} bytes skipped to the end of the capture`);
        this.resyncFrom = -1;
        w.pos = w.end;
        return false;
      }
      let le = this.le;
      const type = u32(b, q, le);
      const min = minLen(type);
      if (min === 0) continue;
      if (type === BT_SHB) {
        if (u32(b, q + 8, true) === BYTE_ORDER_MAGIC) le = true;
        else if (u32(b, q + 8, false) === BYTE_ORDER_MAGIC) le = false;
        else continue;
      }
      const L = u32(b, q + 4, le);
      if (L < min || (L & 3) !== 0 || L > MAX_RECORD_BYTES) continue;
      if (q + L > w.end) {
        if (!w.eof) {
          w.pos = q;
          return false;
        }
        continue;
      }
      if (u32(b, q + L - 4, le) !== L) continue;
      const at = w.offset(q);
      this.log.add('warning', at, `resynchronized at offset ${at} (a ${blockName(type)}) after skipping ${at - this.resyncFrom} bytes`);
      this.resyncFrom = -1;
      w.pos = q;
      return true;
    }
  }

  /**
   * A non-packet block too large to hold (MAX_RECORD_BYTES < L <= MAX_OTHER_BLOCK): take
   * what is needed from its fixed part, then stream past it. False when more bytes are
   * needed first.
   */
  private startSkip(p: number, avail: number, L: number, le: boolean, type: number): boolean {
    const fixed = type === BT_SHB ? 28 : type === BT_IDB ? 20 : 8;
    if (avail < fixed) return this.short(p, avail, L, type);
    const at = this.win.offset(p);
    if (type === BT_SHB) this.shb(p, L, le, false);
    else if (type === BT_IDB && this.section !== null && !this.section.skip) this.idb(p, L, le, false);
    if (type === BT_SHB || type === BT_IDB) {
      this.log.add('warning', at, `${blockName(type)} at offset ${at} is ${L} bytes long; its options were not read`);
    }
    this.skipStart = at;
    this.skipLen = L;
    this.skipType = type;
    this.skipLeft = L - 4;
    return true;
  }

  /** Stream past an oversized block; true once it is behind us (or found damaged). */
  private skipping(): boolean {
    const w = this.win;
    const take = Math.min(this.skipLeft, w.end - w.pos);
    w.pos += take;
    this.skipLeft -= take;
    if (this.skipLeft > 0 || w.end - w.pos < 4) {
      if (!w.eof) return false;
      const present = w.offset(w.end) - this.skipStart;
      this.log.add(
        'warning',
        this.skipStart,
        `capture ends in the middle of a ${blockName(this.skipType)} at offset ${this.skipStart} (header says ${this.skipLen} bytes, ${present} present) — ${CUT_OFF}`,
      );
      this.skipLeft = -1;
      w.pos = w.end;
      return false;
    }
    const t = u32(w.buf, w.pos, this.le);
    this.skipLeft = -1;
    if (t !== this.skipLen) {
      this.log.add(
        'error',
        this.skipStart,
        `block at offset ${this.skipStart}: ${blockName(this.skipType)}: block total length ${this.skipLen} in the header and ${t} in the trailer don't match; looking for the next valid block`,
      );
      this.resyncFrom = this.skipStart;
      return true;
    }
    w.pos += 4;
    return true;
  }
}
