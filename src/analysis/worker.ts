import { parentPort, workerData } from 'node:worker_threads';
import { analyzeCapture, type CaptureInput, type PassOptions } from './pass.js';

const { input, index, opts } = workerData as { input: CaptureInput; index: number; opts: PassOptions };
analyzeCapture(input, index, opts).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) }),
);
