/**
 * Where encoded bytes go. Encoders ask for room once per block (`reserve`)
 * and write straight into the returned region, so a record costs no
 * allocation: `ChunkSink` hands out space in one large buffer and ships it to
 * a file descriptor or stream when full, `OneShotSink` allocates exactly one
 * Buffer per block for callers that want Buffers.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

export interface ByteSink {
  buf: Buffer;
  view: DataView;
  /** Returns the offset in `buf` of `n` writable bytes (contents unspecified). */
  reserve(n: number): number;
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export class OneShotSink implements ByteSink {
  buf: Buffer = Buffer.alloc(0);
  view: DataView = viewOf(this.buf);

  reserve(n: number): number {
    this.buf = Buffer.alloc(n);
    this.view = viewOf(this.buf);
    return 0;
  }

  take(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }
}

/** A path (created/truncated, closed by `close`), an open file descriptor (left open), or a stream. */
export type SinkTarget = string | number | Writable;

export interface ChunkSinkOptions {
  /** Bytes buffered before a write; 1 MiB by default. */
  chunkSize?: number;
  /** For a stream target: end it on close (default true; pass false for process.stdout). */
  endStream?: boolean;
}

export class ChunkSink implements ByteSink {
  buf: Buffer;
  view: DataView;
  private pos = 0;
  private readonly chunkSize: number;
  private readonly fd: number | null;
  private readonly ownsFd: boolean;
  private readonly stream: Writable | null;
  private readonly endStream: boolean;
  private needDrain = false;
  private closed = false;
  private streamError: Error | null = null;
  private flushedBytes = 0;

  constructor(target: SinkTarget, o: ChunkSinkOptions = {}) {
    this.chunkSize = Math.max(4096, o.chunkSize ?? 1 << 20);
    this.buf = Buffer.allocUnsafe(this.chunkSize);
    this.view = viewOf(this.buf);
    this.endStream = o.endStream ?? true;
    if (typeof target === 'string') {
      this.fd = openSync(target, 'w');
      this.ownsFd = true;
      this.stream = null;
    } else if (typeof target === 'number') {
      this.fd = target;
      this.ownsFd = false;
      this.stream = null;
    } else {
      this.fd = null;
      this.ownsFd = false;
      this.stream = target;
      target.on('error', (e: Error) => {
        this.streamError = e;
      });
    }
  }

  reserve(n: number): number {
    if (this.closed) throw new Error('capture writer is closed');
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.buf = Buffer.allocUnsafe(n);
        this.view = viewOf(this.buf);
      }
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Bytes handed to the target so far plus those still buffered. */
  get bytesWritten(): number {
    return this.flushedBytes + this.pos;
  }

  /** False once a stream target has asked the producer to wait; see `drain`. */
  get writable(): boolean {
    return !this.needDrain;
  }

  flush(): void {
    if (this.streamError) throw this.streamError;
    if (this.pos === 0) return;
    if (this.fd !== null) {
      let off = 0;
      while (off < this.pos) {
        try {
          off += writeSync(this.fd, this.buf, off, this.pos - off);
        } catch (e) {
          // A non-blocking pipe (stdout under some shells) refuses while full.
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        }
      }
    } else {
      // The stream keeps the buffer until it is written out, so the next
      // records go into a fresh chunk.
      const out = this.buf.subarray(0, this.pos);
      this.buf = Buffer.allocUnsafe(this.chunkSize);
      this.view = viewOf(this.buf);
      if (!this.stream!.write(out)) this.needDrain = true;
    }
    this.flushedBytes += this.pos;
    this.pos = 0;
  }

  /** Resolves when a stream target can take more; at once for files. */
  drain(): Promise<void> {
    if (!this.needDrain || this.stream === null) return Promise.resolve();
    const s = this.stream;
    return new Promise((resolve) => {
      s.once('drain', () => {
        this.needDrain = false;
        resolve();
      });
    });
  }

  /** Flushes; closes a file opened from a path. Streams need `close`. */
  closeSync(): void {
    if (this.closed) return;
    if (this.stream !== null) throw new Error('closeSync() on a stream target; use close()');
    this.flush();
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd!);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.stream === null) {
      this.closeSync();
      return;
    }
    this.flush();
    this.closed = true;
    const s = this.stream;
    await new Promise<void>((resolve, reject) => {
      if (this.streamError) {
        reject(this.streamError);
        return;
      }
      s.once('error', reject);
      if (this.endStream) s.end(() => resolve());
      // Not ending (stdout): wait until what was handed over is written.
      else if (s.writableNeedDrain) s.once('drain', () => resolve());
      else resolve();
    });
  }
}
