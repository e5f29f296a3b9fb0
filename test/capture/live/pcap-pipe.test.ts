import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readPcapPipe } from '../../../src/capture/live/pcap-pipe.js';
import { CaptureReader, forEachRecord } from '../../../src/capture/reader.js';

const FIXTURE = new URL('../../../fixtures/lab/flannel-vxlan-mtu/node1-underlay.pcap', import.meta.url).pathname;

describe('readPcapPipe', () => {
  it('hands over every record of a stream arriving in odd pieces, with the interface index and the stream link type', async () => {
    const bytes = readFileSync(FIXTURE);
    const expected: Array<[number, number, number, string]> = [];
    const reader = CaptureReader.fromBuffer(bytes);
    await forEachRecord(reader, (r) => expected.push([r.linktype, r.capLen, r.tsNsec, r.buf.toString('hex', r.off, r.off + r.capLen)]));
    const out = new PassThrough();
    const got: Array<[number, number, number, string]> = [];
    const ifIndexes = new Set<number>();
    let broken = 0;
    const pipe = readPcapPipe('test', 'eth9', 3, out, (r) => {
      ifIndexes.add(r.ifIndex);
      got.push([r.linktype, r.capLen, r.tsNsec, r.buf.toString('hex', r.off, r.off + r.capLen)]);
    }, () => broken++);
    for (let o = 0, k = 1; o < bytes.length; o += k, k = (k * 7 + 3) % 5000) out.write(bytes.subarray(o, o + k));
    out.end();
    await pipe.ended;
    expect(expected.length).toBeGreaterThan(10);
    expect(got).toEqual(expected);
    expect([...ifIndexes]).toEqual([3]);
    expect(pipe.records).toBe(expected.length);
    expect(pipe.error).toBeNull();
    expect(broken).toBe(0);
  });

  it('a stream cut inside a record is a warning with the offset, and the records before it are delivered', async () => {
    const bytes = readFileSync(FIXTURE);
    const out = new PassThrough();
    let n = 0;
    const warnings: string[] = [];
    const pipe = readPcapPipe('test', 'eth9', 0, out, () => n++, () => undefined);
    pipe.onWarning((m) => warnings.push(m));
    // The file header, the first record whole, and half of the second record's header.
    const firstLen = bytes.readUInt32LE(24 + 8);
    out.end(bytes.subarray(0, 24 + 16 + firstLen + 8));
    await pipe.ended;
    expect(n).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^eth9: test stream offset ${24 + 16 + firstLen}: `));
  });

  it('bytes that are not a pcap stream stop the reading with the reason and ask for the engine to be stopped', async () => {
    const out = new PassThrough();
    let broken = 0;
    const pipe = readPcapPipe('test', 'eth9', 0, out, () => undefined, () => broken++);
    out.end(Buffer.from('tcpdump: some text on stdout where a pcap header should be\n'));
    await pipe.ended;
    expect(pipe.error).toMatch(/did not write a pcap stream/);
    expect(broken).toBe(1);
    expect(pipe.records).toBe(0);
  });
});
