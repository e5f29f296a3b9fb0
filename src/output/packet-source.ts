import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { CaptureOpenError, MAX_LISTED_PROBLEMS, type CaptureProblem } from '../capture/problems.js';
import { CaptureReader } from '../capture/reader.js';
import type { CaptureRecord } from '../capture/record.js';
import { Decoder } from '../decode/decoder.js';
import type { PacketView } from '../decode/packet-view.js';
import type { Registry } from '../decode/registry.js';

/** One input capture as the outputs see it. */
export interface CaptureInfo {
  /** Position among the files given on the command line. */
  readonly index: number;
  /** The path as given (`-` for stdin). */
  readonly path: string;
  /** Short name for prefixes in multi-file output: the base name, or the path when base names clash. */
  readonly label: string;
  format: string;
  formatDetail: string;
  linktypes: number[];
  /** Packets read (before the display filter). */
  read: number;
  /** Packets that passed the display filter and went to the outputs. */
  shown: number;
  /** Anomalies counted over the packets shown. */
  anomalies: number;
  problems: number;
}

/** Something packets are handed to: a text output, a capture writer, an analyzer. */
export interface PacketSink {
  captureStart?(c: CaptureInfo): void;
  /**
   * One packet that passed the filter. The view and the record are valid only during the
   * call. Return true to ask the loop to await `flush()` before going on (backpressure).
   */
  packet(p: PacketView, rec: CaptureRecord, c: CaptureInfo): boolean | void;
  captureEnd?(c: CaptureInfo): void;
  flush?(): Promise<void>;
  /** True once the sink can take nothing more (e.g. stdout was closed by `head`). */
  readonly stopped?: boolean;
  /** Called once after the last capture, also after a failure. */
  finish?(): Promise<void>;
}

export type ReaderProblem = CaptureProblem;

export interface PacketFilter {
  matches(p: PacketView): boolean;
}

export interface SourceOptions {
  files: readonly string[];
  reg: Registry;
  filter?: PacketFilter | null;
  /** Read at most this many packets of each file (tshark's -c: counted before the filter). */
  count?: number;
  sinks: readonly PacketSink[];
  /** A capture could not be opened at all (missing, unreadable, not a capture). */
  onOpenError(path: string, message: string): void;
  onProblem(problem: ReaderProblem): void;
  /** Called after each chunk of a capture is processed. */
  onProgress?(c: CaptureInfo): void;
}

export interface SourceResult {
  captures: CaptureInfo[];
  /** Files that could not be opened. */
  failed: number;
  /** An output stopped early (closed pipe). */
  stopped: boolean;
}

/** Labels that tell several captures apart: base names, unless two share one. */
export function captureLabels(files: readonly string[]): string[] {
  const names = files.map((f) => (f === '-' ? 'stdin' : basename(f)));
  const unique = new Set(names).size === names.length;
  return unique ? names : files.map((f) => (f === '-' ? 'stdin' : f));
}

/**
 * The packet loop: open each capture in turn, decode, filter, count, and hand every
 * packet to the sinks. A capture that cannot be opened is reported and skipped; reader
 * problems (truncation, corruption) are reported as they appear and do not stop the rest.
 * Each capture gets its own decoder so frame numbers, relative times and TCP reassembly
 * start afresh, as they would in separate tshark runs.
 */
export async function forEachPacket(o: SourceOptions): Promise<SourceResult> {
  const labels = captureLabels(o.files);
  const result: SourceResult = { captures: [], failed: 0, stopped: false };
  const sinks = o.sinks;
  const filter = o.filter ?? null;
  const limit = o.count !== undefined && o.count > 0 ? o.count : Infinity;
  const stopped = () => sinks.some((s) => s.stopped === true);
  try {
    for (let index = 0; index < o.files.length && !result.stopped; index++) {
      const path = o.files[index]!;
      let r: CaptureReader;
      try {
        r = await CaptureReader.open(path);
      } catch (e) {
        if (e instanceof CaptureOpenError) {
          o.onOpenError(path, e.message);
          result.failed++;
          continue;
        }
        throw e;
      }
      const c: CaptureInfo = {
        index,
        path,
        label: labels[index]!,
        format: r.format,
        formatDetail: r.formatDetail,
        linktypes: r.interfaces.map((i) => i.linktype),
        read: 0,
        shown: 0,
        anomalies: 0,
        problems: 0,
      };
      result.captures.push(c);
      for (const s of sinks) s.captureStart?.(c);
      const dec = new Decoder(o.reg);
      // The reader lists MAX_LISTED_PROBLEMS problems, then one summary entry it keeps
      // updating: that one is reported once the capture is read.
      const reportProblems = (final: boolean) => {
        const listed = final ? r.problems.length : Math.min(r.problems.length, MAX_LISTED_PROBLEMS);
        while (c.problems < listed) o.onProblem(r.problems[c.problems++]!);
      };
      try {
        read: for (;;) {
          while (r.next()) {
            const rec = r.rec;
            c.read++;
            const p = dec.decode(rec, index);
            if (filter === null || filter.matches(p)) {
              c.shown++;
              c.anomalies += p.nAnomalies;
              let wait = false;
              for (const s of sinks) if (s.packet(p, rec, c) === true) wait = true;
              if (wait) for (const s of sinks) await s.flush?.();
              if (stopped()) {
                result.stopped = true;
                break read;
              }
            }
            if (c.read >= limit) break read;
          }
          reportProblems(false);
          for (const s of sinks) await s.flush?.();
          o.onProgress?.(c);
          if (stopped()) {
            result.stopped = true;
            break;
          }
          if (!(await r.fill())) break;
        }
        reportProblems(true);
      } finally {
        await r.close();
      }
      for (const s of sinks) s.captureEnd?.(c);
    }
  } finally {
    for (const s of sinks) await s.finish?.();
  }
  return result;
}

/**
 * Link types of the captures' interfaces, learnt by opening each one (stdin excepted) and
 * reading its headers only; unreadable files are left to the packet loop to report.
 */
export async function prescanLinktypes(files: readonly string[]): Promise<number[]> {
  const out = new Set<number>();
  for (const f of files) {
    if (f === '-') continue;
    try {
      const r = await CaptureReader.open(f);
      for (const i of r.interfaces) out.add(i.linktype);
      await r.close();
    } catch (e) {
      if (!(e instanceof CaptureOpenError)) throw e;
    }
  }
  return [...out];
}

/**
 * Buffered text to a stream. Lines are gathered into large writes; when the stream
 * pushes back, the packet loop waits. A closed pipe (`netdiag read … | head`) stops
 * the output quietly instead of failing.
 */
export class TextOut {
  private buf = '';
  private broken = false;
  private error: Error | null = null;

  constructor(
    private readonly stream: Writable,
    private readonly highWater = 1 << 16,
  ) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.broken = true;
      else this.error = e;
    });
  }

  get stopped(): boolean {
    return this.broken;
  }

  /** Queue text; true when enough is queued that the caller should await flush(). */
  write(s: string): boolean {
    if (this.broken) return false;
    this.buf += s;
    return this.buf.length >= this.highWater;
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error;
    const text = this.buf;
    this.buf = '';
    if (text === '' || this.broken) return;
    if (this.stream.destroyed || this.stream.writableEnded) {
      this.broken = true;
      return;
    }
    if (!this.stream.write(text)) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
      this.stream.once('error', done);
    });
  }
}
