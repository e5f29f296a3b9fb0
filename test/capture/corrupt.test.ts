/**
 * Damaged captures built by hand: each gives a clear problem (offset and what is wrong),
 * the records before the damage, and the records after it where the format lets the
 * reader find its footing again. Nothing throws once the file header is accepted, and no
 * length field is trusted before it is checked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CaptureOpenError, CaptureReader } from '../../src/capture/reader.js';
import { MAX_LISTED_PROBLEMS } from '../../src/capture/problems.js';
import {
  block,
  CORPUS,
  epb,
  frame,
  idb,
  options,
  pcap,
  pcapHeader,
  pcapRecord,
  readAll,
  readBuffer,
  shb,
  tmpFile,
  tsharkSync,
  type PcapRec,
} from './build.js';

const T0 = 1700000000;
const recs = (n: number, from = 0): PcapRec[] =>
  Array.from({ length: n }, (_v, i) => ({ sec: T0 + i + from, frac: 1000 * (i + from), data: frame(i + from) }));
const hexes = (r: PcapRec[]) => r.map((x) => x.data.toString('hex'));
/** Offset of record i (0-based) in a pcap built from these records. */
const offsetOf = (r: PcapRec[], i: number) => 24 + r.slice(0, i).reduce((n, x) => n + 16 + x.data.length, 0);

describe('classic pcap file headers that are refused', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['an empty file', Buffer.alloc(0), /empty file, not a capture/],
    ['version 1.4', pcap([], { major: 1, minor: 4 }), /unsupported pcap version 1\.4/],
    ['version 3.0', pcap([], { major: 3, minor: 0 }), /unsupported pcap version 3\.0/],
    ['reserved linktype bits', pcap([], { network: 0x00300001 }), /linktype reserved field not zero \(0x00300001\)/],
    ['a header cut short', pcapHeader().subarray(0, 20), /pcap file header cut short \(20 of 24 bytes\)/],
    ['Kuznetzov pcap', Buffer.from('34cdb2a1020004000000000000000000ffff000001000000', 'hex'), /Kuznetzov/],
    ['an ELF binary', Buffer.from('7f454c46020101000000000000000000', 'hex'), /not a pcap or pcapng file \(starts with 7f 45 4c 46 02 01 01 00\)/],
    ['a zip archive', Buffer.from('504b030414000000', 'hex'), /looks like a zip archive/],
    ['bzip2 data', Buffer.from('425a683931415926', 'hex'), /looks like bzip2 data/],
  ];
  it.each(cases)('%s', async (_name, buf, msg) => {
    const path = tmpFile(`refused-${_name.replace(/\W+/g, '_')}`, buf);
    const err = await CaptureReader.open(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaptureOpenError);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message.startsWith(`${path}: `)).toBe(true);
    expect(() => CaptureReader.fromBuffer(buf, 'mem')).toThrow(msg);
  });

  it('a missing file or a directory', async () => {
    await expect(CaptureReader.open('/nonexistent/x.pcap')).rejects.toThrow(/\/nonexistent\/x\.pcap: cannot open: no such file/);
    await expect(CaptureReader.open(CORPUS)).rejects.toThrow(/is a directory/);
  });
});

describe('classic pcap file headers that are read', () => {
  it('version 2.5 with a warning, as Wireshark does', () => {
    const got = readBuffer(pcap(recs(2), { minor: 5 }));
    expect(got.rows.length).toBe(2);
    expect(got.problems).toEqual([expect.objectContaining({ severity: 'warning', offset: 4, message: expect.stringMatching(/2\.5 is newer than 2\.4/) })]);
  });

  it('FCS bits in the network field: linktype from the low 16 bits, FCS length from the top 4 only with the F bit', () => {
    const a = CaptureReader.fromBuffer(pcap(recs(1), { network: 0x24000001 }));
    expect([a.interfaces[0]!.linktype, a.interfaces[0]!.fcsLen]).toEqual([1, 4]);
    const b = CaptureReader.fromBuffer(pcap(recs(1), { network: 0x30000065 }));
    expect([b.interfaces[0]!.linktype, b.interfaces[0]!.fcsLen]).toEqual([101, -1]);
  });

  it('versions before 2.3 store the two lengths swapped, as tshark reads them', () => {
    const r: PcapRec[] = [
      { sec: T0, frac: 1, data: frame(1, 60), cap: 1500, wire: 60 },
      { sec: T0, frac: 2, data: frame(2, 40), cap: 40, wire: 40 },
    ];
    const buf = pcap(r, { minor: 2 });
    const got = readBuffer(buf);
    const ts = tsharkSync(tmpFile('v22.pcap', buf));
    expect(got.rows.map((x) => [x.len, x.capLen])).toEqual(ts.rows.map((x) => [x.len, x.capLen]));
    expect(got.rows.map((x) => [x.len, x.capLen])).toEqual([
      [1500, 60],
      [40, 40],
    ]);
  });

  it('both byte orders and both precisions', () => {
    for (const e of ['LE', 'BE'] as const) {
      for (const nsec of [false, true]) {
        const r = [{ sec: T0, frac: nsec ? 999999999 : 999999, data: frame(1) }];
        const got = readBuffer(pcap(r, { e, nsec }));
        expect(got.formatDetail).toBe(`pcap 2.4 ${e} ${nsec ? 'nsec' : 'usec'}`);
        expect(got.rows[0]!.time).toBe(`${T0}.999999999`.slice(0, nsec ? undefined : -3) + (nsec ? '' : '000'));
      }
    }
  });

  it('a snaplen of 0 or an absurd one still reads records up to 256 KiB', () => {
    for (const snaplen of [0, 0xffffffff]) {
      const r = [...recs(1), { sec: T0 + 1, frac: 0, data: Buffer.alloc(262144, 7) }, ...recs(1, 2)];
      const got = readBuffer(pcap(r, { snaplen }));
      expect(got.rows.map((x) => x.capLen)).toEqual([34, 262144, 34]);
      expect(got.problems).toEqual([]);
    }
  });
});

describe('damaged classic pcap records', () => {
  it('a record of length 0 is a record (as tshark shows it)', () => {
    const r = [...recs(1), { sec: T0 + 1, frac: 0, data: Buffer.alloc(0) }, ...recs(1, 2)];
    const got = readBuffer(pcap(r));
    expect(got.rows.map((x) => x.capLen)).toEqual([34, 0, 34]);
    expect(got.problems).toEqual([]);
  });

  it('a length of 0x7fffffff is reported with its offset, allocates nothing, and reading resumes after it', async () => {
    const r = recs(20);
    const bad = 7;
    const buf = pcap(r);
    const at = offsetOf(r, bad);
    buf.writeUInt32LE(0x7fffffff, at + 8);
    const path = tmpFile('huge-length.pcap', buf);
    const reader = await CaptureReader.open(path, { chunkSize: 256 });
    const buffers = new Set([reader.rec.buf]);
    const rows: string[] = [];
    for (;;) {
      while (reader.next()) {
        buffers.add(reader.rec.buf);
        rows.push(reader.rec.buf.toString('hex', reader.rec.off, reader.rec.off + reader.rec.capLen));
      }
      if (!(await reader.fill())) break;
    }
    // The window and its read-ahead buffer, nothing sized after the damaged length.
    expect([...buffers].map((b) => b.length)).toEqual([256 + (1 << 20) + 64, 256 + (1 << 20) + 64]);
    expect(rows).toEqual([...hexes(r.slice(0, bad)), ...hexes(r.slice(bad + 1))]);
    expect(reader.problems.map((p) => [p.severity, p.offset])).toEqual([
      ['error', at],
      ['warning', offsetOf(r, bad + 1)],
    ]);
    expect(reader.problems[0]!.message).toBe(
      `record ${bad + 1} at offset ${at}: captured length 2147483647 is larger than the maximum record size 262144; looking for the next valid record`,
    );
    expect(reader.problems[1]!.message).toBe(`resynchronized at offset ${offsetOf(r, bad + 1)} after skipping ${16 + 34} bytes`);
  });

  it('a length pointing past the end with whole records after it is damage, not a cut-off tail', () => {
    const r = recs(3);
    const buf = pcap(r);
    const at = offsetOf(r, 1);
    buf.writeUInt32LE(5000, at + 8);
    buf.writeUInt32LE(5000, at + 12);
    const got = readBuffer(buf);
    expect(got.rows.map((x) => x.data)).toEqual(hexes([r[0]!, r[2]!]));
    expect(got.problems.map((p) => [p.severity, p.offset, p.message])).toEqual([
      [
        'error',
        at,
        `record 2 at offset ${at}: captured length 5000 runs past the end of the capture (${buf.length - at - 16} bytes left) although valid records follow; looking for the next valid record`,
      ],
      ['warning', offsetOf(r, 2), `resynchronized at offset ${offsetOf(r, 2)} after skipping 50 bytes`],
    ]);
  });

  it('a length pointing past the end of the file with nothing valid after it is a cut-off tail', () => {
    const r = recs(3);
    const buf = pcap(r).subarray(0, offsetOf(r, 2) + 16 + 10);
    const got = readBuffer(buf);
    expect(got.rows.length).toBe(2);
    expect(got.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        offset: offsetOf(r, 2),
        message: `capture ends in the middle of record 3 at offset ${offsetOf(r, 2)} (header says 34 bytes, 10 present) — the capture was probably cut off while being written`,
      }),
    ]);
  });

  it('a captured length above the original length: kept when a good record follows (as tshark does)', () => {
    const r = recs(3);
    r[1] = { ...r[1]!, wire: 20 };
    const got = readBuffer(pcap(r));
    expect(got.rows.map((x) => [x.len, x.capLen])).toEqual([
      [34, 34],
      [20, 34],
      [34, 34],
    ]);
    expect(got.problems).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/captured length 34 is larger than the original length 20/) })]);
  });

  it('a captured length above the original length: damage when what follows is garbage', () => {
    const r = recs(6);
    const buf = pcap(r);
    const at = offsetOf(r, 2);
    buf.writeUInt32LE(30, at + 8); // record 3 now claims 30 of 34 bytes, wire still 34: fine
    buf.writeUInt32LE(40, at + 8); // ...make it 40 > wire 34, landing inside the next header
    const got = readBuffer(buf);
    expect(got.rows.map((x) => x.data)).toEqual([...hexes(r.slice(0, 2)), ...hexes(r.slice(3))]);
    expect(got.problems[0]).toEqual(
      expect.objectContaining({ severity: 'error', offset: at, message: expect.stringMatching(/captured length 40 is larger than the original length 34 and no valid record follows/) }),
    );
  });

  it('zeros to the end of the file: reported once with the number of bytes skipped', () => {
    const r = recs(4);
    const buf = Buffer.concat([pcap(r), Buffer.alloc(4000)]);
    buf.writeUInt32LE(0x10000000, offsetOf(r, 4) + 8);
    const got = readBuffer(buf);
    expect(got.rows.length).toBe(4);
    expect(got.problems.map((p) => p.message)).toEqual([
      `record 5 at offset ${offsetOf(r, 4)}: captured length 268435456 is larger than the maximum record size 262144; looking for the next valid record`,
      `no valid record found after offset ${offsetOf(r, 4)}; 4000 bytes skipped to the end of the capture`,
    ]);
  });

  it('an out-of-range timestamp fraction is kept and reported once', () => {
    const r = recs(3).map((x) => ({ ...x, frac: 1000000 + x.frac }));
    const got = readBuffer(pcap(r));
    expect(got.rows.map((x) => x.tsNsec)).toEqual(r.map((x) => x.frac * 1000));
    expect(got.problems.length).toBe(1);
    expect(got.problems[0]!.message).toMatch(/record 1 at offset 24: timestamp fraction 1000000 is out of range for microseconds/);
  });

  it('the problem list stays bounded however damaged the file', () => {
    // Pairs of good records between bursts of garbage: each burst costs two problems
    // (the damage, the resynchronization), and the second record of a pair confirms the first.
    const parts: Buffer[] = [pcapHeader()];
    for (let i = 0; i < 500; i++) {
      parts.push(pcapRecord({ sec: T0 + i, frac: 0, data: frame(i & 255) }));
      parts.push(pcapRecord({ sec: T0 + i, frac: 1, data: frame(i & 255) }));
      parts.push(Buffer.from('ffffffffffffffffffffffffffffffff', 'hex'));
    }
    const got = readBuffer(Buffer.concat(parts));
    expect(got.rows.length).toBe(1000);
    expect(got.problems.length).toBe(MAX_LISTED_PROBLEMS + 1);
    expect(got.problems[MAX_LISTED_PROBLEMS]!.message).toMatch(/^\d+ more problems not listed \(first at offset \d+, last at offset \d+\)$/);
    expect(got.problems[MAX_LISTED_PROBLEMS]!.severity).toBe('error');
    const r = CaptureReader.fromBuffer(Buffer.concat(parts));
    while (r.next());
    expect(r.problemCount).toBe(1000);
  });
});

describe('damaged pcapng blocks', () => {
  const E = 'LE';
  const good = (n: number, from = 0) => Array.from({ length: n }, (_v, i) => epb(E, 0, BigInt(T0 + from + i) * 1000000n, frame(from + i)));
  const head = () => [shb(E), idb(E, 1)];
  const tags = (rows: Array<{ data: string }>) => rows.map((r) => parseInt(r.data.slice(-2), 16));
  const at = (parts: Buffer[], i: number) => parts.slice(0, i).reduce((n, b) => n + b.length, 0);

  it('lengths that disagree at the two ends: reported, then the next good block', () => {
    const bad = epb(E, 0, 5n, frame(99));
    bad.writeUInt32LE(bad.length + 4, bad.length - 4);
    const parts = [...head(), ...good(3), bad, ...good(3, 3)];
    const got = readBuffer(Buffer.concat(parts));
    expect(tags(got.rows)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got.problems[0]).toEqual(
      expect.objectContaining({
        severity: 'error',
        offset: at(parts, 5),
        message: `block at offset ${at(parts, 5)}: enhanced packet block: block total length ${bad.length} in the header and ${bad.length + 4} in the trailer don't match; looking for the next valid block`,
      }),
    );
    expect(got.problems[1]!.message).toBe(`resynchronized at offset ${at(parts, 6)} (a enhanced packet block) after skipping ${bad.length} bytes`);
  });

  it.each([
    ['not a multiple of 4', 66, /block total length 66, not a multiple of 4/],
    ['0', 0, /block total length 0, less than the minimum 32/],
    ['8', 8, /block total length 8, less than the minimum 32/],
    ['huge', 0x7ffffff0, /block total length 2147483632, larger than the maximum 1048576/],
  ])('a block length that is %s: reported, no hang, the rest read', (_n, len, msg) => {
    const bad = epb(E, 0, 5n, frame(99));
    bad.writeUInt32LE(len, 4);
    const parts = [...head(), ...good(2), bad, ...good(2, 2)];
    const got = readBuffer(Buffer.concat(parts));
    expect(tags(got.rows)).toEqual([0, 1, 2, 3]);
    expect(got.problems[0]!.message).toMatch(msg);
    expect(got.problems[0]!.offset).toBe(at(parts, 4));
  });

  it('a block length pointing past the end with whole blocks after it is damage, not a cut-off tail', () => {
    const bad = epb(E, 0, 5n, frame(99));
    bad.writeUInt32LE(4000, 4);
    const parts = [...head(), ...good(2), bad, ...good(2, 2)];
    const got = readBuffer(Buffer.concat(parts));
    expect(tags(got.rows)).toEqual([0, 1, 2, 3]);
    expect(got.problems[0]).toEqual(expect.objectContaining({ severity: 'error', offset: at(parts, 4) }));
    expect(got.problems[0]!.message).toMatch(/block total length 4000, which runs past the end of the capture \(\d+ bytes left\) although valid blocks follow/);
  });

  it('an interface id that does not exist: that record is reported and skipped', () => {
    const parts = [...head(), ...good(2), epb(E, 3, 5n, frame(99)), ...good(2, 2)];
    const got = readBuffer(Buffer.concat(parts));
    expect(tags(got.rows)).toEqual([0, 1, 2, 3]);
    expect(got.rows.map((r) => r.number)).toEqual([1, 2, 3, 4]);
    expect(got.problems).toEqual([
      { severity: 'error', offset: at(parts, 4), packet: 3, message: `record 3 at offset ${at(parts, 4)}: interface id 3 does not exist (its section has 1 interface); skipped` },
    ]);
  });

  it('a packet before any interface description', () => {
    const got = readBuffer(Buffer.concat([shb(E), epb(E, 0, 5n, frame(1)), idb(E, 1), ...good(1, 2)]));
    expect(tags(got.rows)).toEqual([2]);
    expect(got.problems[0]!.message).toMatch(/interface id 0 does not exist \(its section has 0 interfaces\)/);
  });

  it('a captured length larger than its block', () => {
    const bad = epb(E, 0, 5n, frame(99), { cap: 200 });
    const got = readBuffer(Buffer.concat([...head(), bad, ...good(1, 1)]));
    expect(tags(got.rows)).toEqual([1]);
    expect(got.problems[0]!.message).toBe(`record 1 at offset 48: block total length ${bad.length} is too small for 200 bytes of packet data; skipped`);
  });

  it('sections that change byte order are each read in their own order', () => {
    const got = readBuffer(
      Buffer.concat([shb('LE'), idb('LE', 1), epb('LE', 0, 1n, frame(1)), shb('BE'), idb('BE', 101), epb('BE', 0, 2n, frame(2)), shb('LE'), idb('LE', 113), epb('LE', 0, 3n, frame(3))]),
    );
    expect(tags(got.rows)).toEqual([1, 2, 3]);
    expect(got.rows.map((r) => [r.linktype, r.ifIndex, r.ifId, r.tsNsec])).toEqual([
      [1, 0, '0', 1000],
      [101, 1, '0', 2000],
      [113, 2, '0', 3000],
    ]);
    expect(got.problems).toEqual([]);
  });

  it('an option running past its block: reported, the record kept', () => {
    const opts = options(E, [[1, 'a comment']]);
    opts.writeUInt16LE(200, 2);
    const body = Buffer.concat([Buffer.from('00000000000000000000000022000000220000', 'hex'), Buffer.from([0]), frame(7), Buffer.alloc(2), opts]);
    const bad = block(E, 6, body);
    const parts = [...head(), bad, ...good(1, 1)];
    const got = readBuffer(Buffer.concat(parts));
    expect(tags(got.rows)).toEqual([7, 1]);
    expect(got.rows[0]!.comments).toBe(null);
    expect(got.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        packet: 1,
        message: `record 1 at offset ${at(parts, 2)}: option 1 at offset ${at(parts, 2) + 28 + 36} has length 200, which runs past the end of the block; the remaining options were ignored`,
      }),
    ]);
  });

  it('an IDB option running past its block keeps the interface', () => {
    const b = idb(E, 1, 0, [[2, 'eth0']]);
    b.writeUInt16LE(100, 18);
    const got = readBuffer(Buffer.concat([shb(E), b, ...good(1)]));
    expect(got.rows.length).toBe(1);
    expect(got.problems[0]!.message).toMatch(/option 2 at offset \d+ has length 100, which runs past the end of the block/);
  });

  it('a first section header whose option runs past it is read with a warning (libpcap corpus file is refused for its lengths)', () => {
    const s = shb(E, [[4, 'app']]);
    s.writeUInt16LE(64, 26);
    const got = readBuffer(Buffer.concat([s, idb(E, 1), ...good(2)]));
    expect(got.rows.length).toBe(2);
    expect(got.problems[0]!.message).toMatch(/^block at offset 0: option 4 at offset 24 has length 64/);
    expect(() => CaptureReader.fromBuffer(readFileSync(`${CORPUS}libpcap/shb-option-too-long.pcapng`))).toThrow(
      /block total length 52 in the header and 808464432 in the trailer don't match/,
    );
  });

  it('a section of an unsupported version in the middle is skipped, the next one read', () => {
    const got = readBuffer(Buffer.concat([...head(), ...good(1), shb(E, [], [1, 1]), idb(E, 1), ...good(1, 1), shb(E), idb(E, 1), ...good(1, 2)]));
    expect(tags(got.rows)).toEqual([0, 2]);
    expect(got.problems[0]!.message).toMatch(/section 2 at offset \d+ has unsupported pcapng version 1\.1; its blocks are skipped/);
  });

  it('a non-packet block too large to hold is streamed past without being held whole', async () => {
    const big = block(E, 0x12345678, Buffer.alloc(3 << 20, 1));
    const buf = Buffer.concat([...head(), ...good(1), big, ...good(2, 1)]);
    for (const chunkSize of [4096, 1 << 20]) {
      const got = await readAll(tmpFile(`big-block-${chunkSize}.pcapng`, buf), { chunkSize });
      expect(tags(got.rows)).toEqual([0, 1, 2]);
      expect(got.problems).toEqual([]);
      const r = await CaptureReader.open(tmpFile('big-block.pcapng', buf), { chunkSize });
      expect(r.rec.buf.length).toBeLessThan(chunkSize + (2 << 20));
      await r.close();
    }
  });

  it('a too-large non-packet block with a bad trailer is found out after streaming past it', () => {
    const big = block(E, 0x12345678, Buffer.alloc(3 << 20, 1), { trailer: 77 });
    const got = readBuffer(Buffer.concat([...head(), ...good(1), big, ...good(2, 1)]));
    expect(tags(got.rows)).toEqual([0, 1, 2]);
    expect(got.problems[0]!.message).toMatch(/block total length 3145740 in the header and 77 in the trailer don't match/);
  });

  it('random garbage between blocks is skipped at 4-byte steps', () => {
    const junk = Buffer.alloc(1000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 37 + 11) & 255;
    const parts = [...head(), ...good(2), junk, ...good(2, 2)];
    const got = readBuffer(Buffer.concat(parts));
    expect(tags(got.rows)).toEqual([0, 1, 2, 3]);
    expect(got.problems.at(-1)!.message).toBe(`resynchronized at offset ${at(parts, 5)} (a enhanced packet block) after skipping 1000 bytes`);
  });
});
