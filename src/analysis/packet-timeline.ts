/**
 * Packets over time in a fixed number of bins, for the report's timeline chart. The bin
 * width starts fine and doubles (neighbouring bins merge) whenever a packet lands past the
 * last bin, so a capture of any length or with a wild timestamp costs the same memory.
 */
export const TIMELINE_BINS = 120;
const FIRST_BIN_SECONDS = 0.05;

export interface PacketTimeline {
  /** Seconds since the epoch at the left edge of the first bin. */
  start: number;
  binSeconds: number;
  counts: number[];
}

export class TimelineBins {
  private readonly counts = new Uint32Array(TIMELINE_BINS);
  private start = Number.NaN;
  private width = FIRST_BIN_SECONDS;

  add(time: number): void {
    if (this.start !== this.start) this.start = time;
    const at = (time - this.start) / this.width;
    // A timestamp before the first packet's (capture reordering) counts in the first bin.
    if (!(at >= 0 && at < Number.POSITIVE_INFINITY)) {
      if (at < 0) this.counts[0]!++;
      return;
    }
    let k = Math.floor(at);
    while (k >= TIMELINE_BINS) {
      this.merge();
      k = Math.floor((time - this.start) / this.width);
    }
    this.counts[k]!++;
  }

  private merge(): void {
    const c = this.counts;
    for (let k = 0; k < TIMELINE_BINS / 2; k++) c[k] = c[2 * k]! + c[2 * k + 1]!;
    c.fill(0, TIMELINE_BINS / 2);
    this.width *= 2;
  }

  toJSON(): PacketTimeline | null {
    if (this.start !== this.start) return null;
    let used = TIMELINE_BINS;
    while (used > 1 && this.counts[used - 1] === 0) used--;
    return { start: this.start, binSeconds: this.width, counts: Array.from(this.counts.subarray(0, used)) };
  }
}
