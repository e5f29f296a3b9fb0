/**
 * The byte-flip property, run as a child process by fuzz.test.ts so that the test can
 * stop it from outside if the reader ever looped forever (a synchronous loop cannot be
 * interrupted from within). Usage: fuzz-worker.ts SEED RUNS; prints one JSON line.
 */
import fc from 'fast-check';
import { CaptureOpenError, CaptureReader } from '../../src/capture/reader.js';
import { MAX_LISTED_PROBLEMS } from '../../src/capture/problems.js';
import { MAX_CAPLEN } from '../../src/capture/source.js';
import { damageSamples } from './build.js';

const seed = Number(process.argv[2] ?? 1);
const numRuns = Number(process.argv[3] ?? 100);
let opened = 0;
let refused = 0;
let records = 0;
let slowest = 0;

try {
  for (const [name, base] of damageSamples()) {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        (flips) => {
          const buf = Buffer.from(base);
          for (const [at, v] of flips) buf[at] = v;
          const t0 = performance.now();
          let r: CaptureReader;
          try {
            r = CaptureReader.fromBuffer(buf, name);
          } catch (e) {
            if (!(e instanceof CaptureOpenError)) throw e;
            refused++;
            return;
          }
          opened++;
          let n = 0;
          while (r.next()) {
            const rec = r.rec;
            if (rec.off < 0 || rec.capLen < 0 || rec.off + rec.capLen > rec.buf.length || rec.capLen > MAX_CAPLEN) {
              throw new Error(`record ${rec.number} out of bounds: off ${rec.off} capLen ${rec.capLen}`);
            }
            if (rec.number !== ++n) throw new Error(`record numbered ${rec.number}, expected ${n}`);
            if (rec.fileOffset < 0 || rec.fileOffset >= buf.length) throw new Error(`fileOffset ${rec.fileOffset}`);
          }
          records += n;
          if (r.problems.length > MAX_LISTED_PROBLEMS + 1) throw new Error(`${r.problems.length} problems listed`);
          for (const p of r.problems) {
            if (!(p.offset >= 0 && p.offset <= buf.length)) throw new Error(`problem offset ${p.offset}: ${p.message}`);
          }
          slowest = Math.max(slowest, performance.now() - t0);
        },
      ),
      { seed, numRuns },
    );
  }
  process.stdout.write(JSON.stringify({ ok: true, opened, refused, records, slowest }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message }) + '\n');
}
