import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CaptureInput, CaptureResult, PassOptions } from '../analysis/pass.js';
import type { ClusterState } from '../k8s/types.js';
import type { Report } from '../report/report.js';

export interface AnalysisRequest {
  inputs: CaptureInput[];
  decodeAs?: string[];
  nodeState?: string;
  /** Cluster state (already loaded): names in the report and cluster-vs-wire checks. */
  cluster?: ClusterState | null;
  /** Display filter of packets to follow across the captures (read --trace). */
  trace?: string;
  command: string[];
  /** Quitting the UI stops the workers rather than waiting for them. */
  signal?: AbortSignal;
}

export interface AnalysisOutcome {
  report: Report | null;
  /** Captures that could not be analyzed, node state that could not be read. */
  messages: string[];
}

/**
 * The diagnosis behind the UI. In the built package every capture is analyzed in a worker
 * thread, even a single one, so the UI thread stays free for keys and redraws while a large
 * capture is read; sources (tests) analyze in-process.
 */
export async function runAnalysis(req: AnalysisRequest): Promise<AnalysisOutcome> {
  const [{ analyzeAll }, { diagnose }, { buildReport }, { version }] = await Promise.all([
    import('../analysis/run.js'),
    import('../analysis/diagnose.js'),
    import('../report/report.js'),
    import('../version.js'),
  ]);
  const messages: string[] = [];
  const opts: PassOptions = { ...(req.decodeAs?.length ? { decodeAs: req.decodeAs } : {}), ...(req.trace !== undefined ? { trace: req.trace } : {}) };
  const built = import.meta.url.endsWith('.js') && process.env['NETDIAG_NO_WORKERS'] === undefined;
  let results: CaptureResult[];
  if (built && !req.inputs.some((i) => i.path === '-')) {
    // As analyzeAll does: several captures (or a trace) are followed packet by packet, their
    // sightings spilled to disk so memory does not grow with the captures.
    const follow = req.inputs.length > 1 || req.trace !== undefined;
    const spill = await import('../correlate/spill.js');
    const spillDir = follow ? spill.createSpillDir() : undefined;
    const settled = await inWorkers(req.inputs, { ...opts, followPackets: follow, ...(spillDir !== undefined ? { spillDir } : {}) }, req.signal);
    results = [];
    settled.forEach((s, k) => {
      if (s.ok) results.push(s.result);
      else messages.push(s.message.startsWith(req.inputs[k]!.path) ? s.message : `${req.inputs[k]!.path}: ${s.message}`);
    });
    results.forEach((r, i) => (r.summary.index = i));
    if (spillDir !== undefined && !results.some((r) => r.results['path'] !== undefined)) spill.removeSpillDir(spillDir);
  } else {
    const out = await analyzeAll(req.inputs, opts);
    results = out.results;
    for (const f of out.failures) messages.push(f.message.startsWith(f.input.path) ? f.message : `${f.input.path}: ${f.message}`);
  }
  let nodeState = null;
  if (req.nodeState !== undefined) {
    const { loadNodeState } = await import('../nodestate/load.js');
    try {
      nodeState = await loadNodeState(req.nodeState);
      for (const pr of nodeState.problems ?? []) messages.push(`node state: ${pr}`);
    } catch (e) {
      messages.push(`--node-state ${req.nodeState}: ${(e as Error).message}`);
    }
  }
  if (results.length === 0) return { report: null, messages };
  const { model, findings } = diagnose(results, nodeState, undefined, req.cluster ?? null, req.trace);
  // The correlation is built: its spill files go now, not when the UI closes.
  (await import('../correlate/spill.js')).releaseSightings(results);
  return { report: buildReport(model, findings, version(), req.command), messages };
}

type Settled = { ok: true; result: CaptureResult } | { ok: false; message: string };

/** One worker per capture, leaving a core to the UI. */
async function inWorkers(inputs: CaptureInput[], opts: PassOptions, signal?: AbortSignal): Promise<Settled[]> {
  const file = new URL('../analysis/worker.js', import.meta.url);
  const out: Settled[] = inputs.map(() => ({ ok: false, message: 'not analyzed' }));
  const width = Math.max(1, Math.min(availableParallelism() - 1, inputs.length));
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < inputs.length && !signal?.aborted) {
        const k = next++;
        out[k] = await inWorker(file, inputs[k]!, k, opts, signal);
      }
    }),
  );
  return out;
}

function inWorker(file: URL, input: CaptureInput, index: number, opts: PassOptions, signal?: AbortSignal): Promise<Settled> {
  return new Promise((resolve) => {
    const w = new Worker(file, { workerData: { input, index, opts } });
    const stop = () => void w.terminate();
    signal?.addEventListener('abort', stop, { once: true });
    w.once('exit', () => signal?.removeEventListener('abort', stop));
    w.once('message', (m: Settled) => resolve(m));
    w.once('error', (e) => resolve({ ok: false, message: e.message }));
    w.once('exit', (code) => resolve({ ok: false, message: `analysis worker exited with code ${code}` }));
  });
}
