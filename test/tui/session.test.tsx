import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/writer.js';
import { compileFilter } from '../../src/filter/index.js';
import { FilterScan } from '../../src/tui/packet-set.js';
import { TuiSession, type LiveListener } from '../../src/tui/session.js';
import { generateCapture } from '../../bench/generate.js';
import { udpPacket } from '../commands/harness.js';
import { listedNumbers, mount, selectedLines } from './tui-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'netdiag-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A capture being written: records go to a pcap file, then their offsets to the listener. */
class FakeLive {
  readonly path = join(dir, `live-${Date.now()}.pcap`);
  private readonly w = new PcapWriter(this.path, { linktype: 1, nanosecond: true });
  private listener: LiveListener | null = null;
  private offset = 24;
  count = 0;
  constructor() {
    this.w.flush();
  }
  subscribe = (l: LiveListener) => {
    this.listener = l;
    return () => (this.listener = null);
  };
  add(n: number): void {
    const offs: number[] = [];
    for (let k = 0; k < n; k++) {
      const data = udpPacket(Buffer.from(`packet ${this.count + 1}`), { sport: 1000 + ((this.count + 1) % 50000) });
      this.w.writePacket({ sec: 1_800_000_000 + this.count, nsec: 0 }, data);
      offs.push(this.offset);
      this.offset += 16 + data.length;
      this.count++;
    }
    this.w.flush();
    for (const o of offs) this.listener?.record(o, 1_800_000_000, 0);
  }
  async end(): Promise<void> {
    await this.w.close();
    this.listener?.end();
  }
}

describe('live session', () => {
  it('follows the newest packet as records are appended, redrawing at a bounded rate', async () => {
    const live = new FakeLive();
    const s = TuiSession.forLive({ label: 'eth0', path: live.path, subscribe: live.subscribe }, { refreshMs: 100 });
    const ui = await mount(s, { follow: true });
    live.add(5);
    await ui.waitFor((f) => listedNumbers(f).includes(5), 'the first packets');
    // 20,000 packets in bursts over ~0.5 s: the UI is told a handful of times, not per packet.
    const before = s.version;
    const started = Date.now();
    for (let b = 0; b < 10; b++) {
      live.add(2000);
      await sleep(50);
    }
    const elapsed = Date.now() - started;
    await sleep(250);
    const notified = s.version - before;
    expect(notified).toBeGreaterThan(0);
    expect(notified).toBeLessThanOrEqual(Math.ceil((elapsed + 250) / 100) + 2);
    // Following the tail: the last packet is on screen and selected.
    const f = await ui.waitFor((x) => listedNumbers(x).pop() === live.count, 'the tail');
    expect(selectedLines(ui.raw())[0]).toMatch(new RegExp(`^\\s*${live.count} `));
    expect(f.split('\n')[0]).toMatch(/live/);
    // Scrolling up stops following: new packets no longer move the selection.
    await ui.press('k');
    const held = selectedLines(ui.raw())[0];
    live.add(100);
    await sleep(250);
    expect(selectedLines(ui.raw())[0]).toEqual(held);
    // G follows again.
    await ui.press('G');
    await ui.waitFor(() => (selectedLines(ui.raw())[0] ?? '').trim().startsWith(String(live.count)), 'following again');
    await live.end();
    ui.unmount();
  });

  it('a filter pass waiting for more live packets ends when the session closes', async () => {
    const live = new FakeLive();
    const s = TuiSession.forLive({ label: 'eth0', path: live.path, subscribe: live.subscribe });
    live.add(3);
    await sleep(100);
    const scan = new FilterScan(s.stores[0]!, compileFilter(s.reg, 'udp'), () => undefined);
    const run = scan.run();
    await sleep(200);
    // Still live: the pass waits for packets to come.
    expect(scan.complete).toBe(false);
    expect(scan.length).toBe(3);
    s.close();
    const ended = await Promise.race([run.then(() => true), sleep(2000).then(() => false)]);
    expect(ended).toBe(true);
    await live.end();
  });
});


describe('a session a terminal will draw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-tui-first-screen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads past the first chunk of a large capture only once the first screen is drawn, then all of it', async () => {
    const file = join(dir, 'large.pcap');
    // Larger than the reader's first 8 MiB chunk.
    await generateCapture({ packets: 20_000 }, file);
    const total = Number(execFileSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' }).match(/Number of packets:\s+(\d+)/)![1]);
    const s = TuiSession.forFiles([file], { analyze: false, firstScreen: true });
    const store = s.stores[0]!;
    try {
      await new Promise((r) => setTimeout(r, 300));
      const first = store.count;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(total);
      await new Promise((r) => setTimeout(r, 200));
      expect(store.count).toBe(first);
      s.firstScreenDrawn();
      await s.loaded;
      expect(store.count).toBe(total);
    } finally {
      s.close();
    }
  });
});
