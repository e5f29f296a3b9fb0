import { statSync } from 'node:fs';
import { CaptureReader } from '../capture/reader.js';
import type { Analyzer } from './analyzer.js';
import { CapturePass } from './capture-pass.js';
import type { FlowSummary } from './flow-table.js';
import type { CaptureSummary } from './model.js';
import type { TracedFrames } from '../correlate/trace-frames.js';

export interface CaptureInput {
  /** Capture point name (NAME=FILE), else the file name. */
  name: string;
  path: string;
}

export interface PassOptions {
  decodeAs?: string[];
  flowCapacity?: number;
  /** Called now and then with bytes read so far and the total when known. */
  onProgress?: (read: number, total: number | undefined) => void;
  /** Analyzer set (defaults to every registered analyzer). */
  analyzers?: readonly Analyzer[];
  /** --trace: display filter whose matching frames are followed across captures. */
  trace?: string;
  /** Keep per-packet sightings for cross-capture correlation (default true; analyzeAll turns it off for a lone capture without --trace). */
  followPackets?: boolean;
  /** Folder for the sightings spill file (analyzeAll makes one per run); without it sightings stay in memory. */
  spillDir?: string;
}

/** What one capture's pass hands to the diagnosis step (structured-cloneable). */
export interface CaptureResult {
  summary: CaptureSummary;
  flows: FlowSummary[];
  results: Record<string, unknown>;
  /** Frames that matched --trace (when given). */
  traced?: TracedFrames;
}

export { parseCaptureArg } from './capture-arg.js';

/**
 * Read one capture in a single streaming pass: decode every packet into the reused view,
 * extract its facts, account it to a flow, and let every analyzer look at it.
 */
export async function analyzeCapture(input: CaptureInput, index: number, opts: PassOptions = {}): Promise<CaptureResult> {
  const reader = await CaptureReader.open(input.path);
  return analyzeReader(reader, input, index, opts);
}

/** The pass over an already opened reader (tests hand in in-memory captures). */
export async function analyzeReader(reader: CaptureReader, input: CaptureInput, index: number, opts: PassOptions = {}): Promise<CaptureResult> {
  const pass = new CapturePass(input, index, opts);
  let nextProgress = 0;
  const rec = reader.rec;
  for (;;) {
    while (reader.next()) pass.packet(rec);
    if (opts.onProgress && reader.bytesRead >= nextProgress) {
      opts.onProgress(reader.bytesRead, reader.size);
      nextProgress = reader.bytesRead + 16 * 1024 * 1024;
    }
    if (!(await reader.fill())) break;
  }
  await reader.close();
  let sizeBytes: number | null = null;
  try {
    if (input.path !== '-') sizeBytes = statSync(input.path).size;
  } catch {
    sizeBytes = null;
  }
  return pass.result({ format: reader.format, formatDetail: reader.formatDetail, interfaces: reader.interfaces, problems: reader.problems, sizeBytes });
}
