import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built.js';

/**
 * analyzeAll's worker threads only run from the built package (dist/) and, by default, only
 * for large captures; NETDIAG_WORKERS=always sends the lab fixtures through them so the
 * report can be compared with the in-process one.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'fixtures/lab/flannel-vxlan-stale-fdb');
const SPY = join(ROOT, 'test/analysis/worker-spy.cjs');

function read(env: Record<string, string>) {
  const files = readdirSync(FIXTURE).filter((f) => f.endsWith('.pcap')).map((f) => join(FIXTURE, f));
  const r = spawnSync(process.execPath, ['--require', SPY, join(ROOT, 'bin/netdiag.js'), 'read', '--no-tui', '--format', 'json', ...files], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stderr: r.stderr, workers: (r.stderr.match(/worker-spy: worker started/g) ?? []).length, json: r.stdout };
}

/** The report without what depends on the wall clock or the process. */
function comparable(json: string): unknown {
  return JSON.parse(json, (key, value) => (key === 'durationMs' || key === 'generatedAt' || key === 'command' ? undefined : value));
}

describe('analysis in worker threads', () => {
  beforeAll(() => {
    ensureBuilt();
  });

  it('gives the same report as the in-process pass, one worker per capture', () => {
    const inProcess = read({ NETDIAG_NO_WORKERS: '1' });
    const parallel = read({ NETDIAG_WORKERS: 'always' });
    expect(inProcess.status).toBe(0);
    expect(parallel.status).toBe(0);
    expect(inProcess.workers).toBe(0);
    expect(parallel.workers).toBeGreaterThanOrEqual(2);
    expect(comparable(parallel.json)).toEqual(comparable(inProcess.json));
  }, 120_000);

  it('keeps small captures in process by default', () => {
    const r = read({});
    expect(r.status).toBe(0);
    expect(r.workers).toBe(0);
  }, 120_000);
});
