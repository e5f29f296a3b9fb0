import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PcapStream } from '../../../src/capture/live/pcap-stream.js';
import { CaptureOpenError } from '../../../src/capture/problems.js';
import { CaptureReader, forEachRecord } from '../../../src/capture/reader.js';
import { Prng } from '../../../src/craft/prng.js';

const FIXTURE = new URL('../../../fixtures/lab/flannel-vxlan-mtu/node2-any.pcap', import.meta.url).pathname;

type Row = [capLen: number, wireLen: number, sec: number, nsec: number, sha: string];

async function byReader(bytes: Buffer): Promise<Row[]> {
  const rows: Row[] = [];
  await forEachRecord(CaptureReader.fromBuffer(bytes), (r) =>
    rows.push([r.capLen, r.wireLen, r.tsSec, r.tsNsec, createHash('sha1').update(r.buf.subarray(r.off, r.off + r.capLen)).digest('hex')]),
  );
  return rows;
}

function byStream(bytes: Buffer, chunks: (n: number) => number): { rows: Row[]; stream: PcapStream; linktypes: number[] } {
  const rows: Row[] = [];
  const linktypes: number[] = [];
  const stream = new PcapStream(
    'test',
    (lt) => linktypes.push(lt),
    (buf, off, capLen, wireLen, sec, nsec) => rows.push([capLen, wireLen, sec, nsec, createHash('sha1').update(buf.subarray(off, off + capLen)).digest('hex')]),
  );
  for (let o = 0; o < bytes.length; ) {
    const n = Math.min(bytes.length - o, chunks(o));
    stream.push(bytes.subarray(o, o + n));
    o += n;
  }
  stream.end();
  return { rows, stream, linktypes };
}

describe('PcapStream', () => {
  const bytes = readFileSync(FIXTURE);

  it('hands out the same records as CaptureReader whatever the chunk boundaries', async () => {
    const want = await byReader(bytes);
    expect(want.length).toBeGreaterThan(50);
    const prng = new Prng('pcap-stream');
    for (const chunking of [() => 1, () => 7, () => prng.int(1, 3000), () => 65536, () => bytes.length]) {
      const got = byStream(bytes, chunking);
      expect(got.rows).toEqual(want);
      expect(got.linktypes).toEqual([CaptureReader.fromBuffer(bytes).interfaces[0]!.linktype]);
      expect(got.stream.log.list).toEqual([]);
    }
  });

  it('reports a stream cut inside a record, after delivering the whole ones', async () => {
    const want = await byReader(bytes);
    const cut = bytes.subarray(0, bytes.length - 5);
    const got = byStream(cut, () => 4096);
    expect(got.rows).toEqual(want.slice(0, -1));
    expect(got.stream.log.list.map((p) => p.message)).toEqual([expect.stringMatching(/ends in the middle of record/)]);
  });

  it('refuses a stream that is not pcap', () => {
    expect(() => byStream(Buffer.from('this is not a capture at all, just text'), () => 100)).toThrow(CaptureOpenError);
  });

  it('parses a push larger than its window (20 MB) in pieces', async () => {
    const perCopy = (await byReader(bytes)).length;
    const one = bytes.subarray(24);
    const copies = Math.ceil((20 << 20) / one.length);
    const big = Buffer.concat([bytes.subarray(0, 24), ...Array.from({ length: copies }, () => one)]);
    let n = 0;
    const stream = new PcapStream('big', () => undefined, () => n++);
    stream.push(big);
    stream.end();
    expect(stream.log.list).toEqual([]);
    expect(n).toBe(copies * perCopy);
  });
});
