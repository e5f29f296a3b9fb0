import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/analysis/diagnose.js';
import type { Finding } from '../../../src/analysis/finding.js';
import { analyzeReader } from '../../../src/analysis/pass.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { findingKey, LiveAnalysis, type LiveFeed } from '../../../src/capture/live/live-analysis.js';
import type { LiveRecordListener } from '../../../src/capture/live/record.js';
import type { LiveInterface, LiveStats } from '../../../src/capture/live/source.js';

const LAB = join(import.meta.dirname, '../../../fixtures/lab');

/**
 * A lab capture replayed as a live capture delivers it: the same record instance per
 * packet, numbered from 1, handed to every subscriber in turn.
 */
class Replay implements LiveFeed {
  private listeners: LiveRecordListener[] = [];
  interfaces: LiveInterface[] = [];
  delivered = 0;
  /** Kernel drops the capture reports at the end (null: the engine cannot tell). */
  dropped: number | null = null;
  private constructor(private readonly reader: CaptureReader) {}

  static async open(path: string): Promise<Replay> {
    const r = new Replay(await CaptureReader.open(path));
    // The interfaces are known once the first records have been read.
    await r.reader.fill();
    r.interfaces = r.reader.interfaces.map((i) => ({ index: i.index, name: `if${i.index}`, linktype: i.linktype, snaplen: i.snaplen, engine: 'cap' }));
    return r;
  }

  subscribe(fn: LiveRecordListener): () => void {
    this.listeners.push(fn);
    return () => (this.listeners = this.listeners.filter((l) => l !== fn));
  }

  stats(): LiveStats[] {
    return this.interfaces.map((i) => ({ interface: i.name, delivered: this.delivered, received: null, dropped: this.dropped, ifDropped: null }));
  }

  /** Deliver up to `n` more packets; false at the end of the capture. */
  async deliver(n: number): Promise<boolean> {
    for (let k = 0; k < n; ) {
      if (this.reader.next()) {
        this.delivered++;
        for (const l of this.listeners) l(this.reader.rec);
        k++;
      } else if (!(await this.reader.fill())) return false;
    }
    return true;
  }
}

async function oneShot(path: string): Promise<{ findings: Finding[]; packets: number }> {
  const result = await analyzeReader(await CaptureReader.open(path), { name: 'node2', path }, 0, { followPackets: false });
  return { findings: diagnose([result], null).findings, packets: result.summary.packets };
}

describe('live analysis', () => {
  const path = join(LAB, 'bgp-daemon-stop/node1-underlay.pcap');

  it('analyzes each packet once however many rounds run: the packets processed are the packets captured', async () => {
    const { packets } = await oneShot(path);
    const feed = await Replay.open(path);
    const analysis = new LiveAnalysis(feed, { name: 'node2', intervalMs: 60_000, onNew: () => undefined });
    const seenPerRound: number[] = [];
    while (await feed.deliver(Math.ceil(packets / 8))) {
      const d = await analysis.round();
      seenPerRound.push(d!.result.summary.packets);
    }
    const last = await analysis.finish();
    expect(analysis.rounds).toBeGreaterThanOrEqual(8);
    // Every round diagnosed everything delivered so far, yet each packet went through the pass once.
    expect(seenPerRound).toEqual([...seenPerRound].sort((a, b) => a - b));
    expect(last!.result.summary.packets).toBe(packets);
    expect(analysis.processed).toBe(packets);
    expect(analysis.processed).toBeLessThan(seenPerRound.reduce((a, b) => a + b, 0));
  });

  it('ends with the diagnosis `netdiag read` makes of the same packets, each finding reported once as it appeared', async () => {
    const reference = await oneShot(path);
    expect(reference.findings.length).toBeGreaterThan(0);
    const feed = await Replay.open(path);
    const reported: string[] = [];
    const analysis = new LiveAnalysis(feed, { name: 'node2', intervalMs: 60_000, onNew: (fs) => reported.push(...fs.map(findingKey)) });
    while (await feed.deliver(10)) await analysis.round();
    const final = await analysis.finish();
    expect(final!.findings.map(findingKey)).toEqual(reference.findings.map(findingKey));
    expect(final!.findings.map((f) => f.evidence)).toEqual(reference.findings.map((f) => f.evidence));
    expect(new Set(reported).size).toBe(reported.length);
    for (const f of reference.findings) expect(reported).toContain(findingKey(f));
  });

  it('describes the capture by its interfaces and their counters, and names the -w file it is written to', async () => {
    const feed = await Replay.open(path);
    const analysis = new LiveAnalysis(feed, { name: 'node2', intervalMs: 60_000, file: '/tmp/node2.pcap', onNew: () => undefined });
    await feed.deliver(Infinity);
    feed.dropped = 3;
    const final = (await analysis.finish())!;
    const { summary } = final.result;
    expect(summary.file).toBe('/tmp/node2.pcap');
    expect(summary.formatDetail).toBe('live capture (cap)');
    expect(summary.interfaces).toEqual(feed.interfaces.map((i) => expect.objectContaining({ index: i.index, name: i.name, linktype: i.linktype, recv: feed.delivered, drop: 3 })));
    // Drops the capture engine counted are diagnosed as a file's statistics blocks would be.
    expect(final.findings.map((f) => f.id)).toContain('capture.dropped');
  });

  it('keeps a round it handed out as it was while packets keep arriving', async () => {
    const feed = await Replay.open(path);
    const analysis = new LiveAnalysis(feed, { name: 'node2', intervalMs: 60_000, onNew: () => undefined });
    await feed.deliver(100);
    const early = (await analysis.round())!;
    const before = JSON.stringify(early.result);
    await feed.deliver(Infinity);
    await analysis.finish();
    expect(JSON.stringify(early.result)).toBe(before);
  });

  it('says how many packets went by before it subscribed, and diagnoses the rest', async () => {
    const feed = await Replay.open(path);
    await feed.deliver(10);
    const errors: string[] = [];
    const analysis = new LiveAnalysis(feed, { name: 'node2', intervalMs: 60_000, onNew: () => undefined, onError: (m) => errors.push(m) });
    analysis.start();
    await feed.deliver(Infinity);
    const final = await analysis.finish();
    expect(errors).toEqual(['subscribed at packet 11: the 10 captured before it are not diagnosed']);
    expect(final!.result.summary.packets).toBe(feed.delivered - 10);
  });

  it('says why it cannot run instead of failing the capture (a --decode-as it does not understand)', async () => {
    const feed = await Replay.open(path);
    const errors: string[] = [];
    const analysis = new LiveAnalysis(feed, { name: 'node2', intervalMs: 60_000, decodeAs: ['udp.port==nonsense'], onNew: () => undefined, onError: (m) => errors.push(m) });
    analysis.start();
    await feed.deliver(Infinity);
    expect(await analysis.finish()).toBeNull();
    expect(errors).toEqual([expect.stringMatching(/nonsense/)]);
  });
});
