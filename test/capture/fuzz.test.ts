/**
 * Random damage: byte flips anywhere in real and hand-built captures never make the
 * reader throw (other than refusing a damaged file header), never hand out a record
 * outside its buffer, and always finish — checked in a child process that is killed
 * from outside after a time limit.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureOpenError, CaptureReader } from '../../src/capture/reader.js';
import { damageSamples, readAll, tmpFile } from './build.js';

const samples = damageSamples();

interface FuzzResult {
  ok: boolean;
  error?: string;
  opened?: number;
  refused?: number;
  records?: number;
  slowest?: number;
}

function runWorker(seed: number, numRuns: number, limitMs: number): Promise<FuzzResult> {
  const script = fileURLToPath(new URL('./fuzz-worker.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, String(seed), String(numRuns)], { timeout: limitMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(err.killed ? `the reader did not finish ${numRuns} damaged files per sample within ${limitMs} ms` : `${err.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as FuzzResult);
    });
  });
}

describe('random byte flips', () => {
  it('never throw, never hand out a record outside its buffer, and always finish', async () => {
    const res = await runWorker(7, 1000, 55_000);
    expect(res.error).toBeUndefined();
    expect(res.ok).toBe(true);
    expect(res.opened).toBeGreaterThan(1000);
    expect(res.records).toBeGreaterThan(0);
  }, 60_000);

  it('read from a file in small chunks give the same records as from memory', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples.map((s) => s[1])),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(64, 333, 4096),
        async (base, flips, chunkSize) => {
          const buf = Buffer.from(base);
          for (const [at, v] of flips) buf[at % buf.length] = v;
          let mem;
          try {
            const r = CaptureReader.fromBuffer(buf, 'x');
            mem = [] as string[];
            while (r.next()) mem.push(`${r.rec.number} ${r.rec.fileOffset} ${r.rec.capLen} ${r.rec.buf.toString('hex', r.rec.off, r.rec.off + r.rec.capLen)}`);
          } catch (e) {
            expect(e).toBeInstanceOf(CaptureOpenError);
            await expect(CaptureReader.open(tmpFile('flip.bin', buf), { chunkSize })).rejects.toBeInstanceOf(CaptureOpenError);
            return;
          }
          const file = await readAll(tmpFile('flip.bin', buf), { chunkSize });
          expect(file.rows.map((x) => `${x.number} ${x.fileOffset} ${x.capLen} ${x.data}`)).toEqual(mem);
        },
      ),
      { seed: 99, numRuns: 150 },
    );
  }, 60_000);
});
