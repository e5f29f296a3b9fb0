/**
 * Streaming with bounded memory: the reader's loop allocates nothing per record (no
 * garbage collections while a million records go by) and reading a large file does not
 * grow memory beyond the one read buffer.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { CaptureReader } from '../../src/capture/reader.js';
import { epb, frame, idb, pcapHeader, pcapRecord, shb, tmpFile } from './build.js';

/** Count garbage collections that start inside [from, to). */
async function gcsDuring(run: () => void): Promise<number> {
  const starts: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) starts.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  run();
  const t1 = performance.now();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return starts.filter((s) => s >= t0 && s < t1).length;
}

function countAll(buf: Buffer): number {
  const r = CaptureReader.fromBuffer(buf);
  let n = 0;
  while (r.next()) n += r.rec.capLen >= 0 ? 1 : 0;
  return n;
}

describe('the record loop', () => {
  const N = 1_000_000;
  const pcapBuf = (() => {
    const one = pcapRecord({ sec: 1700000000, frac: 123456, data: Buffer.from([1, 2]) });
    const b = Buffer.alloc(24 + N * one.length);
    pcapHeader().copy(b);
    for (let i = 0; i < N; i++) one.copy(b, 24 + i * one.length);
    return b;
  })();
  const ngBuf = (() => {
    const one = epb('LE', 0, 1700000000123456789n, Buffer.from([1, 2, 3, 4]), { opts: [[2, Buffer.from([1, 0, 0, 0])]] });
    const head = Buffer.concat([shb('LE'), idb('LE', 1, 0, [[9, Buffer.from([9])]])]);
    const b = Buffer.alloc(head.length + N * one.length);
    head.copy(b);
    for (let i = 0; i < N; i++) one.copy(b, head.length + i * one.length);
    return b;
  })();

  it.each([
    ['classic pcap', pcapBuf],
    ['pcapng (nanosecond EPBs with flags)', ngBuf],
  ])('%s: a million records without a garbage collection', async (_n, buf) => {
    countAll(buf.subarray(0, 200_000)); // let the loop be optimized first
    let n = 0;
    const gcs = await gcsDuring(() => {
      n = countAll(buf);
    });
    expect(n).toBe(N);
    expect(gcs).toBe(0);
  }, 60_000);
});

describe('a large file', () => {
  it('is read with one fixed buffer: external memory does not grow with the file', async () => {
    const path = tmpFile('large.pcap', Buffer.alloc(0));
    const fd = openSync(path, 'w');
    writeSync(fd, pcapHeader());
    const chunk = Buffer.concat(Array.from({ length: 20000 }, (_v, i) => pcapRecord({ sec: 1700000000 + i, frac: 0, data: frame(i & 255, 200) })));
    for (let i = 0; i < 15; i++) writeSync(fd, chunk); // 300k records, ~65 MB
    closeSync(fd);
    const r = await CaptureReader.open(path, { chunkSize: 1 << 20 });
    const base = process.memoryUsage().arrayBuffers;
    let peak = base;
    let n = 0;
    for (;;) {
      while (r.next()) n++;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      if (!(await r.fill())) break;
    }
    expect(n).toBe(300000);
    expect(r.problems).toEqual([]);
    expect(peak - base).toBeLessThan(4 << 20);
  }, 60_000);
});
