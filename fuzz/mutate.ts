/**
 * Mutations for capture files, aware of their structure where it helps: the record and
 * block lengths of pcap and pcapng, and the headers of the packets inside (found by
 * decoding the record), so the length and count fields are hit far more often than
 * blind byte flips would hit them.
 */
import { Decoder } from '../src/decode/decoder.js';
import { emptyRecord } from '../src/capture/record.js';
import type { Registry } from '../src/decode/registry.js';

/** A small, fast, seedable generator (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const MAX_INPUT = 64 * 1024;

/** A record (pcap) or block (pcapng) of a capture: where it starts and where its data lies. */
export interface Span {
  start: number;
  end: number;
  /** Packet data within the span, when it is a packet. */
  data: number;
  dataLen: number;
  le: boolean;
}

export interface Layout {
  kind: 'pcap' | 'pcapng' | 'other';
  le: boolean;
  /** File header length (pcap 24; pcapng: the first section header). */
  header: number;
  spans: Span[];
  linktype: number;
}

/** The records or blocks as far as the lengths hold. */
export function layout(b: Buffer): Layout {
  const none: Layout = { kind: 'other', le: true, header: 0, spans: [], linktype: 1 };
  if (b.length < 24) return none;
  if (b.readUInt32LE(0) === 0x0a0d0d0a) {
    const spans: Span[] = [];
    let le = b.readUInt32LE(8) === 0x1a2b3c4d;
    let linktype = 1;
    for (let o = 0; o + 12 <= b.length; ) {
      const r32 = (x: number) => (le ? b.readUInt32LE(x) : b.readUInt32BE(x));
      const type = r32(o);
      if (type === 0x0a0d0d0a) le = b.readUInt32LE(o + 8) === 0x1a2b3c4d;
      const L = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4);
      if (L < 12 || L % 4 !== 0 || o + L > b.length) break;
      if (type === 1 && L >= 20) linktype = le ? b.readUInt16LE(o + 8) : b.readUInt16BE(o + 8);
      const isEpb = type === 6 && L >= 32;
      const cap = isEpb ? r32(o + 20) : 0;
      spans.push({ start: o, end: o + L, data: isEpb ? o + 28 : o + 8, dataLen: isEpb ? Math.min(cap, L - 32) : Math.max(0, L - 12), le });
      o += L;
    }
    return { kind: 'pcapng', le: b.readUInt32LE(8) === 0x1a2b3c4d, header: spans[0]?.end ?? 0, spans, linktype };
  }
  const m = b.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const be = b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d;
  if (!le && !be) return none;
  const r32 = (x: number) => (le ? b.readUInt32LE(x) : b.readUInt32BE(x));
  const spans: Span[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const cap = r32(o + 8);
    if (cap > 262144 || o + 16 + cap > b.length) break;
    spans.push({ start: o, end: o + 16 + cap, data: o + 16, dataLen: cap, le });
    o += 16 + cap;
  }
  return { kind: 'pcap', le, header: 24, spans, linktype: r32(20) & 0xffff };
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x0800, 0x86dd, 0x6558, 0x8100, 0x88a8, 179, 4789, 4790, 6081, 8285, 8472, 51820];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x0a0d0d0a, 0x1a2b3c4d, 262144, 262145, 1 << 20, 16 << 20];

function writeN(b: Buffer, at: number, width: number, v: number, le: boolean): void {
  if (at < 0 || at + width > b.length) return;
  if (width === 1) b[at] = v & 0xff;
  else if (width === 2) le ? b.writeUInt16LE(v & 0xffff, at) : b.writeUInt16BE(v & 0xffff, at);
  else le ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at);
}

function readN(b: Buffer, at: number, width: number, le: boolean): number {
  if (at < 0 || at + width > b.length) return 0;
  if (width === 1) return b[at]!;
  if (width === 2) return le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  return le ? b.readUInt32LE(at) : b.readUInt32BE(at);
}

/** A value a length or count field at `at` is worth trying: an interesting constant or the current one ±1, ±small. */
function interesting(r: Rng, b: Buffer, at: number, width: number, le: boolean): number {
  const cur = readN(b, at, width, le);
  switch (r.int(4)) {
    case 0:
      return cur + (r.chance(0.5) ? 1 : -1);
    case 1:
      return cur + r.int(33) - 16;
    default:
      return r.pick(width === 1 ? INTERESTING_8 : width === 2 ? INTERESTING_16 : INTERESTING_32);
  }
}

export class Mutator {
  private readonly dec: Decoder;
  private readonly rec = emptyRecord();

  constructor(
    private readonly reg: Registry,
    private readonly rng: Rng,
  ) {
    this.dec = new Decoder(reg);
  }

  /** One to four stacked mutations of `input`, `other` available for splicing. */
  mutate(input: Buffer, other: Buffer): Buffer {
    let b: Buffer = Buffer.from(input);
    const n = 1 + this.rng.int(4);
    for (let k = 0; k < n; k++) b = this.once(b, other);
    return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
  }

  private once(b: Buffer, other: Buffer): Buffer {
    const r = this.rng;
    if (b.length === 0) return Buffer.from(other.subarray(0, 64));
    const lay = layout(b);
    const at = r.int(b.length);
    switch (r.int(14)) {
      case 0: {
        b[at]! ^= 1 << r.int(8);
        return b;
      }
      case 1: {
        b[at] = r.int(256);
        return b;
      }
      case 2: {
        const w = r.pick([1, 2, 4]);
        writeN(b, at, w, interesting(r, b, at, w, r.chance(0.5)), r.chance(0.5));
        return b;
      }
      case 3: {
        const ins = Buffer.alloc(1 + r.int(16));
        for (let k = 0; k < ins.length; k++) ins[k] = r.chance(0.5) ? 0 : r.int(256);
        return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
      }
      case 4:
        return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(32))]);
      case 5: {
        // Duplicate a chunk in place.
        const len = 1 + r.int(Math.min(256, b.length - at));
        return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
      }
      case 6: {
        // Splice: this input's head, the other's tail (at record boundaries when both have them).
        const lo = layout(other);
        const cut = lay.spans.length ? r.pick(lay.spans).start : at;
        const from = lo.spans.length ? r.pick(lo.spans).start : r.int(other.length + 1);
        return Buffer.concat([b.subarray(0, cut), other.subarray(from)]);
      }
      case 7:
        return b.subarray(0, at);
      case 8:
        return this.lengthField(b, lay);
      case 9:
      case 10:
        return this.headerField(b, lay);
      case 11:
        return this.records(b, lay, other);
      case 12: {
        // Another linktype the registry knows, for every packet of the file.
        const keys: number[] = [];
        this.reg.table('linktype').forEach((v, k) => v && keys.push(k));
        const lt = r.chance(0.9) ? r.pick(keys) : r.int(65536);
        if (lay.kind === 'pcap') writeN(b, 20, 2, lt, lay.le);
        else for (const s of lay.spans) if (readN(b, s.start, 4, s.le) === 1) writeN(b, s.start + 8, 2, lt, s.le);
        return b;
      }
      default: {
        // Several bytes at once in one region (a damaged sector).
        const len = 1 + r.int(64);
        const v = r.chance(0.5) ? 0 : r.int(256);
        for (let k = at; k < Math.min(b.length, at + len); k++) b[k] = r.chance(0.3) ? r.int(256) : v;
        return b;
      }
    }
  }

  /** The capture format's own lengths: pcap caplen/len, pcapng block lengths, EPB lengths and interface ids, option lengths. */
  private lengthField(b: Buffer, lay: Layout): Buffer {
    const r = this.rng;
    if (!lay.spans.length) return b;
    const s = r.pick(lay.spans);
    let off: number;
    let w = 4;
    if (lay.kind === 'pcap') off = s.start + r.pick([8, 12, 8, 12, 4]);
    else {
      const choices = [4, s.end - s.start - 4, 8, 20, 24];
      off = s.start + r.pick(choices);
      if (r.chance(0.2) && s.data + s.dataLen + 4 <= s.end - 4) {
        // An option header after the packet data: code and length (16 bits each).
        off = s.data + ((s.dataLen + 3) & ~3) + r.pick([0, 2]);
        w = 2;
      }
    }
    writeN(b, off, w, interesting(r, b, off, w, s.le), s.le);
    return b;
  }

  /** A field in the header of one of the packet's layers, found by decoding the record. */
  private headerField(b: Buffer, lay: Layout): Buffer {
    const r = this.rng;
    const packets = lay.spans.filter((s) => s.dataLen > 0);
    if (!packets.length) return b;
    const s = r.pick(packets);
    const rec = this.rec;
    rec.buf = b;
    rec.off = s.data;
    rec.capLen = Math.min(s.dataLen, b.length - s.data);
    rec.wireLen = rec.capLen;
    rec.linktype = lay.linktype;
    let p;
    try {
      p = this.dec.decode(rec);
    } catch {
      return b;
    }
    if (p.nLayers < 2) return b;
    const i = 1 + r.int(p.nLayers - 1);
    if (p.layerBuf[i] !== b) return b;
    const start = p.start[i]!;
    const span = Math.max(1, Math.min(p.hdrEnd[i]! - start, 64));
    const off = start + r.int(span);
    const w = r.pick([1, 2, 2, 4]);
    writeN(b, off, w, interesting(r, b, off, w, false), false);
    return b;
  }

  /** Whole records: dropped, duplicated, swapped, or taken from the other input. */
  private records(b: Buffer, lay: Layout, other: Buffer): Buffer {
    const r = this.rng;
    const sp = lay.spans;
    if (sp.length < 1) return b;
    const a = r.pick(sp);
    const piece = (s: Span, src: Buffer) => src.subarray(s.start, s.end);
    switch (r.int(4)) {
      case 0:
        return Buffer.concat([b.subarray(0, a.start), b.subarray(a.end)]);
      case 1:
        return Buffer.concat([b.subarray(0, a.end), piece(a, b), b.subarray(a.end)]);
      case 2: {
        const c = r.pick(sp);
        if (c.start <= a.start) return b;
        return Buffer.concat([b.subarray(0, a.start), piece(c, b), b.subarray(a.end, c.start), piece(a, b), b.subarray(c.end)]);
      }
      default: {
        const lo = layout(other);
        if (lo.kind !== lay.kind || !lo.spans.length) return b;
        return Buffer.concat([b.subarray(0, a.end), piece(r.pick(lo.spans), other), b.subarray(a.end)]);
      }
    }
  }
}
