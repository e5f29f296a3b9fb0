/**
 * Damaged capture files: every fixture and corpus file cut at record boundaries and one
 * byte either side, random byte flips, lengths of 0, huge or pointing past the end,
 * pcapng blocks whose two lengths disagree or are not multiples of 4, sections changing
 * byte order, interfaces that do not exist, gzip streams cut short. Each time: problems
 * with a byte offset and a message, the records before the damage delivered as they are
 * in the undamaged file, reading resumed after the damage where the format allows, no
 * exception, bounded time and memory.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureOpenError, CaptureReader, forEachRecord } from '../../src/capture/reader.js';
import { NANOSECONDS, PcapngEncoder } from '../../src/capture/writer.js';
import { auditCapture, PacketAuditor } from '../../fuzz/target.js';
import { captureFiles, packetSamples, plainBytes, recordBoundaries, spread, type CaptureFile } from './arbitraries.js';

const files = captureFiles();
const auditor = new PacketAuditor();
/** Generous per-case time bound: the whole corpus file is read in well under it. */
const CASE_MS = 3000;

interface Rec {
  number: number;
  offset: number;
  key: string;
}

interface Read {
  refused: string | null;
  recs: Rec[];
  problems: Array<{ offset: number; message: string; file: string }>;
  ms: number;
}

function keyOf(r: CaptureReader): string {
  const x = r.rec;
  return `${x.fileOffset} ${x.capLen}/${x.wireLen} ${x.tsSec}.${x.tsNsec} lt${x.linktype} if${x.ifIndex} ${x.comment ?? ''} ${x.buf.toString('base64', x.off, x.off + x.capLen)}`;
}

function read(buf: Buffer, name = 'damaged'): Read {
  const t0 = performance.now();
  let r: CaptureReader;
  try {
    r = CaptureReader.fromBuffer(buf, name);
  } catch (e) {
    if (!(e instanceof CaptureOpenError)) throw e;
    return { refused: e.message, recs: [], problems: [], ms: performance.now() - t0 };
  }
  const recs: Rec[] = [];
  while (r.next()) recs.push({ number: r.rec.number, offset: r.rec.fileOffset, key: keyOf(r) });
  return { refused: null, recs, problems: r.problems.map((p) => ({ offset: p.offset, message: p.message, file: p.file })), ms: performance.now() - t0 };
}

/** The undamaged read: its records, and where its own damage (if any) starts. */
interface Baseline {
  file: CaptureFile;
  data: Buffer;
  read: Read;
  bounds: number[];
  /** Offset of the first problem of the undamaged file (Infinity when clean). */
  firstProblem: number;
  /** End offset of each record (the next boundary after its start). */
  endOf: Map<number, number>;
}

function baseline(f: CaptureFile): Baseline {
  const data = plainBytes(f);
  const rd = read(data, f.name);
  const bounds = recordBoundaries(data);
  const endOf = new Map<number, number>();
  for (let k = 0; k + 1 < bounds.length; k++) endOf.set(bounds[k]!, bounds[k + 1]!);
  const firstProblem = rd.problems.length ? Math.min(...rd.problems.map((p) => p.offset)) : Infinity;
  return { file: f, data, read: rd, bounds, firstProblem, endOf };
}

const readable = files.map(baseline).filter((b) => b.read.refused === null);

/** End of the file header: pcap's 24 bytes, or the first pcapng section header block. */
function headerEndOf(b: Baseline): number {
  return b.data.readUInt32LE(0) === 0x0a0d0d0a ? (b.bounds[1] ?? b.data.length) : 24;
}

/** Records of the undamaged file that lie wholly before `limit` and before its own damage. */
function intactBefore(b: Baseline, limit: number): Rec[] {
  const lim = Math.min(limit, b.firstProblem);
  return b.read.recs.filter((r) => (b.endOf.get(r.offset) ?? Infinity) <= lim);
}

function checkProblems(rd: Read, size: number, what: string): void {
  for (const p of rd.problems) {
    expect(p.offset, `${what}: ${p.message}`).toBeGreaterThanOrEqual(0);
    expect(p.offset, `${what}: ${p.message}`).toBeLessThanOrEqual(size);
    expect(p.message.length, what).toBeGreaterThan(10);
    expect(p.file).toBe('damaged');
  }
  expect(rd.ms, `${what} took ${rd.ms} ms`).toBeLessThan(CASE_MS);
}

describe('every fixture and corpus file', () => {
  it('is there, and mostly readable', () => {
    expect(files.length).toBeGreaterThan(150);
    expect(readable.length).toBeGreaterThan(140);
  });

  it('has every record decoded in audit mode without an exception', () => {
    let records = 0;
    for (const f of files) records += auditCapture(plainBytes(f), f.name, auditor).records;
    expect(records).toBeGreaterThan(4000);
  });

  it('cut at each record boundary and one byte either side: the records before the cut, the cut named', () => {
    let cases = 0;
    for (const b of readable) {
      const headerEnd = headerEndOf(b);
      const cuts = new Set<number>();
      for (const x of spread(b.bounds, 40)) for (const c of [x - 1, x, x + 1]) if (c >= 0 && c <= b.data.length) cuts.add(c);
      for (const cut of cuts) {
        const what = `${b.file.name} cut at ${cut}`;
        const rd = read(b.data.subarray(0, cut));
        cases++;
        if (rd.refused !== null) {
          // Only a file header cut short may be refused.
          expect(cut, `${what}: ${rd.refused}`).toBeLessThanOrEqual(headerEnd + 1);
          continue;
        }
        checkProblems(rd, cut, what);
        const want = intactBefore(b, cut);
        expect(rd.recs.slice(0, want.length).map((r) => r.key), what).toEqual(want.map((r) => r.key));
        if (cut > b.firstProblem) continue;
        // A clean file cut short: exactly the whole records, and the cut-off one named.
        expect(rd.recs.length, what).toBe(want.length);
        const inside = b.bounds.findLast((x) => x < cut);
        if (inside !== undefined && inside >= headerEnd && !b.bounds.includes(cut)) {
          expect(rd.problems.map((p) => p.offset), `${what}: the cut-off block at ${inside}`).toContain(inside);
        }
      }
    }
    expect(cases).toBeGreaterThan(3000);
  });

  it('with random bytes changed: no exception, the records before the first change intact', () => {
    // Small files whole; large ones by their first 64 KiB.
    const bases = readable.map((b) => ({ ...b, data: b.data.subarray(0, 65536) }));
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (b, flips) => {
        const buf = Buffer.from(b.data);
        let first = Infinity;
        for (const [at0, v] of flips) {
          const at = at0 % buf.length;
          if (buf[at] === v) continue;
          buf[at] = v;
          first = Math.min(first, at);
        }
        const what = `${b.file.name} with ${JSON.stringify(flips)}`;
        const rd = read(buf);
        if (rd.refused !== null) {
          expect(first, `${what}: refused: ${rd.refused}`).toBeLessThan(headerEndOf(b));
          return;
        }
        checkProblems(rd, buf.length, what);
        // A record is judged partly by the header after it: keep a header's distance.
        const want = intactBefore(b, first - 16);
        expect(rd.recs.slice(0, want.length).map((r) => r.key), what).toEqual(want.map((r) => r.key));
        auditCapture(buf, 'damaged', auditor);
      }),
      { seed: 7001, numRuns: 1500 },
    );
  });
});

// -- classic pcap records with damaged lengths -----------------------------------------------

const pcaps = readable.filter((b) => b.file.name.startsWith('fixtures/') && b.data.readUInt32BE(0) !== 0x0a0d0d0a && b.read.recs.length >= 5 && b.firstProblem === Infinity);

describe('a damaged classic pcap record in the middle of a file', () => {
  const variants: Array<[string, (cap: number, wire: number) => [number, number]]> = [
    ['length 0', (_c, w) => [0, w]],
    ['length 0x7fffffff', () => [0x7fffffff, 0x7fffffff]],
    ['length just over the maximum', () => [262145, 262145]],
    ['length past the end of the file', () => [200000, 200000]],
    ['length one short', (c, w) => [c - 1, w]],
    ['length one over', (c, w) => [c + 1, w + 1]],
    ['captured length above the original length', (c) => [c, c - 1]],
    ['both lengths 0xffffffff', () => [0xffffffff, 0xffffffff]],
  ];

  it.each(variants)('%s: the records before it intact, the damage at its offset, the records after it read', (_name, change) => {
    expect(pcaps.length).toBeGreaterThan(10);
    for (const b of pcaps) {
      const le = b.data.readUInt32LE(0) === 0xa1b2c3d4 || b.data.readUInt32LE(0) === 0xa1b23c4d;
      const recs = b.read.recs;
      const k = Math.floor(recs.length / 2);
      const at = recs[k]!.offset;
      const buf = Buffer.from(b.data);
      const rdU = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
      const wrU = (o: number, v: number) => (le ? buf.writeUInt32LE(v >>> 0, o) : buf.writeUInt32BE(v >>> 0, o));
      const [cap, wire] = change(rdU(at + 8), rdU(at + 12));
      wrU(at + 8, cap);
      wrU(at + 12, wire);
      const what = `${b.file.name}: record ${k + 1} at ${at} given lengths ${cap}/${wire}`;
      const rd = read(buf);
      expect(rd.refused, what).toBeNull();
      checkProblems(rd, buf.length, what);
      expect(rd.recs.slice(0, k).map((r) => r.key), what).toEqual(recs.slice(0, k).map((r) => r.key));
      const nextEnd = b.endOf.get(b.endOf.get(at)!)!;
      // The damage is reported at the record or within the one after it (a short length
      // misplaces the next header by a few bytes).
      if (cap !== recs[k]!.key.split(' ')[1]!.split('/').map(Number)[0] || wire < cap) {
        expect(rd.problems.some((p) => p.offset >= at && p.offset < nextEnd), `${what}: ${JSON.stringify(rd.problems)}`).toBe(true);
      }
      // Everything from the second record after it on is read again (resynchronization).
      const after = recs.filter((r) => r.offset >= nextEnd).map((r) => r.key);
      const got = new Set(rd.recs.map((r) => r.key));
      expect(after.filter((x) => !got.has(x)).length, `${what}: records after the damage lost; problems ${JSON.stringify(rd.problems)}`).toBe(0);
    }
  });
});

// -- pcapng blocks ---------------------------------------------------------------------------

/** Two sections, the first little-endian, the second big-endian, each with two interfaces. */
function twoSections(): { buf: Buffer; packets: number[]; sections: number[] } {
  const data = packetSamples().filter((s) => s.linktype === 1).map((s) => s.bytes);
  const parts: Buffer[] = [];
  const packets: number[] = [];
  const sections: number[] = [];
  let off = 0;
  const push = (b: Buffer, list?: number[]) => {
    list?.push(off);
    parts.push(b);
    off += b.length;
  };
  for (const order of ['le', 'be'] as const) {
    const e = new PcapngEncoder();
    push(e.sectionHeader({ byteOrder: order, comment: `${order} section` }), sections);
    push(e.interfaceDescription({ linktype: 1, name: `eth0-${order}` }));
    push(e.interfaceDescription({ linktype: 1, name: `eth1-${order}`, tsresol: NANOSECONDS }));
    for (let k = 0; k < 12; k++) push(e.enhancedPacket(k % 2, { sec: 1_700_000_000 + k, nsec: 0 }, data[k % data.length]!, { comment: `p${k}` }), packets);
  }
  return { buf: Buffer.concat(parts), packets, sections };
}

describe('damaged pcapng blocks', () => {
  const { buf: clean, packets, sections } = twoSections();
  const base = read(clean);
  const target = packets[5]!; // a packet block in the little-endian section
  const targetBe = packets[17]!; // one in the big-endian section

  it('the two-section file itself reads whole, each section in its own byte order', () => {
    expect(base.refused).toBeNull();
    expect(base.problems).toEqual([]);
    expect(base.recs.length).toBe(24);
    const r = CaptureReader.fromBuffer(clean, 'two');
    while (r.next());
    expect(r.sections.map((x) => x.littleEndian)).toEqual([true, false]);
    expect(r.interfaces.map((i) => i.name)).toEqual(['eth0-le', 'eth1-le', 'eth0-be', 'eth1-be']);
  });

  it('a second section header with a broken byte-order magic: the first section intact, the damage at its offset', () => {
    const buf = Buffer.from(clean);
    const shb = sections[1]!;
    buf.writeUInt32LE(0x11223344, shb + 8);
    const rd = read(buf);
    checkProblems(rd, buf.length, 'broken magic');
    expect(rd.problems[0]!.offset).toBe(shb);
    expect(rd.recs.slice(0, 12).map((r) => r.key)).toEqual(base.recs.slice(0, 12).map((r) => r.key));
  });

  const L = (b: Buffer, at: number, le: boolean) => (le ? b.readUInt32LE(at + 4) : b.readUInt32BE(at + 4));
  const W = (b: Buffer, o: number, v: number, le: boolean) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const cases: Array<[string, (b: Buffer, at: number, le: boolean) => void]> = [
    ['leading length 4 more than the trailing one', (b, at, le) => W(b, at + 4, L(b, at, le) + 4, le)],
    ['trailing length 4 more than the leading one', (b, at, le) => W(b, at + L(b, at, le) - 4, L(b, at, le) + 4, le)],
    ['both lengths 4 more (the trailer lands inside the next block)', (b, at, le) => {
      const n = L(b, at, le);
      W(b, at + 4, n + 4, le);
      W(b, at + n - 4, n + 4, le);
    }],
    ['a length that is not a multiple of 4', (b, at, le) => W(b, at + 4, L(b, at, le) + 2, le)],
    ['a length of 0', (b, at, le) => W(b, at + 4, 0, le)],
    ['a length of 0x7ffffffc', (b, at, le) => W(b, at + 4, 0x7ffffffc, le)],
    ['a length pointing past the end of the file', (b, at, le) => W(b, at + 4, b.length - at + 256, le)],
    ['an interface id that does not exist', (b, at, le) => W(b, at + 8, 7, le)],
    ['a captured length of 0x7fffffff', (b, at, le) => W(b, at + 20, 0x7fffffff, le)],
    ['a captured length larger than the block', (b, at, le) => W(b, at + 20, L(b, at, le), le)],
  ];

  it.each(cases)('%s: reported with its offset, the other records read', (name, change) => {
    for (const [at, le] of [
      [target, true],
      [targetBe, false],
    ] as const) {
      const buf = Buffer.from(clean);
      change(buf, at, le);
      const what = `${name} at ${at}`;
      const rd = read(buf);
      expect(rd.refused, what).toBeNull();
      checkProblems(rd, buf.length, what);
      expect(rd.problems.length, `${what}: no problem reported`).toBeGreaterThan(0);
      const before = base.recs.filter((r) => r.offset < at).map((r) => r.key);
      expect(rd.recs.slice(0, before.length).map((r) => r.key), what).toEqual(before);
      // At most the damaged block and the one after it are lost.
      const lost = base.recs.filter((r) => !rd.recs.some((x) => x.key === r.key));
      expect(lost.length, `${what}: lost ${lost.map((r) => r.offset).join(', ')}; problems ${JSON.stringify(rd.problems)}`).toBeLessThanOrEqual(2);
    }
  });

});

// -- gzip ------------------------------------------------------------------------------------

describe('gzip streams cut short or corrupt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-hostile-'));
  const gz = readable.filter((b) => b.data.length > 200 && b.data.length < 100_000 && b.firstProblem === Infinity).slice(0, 30);

  async function readFile(path: string): Promise<Read> {
    const t0 = performance.now();
    let r: CaptureReader;
    try {
      r = await CaptureReader.open(path);
    } catch (e) {
      if (!(e instanceof CaptureOpenError)) throw e;
      return { refused: e.message, recs: [], problems: [], ms: 0 };
    }
    const recs: Rec[] = [];
    await forEachRecord(r, () => recs.push({ number: r.rec.number, offset: r.rec.fileOffset, key: keyOf(r) }));
    return { refused: null, recs, problems: r.problems.map((p) => ({ offset: p.offset, message: p.message, file: 'damaged' })), ms: performance.now() - t0 };
  }

  it('deliver a prefix of the records and say the gzip stream ended early, from memory and from a file', async () => {
    expect(gz.length).toBeGreaterThan(20);
    let named = 0;
    for (const b of gz) {
      const z = gzipSync(b.data);
      for (const cut of new Set([12, Math.floor(z.length / 4), Math.floor(z.length / 2), z.length - 9, z.length - 4, z.length - 1])) {
        const what = `${b.file.name} gzipped, cut to ${cut} of ${z.length}`;
        const part = z.subarray(0, cut);
        const path = join(dir, `cut-${named}-${cut}.pcap.gz`);
        writeFileSync(path, part);
        for (const rd of [read(part), await readFile(path)]) {
          if (rd.refused !== null) {
            expect(rd.refused.replace(/^.*?: /, ''), what).toMatch(/gzip|short|empty/);
            continue;
          }
          const keys = rd.recs.map((r) => r.key);
          expect(keys, what).toEqual(b.read.recs.slice(0, keys.length).map((r) => r.key));
          const gzipProblem = rd.problems.find((p) => /gzip/.test(p.message));
          expect(gzipProblem, `${what}: ${JSON.stringify(rd.problems)}`).toBeDefined();
          named++;
        }
      }
    }
    expect(named).toBeGreaterThan(100);
  });

  it('corrupt deflate data: the records before the damage, and the corruption named', async () => {
    fc.assert(
      fc.property(fc.constantFrom(...gz), fc.nat(), fc.integer({ min: 1, max: 255 }), (b, at0, x) => {
        const z = Buffer.from(gzipSync(b.data));
        const at = 10 + (at0 % (z.length - 18));
        z[at]! ^= x;
        const rd = read(z);
        if (rd.refused !== null) return;
        checkProblems(rd, Infinity, `${b.file.name} gzip byte ${at}`);
        // Deflate damage may go unnoticed for a while and change bytes before it is seen:
        // what is delivered parses, and the reader never throws.
        expect(rd.recs.length).toBeLessThanOrEqual(b.read.recs.length + 64);
      }),
      { seed: 7003, numRuns: 200 },
    );
  });
});

// -- memory ----------------------------------------------------------------------------------

describe('lengths read from the file are checked before anything is allocated by them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-hostile-mem-'));
  const pcapBase = pcaps[0]!;

  function external(): number {
    const m = process.memoryUsage();
    return m.arrayBuffers + m.external;
  }

  const huge: Array<[string, () => Buffer]> = [
    ['a pcap record of 0x7fffffff bytes', () => {
      const b = Buffer.from(pcapBase.data);
      const at = pcapBase.read.recs[1]!.offset;
      b.writeUInt32LE(0x7fffffff, at + 8);
      b.writeUInt32LE(0x7fffffff, at + 12);
      return b;
    }],
    ['a pcapng packet block of 0x7ffffffc bytes', () => {
      const { buf, packets } = twoSections();
      buf.writeUInt32LE(0x7ffffffc, packets[2]! + 4);
      return buf;
    }],
    ['a pcapng interface block of 0x7ffffffc bytes', () => {
      const { buf } = twoSections();
      buf.writeUInt32LE(0x7ffffffc, 0 + buf.readUInt32LE(4) + 4);
      return buf;
    }],
    ['a pcapng packet whose captured length is 0x7fffffff', () => {
      const { buf, packets } = twoSections();
      buf.writeUInt32LE(0x7fffffff, packets[2]! + 20);
      return buf;
    }],
    ['a pcapng non-packet block announcing 15 MiB', () => {
      const { buf, packets } = twoSections();
      buf.writeUInt32LE(4, packets[3]!); // becomes a name resolution block
      buf.writeUInt32LE(15 << 20, packets[3]! + 4);
      return buf;
    }],
  ];

  it.each(huge)('%s: memory stays flat, reading goes on', async (_name, make) => {
    const buf = make();
    const path = join(dir, 'huge.bin');
    writeFileSync(path, buf);
    const before = external();
    let peak = before;
    const t0 = performance.now();
    const r = await CaptureReader.open(path, { chunkSize: 1 << 16 });
    let n = 0;
    await forEachRecord(r, () => {
      n++;
      peak = Math.max(peak, external());
    });
    peak = Math.max(peak, external());
    expect(performance.now() - t0).toBeLessThan(CASE_MS);
    expect(r.problems.length).toBeGreaterThan(0);
    expect(n).toBeGreaterThanOrEqual(3);
    // The read buffer (64 KiB chunks plus room for one maximal record) and no more.
    expect(peak - before).toBeLessThan(8 << 20);
    const mem = read(buf);
    expect(mem.recs.length).toBe(n);
  });
});
