import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineAnalyzer } from '../../src/analysis/analyzer.js';
import { analyzers } from '../../src/analysis/analyzers/index.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import type { SightingStore } from '../../src/correlate/sightings.js';
import { liveSpillDirs, releaseSightings, removeOrphanSpillDirs } from '../../src/correlate/spill.js';

const LAB = 'fixtures/lab/flannel-vxlan-nft-drop';
const LAB_FILES = readdirSync(LAB)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => join(LAB, f));

/** This process's spill folders in the temporary folder. */
function ownSpillDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith(`netdiag-sightings-${process.pid}-`));
}

describe('sighting spill files', () => {
  it('keeps sightings in one temporary file per capture, removed once released', async () => {
    const before = new Set(liveSpillDirs());
    const { results } = await analyzeAll(LAB_FILES.slice(0, 2).map(parseCaptureArg));
    const dirs = liveSpillDirs().filter((d) => !before.has(d));
    expect(dirs).toHaveLength(1);
    const stores = results.map((r) => r.results['path'] as SightingStore);
    for (const s of stores) {
      expect(s.file!.startsWith(dirs[0]!)).toBe(true);
      expect(s.chunks).toEqual([]);
      expect(statSync(s.file!).size).toBe(Math.ceil(s.count / s.chunkRows) * s.chunkBytes);
    }
    releaseSightings(results);
    expect(existsSync(dirs[0]!)).toBe(false);
    expect(liveSpillDirs()).not.toContain(dirs[0]);
  });

  it('removes the spill file of a capture whose pass fails, and the folder when every capture failed', async () => {
    const before = new Set(ownSpillDirs());
    const explode = defineAnalyzer<null, null>({
      name: 'explode',
      create: () => null,
      packet: (_s, _f, p, ctx) => {
        if (ctx.captureIndex === 1 && p.number === 5) throw new Error('decoder fault at packet 5');
      },
      finish: () => null,
    });
    const list = [...analyzers, explode];
    const partial = await analyzeAll(LAB_FILES.slice(0, 2).map(parseCaptureArg), { analyzers: list });
    expect(partial.failures.map((f) => f.message)).toEqual(['decoder fault at packet 5']);
    const dir = ownSpillDirs().filter((d) => !before.has(d));
    expect(dir).toHaveLength(1);
    // Only the capture that finished left a file.
    expect(readdirSync(join(tmpdir(), dir[0]!))).toEqual(['capture-0.sightings']);
    releaseSightings(partial.results);
    expect(ownSpillDirs().filter((d) => !before.has(d))).toEqual([]);

    const failing = defineAnalyzer<null, null>({ ...explode, packet: (_s, _f, p) => {
      if (p.number === 3) throw new Error('fault');
    } });
    const none = await analyzeAll(LAB_FILES.slice(0, 2).map(parseCaptureArg), { analyzers: [...analyzers, failing] });
    expect(none.results).toEqual([]);
    expect(none.failures).toHaveLength(2);
    expect(ownSpillDirs().filter((d) => !before.has(d))).toEqual([]);
  });

  it('left behind by a process that is gone are removed; a running one keeps its own', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    const orphan = join(tmpdir(), `netdiag-sightings-${gone}-test`);
    const mine = join(tmpdir(), `netdiag-sightings-${process.pid}-test`);
    mkdirSync(orphan, { recursive: true });
    mkdirSync(mine, { recursive: true });
    try {
      removeOrphanSpillDirs();
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(mine)).toBe(true);
    } finally {
      for (const d of [orphan, mine]) rmSync(d, { recursive: true, force: true });
    }
  });
});
