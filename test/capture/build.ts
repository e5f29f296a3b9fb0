/**
 * Tiny capture builders for the reader tests (independent of src/capture/writer.ts, so
 * the reader is checked against bytes laid out here by hand), and tshark as the oracle.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureReader, type CaptureReaderOptions } from '../../src/capture/reader.js';

export const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

export type Endian = 'LE' | 'BE';

function u16(v: number, e: Endian): Buffer {
  const b = Buffer.alloc(2);
  if (e === 'LE') b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number, e: Endian): Buffer {
  const b = Buffer.alloc(4);
  if (e === 'LE') b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u64(v: bigint, e: Endian): Buffer {
  const b = Buffer.alloc(8);
  if (e === 'LE') b.writeBigUInt64LE(BigInt.asUintN(64, v));
  else b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

export interface PcapRec {
  sec: number;
  frac: number;
  data: Buffer;
  /** Header fields when they should not follow from data. */
  cap?: number;
  wire?: number;
}

export function pcapHeader(o: { e?: Endian; nsec?: boolean; major?: number; minor?: number; snaplen?: number; network?: number } = {}): Buffer {
  const e = o.e ?? 'LE';
  return Buffer.concat([
    u32(o.nsec ? 0xa1b23c4d : 0xa1b2c3d4, e),
    u16(o.major ?? 2, e),
    u16(o.minor ?? 4, e),
    u32(0, e),
    u32(0, e),
    u32(o.snaplen ?? 262144, e),
    u32(o.network ?? 1, e),
  ]);
}

export function pcapRecord(r: PcapRec, e: Endian = 'LE'): Buffer {
  return Buffer.concat([u32(r.sec, e), u32(r.frac, e), u32(r.cap ?? r.data.length, e), u32(r.wire ?? r.data.length, e), r.data]);
}

export function pcap(recs: PcapRec[], o: Parameters<typeof pcapHeader>[0] = {}): Buffer {
  return Buffer.concat([pcapHeader(o), ...recs.map((r) => pcapRecord(r, o.e ?? 'LE'))]);
}

function pad4(b: Buffer): Buffer {
  const n = (4 - (b.length % 4)) % 4;
  return n === 0 ? b : Buffer.concat([b, Buffer.alloc(n)]);
}

export type Opt = [code: number, value: Buffer | string];

export function options(e: Endian, opts: Opt[]): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, v] of opts) {
    const val = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    parts.push(u16(code, e), u16(val.length, e), pad4(val));
  }
  parts.push(u16(0, e), u16(0, e));
  return Buffer.concat(parts);
}

/** A block with correct lengths (override `len`/`trailer` to damage it). */
export function block(e: Endian, type: number, body: Buffer, o: { len?: number; trailer?: number } = {}): Buffer {
  const L = 12 + body.length;
  return Buffer.concat([u32(type, e), u32(o.len ?? L, e), body, u32(o.trailer ?? o.len ?? L, e)]);
}

export function shb(e: Endian, opts: Opt[] = [], version: [number, number] = [1, 0]): Buffer {
  return block(e, 0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, e), u16(version[0], e), u16(version[1], e), u64(-1n, e), options(e, opts)]));
}

export function idb(e: Endian, linktype: number, snaplen = 0, opts: Opt[] = []): Buffer {
  return block(e, 1, Buffer.concat([u16(linktype, e), u16(0, e), u32(snaplen, e), options(e, opts)]));
}

export function epb(e: Endian, ifId: number, ticks: bigint, data: Buffer, o: { wire?: number; cap?: number; opts?: Opt[] } = {}): Buffer {
  const t = BigInt.asUintN(64, ticks);
  return block(
    e,
    6,
    Buffer.concat([
      u32(ifId, e),
      u32(Number(t >> 32n), e),
      u32(Number(t & 0xffffffffn), e),
      u32(o.cap ?? data.length, e),
      u32(o.wire ?? data.length, e),
      pad4(data),
      options(e, o.opts ?? []),
    ]),
  );
}

export function spb(e: Endian, wire: number, data: Buffer): Buffer {
  return block(e, 3, Buffer.concat([u32(wire, e), pad4(data)]));
}

export function opb(e: Endian, ifId: number, ticks: bigint, data: Buffer, opts: Opt[] = []): Buffer {
  return block(
    e,
    2,
    Buffer.concat([
      u16(ifId, e),
      u16(0, e),
      u32(Number(ticks >> 32n), e),
      u32(Number(ticks & 0xffffffffn), e),
      u32(data.length, e),
      u32(data.length, e),
      pad4(data),
      options(e, opts),
    ]),
  );
}

export function isb(e: Endian, ifId: number, opts: Opt[]): Buffer {
  return block(e, 5, Buffer.concat([u32(ifId, e), u32(0, e), u32(0, e), options(e, opts)]));
}

export function opt64(v: bigint, e: Endian): Buffer {
  return u64(v, e);
}

export function opt32(v: number, e: Endian): Buffer {
  return u32(v, e);
}

/** A 34-byte Ethernet/IPv4 frame whose last byte is `tag`, so records can be told apart. */
export function frame(tag: number, len = 34): Buffer {
  const b = Buffer.alloc(len);
  Buffer.from('ffffffffffff020000000001080045000014000100004000f9e4c0a80001c0a80002', 'hex').copy(b);
  b[len - 1] = tag;
  return b;
}

/** Small captures of every kind the reader handles, for damage tests. */
export function damageSamples(): Array<[string, Buffer]> {
  return [
    ['vxlan.pcap', readFileSync(`${CORPUS}tcpdump/vxlan.pcap`)],
    ['pptp.pcap (BE)', readFileSync(`${CORPUS}tcpdump/pptp.pcap`)],
    ['tcp-handshake-nano.pcap', readFileSync(`${CORPUS}tcpdump/tcp-handshake-nano.pcap`)],
    ['dhcp-option-108.pcapng', readFileSync(`${CORPUS}tcpdump/dhcp-option-108.pcapng`)],
    ['bgp-role.pcapng', readFileSync(`${CORPUS}tcpdump/bgp-role.pcapng`)],
    [
      'two-section.pcapng',
      Buffer.concat([
        shb('LE', [[4, 'x']]),
        idb('LE', 1, 0, [[9, Buffer.from([9])]]),
        epb('LE', 0, 1700000000123456789n, frame(1), { opts: [[1, 'c']] }),
        isb('LE', 0, [[4, opt64(2n, 'LE')]]),
        shb('BE'),
        idb('BE', 1, 40),
        spb('BE', 60, frame(2, 40)),
        opb('BE', 0, 1700000000000000n, frame(3)),
      ]),
    ],
  ];
}

let tmp: string | null = null;
export function tmpFile(name: string, data: Buffer): string {
  tmp ??= mkdtempSync(join(tmpdir(), 'netdiag-capture-'));
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

export interface Row {
  number: number;
  time: string;
  len: number;
  capLen: number;
  ifId: string;
}

const FIELDS = ['-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id'];

function parseRows(out: string): Row[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [n, t, len, cap, ifId] = l.split('\t');
      return { number: Number(n), time: t!, len: Number(len), capLen: Number(cap), ifId: ifId ?? '' };
    });
}

export interface TsharkResult {
  rows: Row[];
  stderr: string;
}

/** tshark's view of a file (rows up to where it stops, and its complaint if any). */
export function tshark(path: string): Promise<TsharkResult> {
  return new Promise((resolve) => {
    execFile('tshark', ['-r', path, ...FIELDS], { maxBuffer: 64 << 20, env: { ...process.env, TZ: 'UTC' } }, (_err, stdout, stderr) => {
      resolve({ rows: parseRows(stdout), stderr: stderr.replace(/^Running as user.*\n/m, '') });
    });
  });
}

export function tsharkSync(path: string): TsharkResult {
  try {
    const out = execFileSync('tshark', ['-r', path, ...FIELDS], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    return { rows: parseRows(out), stderr: '' };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { rows: parseRows(err.stdout ?? ''), stderr: err.stderr ?? '' };
  }
}

/** Run `fn` over items with at most `limit` at a time. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What the reader delivers, in tshark's terms, plus the problems. */
export interface ReadResult {
  rows: Array<Row & { tsSec: number; tsNsec: number; ifIndex: number; linktype: number; fileOffset: number; comments: string[] | null; flags: number; data: string }>;
  problems: Array<{ severity: string; offset: number; message: string; packet?: number }>;
  format: string;
  formatDetail: string;
}

export function timeString(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

function collect(r: CaptureReader, out: ReadResult): void {
  while (r.next()) {
    const rec = r.rec;
    const iface = r.interfaces[rec.ifIndex];
    out.rows.push({
      number: rec.number,
      time: timeString(rec.tsSec, rec.tsNsec),
      len: rec.wireLen,
      capLen: rec.capLen,
      ifId: r.format === 'pcapng' ? String(iface?.localId ?? '?') : '',
      tsSec: rec.tsSec,
      tsNsec: rec.tsNsec,
      ifIndex: rec.ifIndex,
      linktype: rec.linktype,
      fileOffset: rec.fileOffset,
      comments: rec.comments ?? null,
      flags: rec.flags,
      data: rec.buf.toString('hex', rec.off, rec.off + rec.capLen),
    });
  }
}

function result(r: CaptureReader): ReadResult {
  return { rows: [], problems: [], format: r.format, formatDetail: r.formatDetail };
}

function finish(r: CaptureReader, out: ReadResult): ReadResult {
  out.problems = r.problems.map((p) => ({ severity: p.severity, offset: p.offset, message: p.message, ...(p.packet !== undefined ? { packet: p.packet } : {}) }));
  return out;
}

export async function readAll(path: string, opts: CaptureReaderOptions = {}): Promise<ReadResult> {
  const r = await CaptureReader.open(path, opts);
  const out = result(r);
  for (;;) {
    collect(r, out);
    if (!(await r.fill())) break;
  }
  await r.close();
  return finish(r, out);
}

/** Read from memory: every byte is there, so next() alone reaches the end (and reports a cut-off tail). */
export function readBuffer(buf: Buffer, name = 'buf'): ReadResult {
  const r = CaptureReader.fromBuffer(buf, name);
  const out = result(r);
  collect(r, out);
  return finish(r, out);
}
