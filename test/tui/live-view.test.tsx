import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import type { Finding } from '../../src/analysis/finding.js';
import { analyzeCapture } from '../../src/analysis/pass.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { CaptureFeed } from '../../src/tui/live-feed.js';
import { TuiSession } from '../../src/tui/session.js';
import { KEY, LAB, listedNumbers, mount, selectedLines } from './tui-harness.js';

/** A lab capture with more packets than the list has rows (Linux cooked v2, from `-i any`). */
const CAPTURE = `${LAB}flannel-vxlan-stale-fdb/node1-any.pcap`;
const LABEL = 'node1-any';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rec {
  offset: number;
  sec: number;
  nsec: number;
}

/** Every record's offset and timestamp, as the file reader finds them. */
async function records(path: string): Promise<Rec[]> {
  const r = await CaptureReader.open(path);
  const out: Rec[] = [];
  try {
    do {
      while (r.next()) out.push({ offset: r.rec.fileOffset, sec: r.rec.tsSec, nsec: r.rec.tsNsec });
    } while (await r.fill());
  } finally {
    await r.close();
  }
  return out;
}

/** The findings `netdiag read` makes of the capture. */
async function findingsOf(path: string, name: string): Promise<Finding[]> {
  const result = await analyzeCapture({ name, path }, 0, {});
  return diagnose([result], null).findings;
}

const selectedNumber = (raw: string): number => Number(/^\s*(\d+) /.exec(selectedLines(raw)[0] ?? '')?.[1] ?? -1);

describe('live capture in the terminal UI', () => {
  it('follows the tail as records are announced, holds still when scrolled up, and shows findings pushed while capturing', async () => {
    const recs = await records(CAPTURE);
    expect(recs.length).toBeGreaterThan(60);
    let announced = 0;
    const feed = new CaptureFeed(LABEL, CAPTURE, { diagnosing: true, status: () => `live 0:07 · any cap · ${announced} captured` });
    const announce = (upTo: number) => {
      for (; announced < upTo; announced++) feed.record(recs[announced]!.offset, recs[announced]!.sec, recs[announced]!.nsec);
    };
    // Records flushed before the UI has subscribed are not lost.
    announce(8);
    const session = TuiSession.forLive(feed, { refreshMs: 30 });
    const ui = await mount(session, { follow: true });
    try {
      let f = await ui.waitFor((x) => listedNumbers(x).at(-1) === 8, 'the first records');
      expect(listedNumbers(f)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(selectedNumber(ui.raw())).toBe(8);
      expect(f.split('\n')[0]).toContain('live 0:07 · any cap · 8 captured');
      expect(f.split('\n')[0]).toContain('diagnosing…');

      announce(40);
      f = await ui.waitFor((x) => listedNumbers(x).at(-1) === 40, 'the tail at 40');
      expect(selectedNumber(ui.raw())).toBe(40);
      // The list scrolled with the tail: the first packets are off screen.
      expect(listedNumbers(f)[0]).toBeGreaterThan(1);

      // Scrolled up one row: new records no longer move the list.
      await ui.press('k');
      expect(selectedNumber(ui.raw())).toBe(39);
      const held = listedNumbers(ui.frame());
      announce(60);
      f = await ui.waitFor((x) => /\b60 pkts/.test(x.split('\n')[0]!), 'the count at 60');
      await sleep(100);
      expect(selectedNumber(ui.raw())).toBe(39);
      expect(listedNumbers(ui.frame())).toEqual(held);

      // End (G) follows again.
      await ui.press('G');
      f = await ui.waitFor((x) => listedNumbers(x).at(-1) === 60, 'following again');
      expect(selectedNumber(ui.raw())).toBe(60);
      announce(64);
      await ui.waitFor((x) => listedNumbers(x).at(-1) === 64 && selectedNumber(ui.raw()) === 64, 'following the next records');

      // Findings pushed by the live diagnosis show in the Findings view, ranked, and their
      // evidence names packets of the list the UI shows.
      await ui.press('1');
      expect(ui.frame()).toMatch(/Diagnosing 1 capture/);
      announce(recs.length);
      const found = await findingsOf(CAPTURE, LABEL);
      const top = found.find((x) => x.severity === 'error')!;
      expect(top).toBeDefined();
      feed.findings([...found].reverse());
      f = await ui.waitFor((x) => /1\. ERROR/.test(x), 'the pushed findings');
      expect(f).toContain(top.title.slice(0, 50));
      expect(f.split('\n')[0]).toMatch(/1 problem\b/);

      await ui.press(KEY.enter, KEY.enter);
      f = await ui.waitFor((x) => /evidence: /.test(x), 'the evidence packets');
      expect(listedNumbers(f)).toEqual(top.evidence[0]!.packets);

      feed.end();
      f = await ui.waitFor((x) => !/diagnosing/.test(x.split('\n')[0]!), 'the end of the capture');
      expect(f.split('\n')[0]).toContain(`${recs.length} pkts`);
    } finally {
      ui.unmount();
    }
  });

  it('gives a UI that subscribes late the findings and warnings that came before it', async () => {
    const recs = await records(CAPTURE);
    const feed = new CaptureFeed(LABEL, CAPTURE, { diagnosing: true });
    for (const r of recs.slice(0, 20)) feed.record(r.offset, r.sec, r.nsec);
    feed.message('vb: engine warning: 3 bytes of damaged output skipped');
    feed.findings(await findingsOf(CAPTURE, LABEL));
    const session = TuiSession.forLive(feed, { refreshMs: 30 });
    const ui = await mount(session, { follow: true });
    try {
      const f = await ui.waitFor((x) => /1\. ERROR/.test(x), 'the findings');
      expect(f).toMatch(/engine warning: 3 bytes of damaged output skipped/);
      expect(session.stores[0]!.count).toBe(20);
    } finally {
      ui.unmount();
    }
  });
});
