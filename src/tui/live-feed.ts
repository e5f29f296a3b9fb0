import type { Finding } from '../analysis/finding.js';
import { RecordStamps } from '../capture/live/record-stamps.js';
import type { LiveFeed, LiveListener } from './session.js';

/**
 * The capturing side's end of a live UI: records are announced here once their bytes are
 * in the spool file (`record` fits LiveFileWriter's onFlushed), findings as the live
 * diagnosis finds them. The UI subscribes only once it has loaded, while the capture is
 * already running, so what comes before is kept (offsets in typed arrays) and replayed to
 * the first subscriber.
 */
export class CaptureFeed implements LiveFeed {
  private listeners: readonly LiveListener[] = [];
  private subscribed = false;
  /** Records announced before the UI subscribed, replayed to it. */
  private readonly early = new RecordStamps();
  private readonly found: Finding[] = [];
  private readonly notes: string[] = [];
  private ended: { error: string | undefined } | null = null;

  constructor(
    readonly label: string,
    readonly path: string,
    private readonly o: { diagnosing?: boolean; status?: () => string } = {},
  ) {}

  get diagnosing(): boolean {
    return this.o.diagnosing === true;
  }

  status(): string {
    return this.o.status?.() ?? '';
  }

  readonly record = (fileOffset: number, tsSec: number, tsNsec: number): void => {
    if (!this.subscribed) return this.early.push(fileOffset, tsSec, tsNsec);
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!.record(fileOffset, tsSec, tsNsec);
  };

  findings(found: Finding[]): void {
    if (found.length === 0) return;
    this.found.push(...found);
    for (const l of this.listeners) l.findings?.(found);
  }

  message(text: string): void {
    this.notes.push(text);
    for (const l of this.listeners) l.message?.(text);
  }

  /** The capture has stopped; every record is announced. */
  end(error?: string): void {
    if (this.ended) return;
    this.ended = { error };
    for (const l of this.listeners) l.end(error);
  }

  subscribe(listener: LiveListener): () => void {
    if (!this.subscribed) {
      this.subscribed = true;
      this.early.drain((off, sec, nsec) => listener.record(off, sec, nsec), true);
    }
    for (const m of this.notes) listener.message?.(m);
    if (this.found.length) listener.findings?.(this.found.slice());
    if (this.ended) listener.end(this.ended.error);
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
}
