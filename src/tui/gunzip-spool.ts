import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** Room left on the temporary file system after decompressing, so a large capture cannot fill it. */
const KEEP_FREE = 512 * 1024 * 1024;

export interface GunzipSpool {
  /** The decompressed capture. */
  path: string;
  bytes: number;
  /** Why decompression stopped before the end of the gzip stream (the file holds what came before). */
  problem: string | null;
  remove(): void;
}

export function isGzipFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false; // unreadable: the reader says why
  }
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/**
 * The terminal UI reads single records by their offset, which a gzip stream cannot give:
 * the capture is decompressed once into a temporary file that lives as long as the UI.
 * Bounded by the space free on that file system (a gzip bomb stops with a message, not a
 * full disk); a damaged or cut-off stream keeps what was decompressed before the damage.
 */
export async function gunzipToSpool(path: string, onProgress?: (bytes: number) => void): Promise<GunzipSpool> {
  const dir = mkdtempSync(join(tmpdir(), 'netdiag-gunzip-'));
  const out = join(dir, 'capture');
  const remove = (): void => {
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', remove);
  };
  // Gone however the UI ends (a crash included), not only when it closes the capture.
  process.on('exit', remove);
  let limit = Number.MAX_SAFE_INTEGER;
  try {
    const fs = statfsSync(dir);
    limit = Math.max(0, fs.bavail * fs.bsize - KEEP_FREE);
  } catch {
    // no statfs here: unbounded, as writing the file would be anyway
  }
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) {
        done(new Error(`decompressed capture would leave less than ${KEEP_FREE >> 20} MiB free in ${tmpdir()}; stopped after ${bytes - chunk.length} bytes`));
        return;
      }
      onProgress?.(bytes);
      done(null, chunk);
    },
  });
  let problem: string | null = null;
  try {
    await pipeline(createReadStream(path), createGunzip(), count, createWriteStream(out));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES') {
      remove();
      throw e;
    }
    problem = `gzip: ${err.message}`;
  }
  return { path: out, bytes, problem, remove };
}
