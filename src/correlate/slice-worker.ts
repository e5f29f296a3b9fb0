import { workerData } from 'node:worker_threads';
import { ArrayPool, SplitPool } from './array-pool.js';
import { handedOver, InlineSlices } from './slices.js';
import { CTRL_ENDED, CTRL_POSTED, CTRL_RELEASED, CTRL_STARTED, type SliceMessage, type SliceWorkerData } from './threaded-slices.js';

/**
 * Cuts the correlation's slices for the main thread (see ThreadedSlices). Two sets of
 * shared buffers alternate: slice k is built in the set slice k-2 used, once the main
 * thread has released that one.
 */
const { stores, params, ctrl: shared, port } = workerData as SliceWorkerData;
const ctrl = new Int32Array(shared);
// What the main thread reads comes from the set of the slice; working arrays from one pool of the worker's own.
const scratch = new ArrayPool();
const pools = [new SplitPool(new ArrayPool(true), scratch, handedOver), new SplitPool(new ArrayPool(true), scratch, handedOver)];
let k = 0;

function post(m: SliceMessage): void {
  port.postMessage(m);
  Atomics.add(ctrl, CTRL_POSTED, 1);
  Atomics.notify(ctrl, CTRL_POSTED);
}

Atomics.store(ctrl, CTRL_STARTED, 1);
// However the thread ends, the main thread stops waiting for it.
process.on('exit', () => {
  Atomics.store(ctrl, CTRL_ENDED, 1);
  Atomics.notify(ctrl, CTRL_POSTED);
});
let slices: InlineSlices | null = null;
try {
  slices = new InlineSlices(stores, params, () => pools[k % 2]!, true);
  for (;; k++) {
    for (let r = Atomics.load(ctrl, CTRL_RELEASED); r < k - 1; r = Atomics.load(ctrl, CTRL_RELEASED)) Atomics.wait(ctrl, CTRL_RELEASED, r, 1000);
    const slice = slices.next();
    post({ slice });
    if (slice === null) break;
  }
} catch (e) {
  post({ error: e instanceof Error ? e.message : String(e) });
} finally {
  slices?.close();
}
