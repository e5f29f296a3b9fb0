import { parseCaptureArg } from '../analysis/capture-arg.js';
import { createRegistry, parseDecodeAs } from '../decode/protocols.js';
import type { Registry } from '../decode/registry.js';
import type { Finding } from '../analysis/finding.js';
import type { ClusterState } from '../k8s/types.js';
import type { Report } from '../report/report.js';
import { runAnalysis, type AnalysisOutcome } from './analysis-job.js';
import { CaptureStore } from './capture-store.js';
import { Throttle } from './throttle.js';

export type AnalysisState = 'running' | 'done' | 'failed' | 'off';

/**
 * A capture being taken while the UI runs. The capturing side writes a classic pcap file
 * (its header first) and, for each record once it is on disk, calls `record` with the
 * record's byte offset and timestamp; `end` when the capture stops.
 */
export interface LiveFeed {
  label: string;
  path: string;
  subscribe(listener: LiveListener): () => void;
  /** True when findings will be pushed (`LiveListener.findings`) as the live diagnosis finds them. */
  diagnosing?: boolean;
  /** The capture's state for the status line (counters, drops, engine, elapsed time). */
  status?(): string;
}

export interface LiveListener {
  record(fileOffset: number, tsSec: number, tsNsec: number): void;
  end(error?: string): void;
  /** Findings not pushed before (a finding is pushed once, when first found). */
  findings?(found: Finding[]): void;
  /** Something to tell the user while the capture runs (an engine warning). */
  message?(text: string): void;
}

/** Where the cluster's objects come from, as `read --cluster-state DIR --k8s FILE` names them. */
export interface ClusterSource {
  clusterState?: string;
  k8s?: string[];
}

export interface SessionOptions {
  decodeAs?: string[];
  nodeState?: string;
  /** Cluster state: packet rows, flows and findings name pods, nodes and Services. */
  cluster?: ClusterSource;
  /** Display filter of packets to follow across the captures (read --trace). */
  trace?: string;
  command?: string[];
  /** Skip the diagnosis (tests of the packet views; live capture until it stops). */
  analyze?: boolean;
  /** How often the screen may be told about new packets. */
  refreshMs?: number;
  /**
   * A terminal will draw this session: the captures are read past their first chunk once
   * it has drawn its first screen of packets (see firstScreenDrawn), or a second on.
   */
  firstScreen?: boolean;
}

/**
 * Everything the terminal UI shows, outside React: the captures' packet stores, the
 * report once the analysis is done, and a version number that changes (at a bounded
 * rate) whenever any of it does.
 */
export class TuiSession {
  readonly reg: Registry;
  readonly stores: CaptureStore[] = [];
  report: Report | null = null;
  analysis: AnalysisState = 'off';
  /** Things to tell the user that belong to no packet (failed captures, node state). */
  messages: string[] = [];
  version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly throttle: Throttle;
  private unsubscribeLive: (() => void) | null = null;
  private readonly abort = new AbortController();

  constructor(opts: SessionOptions = {}) {
    this.reg = createRegistry();
    for (const spec of opts.decodeAs ?? []) {
      const d = parseDecodeAs(spec, this.reg);
      if (typeof d === 'string') throw new Error(d);
      this.reg.setDispatch(d.table, d.key, d.proto);
    }
    this.throttle = new Throttle(() => this.emit(), opts.refreshMs ?? 100);
  }

  /** Open capture files (`NAME=PATH` names a capture point, as on the command line). */
  static forFiles(files: string[], opts: SessionOptions = {}): TuiSession {
    const s = new TuiSession(opts);
    const inputs = files.map(parseCaptureArg);
    inputs.forEach((input, k) => s.stores.push(new CaptureStore(input.name, input.path, k, s.reg, () => s.changed())));
    const drawn = new Promise<void>((resolve) => (s.onFirstScreen = resolve));
    if (opts.firstScreen) {
      // A second at most: a first screen that never shows packets must not stop the reading.
      const held = Promise.race([drawn, new Promise<void>((resolve) => setTimeout(resolve, 1000).unref())]);
      for (const st of s.stores) st.holdAfterFirstChunk = held;
    }
    s.loaded = Promise.all(s.stores.map((st) => st.load())).then(() => undefined);
    const cluster = s.loadCluster(opts.cluster);
    if (opts.analyze !== false) {
      s.analysis = 'running';
      // The diagnosis (its modules, its workers) starts once the first packets are on screen, or
      // the captures are read when nothing draws them: before, it would delay that screen.
      const firstScreen = Promise.race([drawn, s.loaded]);
      s.analyzed = Promise.all([cluster, firstScreen])
        .then(([state]) =>
          s.abort.signal.aborted
            ? { report: null, messages: [] }
            : runAnalysis({
                inputs,
                ...(opts.decodeAs ? { decodeAs: opts.decodeAs } : {}),
                ...(opts.nodeState !== undefined ? { nodeState: opts.nodeState } : {}),
                ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
                cluster: state,
                command: opts.command ?? ['netdiag', 'read', ...files],
                signal: s.abort.signal,
              }),
        )
        .then(
        (o) => s.analysisDone(o),
        (e: unknown) => s.analysisDone({ report: null, messages: [`analysis failed: ${(e as Error).message}`] }),
      );
    }
    return s;
  }

  private onFirstScreen: (() => void) | null = null;

  /** The UI has drawn its first screen of packets: the reading and the diagnosis may have the CPU now. */
  firstScreenDrawn(): void {
    this.onFirstScreen?.();
    this.onFirstScreen = null;
  }

  /** Resolves when the cluster state is read (or at once when none was named). */
  clusterLoaded: Promise<ClusterState | null> = Promise.resolve(null);

  /** Read the cluster state and give the packet lists its names; its problems become messages. */
  private loadCluster(src: ClusterSource | undefined): Promise<ClusterState | null> {
    if (src === undefined || (src.clusterState === undefined && !src.k8s?.length)) return this.clusterLoaded;
    this.clusterLoaded = Promise.all([import('../k8s/load.js'), import('../k8s/names.js')]).then(
      async ([{ loadClusterArgs }, { NameResolver }]) => {
        const state = await loadClusterArgs(src, (m) => this.messages.push(m));
        if (state === null) return null;
        const names = new NameResolver(state);
        this.names = (a) => names.label(a);
        for (const st of this.stores) st.setNames(this.names);
        this.changed();
        return state;
      },
      (e: unknown) => {
        this.messages.push(`cluster state: ${(e as Error).message}`);
        return null;
      },
    ).catch((e: unknown) => {
      this.messages.push(`cluster state: ${(e as Error).message}`);
      this.changed();
      return null;
    });
    return this.clusterLoaded;
  }

  /** The cluster's name of an address, once cluster state is loaded. */
  names: ((address: string) => string | undefined) | null = null;

  /** A live capture's state for the status line. */
  liveStatus: (() => string) | null = null;
  private liveFindings: Finding[] = [];
  private ticker: NodeJS.Timeout | null = null;

  /** Follow a live capture; packets are shown as the feed reports them, redrawn at most every refreshMs. */
  static forLive(feed: LiveFeed, opts: SessionOptions = {}): TuiSession {
    const s = new TuiSession({ ...opts, analyze: false });
    const store = new CaptureStore(feed.label, feed.path, 0, s.reg, () => s.changed());
    s.stores.push(store);
    if (feed.diagnosing) s.analysis = 'running';
    if (feed.status) {
      s.liveStatus = () => feed.status!();
      // The elapsed time moves on while no packet comes.
      s.ticker = setInterval(() => s.changed(), 1000);
      s.ticker.unref();
    }
    let attached: Promise<void> | null = null;
    s.unsubscribeLive = feed.subscribe({
      record: (off, sec, nsec) => {
        attached ??= store.attachLive(sec, nsec).then(
          () => s.changed(),
          (e: unknown) => {
            store.error = (e as Error).message;
            s.changed();
          },
        );
        store.append(off);
        s.changed();
      },
      end: (error) => {
        if (error) s.messages.push(error);
        store.endLive();
        if (s.ticker) clearInterval(s.ticker);
        s.changed();
      },
      findings: (found) => void s.liveFound(found, opts.command ?? ['netdiag', 'capture']),
      message: (text) => {
        s.messages.push(text);
        s.changed();
      },
    });
    store.status = 'live';
    return s;
  }

  /** Findings pushed by a live diagnosis join the report the Findings view shows, ranked. */
  private async liveFound(found: Finding[], command: string[]): Promise<void> {
    this.liveFindings.push(...found);
    const { liveReport } = await import('./live-report.js');
    this.report = liveReport(this.liveFindings, command);
    this.analysis = 'done';
    this.changed();
    this.throttle.flush();
  }

  /** Resolves when every capture has been indexed. */
  loaded: Promise<void> = Promise.resolve();
  /** Resolves when the analysis has finished (or at once when there is none). */
  analyzed: Promise<void> = Promise.resolve();

  private analysisDone(o: AnalysisOutcome): void {
    this.report = o.report;
    this.messages.push(...o.messages);
    this.analysis = o.report ? 'done' : 'failed';
    this.changed();
    this.throttle.flush();
  }

  /** Index of the capture a report names (its capture point name), or -1. */
  storeIndex(name: string): number {
    return this.stores.findIndex((s) => s.label === name);
  }

  changed(): void {
    this.throttle.notify();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private emit(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  close(): void {
    this.abort.abort();
    this.throttle.cancel();
    if (this.ticker) clearInterval(this.ticker);
    this.unsubscribeLive?.();
    for (const s of this.stores) s.close();
  }
}
