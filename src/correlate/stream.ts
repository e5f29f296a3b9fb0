import { closeSync, openSync, readSync } from 'node:fs';
import { allocateColumns, chunkColumns, copyRows, subColumns, type Columns, type SightingStore, type SightingTable } from './sightings.js';

/** Reads a store's chunks in order, one at a time (one chunk of memory per capture). */
export class ChunkReader {
  private fd = -1;
  private next = 0;
  private readonly chunks: number;
  private buf: ArrayBuffer | null = null;

  constructor(private readonly store: SightingStore) {
    this.chunks = Math.ceil(store.count / store.chunkRows);
  }

  /** The next chunk's columns and row count; null after the last. */
  read(): { cols: Columns; rows: number } | null {
    const s = this.store;
    if (this.next >= this.chunks) {
      this.close();
      return null;
    }
    const k = this.next++;
    const rows = Math.min(s.chunkRows, s.count - k * s.chunkRows);
    if (s.file === null) return { cols: chunkColumns(s.chunks[k]!, s.chunkRows), rows };
    if (this.fd < 0) this.fd = openSync(s.file, 'r');
    this.buf ??= new ArrayBuffer(s.chunkBytes);
    const bytes = new Uint8Array(this.buf);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(this.fd, bytes, got, bytes.length - got, k * s.chunkBytes + got);
      if (n === 0) throw new Error(`${s.file}: sightings file ends at chunk ${k} of ${this.chunks}`);
      got += n;
    }
    return { cols: chunkColumns(this.buf, s.chunkRows), rows };
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** The first `n` rows of a store as one table (the clock estimate's sample). */
export function readPrefix(store: SightingStore, n: number): SightingTable {
  const want = Math.min(n, store.count);
  const cols = allocateColumns(want);
  const r = new ChunkReader(store);
  let have = 0;
  while (have < want) {
    const c = r.read();
    if (!c) break;
    const take = Math.min(c.rows, want - have);
    copyRows(c.cols, 0, take, cols, have);
    have += take;
  }
  r.close();
  return { capture: store.capture, count: have, truncated: store.truncated, limit: store.limit, ...subColumns(cols, have) };
}

/**
 * One capture's sightings over a sliding window of corrected time. Captures are nearly in
 * time order: a row is read once the window's end comes within `reorder` seconds of it,
 * kept while the window's start has not passed it, then dropped. Memory follows the
 * window (its duration times the packet rate), never the capture's length.
 */
export class WindowCursor {
  private readonly reader: ChunkReader;
  private chunk: { cols: Columns; rows: number } | null = null;
  private at = 0;
  private cols: Columns;
  private cap: number;
  /** With `alternate`: the columns of the window before, left as they were. */
  private spare: Columns | null = null;
  private n = 0;
  private done = false;

  constructor(
    private readonly store: SightingStore,
    /** Seconds added to the capture's times to put them on the reference clock. */
    private readonly offset: number,
    private readonly reorder: number,
    /**
     * Each window in the other of two sets of shared columns, so a window stays intact until
     * the one after next (another thread may still read it while the next one is cut).
     */
    private readonly alternate = false,
  ) {
    this.reader = new ChunkReader(store);
    this.cap = 1024;
    this.cols = allocateColumns(this.cap, alternate);
  }

  /** Corrected time of the next unread row; Infinity at the end. */
  peek(): number {
    if (!this.fill()) return Infinity;
    return this.chunk!.cols.time[this.at]! + this.offset;
  }

  private fill(): boolean {
    while (!this.done && (this.chunk === null || this.at >= this.chunk.rows)) {
      this.chunk = this.reader.read();
      this.at = 0;
      if (this.chunk === null) this.done = true;
    }
    return !this.done;
  }

  /**
   * Rows with corrected time in [from, to) (plus rows up to `reorder` beyond `to` already
   * read, and late rows that arrived out of order), as a table valid until the next call.
   */
  window(from: number, to: number): SightingTable {
    // Drop rows the window has passed.
    const c = this.cols;
    // Alternating, the kept rows move to the spare set and the current one is left alone.
    let into = c;
    if (this.alternate) {
      if (this.spare === null || this.spare.time.length < this.cap) this.spare = allocateColumns(this.cap, true);
      into = this.spare;
      this.spare = c;
    }
    let keep = 0;
    let i = 0;
    while (i < this.n) {
      if (c.time[i]! + this.offset < from) {
        i++;
        continue;
      }
      // Runs of kept rows move in one copy per column.
      let e = i + 1;
      while (e < this.n && c.time[e]! + this.offset >= from) e++;
      if (into !== c) copyRows(c, i, e, into, keep);
      else if (keep !== i) copyWithin(c, i, e, keep);
      keep += e - i;
      i = e;
    }
    this.cols = into;
    this.cap = into.time.length;
    this.n = keep;
    // Read on until a row lies beyond the window's end by more than the reorder slack.
    const limit = to + this.reorder;
    while (this.fill()) {
      const ch = this.chunk!;
      const times = ch.cols.time;
      let e = this.at;
      while (e < ch.rows && times[e]! + this.offset < limit) e++;
      if (e > this.at) this.append(ch.cols, this.at, e);
      this.at = e;
      if (e < ch.rows) break;
    }
    return { capture: this.store.capture, count: this.n, truncated: this.store.truncated, limit: this.store.limit, ...subColumns(this.cols, this.n) };
  }

  private append(src: Columns, from: number, to: number): void {
    const need = this.n + (to - from);
    if (need > this.cap) {
      let next = this.cap * 2;
      while (next < need) next *= 2;
      const grown = allocateColumns(next, this.alternate);
      copyRows(this.cols, 0, this.n, grown, 0);
      this.cols = grown;
      this.cap = next;
    }
    copyRows(src, from, to, this.cols, this.n);
    this.n = need;
  }

  /** Rows held now (for sizing the window). */
  get held(): number {
    return this.n;
  }

  close(): void {
    this.reader.close();
  }
}

function copyWithin(c: Columns, from: number, to: number, at: number): void {
  for (const k of Object.keys(c) as Array<keyof Columns>) (c[k] as Uint32Array).copyWithin(at, from, to);
}
