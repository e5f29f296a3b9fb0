/**
 * The live capture API: capture on one or more interfaces with the best available engine
 * and hand every packet, as it arrives, to subscribers (the file writer, the live
 * analysis, the terminal UI).
 *
 *   const live = startLiveCapture({ interfaces: ['eth0', 'flannel.1'], filter: 'udp port 8472' });
 *   const off = live.subscribe((rec) => { ... rec is valid during the call only ... });
 *   const ifaces = await live.ready;   // capturing now; rejects with a LiveCaptureError
 *   ...
 *   const end = await live.stop();     // or await live.done (-c / duration / engine exit)
 *
 * Records of different interfaces arrive in delivery order, each interface's in capture
 * order; `rec.ifIndex` is the interface's position in `interfaces`. Delivery begins when
 * `ready` resolves (every interface capturing): subscribe before awaiting it.
 */
import type { CaptureEngine, EngineCounters, EngineName, EngineSession } from './engine.js';
import { LiveCaptureError } from './errors.js';
import { checkInterface } from './interfaces.js';
import { mayCapture, permissionHint } from './privilege.js';
import type { LiveRecord, LiveRecordListener } from './record.js';

export type { LiveRecord, LiveRecordListener } from './record.js';
export { LiveCaptureError, type LiveCaptureErrorKind } from './errors.js';
export type { EngineName } from './engine.js';

/** libpcap's and tcpdump's default snapshot length. */
export const DEFAULT_LIVE_SNAPLEN = 262144;

export interface LiveCaptureOptions {
  interfaces: string[];
  /** BPF filter, as tcpdump takes it. */
  filter?: string;
  /** Bytes kept of each packet (default 262144; the cap engine keeps at most 65535). */
  snaplen?: number;
  /** Stop after this many packets in all (across interfaces). */
  count?: number;
  /** Stop after this many seconds. */
  durationSec?: number;
  /** 'auto' (default): cap when its binding loads, else tcpdump. */
  engine?: EngineName | 'auto';
}

export interface LiveInterface {
  index: number;
  name: string;
  linktype: number;
  snaplen: number;
  engine: EngineName;
}

export interface LiveStats {
  interface: string;
  /** Packets handed to subscribers. */
  delivered: number;
  /** Kernel counters (null where the engine cannot tell). */
  received: number | null;
  dropped: number | null;
  ifDropped: number | null;
}

export type LiveEndReason = 'stopped' | 'count' | 'duration' | 'engine-exit' | 'failed';

export interface LiveEnd {
  reason: LiveEndReason;
  /** Why an engine or a subscriber ended the capture, when one did. */
  message: string | null;
  stats: LiveStats[];
  startTime: number;
  endTime: number;
}

export interface LiveCapture {
  /** Resolves when every interface is capturing; rejects with a LiveCaptureError. */
  readonly ready: Promise<LiveInterface[]>;
  /** Resolves when the capture has ended, for whatever reason, with the final counters. */
  readonly done: Promise<LiveEnd>;
  /** The interfaces, once ready. */
  readonly interfaces: readonly LiveInterface[];
  subscribe(fn: LiveRecordListener): () => void;
  /** Warnings while capturing (damaged engine output, an engine that stopped). */
  onWarning(fn: (message: string) => void): void;
  /** Stop every interface; resolves when all delivered packets have reached subscribers. */
  stop(): Promise<LiveEnd>;
  /** Counters so far (kernel counters are filled in at the end). */
  stats(): LiveStats[];
}

/** The engine to use: the one asked for, or cap when its binding loads, else tcpdump. */
export async function chooseEngine(asked: EngineName | 'auto'): Promise<CaptureEngine> {
  const [{ capEngine, loadCap, CAP_INSTALL_HINT }, { tcpdumpEngine, findTcpdump, TCPDUMP_INSTALL_HINT }] = await Promise.all([
    import('./cap-engine.js'),
    import('./tcpdump-engine.js'),
  ]);
  if (asked === 'cap') return capEngine;
  if (asked === 'tcpdump') return tcpdumpEngine;
  const cap = loadCap();
  // Without the right to capture in this process, a tcpdump that holds it (setcap) still can.
  if (typeof cap !== 'string' && (mayCapture() !== false || findTcpdump() === null)) return capEngine;
  if (findTcpdump() !== null) return tcpdumpEngine;
  throw new LiveCaptureError('no-engine', `no capture engine: ${cap}, and tcpdump is not installed. Either ${CAP_INSTALL_HINT.replace(/^the cap engine needs /, 'install ')}, or ${TCPDUMP_INSTALL_HINT.replace(/^the tcpdump engine needs tcpdump: /, 'install tcpdump: ')}`);
}

export function startLiveCapture(opts: LiveCaptureOptions): LiveCapture {
  // Replaced, never mutated: a listener may unsubscribe while a packet is being handed out.
  let listeners: readonly LiveRecordListener[] = [];
  const warningListeners: Array<(m: string) => void> = [];
  const interfaces: LiveInterface[] = [];
  const sessions: EngineSession[] = [];
  const delivered = new Float64Array(opts.interfaces.length);
  const counters: Array<EngineCounters | null> = opts.interfaces.map(() => null);
  const limit = opts.count ?? Infinity;
  let total = 0;
  // Closed until every interface captures: the file's interface list is complete before its first packet.
  let accepting = false;
  let endReason: LiveEndReason | null = null;
  let endMessage: string | null = null;
  let stopping: Promise<LiveEnd> | null = null;
  let durationTimer: NodeJS.Timeout | null = null;
  let startTime = Date.now();
  let resolveDone!: (e: LiveEnd) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<LiveEnd>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  const warn = (m: string): void => {
    for (const fn of warningListeners) fn(m);
  };

  const onRecord = (rec: LiveRecord): void => {
    if (!accepting) return;
    delivered[rec.ifIndex]!++;
    rec.number = ++total;
    const ls = listeners;
    try {
      for (let i = 0; i < ls.length; i++) ls[i]!(rec);
    } catch (e) {
      // A subscriber that cannot go on (the disk is full) ends the capture, with its reason.
      accepting = false;
      const why = `stopped: ${e instanceof Error ? e.message : String(e)}`;
      warn(why);
      void stop('failed', why);
      return;
    }
    if (total >= limit) {
      accepting = false;
      void stop('count');
    }
  };

  const stats = (): LiveStats[] =>
    opts.interfaces.map((name, i) => ({
      interface: name,
      delivered: delivered[i]!,
      received: counters[i]?.received ?? null,
      dropped: counters[i]?.dropped ?? null,
      ifDropped: counters[i]?.ifDropped ?? null,
    }));

  const stop = (reason: LiveEndReason, message: string | null = null): Promise<LiveEnd> => {
    if (stopping) return stopping;
    endReason = reason;
    endMessage = message;
    if (durationTimer) clearTimeout(durationTimer);
    stopping = (async () => {
      await ready.catch(() => undefined);
      const finals = await Promise.all(sessions.map((s) => s.stop()));
      finals.forEach((c, i) => (counters[i] = c));
      accepting = false;
      const end: LiveEnd = { reason: endReason!, message: endMessage, stats: stats(), startTime, endTime: Date.now() };
      resolveDone(end);
      return end;
    })();
    stopping.catch(rejectDone);
    return stopping;
  };

  const ready = (async (): Promise<LiveInterface[]> => {
    if (opts.interfaces.length === 0) throw new LiveCaptureError('usage', 'name an interface to capture on with -i (any for all)');
    const engine = await chooseEngine(opts.engine ?? 'auto');
    const extra = engine.name === 'cap' ? (await import('./cap-engine.js')).capDevices() : [];
    for (const name of opts.interfaces) checkInterface(name, extra);
    // tcpdump may hold the capability itself (setcap or a setuid install): it says so when it does not.
    if (engine.name === 'cap' && mayCapture() === false) throw new LiveCaptureError('permission', `this process may not capture: ${permissionHint(process.execPath)}`);
    const snaplen = opts.snaplen ?? DEFAULT_LIVE_SNAPLEN;
    try {
      for (let i = 0; i < opts.interfaces.length; i++) {
        const name = opts.interfaces[i]!;
        const s = await engine.open({ iface: name, filter: opts.filter ?? '', snaplen, ifIndex: i }, onRecord);
        sessions.push(s);
        s.onWarning(warn);
        interfaces.push({ index: i, name, linktype: s.linktype, snaplen: s.snaplen, engine: engine.name });
        void s.ended.then((why) => {
          if (why !== null && stopping === null) {
            warn(why);
            void stop('engine-exit', why);
          }
        });
      }
    } catch (e) {
      await Promise.all(sessions.map((s) => s.stop().catch(() => undefined)));
      throw e;
    }
    startTime = Date.now();
    accepting = stopping === null;
    if (opts.durationSec !== undefined) durationTimer = setTimeout(() => void stop('duration'), opts.durationSec * 1000);
    return interfaces;
  })();
  ready.catch((e: unknown) => {
    accepting = false;
    rejectDone(e);
  });
  // A failed start is reported through `ready`; `done` must not also become an unhandled rejection.
  done.catch(() => undefined);

  return {
    ready,
    done,
    interfaces,
    subscribe(fn) {
      listeners = [...listeners, fn];
      return () => {
        listeners = listeners.filter((l) => l !== fn);
      };
    },
    onWarning: (fn) => void warningListeners.push(fn),
    stop: () => stop('stopped'),
    stats,
  };
}
