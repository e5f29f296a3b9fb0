import type { CompiledFilter } from '../filter/index.js';
import { Decoder } from '../decode/decoder.js';
import type { CaptureStore } from './capture-store.js';
import { GrowableU32 } from './growable.js';

/** The packets a list shows, by position: every packet, a filter's matches, or a given set. */
export interface PacketSet {
  readonly length: number;
  /** Frame number at position i. */
  numberAt(i: number): number;
  /** Position of the first packet numbered >= n (length when none). */
  positionOf(n: number): number;
  /** False while matches may still be added. */
  readonly complete: boolean;
}

export class AllPackets implements PacketSet {
  constructor(private readonly store: CaptureStore) {}
  get length(): number {
    return this.store.count;
  }
  numberAt(i: number): number {
    return i + 1;
  }
  positionOf(n: number): number {
    return Math.min(Math.max(0, n - 1), this.store.count);
  }
  get complete(): boolean {
    const s = this.store.status;
    return s === 'done' || s === 'failed';
  }
}

/** An explicit list of frame numbers (the packets a finding cites). */
export class NumberSet implements PacketSet {
  private readonly list = new GrowableU32(16);
  readonly complete = true;
  constructor(numbers: Iterable<number>) {
    for (const n of [...new Set(numbers)].sort((a, b) => a - b)) if (n > 0) this.list.push(n);
  }
  get length(): number {
    return this.list.length;
  }
  numberAt(i: number): number {
    return this.list.at(i);
  }
  positionOf(n: number): number {
    return this.list.lowerBound(n);
  }
}

/** Packets decoded per slice of a filter pass before the UI gets a turn. */
const SLICE_MS = 12;

/**
 * A display filter applied in the background: packets are decoded one at a time with a
 * decoder of its own, matching numbers go to a growable typed array, and the list can
 * show the first matches while the rest of the capture (or a live capture) is scanned.
 */
export class FilterScan implements PacketSet {
  private readonly matches = new GrowableU32();
  private readonly decoder: Decoder;
  scanned = 0;
  private stopped = false;
  private finished = false;

  constructor(
    private readonly store: CaptureStore,
    readonly filter: CompiledFilter,
    private readonly changed: () => void,
  ) {
    this.decoder = new Decoder(store.reg);
  }

  get length(): number {
    return this.matches.length;
  }
  numberAt(i: number): number {
    return this.matches.at(i);
  }
  positionOf(n: number): number {
    return this.matches.lowerBound(n);
  }
  get complete(): boolean {
    return this.finished;
  }

  cancel(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    const store = this.store;
    let originSet = false;
    while (!this.stopped && !store.isClosed) {
      if (!originSet) {
        const first = store.record(1);
        if (first !== null) this.decoder.setTimeOrigin(first.tsSec, first.tsNsec);
        originSet = first !== null;
      }
      const until = Date.now() + SLICE_MS;
      let advanced = false;
      while (this.scanned < store.count && Date.now() < until) {
        // 256 packets between clock reads keeps Date.now() off the per-packet path.
        const end = Math.min(store.count, this.scanned + 256);
        for (let n = this.scanned + 1; n <= end; n++) {
          const rec = store.record(n);
          // A damaged record is skipped; only a file not yet open is waited for.
          if (rec === null && !store.ready) break;
          if (rec !== null && this.filter.matches(this.decoder.decode(rec, store.captureIndex))) this.matches.push(n);
          this.scanned = n;
          advanced = true;
        }
        if (this.scanned < end) break;
      }
      const caughtUp = this.scanned >= store.count;
      if (caughtUp && (store.status === 'done' || store.status === 'failed')) break;
      if (!store.ready && store.error !== null) break;
      if (advanced) this.changed();
      await new Promise<void>((resolve) => (caughtUp || !advanced ? setTimeout(resolve, 50) : setImmediate(resolve)));
    }
    this.finished = !this.stopped;
    this.changed();
  }
}
