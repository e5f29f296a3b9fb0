/**
 * RecordFile: one record read back by its byte offset equals what the streaming pass
 * delivered, for classic pcap and pcapng (several sections, both byte orders).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureOpenError, CaptureReader, RecordFile, RecordIndex } from '../../src/capture/reader.js';
import { CORPUS, damageSamples, readAll, tmpFile, type ReadResult } from './build.js';

function same(rf: RecordFile, row: ReadResult['rows'][number]): void {
  expect(rf.readAt(row.fileOffset, row.number), rf.lastError ?? '').toBe(true);
  const r = rf.rec;
  expect({
    number: r.number,
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    capLen: r.capLen,
    wireLen: r.wireLen,
    ifIndex: r.ifIndex,
    linktype: r.linktype,
    fileOffset: r.fileOffset,
    comments: r.comments ?? null,
    flags: r.flags,
    data: r.buf.toString('hex', r.off, r.off + r.capLen),
  }).toEqual({
    number: row.number,
    tsSec: row.tsSec,
    tsNsec: row.tsNsec,
    capLen: row.capLen,
    wireLen: row.len,
    ifIndex: row.ifIndex,
    linktype: row.linktype,
    fileOffset: row.fileOffset,
    comments: row.comments,
    flags: row.flags,
    data: row.data,
  });
}

const files: Array<[string, string]> = [
  ['afs.pcap', `${CORPUS}tcpdump/afs.pcap`],
  ['pptp.pcap (BE)', `${CORPUS}tcpdump/pptp.pcap`],
  ['tcp-handshake-nano.pcap', `${CORPUS}tcpdump/tcp-handshake-nano.pcap`],
  ['bgp-role.pcapng', `${CORPUS}tcpdump/bgp-role.pcapng`],
  ['two-section.pcapng', tmpFile('two-section.pcapng', damageSamples().find(([n]) => n === 'two-section.pcapng')![1])],
];

describe('RecordFile', () => {
  it.each(files)('%s: every record, in random order, with the layout of a first pass', async (_n, path) => {
    const r = await CaptureReader.open(path);
    const rows: ReadResult['rows'] = (await readAll(path)).rows;
    for (;;) {
      while (r.next());
      if (!(await r.fill())) break;
    }
    const rf = await RecordFile.open(path, r.layout());
    fc.assert(
      fc.property(fc.nat({ max: rows.length - 1 }), (i) => same(rf, rows[i]!)),
      { seed: 3, numRuns: Math.min(200, rows.length * 3) },
    );
    rf.close();
  });

  it.each(files)('%s: without a layout (learnt by the open itself)', async (_n, path) => {
    const rows = (await readAll(path)).rows;
    const rf = await RecordFile.open(path);
    for (const row of [rows[0]!, rows[rows.length - 1]!]) same(rf, row);
    rf.close();
  });

  it('finds frame N through a RecordIndex filled during the first pass', async () => {
    const path = `${CORPUS}tcpdump/afs.pcap`;
    const r = await CaptureReader.open(path, { chunkSize: 4096 });
    const index = new RecordIndex();
    for (;;) {
      while (r.next()) index.add(r.rec.fileOffset);
      if (!(await r.fill())) break;
    }
    const rows = (await readAll(path)).rows;
    expect(index.count).toBe(601);
    const rf = await RecordFile.open(path, r.layout());
    for (const n of [1, 2, 300, 601]) same(rf, { ...rows[n - 1]!, fileOffset: index.offsetOf(n) });
    expect(index.offsetOf(0)).toBe(-1);
    expect(index.offsetOf(602)).toBe(-1);
    rf.close();
  });

  it('says why when the offset is not a record', async () => {
    const path = `${CORPUS}tcpdump/bgp-role.pcapng`;
    const rf = await RecordFile.open(path);
    expect(rf.readAt(0)).toBe(false);
    expect(rf.lastError).toBe(`${path}: the block at offset 0 is a section header block, not a packet`);
    expect(rf.readAt(5)).toBe(false);
    expect(rf.readAt(1 << 30)).toBe(false);
    rf.close();
    const pc = await RecordFile.open(`${CORPUS}tcpdump/afs.pcap`);
    expect(pc.readAt(readFileSync(`${CORPUS}tcpdump/afs.pcap`).length - 10)).toBe(false);
    expect(pc.lastError).toMatch(/no record header at offset|cut off/);
    pc.close();
  });

  it('refuses a gzip-compressed file', async () => {
    const gz = tmpFile('rf.pcap.gz', gzipSync(readFileSync(`${CORPUS}tcpdump/afs.pcap`)));
    await expect(RecordFile.open(gz)).rejects.toBeInstanceOf(CaptureOpenError);
  });
});
