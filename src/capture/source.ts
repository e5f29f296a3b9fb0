/**
 * Byte sources behind CaptureReader: a regular file read with positioned reads, or a
 * stream (stdin, a pipe, a FIFO) read in paused mode; either may be gzip-compressed, which
 * is recognised by its magic bytes (1f 8b), never by the file name, and inflated as a
 * stream so a compressed file is never held in memory whole.
 */
import { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { constants as zc, createGunzip } from 'node:zlib';
import { CaptureOpenError } from './problems.js';

export interface ByteSource {
  /**
   * Read up to `len` bytes into buf[off..]. Resolves 0 at the end of the data. Never
   * rejects: a read error or a damaged gzip stream ends the data and is described in
   * `error`, so the records before it are still delivered.
   */
  read(buf: Buffer, off: number, len: number): Promise<number>;
  close(): Promise<void>;
  /** Input size in bytes (compressed size for gzip) when known. */
  readonly size: number | undefined;
  /** Input bytes consumed so far (compressed bytes for gzip), comparable with size. */
  readonly consumed: number;
  /** Bytes handed out by read() so far (decompressed bytes for gzip). */
  readonly produced: number;
  readonly gzip: boolean;
  /** Why the data ended early, if it did. */
  readonly error: string | null;
}

const GZIP_CHUNK = 256 * 1024;

function isGzip(b: Buffer, n: number): boolean {
  return n >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

class FileSource implements ByteSource {
  private pos = 0;
  private closed = false;
  error: string | null = null;
  readonly gzip = false;

  constructor(
    private readonly fh: fsp.FileHandle,
    readonly size: number,
  ) {}

  get consumed(): number {
    return this.pos;
  }
  get produced(): number {
    return this.pos;
  }

  async read(buf: Buffer, off: number, len: number): Promise<number> {
    if (this.error !== null || len <= 0) return 0;
    try {
      const { bytesRead } = await this.fh.read(buf, off, len, this.pos);
      this.pos += bytesRead;
      return bytesRead;
    } catch (e) {
      this.error = `read error at offset ${this.pos}: ${(e as Error).message}`;
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * A Readable consumed in paused mode: each read() takes whatever the stream has buffered
 * (waiting only when it has nothing), so a live pipe delivers records as they arrive while
 * a fast producer still fills large reads.
 */
class StreamSource implements ByteSource {
  private pending: Buffer | null = null;
  private pendingOff = 0;
  private ended = false;
  private wake: (() => void) | null = null;
  private signalled = false;
  private out = 0;
  private closed = false;
  error: string | null = null;

  constructor(
    private readonly s: Readable,
    readonly gzip: boolean,
    readonly size: number | undefined,
    private readonly consumedFn: (() => number) | null,
    private readonly onClose: () => void,
    initial: Buffer | null,
  ) {
    if (initial !== null && initial.length > 0) this.pending = initial;
    // The peek may already have seen the end, in which case no 'end' event is coming.
    this.ended = s.readableEnded || s.destroyed;
    s.on('readable', this.signal);
    s.on('end', this.finished);
    s.on('close', this.finished);
    s.on('error', this.failed);
  }

  private readonly signal = (): void => {
    this.signalled = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  };

  private readonly finished = (): void => {
    this.ended = true;
    this.signal();
  };

  private readonly failed = (e: NodeJS.ErrnoException): void => {
    if (this.error === null) this.error = describeStreamError(e, this.gzip, this.out + this.buffered());
    this.finished();
  };

  private buffered(): number {
    return this.pending === null ? 0 : this.pending.length - this.pendingOff;
  }

  get consumed(): number {
    return this.consumedFn !== null ? this.consumedFn() : this.out;
  }
  get produced(): number {
    return this.out;
  }

  async read(buf: Buffer, off: number, len: number): Promise<number> {
    let n = 0;
    for (;;) {
      if (this.pending !== null) {
        const take = Math.min(len - n, this.pending.length - this.pendingOff);
        this.pending.copy(buf, off + n, this.pendingOff, this.pendingOff + take);
        this.pendingOff += take;
        n += take;
        if (this.pendingOff >= this.pending.length) this.pending = null;
        if (n >= len) break;
      }
      const chunk = this.ended ? null : (this.s.read() as Buffer | null);
      if (chunk !== null) {
        this.pending = chunk;
        this.pendingOff = 0;
        continue;
      }
      if (n > 0 || this.ended) break;
      if (this.signalled) {
        this.signalled = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.signalled = false;
    }
    this.out += n;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ended = true;
    // A read-ahead waiting for data returns what it has.
    const w = this.wake;
    this.wake = null;
    w?.();
    this.s.off('readable', this.signal);
    this.s.off('end', this.finished);
    this.s.off('close', this.finished);
    this.s.off('error', this.failed);
    // A late error from a destroyed stream must not become an uncaught exception.
    this.s.on('error', () => undefined);
    this.onClose();
  }
}

function describeStreamError(e: NodeJS.ErrnoException, gzip: boolean, produced: number): string {
  if (gzip && (e.code === 'Z_BUF_ERROR' || e.errno === zc.Z_BUF_ERROR)) {
    return `gzip stream ends early (${produced} bytes decompressed)`;
  }
  if (gzip && typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return `gzip data is corrupt after ${produced} bytes decompressed (${e.message})`;
  }
  return `read error after ${produced} bytes: ${e.message}`;
}

/** Wait until the stream has `n` bytes buffered (or ended) and return them without consuming them. */
async function peek(s: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  let ended = s.readableEnded;
  let failed: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onEnd = () => {
    ended = true;
    poke();
  };
  const onError = (e: Error) => {
    failed = e;
    poke();
  };
  // A 'readable' listener puts the stream in paused mode and starts it reading (calling
  // pause() first would leave process.stdin idle, and the process would simply exit).
  s.on('readable', poke);
  s.on('end', onEnd);
  s.on('error', onError);
  try {
    while (have < n && !ended && failed === null) {
      const c = s.read() as Buffer | null;
      if (c !== null) {
        parts.push(c);
        have += c.length;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    s.off('readable', poke);
    s.off('end', onEnd);
    s.off('error', onError);
  }
  if (failed !== null) throw failed;
  const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (all.length > 0 && !ended) s.unshift(all);
  return all;
}

/**
 * Wrap a raw byte stream: inflate it when it starts with the gzip magic. When the stream
 * already ended during the peek, the peeked bytes are handed over directly.
 */
async function fromStream(
  raw: Readable,
  size: number | undefined,
  consumedFn: (() => number) | null,
  closeRaw: () => void,
): Promise<ByteSource> {
  const head = await peek(raw, 2);
  const ended = raw.readableEnded;
  if (!isGzip(head, head.length)) {
    return new StreamSource(raw, false, size, consumedFn, closeRaw, ended ? head : null);
  }
  const gunzip = createGunzip({ chunkSize: GZIP_CHUNK });
  raw.on('error', (e) => gunzip.destroy(e));
  if (ended) gunzip.end(head);
  else raw.pipe(gunzip);
  let consumed = 0;
  if (consumedFn === null) raw.on('data', (c: Buffer) => (consumed += c.length));
  return new StreamSource(gunzip, true, size, consumedFn ?? (() => consumed), () => {
    raw.unpipe(gunzip);
    gunzip.destroy();
    closeRaw();
  }, null);
}

/** Open `path` ('-' = stdin) as a ByteSource; throws CaptureOpenError when it cannot be read. */
export async function openSource(path: string): Promise<ByteSource> {
  if (path === '-') {
    const stdin = process.stdin;
    return fromStream(stdin, undefined, null, () => {
      stdin.pause();
    });
  }
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw new CaptureOpenError(path, `cannot open: ${describeFsError(e)}`);
  }
  let stat;
  try {
    stat = await fh.stat();
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw new CaptureOpenError(path, `cannot open: ${describeFsError(e)}`);
  }
  if (stat.isDirectory()) {
    await fh.close().catch(() => undefined);
    throw new CaptureOpenError(path, 'is a directory, not a capture file');
  }
  if (!stat.isFile()) {
    // A FIFO or a character device (/dev/stdin, <(tcpdump -w -)): no positioned reads.
    // Through the FileHandle, not its bare fd: closing the handle then cannot race a stream read on a stale descriptor.
    const raw = fh.createReadStream({ autoClose: false, highWaterMark: 1 << 20 });
    return fromStream(raw, undefined, null, () => {
      raw.destroy();
      void fh.close().catch(() => undefined);
    });
  }
  const head = Buffer.alloc(2);
  let n = 0;
  try {
    n = (await fh.read(head, 0, 2, 0)).bytesRead;
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw new CaptureOpenError(path, `cannot read: ${describeFsError(e)}`);
  }
  if (!isGzip(head, n)) return new FileSource(fh, stat.size);
  const raw = fh.createReadStream({ autoClose: false, start: 0, highWaterMark: 1 << 20 });
  return fromStream(raw, stat.size, () => raw.bytesRead, () => {
    raw.destroy();
    void fh.close().catch(() => undefined);
  });
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err.message ?? String(e);
  }
}

// ---------------------------------------------------------------------------
// The window: the reader's view of the input, one reused buffer holding the bytes not yet
// consumed. Records are handed out as offsets into it, so a record stays valid only until
// the window is refilled (which moves the unconsumed tail to the front).

/** Largest captured length accepted (Wireshark's and libpcap's limit for most linktypes). */
export const MAX_CAPLEN = 262144;

/**
 * Largest packet block (pcapng) or record (pcap) the window must be able to hold whole:
 * the packet plus headers and a generous allowance for options such as comments.
 */
export const MAX_RECORD_BYTES = 1 << 20;

export class Window {
  buf: Buffer;
  /** First unconsumed byte. */
  pos = 0;
  /** End of the valid bytes. */
  end = 0;
  /** Stream offset of buf[0]. */
  base = 0;
  /** The source has no more bytes. */
  eof = false;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Stream offset of buf[i]. */
  offset(i: number): number {
    return this.base + i;
  }
}

export function u16(b: Buffer, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Buffer, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000
    : b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** A 64-bit unsigned field as a double (exact below 2^53, which counters stay under). */
export function u64(b: Buffer, o: number, le: boolean): number {
  return le ? u32(b, o + 4, le) * 4294967296 + u32(b, o, le) : u32(b, o, le) * 4294967296 + u32(b, o + 4, le);
}

export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
