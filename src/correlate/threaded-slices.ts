import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { ArrayPool } from './array-pool.js';
import { InlineSlices, type Slice, type SliceParams, type SliceSource } from './slices.js';
import type { SightingStore } from './sightings.js';

/** Words of the control array the main thread and the slice worker share. */
export const CTRL_STARTED = 0;
/** Messages the worker has posted. */
export const CTRL_POSTED = 1;
/** Slices the main thread is done with (their buffers may be reused). */
export const CTRL_RELEASED = 2;
/** Set when the worker's thread ends, for whatever reason. */
export const CTRL_ENDED = 3;
export const CTRL_WORDS = 4;

/** What the slice worker is started with. */
export interface SliceWorkerData {
  stores: SightingStore[];
  params: SliceParams;
  ctrl: SharedArrayBuffer;
  port: MessagePort;
}

/** What it posts: a slice (its arrays are views of shared buffers), null after the last, or why it stopped. */
export type SliceMessage = { slice: Slice | null } | { error: string };

/** Sightings (all captures) below which a second thread saves less than it costs to start. */
export const THREAD_MIN_ROWS = 524_288;
/** Milliseconds the worker may take to start before the slices are cut in this thread instead. */
const START_TIMEOUT_MS = 30_000;

export type SliceMode = 'auto' | 'thread' | 'inline';

/**
 * Where the slices are cut. In a second thread the join of the next slice runs while this
 * thread follows the packets of the current one; that needs the sightings in spill files
 * (the worker reads them itself) and a second core. `auto` also keeps small runs, runs
 * from the sources and NETDIAG_NO_WORKERS=1 in this thread (NETDIAG_WORKERS=always
 * starts the worker whatever the size).
 */
export function openSlices(stores: SightingStore[], params: SliceParams, pool: ArrayPool, mode: SliceMode = 'auto'): SliceSource {
  const inline = () => new InlineSlices(stores, params, () => pool);
  if (mode === 'inline' || !stores.every((s) => s.file !== null)) return inline();
  if (mode === 'auto') {
    const env = process.env;
    const rows = stores.reduce((n, s) => n + s.count, 0);
    if (env['NETDIAG_NO_WORKERS'] !== undefined || !import.meta.url.endsWith('.js') || availableParallelism() < 2) return inline();
    if (env['NETDIAG_WORKERS'] !== 'always' && rows < THREAD_MIN_ROWS) return inline();
  }
  return new ThreadedSlices(stores, params, inline);
}

/**
 * Slices cut by a worker thread, two ahead at most: the worker fills one set of shared
 * buffers while this thread reads the other. Receiving blocks (Atomics.wait), so the
 * correlation stays a synchronous loop.
 */
export class ThreadedSlices implements SliceSource {
  private readonly worker: Worker | null = null;
  private readonly port: MessagePort | null = null;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
  private taken = 0;
  private ended = false;
  private instead: SliceSource | null = null;

  constructor(
    stores: SightingStore[],
    params: SliceParams,
    private readonly fallback: () => SliceSource,
  ) {
    const { port1, port2 } = new MessageChannel();
    const data: SliceWorkerData = { stores, params, ctrl: this.ctrl.buffer as SharedArrayBuffer, port: port2 };
    try {
      this.worker = startWorker(data, [port2]);
      this.worker.unref();
      this.port = port1;
    } catch {
      port1.close();
      this.instead = fallback();
    }
  }

  next(): Slice | null {
    if (this.instead) return this.instead.next();
    if (this.ended) return null;
    // The slice handed out last is done with.
    Atomics.store(this.ctrl, CTRL_RELEASED, this.taken);
    Atomics.notify(this.ctrl, CTRL_RELEASED);
    const m = this.receive();
    if (m === null) {
      // The worker never started (nothing was taken from it yet): cut the slices here.
      this.stop();
      this.instead = this.fallback();
      return this.instead.next();
    }
    if ('error' in m) {
      this.stop();
      throw new Error(m.error);
    }
    if (m.slice === null) {
      this.stop();
      return null;
    }
    this.taken++;
    return m.slice;
  }

  /** The worker's next message; null if it has not started within START_TIMEOUT_MS. */
  private receive(): SliceMessage | null {
    const began = Date.now();
    for (;;) {
      const seen = Atomics.load(this.ctrl, CTRL_POSTED);
      let got = receiveMessageOnPort(this.port!);
      if (got) return got.message as SliceMessage;
      // Ended without a last word (killed, or its code failed to load): nothing more will come.
      if (Atomics.load(this.ctrl, CTRL_ENDED) === 1 && !(got = receiveMessageOnPort(this.port!))) return { error: 'the correlation worker thread ended without finishing its slices' };
      if (got) return got.message as SliceMessage;
      if (Atomics.load(this.ctrl, CTRL_STARTED) === 0 && Date.now() - began > START_TIMEOUT_MS) return null;
      // Wakes when the worker posts (the count moves past `seen`) or after a second to look again.
      Atomics.wait(this.ctrl, CTRL_POSTED, seen, 1000);
    }
  }

  private stop(): void {
    this.ended = true;
    this.port?.close();
    void this.worker?.terminate();
  }

  close(): void {
    if (this.instead) this.instead.close();
    if (!this.ended) this.stop();
  }
}

/** The worker from the built package; from the sources (tests), through tsx. */
function startWorker(data: SliceWorkerData, transfer: MessagePort[]): Worker {
  const file = new URL('./slice-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.js')) return new Worker(file, { workerData: data, transferList: transfer });
  const source = JSON.stringify(file.href.replace(/\.js$/, '.ts'));
  return new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${source}); });`, { eval: true, workerData: data, transferList: transfer });
}
