/**
 * pcapng features, checked against tshark on files laid out by hand: several sections of
 * both byte orders, several interfaces with their own linktype, if_tsresol and
 * if_tsoffset, EPB/SPB/OPB, comments and flags, statistics, and blocks we skip.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TsConv } from '../../src/capture/pcapng.js';
import { emptyRecord } from '../../src/capture/record.js';
import { CaptureReader } from '../../src/capture/reader.js';
import {
  block,
  epb,
  frame,
  idb,
  isb,
  opb,
  opt32,
  opt64,
  readAll,
  readBuffer,
  shb,
  spb,
  tmpFile,
  tsharkSync,
  type Endian,
} from './build.js';

const L: Endian = 'LE';
const B: Endian = 'BE';
const NOW_US = 1700000000123456n;

function tsharkExtra(path: string): Array<{ comment: string; flags: string }> {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.comment', '-e', 'frame.packet_flags'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [comment, flags] = l.split('\t');
      return { comment: comment ?? '', flags: flags ?? '' };
    });
}

describe('pcapng with several sections and interfaces', () => {
  const file = Buffer.concat([
    shb(L, [[2, 'hw'], [3, 'Linux'], [4, 'netdiag tests'], [1, 'section one']]),
    idb(L, 1, 0, [[2, 'eth0'], [3, 'first NIC'], [9, Buffer.from([6])]]),
    idb(L, 101, 0, [[9, Buffer.from([9])]]),
    epb(L, 0, NOW_US, frame(1), { opts: [[1, 'hello'], [1, 'second comment'], [2, opt32(1, L)]] }),
    epb(L, 1, 1700000000123456789n, frame(2, 20).subarray(0, 20)),
    block(L, 4, Buffer.alloc(12)), // NRB: skipped
    block(L, 0x12345678, Buffer.alloc(4)), // unknown block: skipped
    isb(L, 0, [[4, opt64(1000n, L)], [5, opt64(7n, L)]]),
    shb(B),
    idb(B, 1, 0, [[9, Buffer.from([0x83])]]), // 2^-3 s
    idb(B, 113, 0, [[14, opt64(100n, B)]]), // +100 s
    idb(B, 1, 0, [[9, Buffer.from([0x8a])]]), // 2^-10 s
    idb(B, 1, 0, [[9, Buffer.from([3])]]), // ms
    epb(B, 1, NOW_US, Buffer.concat([Buffer.alloc(16), frame(3).subarray(14)])),
    epb(B, 0, (1700000000n << 3n) + 5n, frame(4)),
    epb(B, 2, 1700000000n * 1024n + 3n, frame(5)),
    epb(B, 3, 1700000000999n, frame(6)),
    shb(L),
    idb(L, 1, 60),
    spb(L, 100, Buffer.concat([frame(7), Buffer.alloc(26)])),
    opb(L, 0, NOW_US, frame(8), [[1, 'opb comment'], [2, opt32(2, L)]]),
    epb(L, 0, NOW_US + 1n, frame(9, 60), { wire: 1500 }),
  ]);
  const path = tmpFile('multi-section.pcapng', file);

  it('gives the records, times, lengths and interface ids tshark gives', async () => {
    const mine = await readAll(path);
    const ts = tsharkSync(path);
    expect(ts.stderr).not.toMatch(/damaged|corrupt|cut short/);
    expect(mine.rows.length).toBe(9);
    expect(mine.rows.length).toBe(ts.rows.length);
    for (let i = 0; i < ts.rows.length; i++) {
      const a = mine.rows[i]!;
      const b = ts.rows[i]!;
      expect([a.number, a.len, a.capLen, a.ifId], `record ${i + 1}`).toEqual([b.number, b.len, b.capLen, b.ifId]);
      // A simple packet block has no timestamp: tshark shows none, we give 0.
      if (b.time === '') expect([a.tsSec, a.tsNsec]).toEqual([0, 0]);
      else expect(a.time, `record ${i + 1}`).toBe(b.time);
    }
    expect(mine.problems).toEqual([]);
  });

  it('keeps packet comments and flags as tshark shows them', async () => {
    const mine = await readAll(path);
    const extra = tsharkExtra(path);
    expect(extra.length).toBe(mine.rows.length);
    for (let i = 0; i < extra.length; i++) {
      const a = mine.rows[i]!;
      expect((a.comments ?? []).join(','), `record ${i + 1} comment`).toBe(extra[i]!.comment);
      expect(extra[i]!.flags === '' ? 0 : Number(extra[i]!.flags), `record ${i + 1} flags`).toBe(a.flags);
    }
    expect(mine.rows[0]!.comments).toEqual(['hello', 'second comment']);
  });

  it('numbers interfaces across the file, each with its section, linktype and resolution', async () => {
    const r = await CaptureReader.open(path);
    const linktypes: number[] = [];
    for (;;) {
      while (r.next()) linktypes.push(r.rec.linktype);
      if (!(await r.fill())) break;
    }
    expect(r.interfaces.map((i) => [i.index, i.section, i.localId, i.linktype, i.linktypeName, i.tsresol, i.tsoffset, i.snaplen])).toEqual([
      [0, 0, 0, 1, 'EN10MB', 1e6, 0, 0],
      [1, 0, 1, 101, 'RAW', 1e9, 0, 0],
      [2, 1, 0, 1, 'EN10MB', 8, 0, 0],
      [3, 1, 1, 113, 'LINUX_SLL', 1e6, 100, 0],
      [4, 1, 2, 1, 'EN10MB', 1024, 0, 0],
      [5, 1, 3, 1, 'EN10MB', 1000, 0, 0],
      [6, 2, 0, 1, 'EN10MB', 1e6, 0, 60],
    ]);
    expect(r.interfaces[0]).toMatchObject({ name: 'eth0', description: 'first NIC', recv: 1000, drop: 7 });
    expect(linktypes).toEqual([1, 101, 113, 1, 1, 1, 1, 1, 1]);
    expect(r.sections.map((s) => [s.index, s.littleEndian, s.version, s.firstInterface, s.interfaceCount])).toEqual([
      [0, true, '1.0', 0, 2],
      [1, false, '1.0', 2, 4],
      [2, true, '1.0', 6, 1],
    ]);
    expect(r.sections[0]).toMatchObject({ hardware: 'hw', os: 'Linux', userappl: 'netdiag tests', comments: ['section one'] });
    expect(r.formatDetail).toBe('pcapng LE');
  });

  it('skips custom blocks, which tshark 4.0 shows as frames of their own', () => {
    const withCustom = Buffer.concat([shb(L), idb(L, 1), block(L, 0x00000bad, Buffer.alloc(8)), block(L, 0x40000bad, Buffer.alloc(12)), epb(L, 0, NOW_US, frame(1))]);
    const got = readBuffer(withCustom);
    expect(got.rows.map((r) => [r.number, r.data])).toEqual([[1, frame(1).toString('hex')]]);
    expect(got.problems).toEqual([]);
  });

  it('knows the first section interfaces right after opening', async () => {
    const r = await CaptureReader.open(path);
    expect(r.interfaces.map((i) => i.linktype)).toEqual([1, 101]);
    await r.close();
  });

  it('derives a simple packet block length from the snaplen of interface 0', () => {
    const got = readBuffer(file);
    const spbRow = got.rows[6]!;
    expect([spbRow.len, spbRow.capLen]).toEqual([100, 60]);
    expect(spbRow.data).toBe(Buffer.concat([frame(7), Buffer.alloc(26)]).subarray(0, 60).toString('hex'));
  });
});

describe('pcapng timestamps', () => {
  it('match tshark for decimal and binary resolutions', () => {
    const blocks: Buffer[] = [shb(L)];
    const ticks: bigint[] = [];
    const resol: number[] = [];
    for (let e = 0; e <= 9; e++) resol.push(e);
    for (let e = 1; e <= 32; e++) resol.push(0x80 | e);
    resol.forEach((r) => blocks.push(idb(L, 1, 0, [[9, Buffer.from([r])]])));
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    resol.forEach((r, i) => {
      const per = (r & 0x80) !== 0 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
      for (let k = 0; k < 3; k++) {
        const t = BigInt(1600000000 + (rand() % 200000000)) * per + (BigInt(rand()) * 7919n) % per;
        ticks.push(t);
        blocks.push(epb(L, i, t, frame(k)));
      }
    });
    const path = tmpFile('resolutions.pcapng', Buffer.concat(blocks));
    const ts = tsharkSync(path);
    const mine = readBuffer(Buffer.concat(blocks));
    expect(mine.rows.length).toBe(ticks.length);
    expect(mine.rows.map((r) => r.time)).toEqual(ts.rows.map((r) => r.time));
  });

  it('convert exactly without BigInt on the common path (checked against BigInt arithmetic)', () => {
    const rec = emptyRecord();
    fc.assert(
      fc.property(
        fc.constantFrom<[10 | 2, number]>([10, 0], [10, 3], [10, 6], [10, 9], [10, 12], [10, 19], [2, 0], [2, 3], [2, 10], [2, 20], [2, 30], [2, 31], [2, 40], [2, 63]),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: -1000, max: 1000 }),
        ([base, exp], t, offset) => {
          const conv = new TsConv(base, exp, offset);
          conv.convert(Number(t >> 32n), Number(t & 0xffffffffn), rec);
          const per = BigInt(base) ** BigInt(exp);
          const sec = t / per;
          const nsec = ((t % per) * 1000000000n) / per;
          if (sec <= BigInt(Number.MAX_SAFE_INTEGER)) expect(rec.tsSec).toBe(Number(sec) + offset);
          expect(rec.tsNsec).toBe(Number(nsec));
        },
      ),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('are exact for nanoseconds since the epoch, which exceed 2^53', () => {
    const rec = emptyRecord();
    const conv = new TsConv(10, 9, 0);
    const t = 1700000000999999999n;
    conv.convert(Number(t >> 32n), Number(t & 0xffffffffn), rec);
    expect([rec.tsSec, rec.tsNsec]).toEqual([1700000000, 999999999]);
  });
});
