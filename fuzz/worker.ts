/**
 * The fuzzing loop, in a worker thread so the main thread can stop it when an input
 * makes it hang (a synchronous loop cannot be interrupted from inside). Before each
 * execution the input is copied into shared memory with the execution count, so the main
 * thread can save the input that hung.
 *
 * Executions run in batches; when V8 coverage says a batch reached new code, its inputs
 * are run again one by one to find which did, and those join the corpus. Cheaper
 * signals (protocol at depth, anomaly ids, reader problem kinds) are checked per input.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { Coverage } from './coverage.js';

export interface WorkerData {
  seed: number;
  deadline: number;
  coverage: boolean;
  root: string;
  crasherDir: string;
  shared: SharedArrayBuffer;
  /** Inputs found by an earlier worker of the same run (after a hang restart). */
  corpus: Uint8Array[];
  /** sha1 of inputs that hung an earlier worker: not run again. */
  skip: string[];
}

export type WorkerMessage =
  | { type: 'stats'; execs: number; corpus: number; covered: number; total: number; functions: [number, number]; tuples: number; areas: Array<[string, number, number]> }
  | { type: 'input'; input: Uint8Array }
  | { type: 'crash'; input: Uint8Array; name: string; message: string; stack: string }
  | { type: 'done'; execs: number; corpus: number; covered: number; total: number; functions: [number, number]; tuples: number; areas: Array<[string, number, number]> };

const wd = workerData as WorkerData;
const port = parentPort!;
const ROOT_URL = new URL(`file://${wd.root.endsWith('/') ? wd.root : wd.root + '/'}`).href;
const include = (url: string) => url.startsWith(ROOT_URL) && (url.includes('/dissectors/') || (url.includes('/src/') && !url.includes('/src/craft/')));

// Coverage starts before netdiag's modules load, so their top-level code counts.
const cov = wd.coverage ? new Coverage(include) : null;
const { createRegistry } = await import('../src/decode/protocols.js');
const { PacketAuditor, auditCapture, auditPipeline } = await import('./target.js');
const { Mutator, Rng, MAX_INPUT } = await import('./mutate.js');
const { loadSeeds } = await import('./seeds.js');

const reg = createRegistry();
const fast = new PacketAuditor(reg, { track: true });
const full = new PacketAuditor(reg, { outputs: true, track: true });
const rng = new Rng(wd.seed);
const mutator = new Mutator(reg, rng);
const counter = new Int32Array(wd.shared, 0, 2);
const bytes = new Uint8Array(wd.shared, 8);

const skip = new Set(wd.skip);
const corpus: Buffer[] = [...loadSeeds(wd.root, wd.crasherDir), ...wd.corpus.map((u) => Buffer.from(u))].filter((b) => !skip.has(createHash('sha1').update(b).digest('hex')));
const seeds = corpus.length - wd.corpus.length;
const tuples = new Set<string>();
let execs = 0;

function publish(input: Buffer): void {
  const n = Math.min(input.length, MAX_INPUT);
  bytes.set(input.subarray(0, n), 0);
  Atomics.store(counter, 1, n);
  Atomics.add(counter, 0, 1);
}

/** Run one input; true when it reached new (protocol, depth, anomaly) tuples. */
async function run(input: Buffer, withPipeline: boolean): Promise<boolean> {
  const a = withPipeline ? full : fast;
  const before = a.stats.reached.size;
  try {
    const res = auditCapture(input, 'fuzz', a);
    if (res.refusal) tuples.add(`open:${res.refusal.replace(/\d+/g, 'N').replace(/^fuzz: /, '')}`);
    if (withPipeline && res.opened) await auditPipeline(input, 'fuzz', 64);
  } catch (e) {
    const err = e as Error;
    port.postMessage({ type: 'crash', input: new Uint8Array(input), name: err.name, message: err.message, stack: err.stack ?? String(e) } satisfies WorkerMessage);
  }
  let fresh = false;
  if (a.stats.reached.size !== before) {
    for (const t of a.stats.reached) {
      if (!tuples.has(t)) {
        tuples.add(t);
        fresh = true;
      }
    }
  }
  return fresh;
}

function keep(input: Buffer): void {
  corpus.push(input);
  port.postMessage({ type: 'input', input: new Uint8Array(input) } satisfies WorkerMessage);
}

function stats(type: 'stats' | 'done'): WorkerMessage {
  return { type, execs, corpus: corpus.length, covered: cov?.covered ?? 0, total: cov?.total ?? 0, functions: cov?.functionCounts ?? [0, 0], tuples: tuples.size, areas: cov?.byArea() ?? [] };
}

/** Recently found inputs are picked more often than old seeds. */
function pick(): Buffer {
  if (corpus.length > seeds && rng.chance(0.5)) return corpus[seeds + rng.int(corpus.length - seeds)]!;
  return corpus[rng.int(corpus.length)]!;
}

// Every seed once, so the coverage starts from what the corpus already reaches.
cov?.take();
let lastStats = Date.now();
for (const s of corpus) {
  publish(s);
  await run(s, true);
  execs++;
  if (Date.now() - lastStats > 2000) {
    lastStats = Date.now();
    port.postMessage(stats('stats'));
  }
}
cov?.take();

const BATCH = 16;
while (Date.now() < wd.deadline) {
  const batch: Buffer[] = [];
  for (let k = 0; k < BATCH; k++) {
    const input = mutator.mutate(pick(), pick());
    publish(input);
    // The analysis pass and every packet output on one input in four; decode and fields on all.
    if (await run(input, (execs & 3) === 0)) keep(input);
    else batch.push(input);
    execs++;
  }
  if (cov && cov.take(false) > 0) {
    for (const input of batch) {
      publish(input);
      await run(input, true);
      if (cov.take() > 0) keep(input);
    }
  }
  if (Date.now() - lastStats > 2000) {
    lastStats = Date.now();
    port.postMessage(stats('stats'));
  }
}
cov?.measure();
cov?.stop();
port.postMessage(stats('done'));
