import { closeSync, openSync, readSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveFileWriter } from '../../../src/capture/live/file-writer.js';
import { emptyLiveRecord } from '../../../src/capture/live/record.js';
import type { LiveInterface } from '../../../src/capture/live/source.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { removeTempFiles, tempPath, tshark } from '../../craft/tshark-oracle.js';

afterAll(removeTempFiles);

const ETH: LiveInterface = { index: 0, name: 'eth0', linktype: 1, snaplen: 262144, engine: 'cap' };

interface Announced {
  offset: number;
  sec: number;
  nsec: number;
  /** The record's first packet byte as read from the file when it was announced. */
  tag: number;
}

/** Write `sizes.length` frames (first byte: their index), announcing each as the writer reports it. */
function writeFrames(path: string, sizes: number[], flushEvery: number): { announced: Announced[]; beforeFlush: number[] } {
  const announced: Announced[] = [];
  const beforeFlush: number[] = [];
  const fd = { value: -1 };
  const w = new LiveFileWriter({
    path,
    format: 'pcap',
    interfaces: [ETH],
    chunkSize: 4096,
    onFlushed: (offset, sec, nsec) => {
      // Readable the moment it is announced: the header and the first packet byte are in the file.
      if (fd.value < 0) fd.value = openSync(path, 'r');
      const head = Buffer.alloc(17);
      const got = readSync(fd.value, head, 0, 17, offset);
      announced.push({ offset, sec, nsec, tag: got === 17 ? head[16]! : -1 });
    },
  });
  const rec = emptyLiveRecord(0);
  sizes.forEach((n, i) => {
    rec.buf = Buffer.alloc(n, 0x55);
    rec.buf[0] = i % 256;
    rec.off = 0;
    rec.capLen = n;
    rec.wireLen = n;
    rec.tsSec = 1_800_000_000 + i;
    rec.tsNsec = i * 1000 + 7;
    w.write(rec);
    if ((i + 1) % flushEvery === 0) {
      beforeFlush.push(announced.length);
      w.flush();
    }
  });
  w.finish(null);
  if (fd.value >= 0) closeSync(fd.value);
  return { announced, beforeFlush };
}

describe('LiveFileWriter record offsets', () => {
  it('announces each record once its bytes are in the file, at the offset a reader finds it, with its timestamp', async () => {
    const path = tempPath('offsets.pcap');
    const sizes = Array.from({ length: 300 }, (_, i) => 60 + ((i * 97) % 1400));
    const { announced, beforeFlush } = writeFrames(path, sizes, 50);
    // Nothing is announced between flushes, though the 4 KiB chunk went to the file many times.
    expect(beforeFlush).toEqual([0, 50, 100, 150, 200, 250]);
    expect(announced.map((a) => a.tag)).toEqual(sizes.map((_, i) => i % 256));

    const found: Array<{ offset: number; sec: number; nsec: number }> = [];
    const r = await CaptureReader.open(path);
    do {
      while (r.next()) found.push({ offset: r.rec.fileOffset, sec: r.rec.tsSec, nsec: r.rec.tsNsec });
    } while (await r.fill());
    await r.close();
    expect(announced.map(({ offset, sec, nsec }) => ({ offset, sec, nsec }))).toEqual(found);
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'frame.len']).trim().split('\n').map(Number)).toEqual(sizes);
  });

  it('announces what finish writes out', () => {
    const { announced } = writeFrames(tempPath('finish.pcap'), [100, 200, 300], 1000);
    expect(announced.map((a) => a.tag)).toEqual([0, 1, 2]);
  });

  it('reports offsets only where one offset names one record: classic pcap, no ring, a file', () => {
    const onFlushed = () => undefined;
    expect(() => new LiveFileWriter({ path: tempPath('x.pcapng'), format: 'pcapng', interfaces: [ETH], onFlushed })).toThrow(/classic pcap/);
    expect(() => new LiveFileWriter({ path: tempPath('ring.pcap'), format: 'pcap', interfaces: [ETH], ring: { files: 2, bytes: 100_000 }, onFlushed })).toThrow(/ring/);
  });
});
