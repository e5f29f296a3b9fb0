/**
 * A capture cut off anywhere (tcpdump killed mid-write, a partial download): the records
 * before the cut are delivered, the cut is reported with the offset of the block it falls
 * in, and nothing throws except opening a file whose very header is incomplete.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureOpenError } from '../../src/capture/reader.js';
import {
  CORPUS,
  epb,
  frame,
  idb,
  isb,
  opb,
  opt64,
  readAll,
  readBuffer,
  shb,
  spb,
  tmpFile,
  block,
  type ReadResult,
} from './build.js';

/** Block (or record) boundaries found by a walk written here, independent of the reader. */
function boundaries(buf: Buffer): { header: number; starts: number[] } {
  const starts: number[] = [];
  if (buf.readUInt32LE(0) === 0x0a0d0d0a) {
    let le = true;
    let p = 0;
    while (p + 12 <= buf.length) {
      const type = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
      if (type === 0x0a0d0d0a) le = buf.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const len = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
      starts.push(p);
      p += len;
    }
    starts.push(p);
    const first = buf.readUInt32LE(8) === 0x1a2b3c4d ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
    return { header: first, starts };
  }
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  let p = 24;
  while (p + 16 <= buf.length) {
    starts.push(p);
    p += 16 + (le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8));
  }
  starts.push(p);
  return { header: 24, starts };
}

function multiSection(): Buffer {
  const L = 'LE';
  const B = 'BE';
  return Buffer.concat([
    shb(L, [[4, 'netdiag test']]),
    idb(L, 1, 0, [[2, 'eth0'], [9, Buffer.from([9])]]),
    epb(L, 0, 1700000000123456789n, frame(1), { opts: [[1, 'first']] }),
    block(L, 4, Buffer.alloc(8)),
    epb(L, 0, 1700000000223456789n, frame(2)),
    isb(L, 0, [[4, opt64(2n, L)]]),
    shb(B),
    idb(B, 101, 96),
    idb(B, 1, 0),
    spb(B, 20, frame(3, 20)),
    opb(B, 1, 1700000000000000n, frame(4)),
    epb(B, 0, 1700000001000000n, frame(5, 20)),
  ]);
}

const samples: Array<[string, Buffer]> = [
  ['pcap LE usec (vxlan.pcap)', readFileSync(`${CORPUS}tcpdump/vxlan.pcap`)],
  ['pcap BE usec (pptp.pcap)', readFileSync(`${CORPUS}tcpdump/pptp.pcap`)],
  ['pcap LE nsec (tcp-handshake-nano.pcap)', readFileSync(`${CORPUS}tcpdump/tcp-handshake-nano.pcap`)],
  ['pcapng with an ISB (dhcp-option-108.pcapng)', readFileSync(`${CORPUS}tcpdump/dhcp-option-108.pcapng`)],
  ['pcapng, two sections of both byte orders', multiSection()],
];

function checkPrefix(full: ReadResult, buf: Buffer, cut: number): void {
  const { header, starts } = boundaries(buf);
  const prefix = buf.subarray(0, cut);
  if (cut < header) {
    expect(() => readBuffer(prefix), `cut at ${cut}`).toThrow(CaptureOpenError);
    return;
  }
  const got = readBuffer(prefix);
  const recEnd = (i: number) => {
    const r = full.rows[i]!;
    const k = starts.indexOf(r.fileOffset);
    return starts[k + 1]!;
  };
  const expected = full.rows.filter((_r, i) => recEnd(i) <= cut);
  expect(got.rows, `cut at ${cut}`).toEqual(expected);
  expect(got.problems.filter((p) => p.severity === 'error'), `cut at ${cut}`).toEqual([]);
  if (starts.includes(cut)) {
    expect(got.problems.filter((p) => /capture ends/.test(p.message)), `cut at ${cut}`).toEqual([]);
  } else {
    const cutBlock = starts.filter((s) => s < cut).pop()!;
    const p = got.problems.find((x) => /capture ends in the middle/.test(x.message));
    expect(p, `cut at ${cut}`).toBeDefined();
    expect(p!.offset, `cut at ${cut}`).toBe(cutBlock);
    expect(p!.message).toContain(`offset ${cutBlock}`);
    expect(p!.message).toMatch(/cut off while being written/);
  }
}

describe('a capture cut off', () => {
  it.each(samples)('%s: at every block boundary and one byte either side', (_name, buf) => {
    const full = readBuffer(buf);
    expect(full.problems).toEqual([]);
    const { starts } = boundaries(buf);
    const cuts = new Set<number>();
    for (const s of [0, ...starts]) for (const d of [-1, 0, 1]) if (s + d >= 0 && s + d <= buf.length) cuts.add(s + d);
    for (const cut of cuts) checkPrefix(full, buf, cut);
  });

  it.each(samples)('%s: at random points', (_name, buf) => {
    const full = readBuffer(buf);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: buf.length }), (cut) => checkPrefix(full, buf, cut)),
      { seed: 20240601, numRuns: 200 },
    );
  });

  it('names the record, the offset and how much of it is there', () => {
    const buf = readFileSync(`${CORPUS}tcpdump/vxlan.pcap`);
    const { starts } = boundaries(buf);
    const got = readBuffer(buf.subarray(0, starts[4]! + 16 + 10));
    expect(got.rows.length).toBe(4);
    const cap = buf.readUInt32LE(starts[4]! + 8);
    expect(got.problems).toEqual([
      {
        severity: 'warning',
        offset: starts[4],
        packet: 5,
        message: `capture ends in the middle of record 5 at offset ${starts[4]} (header says ${cap} bytes, 10 present) — the capture was probably cut off while being written`,
      },
    ]);
  });

  it('is read the same from a file with small chunks as from memory', async () => {
    for (const [name, buf] of samples) {
      for (const cut of [buf.length - 1, Math.floor(buf.length / 2), Math.floor(buf.length / 3) + 1]) {
        const prefix = buf.subarray(0, cut);
        const path = tmpFile(`cut-${cut}-${name.replace(/\W+/g, '_')}`, prefix);
        const fromFile = await readAll(path, { chunkSize: 64 });
        const fromMem = readBuffer(prefix, path);
        expect(fromFile.rows).toEqual(fromMem.rows);
        expect(fromFile.problems).toEqual(fromMem.problems);
      }
    }
  });
});
