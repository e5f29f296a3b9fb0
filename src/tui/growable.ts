/**
 * A list of packet numbers that only grows, kept in a typed array that doubles when full:
 * 4 bytes per entry however many packets match, and no object per packet.
 */
export class GrowableU32 {
  private a: Uint32Array;
  private n = 0;

  constructor(initial = 1024) {
    this.a = new Uint32Array(Math.max(16, initial));
  }

  get length(): number {
    return this.n;
  }

  push(v: number): void {
    if (this.n === this.a.length) {
      const grown = new Uint32Array(this.a.length * 2);
      grown.set(this.a);
      this.a = grown;
    }
    this.a[this.n++] = v;
  }

  at(i: number): number {
    return i >= 0 && i < this.n ? this.a[i]! : 0;
  }

  /** Position of the first entry >= v (entries are pushed in increasing order). */
  lowerBound(v: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.a[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
