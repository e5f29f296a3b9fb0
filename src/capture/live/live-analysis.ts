/**
 * Diagnosis while capturing: every few seconds the capture file written so far is
 * analyzed by the same pass and analyzers as `netdiag read`, and findings not reported
 * before are handed to `onNew`. Each round reads the whole file again, so the interval
 * stretches to several times the last round's duration: a long capture costs a bounded
 * share of the CPU rather than starving the capture.
 */
import type { Finding } from '../../analysis/finding.js';
import type { Model } from '../../analysis/model.js';
import type { CaptureResult } from '../../analysis/pass.js';

/** A capture file that grows while it is analyzed. */
export interface GrowingCapture {
  path: string;
  /** Write out buffered records so the file ends after a complete record. */
  flush(): void;
}

export interface LiveAnalysisOptions {
  /** Capture point name, as evidence cites it (the node's name). */
  name: string;
  intervalMs: number;
  decodeAs?: string[];
  onNew(findings: Finding[]): void;
  onError?(message: string): void;
}

export interface Diagnosis {
  result: CaptureResult;
  model: Model;
  findings: Finding[];
}

/** Identity of a finding across rounds: its counts and evidence grow, its kind and place do not. */
export function findingKey(f: Finding): string {
  return `${f.id}|${f.component}|${f.node ?? ''}`;
}

export class LiveAnalysis {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Diagnosis | null> | null = null;
  private stopped = false;
  private lastDurationMs = 0;
  rounds = 0;

  constructor(
    private readonly file: GrowingCapture,
    private readonly o: LiveAnalysisOptions,
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const wait = Math.max(this.o.intervalMs, 4 * this.lastDurationMs);
    this.timer = setTimeout(() => {
      void this.round().finally(() => this.schedule());
    }, wait);
    this.timer.unref();
  }

  /** One analysis of the file so far; reports new findings. */
  round(): Promise<Diagnosis | null> {
    if (this.running) return this.running;
    this.running = this.analyze()
      .then((d) => {
        if (d) this.report(d.findings);
        return d;
      })
      .catch((e: unknown) => {
        this.o.onError?.(e instanceof Error ? e.message : String(e));
        return null;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private report(findings: Finding[]): void {
    const fresh = findings.filter((f) => !this.seen.has(findingKey(f)));
    for (const f of fresh) this.seen.add(findingKey(f));
    if (fresh.length) this.o.onNew(fresh);
  }

  private async analyze(): Promise<Diagnosis | null> {
    const started = Date.now();
    this.file.flush();
    const [{ analyzeCapture }, { diagnose }] = await Promise.all([import('../../analysis/pass.js'), import('../../analysis/diagnose.js')]);
    const result = await analyzeCapture({ name: this.o.name, path: this.file.path }, 0, this.o.decodeAs ? { decodeAs: this.o.decodeAs } : {});
    if (result.summary.packets === 0) return null;
    const { model, findings } = diagnose([result], null);
    this.rounds++;
    this.lastDurationMs = Date.now() - started;
    return { result, model, findings };
  }

  /** Stop the rounds and run the last one over the complete file (the capture has stopped). */
  async finish(): Promise<Diagnosis | null> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running;
    return this.round();
  }
}
