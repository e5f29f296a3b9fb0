/**
 * mulberry32 seeded with FNV-1a of a text seed: tiny, fast and the same everywhere, so the
 * fixture and benchmark generators write the same bytes on every machine.
 */
export class Prng {
  private s: number;

  constructor(seed: string) {
    let h = 0x811c9dc5;
    for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    this.s = h;
  }

  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  int(min: number, max: number): number {
    return min + (this.u32() % (max - min + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.u32() % xs.length]!;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}
