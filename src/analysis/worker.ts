import { parentPort, workerData } from 'node:worker_threads';
import { analyzeCapture, type CaptureInput, type PassOptions } from './pass.js';
import { transferables } from '../correlate/sightings.js';

const { input, index, opts } = workerData as { input: CaptureInput; index: number; opts: PassOptions };
analyzeCapture(input, index, opts).then(
  // Sightings are the bulk of a result: move their buffers instead of copying them.
  (result) => parentPort!.postMessage({ ok: true, result }, transferables(result.results)),
  (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) }),
);
