import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { analyzeAll, type RunOutcome } from '../../src/analysis/run.js';
import { ArrayPool } from '../../src/correlate/array-pool.js';
import { correlate } from '../../src/correlate/correlate.js';
import type { SightingStore } from '../../src/correlate/sightings.js';
import { InlineSlices, type Slice, type SliceParams } from '../../src/correlate/slices.js';
import { releaseSightings } from '../../src/correlate/spill.js';
import { openSlices, ThreadedSlices } from '../../src/correlate/threaded-slices.js';

const LAB = 'fixtures/lab/flannel-vxlan-nft-drop';
const LAB_FILES = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => join(LAB, f));

/** Half-second slices of at most one row's budget: the lab set becomes many slices. */
function params(stores: SightingStore[]): SliceParams {
  return { offsets: stores.map(() => 0), matchWindow: 1, before: 1, after: 1.5, reorder: 0.1, budget: 1, first: 0.5, minSlice: 0.5, maxSlice: 3600 };
}

/** What a consumer reads of a slice, copied out of its buffers. */
function contents(s: Slice) {
  return {
    from: s.from,
    to: s.to,
    base: Array.from(s.j.base),
    capOf: Array.from(s.j.capOf.subarray(0, s.j.base[s.j.base.length - 1])),
    flowHead: Array.from(s.j.flowHead.subarray(0, s.j.flows)),
    judgedFlow: Array.from(s.judgedFlow.subarray(0, s.judged)),
    judgedFirst: Array.from(s.judgedFirst.subarray(0, s.judged)),
    rowStart: Array.from(s.rowStart.subarray(0, s.judged + 1)),
    rows: Array.from(s.rows.subarray(0, s.rowStart[s.judged])),
    times: Array.from(s.times.subarray(0, s.rowStart[s.judged])),
    tunnelled: Array.from(s.tunnelled.subarray(0, s.j.flows)),
    matched: [s.matched, ...s.matchedAt, ...s.packetsAt],
    columns: s.j.tables.map((t) => [t.time, t.frame, t.iface, t.src, t.dst, t.ports, t.tunnel, t.outerDst, t.size].map((col) => Array.from(col.subarray(0, t.count)))),
  };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('slices cut in a worker thread', () => {
  let run: RunOutcome;
  let stores: SightingStore[];

  beforeAll(async () => {
    run = await analyzeAll(LAB_FILES.map(parseCaptureArg));
    stores = run.results.map((r) => r.results['path'] as SightingStore);
  });
  afterAll(() => releaseSightings(run.results));

  it('starts a worker for spilled sightings and keeps in-memory ones in this thread', () => {
    expect(stores.every((s) => s.file !== null)).toBe(true);
    const threaded = openSlices(stores, params(stores), new ArrayPool(), 'thread');
    threaded.close();
    expect(threaded).toBeInstanceOf(ThreadedSlices);
    const inMemory = stores.map((s) => ({ ...s, file: null }));
    const inline = openSlices(inMemory, params(stores), new ArrayPool(), 'thread');
    inline.close();
    expect(inline).toBeInstanceOf(InlineSlices);
  });

  it('hands over the same slices as the calling thread cuts, each intact while the worker cuts the next ones', () => {
    const here = new InlineSlices(stores, params(stores), () => new ArrayPool());
    const expected = [];
    for (let s = here.next(); s; s = here.next()) expected.push(contents(s));
    here.close();
    expect(expected.length).toBeGreaterThan(4);

    const there = new ThreadedSlices(stores, params(stores), () => {
      throw new Error('the worker did not start');
    });
    const got = [];
    try {
      for (let s = there.next(); s; s = there.next()) {
        const before = contents(s);
        // Time for the worker to run ahead: it must not rewrite the buffers of this slice.
        sleep(got.length < 3 ? 150 : 0);
        expect(contents(s)).toEqual(before);
        got.push(before);
      }
    } finally {
      there.close();
    }
    expect(got).toEqual(expected);
  });

  it('gives the same correlation as the slices cut in this thread', () => {
    const { model } = diagnose(run.results, null);
    const input = { sightings: stores, captures: model.captures, flows: model.flows, topology: model.topology, slice: 0.5, sliceRows: 1 };
    const inline = correlate({ ...input, slices: 'inline' });
    const threaded = correlate({ ...input, slices: 'thread' });
    expect(inline.matched).toBeGreaterThan(10);
    expect(inline.losses.length).toBeGreaterThan(0);
    expect(threaded).toEqual(inline);
  });

  it("reports the worker's read error in this thread: file and chunk", () => {
    const dir = mkdtempSync(join(tmpdir(), 'netdiag-slices-'));
    try {
      const broken = stores.map((s, c) => {
        const file = join(dir, `capture-${c}.sightings`);
        copyFileSync(s.file!, file);
        return { ...s, file };
      });
      const last = broken[broken.length - 1]!;
      truncateSync(last.file!, Math.floor(statSync(last.file!).size / 2));
      const there = new ThreadedSlices(broken, params(broken), () => {
        throw new Error('the worker did not start');
      });
      try {
        expect(() => {
          while (there.next());
        }).toThrow(`${last.file}: sightings file ends at chunk`);
      } finally {
        there.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
