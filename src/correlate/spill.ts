import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SightingStore } from './sightings.js';

/**
 * Spill folders: one per analysis run, under the system temporary folder, holding one
 * sightings file per capture. Removed when the run's caller releases them, when a capture
 * fails, and when the process exits; a process killed before that leaves its folder to
 * the next run, which removes folders whose process is gone (the name carries the pid).
 */
const PREFIX = 'netdiag-sightings-';
const live = new Set<string>();
let hooked = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove spill folders left by processes that no longer run. */
export function removeOrphanSpillDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^netdiag-sightings-(\d+)-/.exec(n);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(tmpdir(), n), { recursive: true, force: true });
  }
}

function removeAll(): void {
  for (const d of live) rmSync(d, { recursive: true, force: true });
  live.clear();
}

export function createSpillDir(): string {
  if (!hooked) {
    hooked = true;
    process.once('exit', removeAll);
    removeOrphanSpillDirs();
  }
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  live.add(dir);
  return dir;
}

/** The sightings file of capture `index` in a spill folder. */
export function spillFile(dir: string, index: number): string {
  return join(dir, `capture-${index}.sightings`);
}

export function removeSpillDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Spill folders currently alive in this process. */
export function liveSpillDirs(): string[] {
  return [...live];
}

/** Delete the spill files (and their folders) behind a run's results once nothing reads them any more. */
export function releaseSightings(results: ReadonlyArray<{ results: Record<string, unknown> }>): void {
  const dirs = new Set<string>();
  for (const r of results) {
    const s = r.results['path'] as SightingStore | undefined;
    if (s?.file) {
      rmSync(s.file, { force: true });
      dirs.add(dirname(s.file));
    }
  }
  for (const d of dirs) if (live.has(d)) removeSpillDir(d);
}
