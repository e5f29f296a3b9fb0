/**
 * Diagnosis while capturing: every packet is analyzed once, as it arrives, by the same
 * pass and analyzers as `netdiag read`; every few seconds the pass's state is read out
 * and diagnosed, and findings not reported before are handed to `onNew`. A round costs
 * what the state holds (flows, samples), not what the capture has seen; the interval still
 * stretches to several times the last round's duration, so diagnosing never takes more
 * than a bounded share of the CPU from the capture.
 *
 * Each packet is analyzed in the capture's callback: handing packets to a backlog and
 * analyzing them in slices between the capture's reads lost more packets under load
 * (bench/capture-throughput.ts, netdiag-cap-analyze).
 */
import { CapturePass, type CaptureOrigin } from '../../analysis/capture-pass.js';
import { diagnose } from '../../analysis/diagnose.js';
import type { Finding } from '../../analysis/finding.js';
import type { Model } from '../../analysis/model.js';
import type { CaptureResult } from '../../analysis/pass.js';
import { linktypeName } from '../linktypes.js';
import type { LiveRecord, LiveRecordListener } from './record.js';
import type { LiveInterface, LiveStats } from './source.js';

/** What the analysis needs of a live capture (a LiveCapture is one). */
export interface LiveFeed {
  subscribe(fn: LiveRecordListener): () => void;
  /** The interfaces captured on; read at every round (a capture fills them in when ready). */
  readonly interfaces: readonly LiveInterface[];
  /** Delivery and drop counters, for the summary's interface statistics. */
  stats?(): LiveStats[];
}

export interface LiveAnalysisOptions {
  /** Capture point name, as evidence cites it (the node's name). */
  name: string;
  intervalMs: number;
  decodeAs?: string[];
  /**
   * The file the whole capture is written to (-w without a ring), which the report names:
   * its frame numbers are the packet numbers findings cite.
   */
  file?: string;
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
  private readonly pass: CapturePass | null = null;
  private readonly unsubscribe: () => void;
  /** Why the analysis cannot run (a bad --decode-as), said once. */
  private failure: string | null = null;
  private firstNumber = 0;
  private broken = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastDurationMs = 0;
  rounds = 0;

  /** Subscribes at once: the analysis sees every packet the feed delivers from now on. */
  constructor(
    private readonly feed: LiveFeed,
    private readonly o: LiveAnalysisOptions,
  ) {
    const path = o.file ?? `live:${feed.interfaces.map((i) => i.name).join(',')}`;
    try {
      // Live runs have no other capture to follow packets into.
      this.pass = new CapturePass({ name: o.name, path }, 0, { followPackets: false, ...(o.decodeAs ? { decodeAs: o.decodeAs } : {}) });
    } catch (e) {
      this.failure = e instanceof Error ? e.message : String(e);
    }
    this.unsubscribe = this.pass ? feed.subscribe(this.record) : () => undefined;
  }

  /** Packets analyzed so far. */
  get processed(): number {
    return this.pass?.packets ?? 0;
  }

  private readonly record = (rec: LiveRecord): void => {
    if (this.firstNumber === 0) this.firstNumber = rec.number;
    try {
      this.pass!.packet(rec);
    } catch (e) {
      // A decoder fault on one hostile packet must not end the capture (a throwing subscriber does).
      if (this.broken++ === 0) this.o.onError?.(`packet ${rec.number}: ${e instanceof Error ? e.message : String(e)} (further failures are counted)`);
    }
  };

  start(): void {
    if (this.failure !== null) {
      this.o.onError?.(this.failure);
      return;
    }
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

  /** Diagnose what has been captured so far; reports new findings. */
  round(): Promise<Diagnosis | null> {
    try {
      const d = this.analyze();
      if (d) this.report(d.findings);
      return Promise.resolve(d);
    } catch (e) {
      this.o.onError?.(e instanceof Error ? e.message : String(e));
      return Promise.resolve(null);
    }
  }

  private report(findings: Finding[]): void {
    const fresh = findings.filter((f) => !this.seen.has(findingKey(f)));
    for (const f of fresh) this.seen.add(findingKey(f));
    if (fresh.length) this.o.onNew(fresh);
  }

  private analyze(): Diagnosis | null {
    const pass = this.pass;
    if (pass === null || pass.packets === 0) return null;
    if (this.firstNumber > 1 && this.rounds === 0) this.o.onError?.(`subscribed at packet ${this.firstNumber}: the ${this.firstNumber - 1} captured before it are not diagnosed`);
    const started = Date.now();
    // Detached from the pass: packets keep arriving while the diagnosis is held on to.
    const result = structuredClone(pass.result(this.origin()));
    const { model, findings } = diagnose([result], null);
    this.rounds++;
    this.lastDurationMs = Date.now() - started;
    return { result, model, findings };
  }

  private origin(): CaptureOrigin {
    const stats = this.feed.stats?.() ?? [];
    const engines = [...new Set(this.feed.interfaces.map((i) => i.engine))];
    return {
      format: 'pcapng',
      formatDetail: `live capture (${engines.join(', ') || 'no interface'})`,
      // The counters a file written from the same capture carries in its statistics blocks.
      interfaces: this.feed.interfaces.map((i) => {
        const s = stats[i.index];
        const drops = s && (s.dropped !== null || s.ifDropped !== null) ? (s.dropped ?? 0) + (s.ifDropped ?? 0) : undefined;
        return {
          index: i.index,
          linktype: i.linktype,
          linktypeName: linktypeName(i.linktype),
          snaplen: i.snaplen,
          name: i.name,
          ...(s ? { recv: s.received ?? s.delivered } : {}),
          ...(drops !== undefined ? { drop: drops } : {}),
        };
      }),
      problems: [],
      sizeBytes: null,
    };
  }

  /** Stop the rounds and diagnose everything the feed delivered (the capture has stopped). */
  async finish(): Promise<Diagnosis | null> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe();
    if (this.broken > 1) this.o.onError?.(`${this.broken} packets could not be analyzed`);
    return this.round();
  }
}
