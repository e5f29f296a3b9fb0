import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { rmSync, statSync } from 'node:fs';
import { analyzeCapture, type CaptureInput, type CaptureResult, type PassOptions } from './pass.js';
import { createSpillDir, removeSpillDir, spillFile } from '../correlate/spill.js';

export interface RunFailure {
  input: CaptureInput;
  message: string;
}

export interface RunOutcome {
  results: CaptureResult[];
  failures: RunFailure[];
}

type WorkerOptions = Omit<PassOptions, 'onProgress' | 'analyzers'>;

/**
 * A worker starts by loading the whole analysis, about a quarter of a second of CPU; a
 * capture this large takes longer than that to analyze, so running two of them side by
 * side gains more than the workers cost.
 */
const WORKER_MIN_BYTES = 32 * 1024 * 1024;

/** At least two captures big enough to be worth a worker each (a missing file counts as empty: its error is the same either way). */
function worthWorkers(inputs: CaptureInput[]): boolean {
  // Forces the worker path on small captures, so it can be tested on small fixtures.
  if (process.env['NETDIAG_WORKERS'] === 'always') return true;
  let big = 0;
  for (const input of inputs) {
    try {
      if (statSync(input.path).size >= WORKER_MIN_BYTES && ++big >= 2) return true;
    } catch {
      // unreadable: reported when the capture is opened
    }
  }
  return false;
}

/**
 * Analyze several captures, in parallel worker threads (one per capture, up to the core
 * count) when running from the built package and at least two of them are large; in-process
 * otherwise (tests run sources, stdin cannot be handed to a worker, one capture gains
 * nothing, and small captures are analyzed sooner than a worker starts).
 */
export async function analyzeAll(inputs: CaptureInput[], opts: PassOptions = {}): Promise<RunOutcome> {
  const workerFile = new URL('./worker.js', import.meta.url);
  const parallel = inputs.length > 1 && import.meta.url.endsWith('.js') && !inputs.some((i) => i.path === '-') && !opts.analyzers && process.env['NETDIAG_NO_WORKERS'] === undefined && worthWorkers(inputs);
  const results: Array<CaptureResult | null> = inputs.map(() => null);
  const follow = opts.followPackets ?? (inputs.length > 1 || opts.trace !== undefined);
  // Sightings go to disk, one file per capture, so memory does not grow with capture length.
  const ownSpill = follow && opts.spillDir === undefined;
  const spillDir = ownSpill ? createSpillDir() : opts.spillDir;
  const spill = spillDir !== undefined ? { spillDir } : {};
  const failures: RunFailure[] = [];
  const one = async (k: number): Promise<void> => {
    const input = inputs[k]!;
    try {
      results[k] = parallel ? await inWorker(workerFile, input, k, { ...(opts.decodeAs ? { decodeAs: opts.decodeAs } : {}), ...(opts.flowCapacity ? { flowCapacity: opts.flowCapacity } : {}), ...(opts.trace ? { trace: opts.trace } : {}), followPackets: follow, ...spill }) : await analyzeCapture(input, k, { ...opts, followPackets: follow, ...spill });
    } catch (e) {
      if (spillDir !== undefined) rmSync(spillFile(spillDir, k), { force: true });
      failures.push({ input, message: e instanceof Error ? e.message : String(e) });
    }
  };
  if (!parallel) {
    for (let k = 0; k < inputs.length; k++) await one(k);
  } else {
    const width = Math.max(1, Math.min(availableParallelism(), inputs.length));
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < inputs.length) await one(next++);
      }),
    );
  }
  // Re-index so capture indexes stay dense when a file failed to open.
  const ok = results.filter((r): r is CaptureResult => r !== null);
  if (ownSpill && !ok.some((r) => r.results['path'] !== undefined)) removeSpillDir(spillDir!);
  ok.forEach((r, i) => (r.summary.index = i));
  return { results: ok, failures };
}

function inWorker(file: URL, input: CaptureInput, index: number, opts: WorkerOptions): Promise<CaptureResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(file, { workerData: { input, index, opts } });
    w.once('message', (m: { ok: true; result: CaptureResult } | { ok: false; message: string }) => {
      if (m.ok) resolve(m.result);
      else reject(new Error(m.message));
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`analysis worker for ${input.path} exited with code ${code}`));
    });
  });
}
