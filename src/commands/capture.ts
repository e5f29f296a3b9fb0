import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { Finding } from '../analysis/finding.js';
import type { LiveFileWriter } from '../capture/live/file-writer.js';
import type { LiveAnalysis } from '../capture/live/live-analysis.js';
import type { LiveCapture, LiveEnd, LiveInterface, LiveStats } from '../capture/live/source.js';
import type { TuiTerminal } from '../tui/index.js';
import type { CaptureFeed } from '../tui/live-feed.js';

// The capture machinery is imported inside the handler: `netdiag --help` must stay fast.

export const command = 'capture [expression..]';
export const describe = 'capture packets live (libpcap through cap, or tcpdump), write them to a file and/or diagnose them as they arrive';

export interface CaptureArgs {
  i?: string[];
  expression?: string[];
  f?: string;
  s?: number;
  c?: number;
  duration?: number;
  w?: string;
  format?: 'pcap' | 'pcapng';
  ring?: number;
  ringSize?: number;
  engine?: 'cap' | 'tcpdump' | 'auto';
  analyze?: boolean;
  analyzeInterval?: number;
  d?: string[];
  tui?: boolean;
}

export function builder<T>(y: Argv<T>): Argv<T & CaptureArgs> {
  return (
    y
      .positional('expression', { describe: 'BPF filter, as tcpdump takes it (or use -f)', type: 'string', array: true })
      .option('i', { type: 'string', array: true, alias: 'interface', describe: 'interface to capture on (repeatable; any for all)' })
      .option('f', { type: 'string', alias: 'filter', describe: 'BPF filter, e.g. "udp port 8472 or arp"' })
      .option('s', { type: 'number', alias: 'snapshot-length', describe: 'bytes kept of each packet (default 262144; cap engine at most 65535)' })
      .option('c', { type: 'number', alias: 'count', describe: 'stop after N packets' })
      .option('duration', { type: 'number', describe: 'stop after S seconds' })
      .option('w', { type: 'string', alias: 'write', describe: 'write the packets to this file (- for stdout)' })
      .option('format', { type: 'string', choices: ['pcap', 'pcapng'], describe: 'file format (default: from the name; pcapng for several interfaces)' })
      .option('ring', { type: 'number', alias: 'W', describe: 'with --ring-size: keep the last N files FILE0..FILE(N-1), as tcpdump -W' })
      .option('ring-size', { type: 'number', alias: 'C', describe: 'start a new file before one grows past this many MB (1,000,000 bytes), as tcpdump -C' })
      .option('engine', { type: 'string', choices: ['auto', 'cap', 'tcpdump'], default: 'auto', describe: 'capture engine: cap (libpcap binding) when it loads, else tcpdump' })
      .option('analyze', { type: 'boolean', describe: 'diagnose while writing with -w (always on without -w)' })
      .option('analyze-interval', { type: 'number', default: 5, describe: 'seconds between live diagnosis rounds' })
      .option('d', { type: 'string', array: true, alias: 'decode-as', describe: 'decode as, e.g. udp.port==6784,vxlan (repeatable)' })
      .option('tui', { type: 'boolean', describe: 'open the terminal UI (default on a terminal without -w; --tui with -w too; --no-tui prints findings instead)' })
      .example('$0 capture -i eth0 -w node1.pcap', 'capture until Ctrl-C')
      .example('$0 capture -i eth0 -i flannel.1 -w node1.pcapng -c 10000', 'underlay and VTEP together, one pcapng')
      .example('$0 capture -i eth0 udp port 8472', 'diagnose VXLAN traffic live, report at Ctrl-C')
      .example('$0 capture -i any -w ring.pcap --ring 5 --ring-size 100', 'keep the last 5 files of 100 MB') as unknown as Argv<T & CaptureArgs>
  );
}

export interface CaptureIO {
  stdout: Writable;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
  /** Where the terminal UI may open: set when both stdin and stdout are a terminal. */
  terminal?: TuiTerminal;
}

export async function handler(argv: ArgumentsCamelCase<CaptureArgs>): Promise<void> {
  process.exitCode = await runCapture(argv, {
    stdout: process.stdout,
    stderr: (t) => void process.stderr.write(t),
    stdoutIsTTY: process.stdout.isTTY === true,
    ...(process.stdout.isTTY && process.stdin.isTTY ? { terminal: { stdin: process.stdin, stdout: process.stdout } } : {}),
  });
}

function positive(v: number | undefined, flag: string, integer: boolean): string | null {
  if (v === undefined) return null;
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) return `${flag} ${String(v)}: expected a positive ${integer ? 'whole ' : ''}number`;
  return null;
}

/** Why these options cannot work together, or null. */
export function checkCaptureArgs(a: CaptureArgs): string | null {
  if (!a.i?.length) return 'capture: name an interface with -i (any for all; several -i for several)';
  const bad =
    positive(a.c, '-c', true) ??
    positive(a.s, '-s', true) ??
    positive(a.duration, '--duration', false) ??
    positive(a.ring, '--ring', true) ??
    positive(a.ringSize, '--ring-size', false) ??
    positive(a.analyzeInterval, '--analyze-interval', false);
  if (bad) return bad;
  if (a.f !== undefined && a.expression?.length) return 'give the filter once: with -f, or after the options as tcpdump takes it';
  if ((a.ring !== undefined || a.ringSize !== undefined) && a.w === undefined) return '--ring and --ring-size need -w FILE';
  if (a.ring !== undefined && a.ringSize === undefined) return '--ring N needs --ring-size MB: files are rotated by size';
  if (a.w === '-' && a.ringSize !== undefined) return '-w - writes to stdout: a ring needs a file name';
  if (a.w === '-' && a.analyze) return '-w - writes the capture to stdout: --analyze would print there too';
  return null;
}

function describeInterface(i: LiveInterface, names: (lt: number) => string): string {
  return `${i.name} (link-type ${names(i.linktype)}, snapshot length ${i.snaplen} bytes, engine ${i.engine})`;
}

function statsLine(s: LiveStats): string {
  const parts = [`${s.delivered} packet${s.delivered === 1 ? '' : 's'} captured`];
  if (s.received !== null) parts.push(`${s.received} received by filter`);
  parts.push(s.dropped !== null ? `${s.dropped} dropped by kernel` : 'kernel drops unknown (cap engine)');
  if (s.ifDropped !== null) parts.push(`${s.ifDropped} dropped by interface`);
  return parts.join(', ');
}

/**
 * `netdiag capture`: start the live capture, write the file (or ring), diagnose as packets
 * arrive when there is no file or --analyze asks, show it all in the terminal UI on a
 * terminal, stop on q, Ctrl-C, SIGTERM, a hangup, -c or --duration with every delivered
 * packet in the file, then print the counters (and the report). Returns the exit code:
 * 2 usage, 1 the capture could not run or broke off.
 */
export async function runCapture(a: CaptureArgs, io: CaptureIO): Promise<number> {
  const problem = checkCaptureArgs(a);
  if (problem) {
    io.stderr(`netdiag: ${problem}\n`);
    return 2;
  }
  const analyze = a.w === undefined || a.analyze === true;
  const [{ startLiveCapture, LiveCaptureError }, { LiveFileWriter, formatFor, formatProblem }, { linktypeName }, { version }, { CaptureFeed }, { liveStatusText }, analysisModules] = await Promise.all([
    import('../capture/live/source.js'),
    import('../capture/live/file-writer.js'),
    import('../capture/linktypes.js'),
    import('../version.js'),
    import('../tui/live-feed.js'),
    import('../capture/live/live-status.js'),
    analyze ? Promise.all([import('../capture/live/live-analysis.js'), import('../report/text.js')]) : null,
  ]);
  const filter = a.f ?? (a.expression ?? []).join(' ');
  const ifaces = a.i!.map(String);
  const format = a.w !== undefined ? formatFor(a.w, a.format, ifaces.length) : undefined;
  if (format !== undefined) {
    const fp = formatProblem(format, ifaces.map((name) => ({ name, linktype: 0 })));
    if (fp) {
      io.stderr(`netdiag: -w ${a.w}: ${fp}\n`);
      return 2;
    }
  }

  const live = startLiveCapture({
    interfaces: ifaces,
    filter,
    ...(a.s !== undefined ? { snaplen: a.s } : {}),
    ...(a.c !== undefined ? { count: a.c } : {}),
    ...(a.duration !== undefined ? { durationSec: a.duration } : {}),
    engine: a.engine ?? 'auto',
  });
  // While the terminal UI is up, a line on stderr would tear its screen: warnings go to
  // the UI and are printed again once it has closed.
  let feed: CaptureFeed | null = null;
  const afterUi: string[] = [];
  const warn = (m: string): void => {
    if (feed === null) return io.stderr(`netdiag: ${m}\n`);
    feed.message(m);
    afterUi.push(m);
  };
  live.onWarning(warn);

  // Ctrl-C and SIGTERM end the capture cleanly; a second one gives up waiting (the file
  // still ends after a whole record: only complete records are ever written out).
  let signalled = 0;
  let writer: LiveFileWriter | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled++;
    if (signalled === 1) {
      void live.stop();
      return;
    }
    try {
      writer?.finish(null);
    } catch (e) {
      io.stderr(`netdiag: -w ${a.w}: ${(e as Error).message}\n`);
    }
    io.stderr(`netdiag: ${sig} again: stopped without waiting for the capture engine\n`);
    process.exit(130);
  };
  // A terminal that goes away (SSH dropped) hangs up, often twice (the shell passes it on):
  // the capture ends as on SIGTERM, and what would be printed to the dead terminal is dropped.
  const ignore = (): void => undefined;
  const onHangup = (): void => {
    process.stdout.on('error', ignore);
    process.stderr.on('error', ignore);
    void live.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  const spoolDirs: string[] = [];
  let uiSpool: LiveFileWriter | null = null;
  try {
    let interfaces: LiveInterface[];
    try {
      interfaces = await live.ready;
    } catch (e) {
      if (e instanceof LiveCaptureError) {
        io.stderr(`netdiag: capture: ${e.message}\n`);
        return e.kind === 'usage' ? 2 : 1;
      }
      throw e;
    }

    // From here to the last subscription nothing is awaited: the files written from the
    // capture (-w, the UI's spool) and the live analysis see the same packets in the same
    // order, so a finding's packet numbers name the same frames in each.
    const ui = uiPlan(a, io, interfaces);
    if (ui.note) io.stderr(`netdiag: ${ui.note}\n`);
    const started = Date.now();
    let ended: LiveEnd | null = null;
    if (ui.open) {
      const followW = a.w !== undefined && format === 'pcap' && a.ringSize === undefined;
      let path = a.w!;
      if (!followW) {
        const dir = mkdtempSync(join(tmpdir(), 'netdiag-ui-'));
        spoolDirs.push(dir);
        path = join(dir, 'ui.pcap');
      }
      feed = new CaptureFeed(hostname(), path, {
        diagnosing: analyze,
        status: () => liveStatusText(interfaces, ended?.stats ?? live.stats(), (ended?.endTime ?? Date.now()) - started, ended !== null),
      });
      if (!followW) {
        // One classic pcap for every interface: uiPlan opens the UI only when they share a link type.
        const snaplen = Math.max(...interfaces.map((i) => i.snaplen));
        uiSpool = new LiveFileWriter({ path, format: 'pcap', interfaces: [{ ...interfaces[0]!, snaplen }], onFlushed: feed.record });
        live.subscribe(uiSpool.write);
      }
    }

    if (a.w !== undefined) {
      try {
        writer = new LiveFileWriter({
          path: a.w,
          format: format!,
          interfaces,
          ...(a.ringSize !== undefined ? { ring: { files: a.ring ?? Infinity, bytes: Math.floor(a.ringSize * 1e6) } } : {}),
          statsNow: () => live.stats(),
          application: `netdiag ${version()}`,
          ...(feed && uiSpool === null ? { onFlushed: feed.record } : {}),
        });
      } catch (e) {
        await live.stop();
        io.stderr(`netdiag: -w ${a.w}: ${(e as Error).message}\n`);
        return 1;
      }
      live.subscribe(writer.write);
    }
    const analysis = analysisModules ? startAnalysis(a, io, live, analysisModules, () => feed, afterUi) : null;

    for (const i of interfaces) io.stderr(`netdiag: capturing on ${describeInterface(i, linktypeName)}\n`);
    if (writer) io.stderr(`netdiag: writing ${a.ringSize !== undefined ? `a ring of ${a.ring ?? 'unlimited'} files ${writer.currentPath}…` : a.w === '-' ? 'to stdout' : a.w} (${format})\n`);
    if (analysis && !feed) io.stderr(`netdiag: diagnosing every ${a.analyzeInterval ?? 5}s; Ctrl-C stops and prints the report\n`);

    // A file that cannot be written (disk full, I/O error) ends the capture with the reason.
    let writeError: string | null = null;
    const writeFailed = (e: unknown): void => {
      if (writeError !== null) return;
      writeError = e instanceof Error ? e.message : String(e);
      void live.stop();
    };
    let spoolError: string | null = null;
    const flushUi = (): void => {
      try {
        uiSpool?.flush();
      } catch (e) {
        // The UI's own spool (a temp file) is not the capture: it stops following, the capture goes on.
        spoolError ??= `the terminal UI's spool file ${uiSpool!.currentPath}: ${(e as Error).message}`;
      }
    };
    const finishUi = (end: LiveEnd): void => {
      flushUi();
      try {
        uiSpool?.finish(end);
      } catch (e) {
        spoolError ??= `the terminal UI's spool file ${uiSpool!.currentPath}: ${(e as Error).message}`;
      }
    };
    // The UI is told of records once they are on disk: flushed often enough for the list
    // to follow the capture, seldom enough to write in large pieces.
    const flusher =
      writer || uiSpool
        ? setInterval(
            () => {
              try {
                writer?.flush();
              } catch (e) {
                writeFailed(e);
              }
              flushUi();
            },
            feed ? 200 : 1000,
          )
        : null;
    flusher?.unref();

    if (feed) {
      const shown = feed;
      void live.done.then(
        (end) => {
          ended = end;
          finishUi(end);
          try {
            if (uiSpool === null) writer?.flush();
          } catch (e) {
            writeFailed(e);
          }
          const early = end.reason === 'engine-exit' || end.reason === 'failed';
          if (!early) shown.message(`capture stopped (${STOP_REASON[end.reason]}): q closes and prints the report`);
          shown.end(early ? `capture ended early: ${end.message ?? end.reason}` : undefined);
        },
        () => shown.end('capture failed'),
      );
      const { runTui } = await import('../tui/index.js');
      try {
        await runTui({ live: shown, ...(a.d ? { decodeAs: a.d } : {}) }, ui.terminal!);
      } finally {
        feed = null;
        void live.stop();
      }
      for (const m of afterUi) io.stderr(`netdiag: ${m}\n`);
      if (spoolError !== null) io.stderr(`netdiag: ${spoolError}\n`);
    }

    const end: LiveEnd = await live.done;
    if (flusher) clearInterval(flusher);
    try {
      writer?.finish(end);
    } catch (e) {
      writeFailed(e);
    }
    finishUi(end);
    for (const s of end.stats) io.stderr(`netdiag: ${s.interface}: ${statsLine(s)}\n`);
    if (writer && a.ringSize !== undefined) io.stderr(`netdiag: files: ${writer.paths.join(', ')}\n`);
    if (analysis) await finalReport(io, analysis);
    // The reader of `-w -` went away (`netdiag capture -w - | head -c 1000`): done, as tcpdump is.
    if (writeError !== null && a.w === '-' && /EPIPE/.test(writeError)) return 0;
    if (writeError !== null) {
      io.stderr(`netdiag: -w ${a.w}: ${writeError}; the capture stopped there\n`);
      return 1;
    }
    if (end.reason === 'failed' && a.w === '-' && /EPIPE/.test(end.message ?? '')) return 0;
    if (end.reason === 'engine-exit' || end.reason === 'failed') {
      io.stderr(`netdiag: capture ended early: ${end.message}\n`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
    try {
      uiSpool?.finish(null);
    } catch {
      // Its directory goes next; nothing of the capture is lost with it.
    }
    for (const d of spoolDirs) rmSync(d, { recursive: true, force: true });
  }
}

const STOP_REASON: Record<LiveEnd['reason'], string> = {
  stopped: 'stopped',
  count: 'packet count reached',
  duration: 'duration reached',
  'engine-exit': 'engine exited',
  failed: 'failed',
};

interface UiPlan {
  open: boolean;
  terminal?: TuiTerminal;
  /** Why the UI does not open although it would have. */
  note?: string;
}

/**
 * Whether the terminal UI opens: on a terminal, without -w unless --tui asks, never with
 * --no-tui. Its spool is one classic pcap, so the interfaces must share a link type.
 */
function uiPlan(a: CaptureArgs, io: CaptureIO, interfaces: readonly LiveInterface[]): UiPlan {
  const wanted = a.tui ?? a.w === undefined;
  if (!wanted || io.terminal === undefined || a.w === '-') return { open: false };
  const kinds = new Set(interfaces.map((i) => i.linktype));
  if (kinds.size > 1) {
    return { open: false, note: `the terminal UI shows interfaces of one link type; ${interfaces.map((i) => i.name).join(', ')} differ: printing findings instead (capture them one at a time, or --no-tui)` };
  }
  return { open: true, terminal: io.terminal };
}

type AnalysisModules = [typeof import('../capture/live/live-analysis.js'), typeof import('../report/text.js')];

/**
 * Live diagnosis of every packet the capture delivers: new findings go to the terminal UI
 * when it is open, else to stdout. Subscribes at once (see runCapture); evidence names the
 * -w file when there is one growing file, whose frame numbers are the packet numbers.
 */
function startAnalysis(a: CaptureArgs, io: CaptureIO, live: LiveCapture, [{ LiveAnalysis }, { renderFinding, COLOR, PLAIN, useColor }]: AnalysisModules, uiFeed: () => CaptureFeed | null, afterUi: string[]): LiveAnalysis {
  const style = io.stdoutIsTTY && useColor(process.stdout) ? COLOR : PLAIN;
  let shown = 0;
  const analysis = new LiveAnalysis(live, {
    name: hostname(),
    intervalMs: (a.analyzeInterval ?? 5) * 1000,
    ...(a.d ? { decodeAs: a.d } : {}),
    ...(a.w !== undefined && a.w !== '-' && a.ringSize === undefined ? { file: a.w } : {}),
    onNew: (found: Finding[]) => {
      const feed = uiFeed();
      if (feed) return feed.findings(found);
      const at = new Date().toISOString().slice(11, 19);
      const lines = found.flatMap((f) => renderFinding(f, style, ++shown));
      io.stdout.write(`── ${at} new finding${found.length === 1 ? '' : 's'} ──\n${lines.join('\n')}\n\n`);
    },
    onError: (m) => {
      const feed = uiFeed();
      if (!feed) return io.stderr(`netdiag: live analysis: ${m}\n`);
      feed.message(`live analysis: ${m}`);
      afterUi.push(`live analysis: ${m}`);
    },
  });
  analysis.start();
  return analysis;
}

/** The report over everything captured, as `netdiag read` prints it. */
async function finalReport(io: CaptureIO, analysis: LiveAnalysis): Promise<void> {
  const d = await analysis.finish();
  if (d === null) {
    io.stderr('netdiag: no packets captured: nothing to diagnose\n');
    return;
  }
  const [{ buildReport }, { renderText, COLOR, PLAIN, useColor }, { version }] = await Promise.all([import('../report/report.js'), import('../report/text.js'), import('../version.js')]);
  const report = buildReport(d.model, d.findings, version(), ['netdiag', ...process.argv.slice(2)]);
  io.stdout.write('\n' + renderText(report, io.stdoutIsTTY && useColor(process.stdout) ? COLOR : PLAIN));
}
