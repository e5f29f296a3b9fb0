/**
 * Records waiting to be announced, as (file offset, seconds, nanoseconds) in parallel typed
 * columns that double when full: no object per packet.
 */
export class RecordStamps {
  private offset = new Float64Array(0);
  private sec = new Float64Array(0);
  private nsec = new Uint32Array(0);
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(fileOffset: number, tsSec: number, tsNsec: number): void {
    if (this.n === this.offset.length) {
      const size = Math.max(1024, this.n * 2);
      const offset = new Float64Array(size);
      const sec = new Float64Array(size);
      const nsec = new Uint32Array(size);
      offset.set(this.offset);
      sec.set(this.sec);
      nsec.set(this.nsec);
      this.offset = offset;
      this.sec = sec;
      this.nsec = nsec;
    }
    const k = this.n++;
    this.offset[k] = fileOffset;
    this.sec[k] = tsSec;
    this.nsec[k] = tsNsec;
  }

  /** Hand every record to `fn` in order and empty the list (its columns kept for reuse unless `release`). */
  drain(fn: (fileOffset: number, tsSec: number, tsNsec: number) => void, release = false): void {
    const n = this.n;
    this.n = 0;
    for (let k = 0; k < n; k++) fn(this.offset[k]!, this.sec[k]!, this.nsec[k]!);
    if (release) {
      this.offset = new Float64Array(0);
      this.sec = new Float64Array(0);
      this.nsec = new Uint32Array(0);
    }
  }
}
