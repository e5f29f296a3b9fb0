import { basename } from 'node:path';
import { statSync } from 'node:fs';
import { CaptureReader } from '../capture/reader.js';
import { Decoder } from '../decode/decoder.js';
import { createRegistry, parseDecodeAs } from '../decode/protocols.js';
import type { Analyzer, PassContext } from './analyzer.js';
import { analyzers } from './analyzers/index.js';
import { PacketFacts } from './facts.js';
import { EVIDENCE_SAMPLE } from './finding.js';
import { FlowTable, type FlowSummary } from './flow-table.js';
import type { AnomalyCount, CaptureSummary } from './model.js';
import { TimelineBins, type PacketTimeline } from './packet-timeline.js';
import { compileFilter } from '../filter/index.js';
import { TRACE_FRAMES, type TracedFrames } from '../correlate/trace-frames.js';

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

/** `NAME=FILE` names a capture point; a bare path is named after its file. */
export function parseCaptureArg(arg: string): CaptureInput {
  const eq = arg.indexOf('=');
  if (eq > 0 && !arg.slice(0, eq).includes('/')) return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
  return { name: arg === '-' ? 'stdin' : basename(arg), path: arg };
}

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
  const started = Date.now();
  const reg = createRegistry();
  for (const spec of opts.decodeAs ?? []) {
    const d = parseDecodeAs(spec, reg);
    if (typeof d === 'string') throw new Error(d);
    reg.setDispatch(d.table, d.key, d.proto);
  }
  const decoder = new Decoder(reg);
  const facts = new PacketFacts(reg);
  const flows = new FlowTable(opts.flowCapacity);
  // Sightings cost memory per packet: only kept when there is another capture to follow them into.
  const list = (opts.analyzers ?? analyzers).filter((a) => opts.followPackets !== false || a.name !== 'path');
  const ctx: PassContext = { captureIndex: index, capture: input.name, time: 0, flowRow: -1, flowDir: 0, flows, ...(opts.spillDir !== undefined ? { spillDir: opts.spillDir } : {}) };
  const states = list.map((a) => a.create(ctx));
  const trace = opts.trace ? compileFilter(reg, opts.trace) : null;
  const traced: TracedFrames = { packets: [], count: 0 };
  const withPacket = list.map((a) => a.packet?.bind(a));

  const anomalyCounts = new Uint32Array(reg.anomalies.list.length);
  const anomalyPackets: number[][] = reg.anomalies.list.map(() => []);
  let packets = 0;
  let bytes = 0;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  let snapped = 0;
  let maxCap = 0;
  let nextProgress = 0;
  const rec = reader.rec;
  const timeline = new TimelineBins();

  for (;;) {
    while (reader.next()) {
      const p = decoder.decode(rec, index);
      packets++;
      bytes += rec.wireLen;
      if (rec.capLen < rec.wireLen) snapped++;
      if (rec.capLen > maxCap) maxCap = rec.capLen;
      const time = rec.tsSec + rec.tsNsec / 1e9;
      if (firstTime === null) firstTime = time;
      lastTime = time;
      timeline.add(time);
      for (let k = 0; k < p.nAnomalies; k++) {
        const code = p.anomalyCode[k]!;
        if (anomalyCounts[code]!++ < EVIDENCE_SAMPLE) anomalyPackets[code]!.push(p.number);
      }
      facts.extract(p);
      ctx.time = time;
      ctx.flowRow = flows.add(facts, time, p.number, rec.wireLen);
      ctx.flowDir = flows.lastDir;
      for (let a = 0; a < withPacket.length; a++) {
        const fn = withPacket[a];
        if (fn !== undefined) fn(states[a], facts, p, ctx);
      }
      if (trace !== null && trace.matches(p) && traced.count++ < TRACE_FRAMES) traced.packets.push(p.number);
    }
    if (opts.onProgress && reader.bytesRead >= nextProgress) {
      opts.onProgress(reader.bytesRead, reader.size);
      nextProgress = reader.bytesRead + 16 * 1024 * 1024;
    }
    if (!(await reader.fill())) break;
  }
  await reader.close();

  const results: Record<string, unknown> = {};
  list.forEach((a, k) => (results[a.name] = a.finish(states[k], ctx)));
  const anomalies: AnomalyCount[] = [];
  anomalyCounts.forEach((count, code) => {
    if (!count) return;
    const info = reg.anomalies.info(code);
    anomalies.push({ id: info.id, severity: info.severity, description: info.description, count, packets: anomalyPackets[code]! });
  });
  let sizeBytes: number | null = null;
  try {
    if (input.path !== '-') sizeBytes = statSync(input.path).size;
  } catch {
    sizeBytes = null;
  }
  const flowList = flows.summaries();
  const summary: CaptureSummary & { timeline: PacketTimeline | null } = {
    index,
    name: input.name,
    file: input.path,
    format: reader.format,
    formatDetail: reader.formatDetail,
    sizeBytes,
    packets,
    bytes,
    firstTime,
    lastTime,
    interfaces: reader.interfaces.map((i) => ({
      index: i.index,
      linktype: i.linktype,
      linktypeName: i.linktypeName,
      snaplen: i.snaplen,
      ...(i.name !== undefined ? { name: i.name } : {}),
      ...(i.recv !== undefined ? { recv: i.recv } : {}),
      ...(i.drop !== undefined ? { drop: i.drop } : {}),
    })),
    problems: reader.problems.map((pr) => ({ offset: pr.offset, severity: pr.severity, message: pr.message, ...(pr.packet !== undefined ? { packet: pr.packet } : {}) })),
    anomalies,
    snappedPackets: snapped,
    maxCapturedLength: maxCap,
    flows: flows.size,
    flowsEvicted: flows.evicted,
    clockOffset: 0,
    clockOffsetError: null,
    durationMs: Date.now() - started,
    timeline: timeline.toJSON(),
  };
  return { summary, flows: flowList, results, ...(trace ? { traced } : {}) };
}
