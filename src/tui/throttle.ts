/**
 * Coalesces change notifications into at most one call per interval: packets may arrive
 * by the hundred thousand a second, the screen is redrawn at a bounded rate.
 */
export class Throttle {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;

  constructor(
    private readonly fire: () => void,
    readonly intervalMs = 100,
  ) {}

  notify(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.last + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.last = Date.now();
      this.fire();
    }, wait);
  }

  /** Fire now if a notification is pending (e.g. when a pass ends). */
  flush(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.last = Date.now();
    this.fire();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
