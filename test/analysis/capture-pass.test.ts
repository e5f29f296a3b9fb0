import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CapturePass } from '../../src/analysis/capture-pass.js';
import { analyzeReader, type CaptureResult, type PassOptions } from '../../src/analysis/pass.js';
import { CaptureReader } from '../../src/capture/reader.js';
import type { SightingStore } from '../../src/correlate/sightings.js';

const LAB = join(import.meta.dirname, '../../fixtures/lab');
const captures = readdirSync(LAB, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(LAB, d.name)).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(LAB, d.name, f)))
  .sort();

const spillRoot = mkdtempSync(join(tmpdir(), 'netdiag-pass-test-'));
afterAll(() => rmSync(spillRoot, { recursive: true, force: true }));

/** The result as JSON, without what depends on the wall clock or on where spill files went. */
function comparable(r: CaptureResult): unknown {
  const json = JSON.parse(JSON.stringify(r, (k, v) => (v instanceof ArrayBuffer ? Buffer.from(v).toString('base64') : v))) as CaptureResult;
  json.summary.durationMs = 0;
  const clock = json.results['capture-clock'] as { futureAfter: number } | undefined;
  if (clock) clock.futureAfter = 0;
  const path = json.results['path'] as (SightingStore & { spilled?: string }) | undefined;
  if (path?.file) {
    path.spilled = readFileSync(path.file).toString('base64');
    path.file = basename(path.file);
  }
  return json;
}

/** Feeds the capture record by record, reading results out at the given packet counts. */
async function incremental(path: string, opts: PassOptions, at: number[]): Promise<{ final: CaptureResult; midway: string[] }> {
  const reader = await CaptureReader.open(path);
  const pass = new CapturePass({ name: basename(path), path }, 0, opts);
  const origin = () => ({ format: reader.format, formatDetail: reader.formatDetail, interfaces: reader.interfaces, problems: reader.problems, sizeBytes: readFileSync(path).length });
  const midway: string[] = [];
  for (;;) {
    while (reader.next()) {
      pass.packet(reader.rec);
      if (at.includes(pass.packets)) midway.push(JSON.stringify(comparable(pass.result(origin()))));
    }
    if (!(await reader.fill())) break;
  }
  await reader.close();
  return { final: pass.result(origin()), midway };
}

async function oneShot(path: string, opts: PassOptions): Promise<CaptureResult> {
  return analyzeReader(await CaptureReader.open(path), { name: basename(path), path }, 0, opts);
}

describe('a capture pass read out midway', () => {
  it('covers the committed lab captures', () => {
    expect(captures.length).toBeGreaterThan(20);
  });

  for (const path of captures) {
    const name = path.slice(LAB.length + 1);
    it(`${name}: ends with the result of a pass that was never read out midway`, async () => {
      const reference = await oneShot(path, {});
      const n = reference.summary.packets;
      const { final, midway } = await incremental(path, {}, [Math.floor(n / 3), Math.floor(n / 2), Math.floor((2 * n) / 3)]);
      expect(comparable(final)).toEqual(comparable(reference));
      // The read-outs did happen (a capture of a handful of packets has fewer distinct points).
      if (n >= 6) expect(midway.length).toBe(3);
    });
  }

  it('leaves spilled sightings and traced frames as a single pass writes them', async () => {
    const path = join(LAB, 'flannel-vxlan-mtu/node2-any.pcap');
    const opts = (dir: string): PassOptions => ({ spillDir: mkdtempSync(join(spillRoot, dir)), trace: 'icmp' });
    const reference = await oneShot(path, opts('one-'));
    const n = reference.summary.packets;
    const { final } = await incremental(path, opts('inc-'), [1, Math.floor(n / 2), n - 1]);
    expect((reference.results['path'] as SightingStore).count).toBeGreaterThan(0);
    expect(reference.traced!.count).toBeGreaterThan(0);
    expect(comparable(final)).toEqual(comparable(reference));
  });

  it('reports at each point what the packets so far show: unanswered pings are lost until their reply comes', async () => {
    // The MTU lab's pod captures hold pings answered a few packets later.
    const path = join(LAB, 'flannel-vxlan-mtu/pod-a.pcap');
    const reader = await CaptureReader.open(path);
    const pass = new CapturePass({ name: 'pod-a', path }, 0, { followPackets: false });
    const origin = { format: reader.format, formatDetail: reader.formatDetail, interfaces: reader.interfaces, problems: reader.problems, sizeBytes: null };
    type Paths = Array<{ lostCount: number; deliveredCount: number }>;
    const counts = (): { lost: number; delivered: number } => {
      const paths = (pass.result(origin).results['mtu'] as { paths: Paths }).paths;
      return { lost: paths.reduce((a, p) => a + p.lostCount, 0), delivered: paths.reduce((a, p) => a + p.deliveredCount, 0) };
    };
    let sawPending = false;
    let last = { lost: 0, delivered: 0 };
    for (;;) {
      while (reader.next()) {
        pass.packet(reader.rec);
        const now = counts();
        // A reply turns a request counted lost into one delivered: delivered never goes back.
        expect(now.delivered).toBeGreaterThanOrEqual(last.delivered);
        if (now.delivered > last.delivered && now.lost < last.lost) sawPending = true;
        last = now;
      }
      if (!(await reader.fill())) break;
    }
    expect(sawPending).toBe(true);
  });
});
