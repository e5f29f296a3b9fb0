/**
 * What the hostile-input tests and the fuzzer run on every input: the reader, the decoder
 * in audit mode with each record in a Buffer of exactly its length, every field getter,
 * summary and packet output of every layer, then the analysis pass, the diagnosis and the
 * reports. An exception thrown by netdiag's code propagates (that is the bug found); a
 * broken invariant throws an InvariantError saying which.
 */
import { CaptureOpenError, CaptureReader } from '../src/capture/reader.js';
import { emptyRecord, type CaptureRecord } from '../src/capture/record.js';
import { MAX_CAPLEN } from '../src/capture/source.js';
import { setAudit } from '../src/decode/audit.js';
import { auditedReads } from '../src/decode/bytes.js';
import { Decoder } from '../src/decode/decoder.js';
import { FieldSink, V_BYTES, V_NUM, V_STR, V_TIME } from '../src/decode/field-sink.js';
import { MAX_ANOMALIES, MAX_LAYERS, MAX_TUNNEL_DEPTH, type PacketView } from '../src/decode/packet-view.js';
import { createRegistry } from '../src/decode/protocols.js';
import type { Registry } from '../src/decode/registry.js';
import { formatValue } from '../src/output/field-format.js';
import { JsonOutput } from '../src/output/json-output.js';
import { PacketLister } from '../src/output/packet-list.js';
import { packetDetail, renderDetail } from '../src/output/detail.js';
import { analyzeReader, type CaptureResult } from '../src/analysis/pass.js';
import { diagnose } from '../src/analysis/diagnose.js';
import { buildReport } from '../src/report/report.js';
import { renderText } from '../src/report/text.js';
import { renderMarkdown } from '../src/report/markdown.js';

/** A property of the decoded packet or of the reader's output that does not hold. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Characters no text output may carry raw: C0 except \t and \n, DEL, C1, bidi controls. */
export const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The work bound: audited reads per byte the packet makes the decoder look at (its own
 * bytes plus reassembled ones), plus a constant for the per-layer fixed reads. Real and
 * crafted packets stay far below it; anything quadratic in the packet length does not.
 */
export const READS_PER_BYTE = 16;
export const READS_BASE = 4096;

export interface AuditStats {
  packets: number;
  maxLayers: number;
  /** Largest number of audited reads one decode, or one field getter, needed. */
  maxReads: number;
  /** Largest reads / (bytes + READS_BASE / READS_PER_BYTE) ratio seen, for reporting. */
  maxReadRatio: number;
  /** Slowest decode + fields + outputs of a packet, in ms (reported, not asserted). */
  maxMs: number;
  /** Distinct (protocol, depth) and anomaly ids reached: a cheap coverage measure. */
  reached: Set<string>;
}

function fail(p: PacketView, what: string): never {
  throw new InvariantError(`packet ${p.number} (linktype ${p.linktype}, ${p.capLen} bytes): ${what}`);
}

export interface AuditorOptions {
  /** Also build the packet list line, the JSON object and the detail tree of each packet. */
  outputs?: boolean;
  /** Record (protocol, depth, anomaly) tuples in stats.reached. */
  track?: boolean;
}

/**
 * Decodes packets in audit mode and checks each one. One auditor per sequence of packets
 * (decoder state such as BGP stream reassembly carries over between them; reset() drops it).
 */
export class PacketAuditor {
  readonly reg: Registry;
  dec: Decoder;
  readonly stats: AuditStats = { packets: 0, maxLayers: 0, maxReads: 0, maxReadRatio: 0, maxMs: 0, reached: new Set() };
  private readonly sink = new FieldSink();
  private readonly rec: CaptureRecord = emptyRecord();
  private readonly lister: PacketLister;
  private readonly json: JsonOutput;
  private readonly frameId: number;

  constructor(
    reg: Registry = createRegistry(),
    private readonly opts: AuditorOptions = {},
  ) {
    this.reg = reg;
    this.dec = new Decoder(reg);
    this.lister = new PacketLister(reg);
    this.json = new JsonOutput(reg, { write: () => true });
    this.frameId = reg.id('frame');
  }

  /** Forget per-pass decoder state (a new capture). */
  reset(): void {
    this.dec = new Decoder(this.reg);
  }

  /**
   * Decode bytes handed over in a Buffer of exactly their length (copied), so a read past
   * the record throws, and check the result.
   */
  packet(bytes: Buffer, linktype: number, meta: Partial<CaptureRecord> = {}): PacketView {
    const r = this.rec;
    r.buf = Buffer.from(bytes);
    r.off = 0;
    r.capLen = bytes.length;
    r.wireLen = meta.wireLen ?? bytes.length;
    r.linktype = linktype;
    r.number = meta.number ?? this.stats.packets + 1;
    r.tsSec = meta.tsSec ?? 1_700_000_000;
    r.tsNsec = meta.tsNsec ?? 0;
    r.ifIndex = meta.ifIndex ?? 0;
    r.comment = meta.comment ?? null;
    r.comments = meta.comments ?? null;
    r.flags = meta.flags ?? 0;
    r.fileOffset = meta.fileOffset ?? 0;
    return this.run(r);
  }

  /** A record as a reader hands it out, copied into a Buffer of its own length. */
  record(rec: CaptureRecord): PacketView {
    return this.packet(rec.buf.subarray(rec.off, rec.off + rec.capLen), rec.linktype, rec);
  }

  private run(r: CaptureRecord): PacketView {
    setAudit(true);
    try {
      const t0 = performance.now();
      const before = auditedReads();
      const p = this.dec.decode(r);
      const reads = auditedReads() - before;
      this.seen = p.capLen;
      for (let i = 0; i < p.nLayers; i++) if (p.layerBuf[i] !== p.buf) this.seen += p.end[i]! - p.start[i]!;
      this.work(p, reads, 'the decoder');
      this.check(p);
      if (this.opts.outputs) this.outputs(p);
      const st = this.stats;
      st.packets++;
      if (p.nLayers > st.maxLayers) st.maxLayers = p.nLayers;
      const ms = performance.now() - t0;
      if (ms > st.maxMs) st.maxMs = ms;
      if (this.opts.track) this.track(p);
      return p;
    } finally {
      setAudit(false);
    }
  }

  /** Bytes the current packet lets the decoder see (its own plus reassembled ones). */
  private seen = 0;

  /** One decode, or one field getter, may read each byte a bounded number of times. */
  private work(p: PacketView, reads: number, who: string): void {
    const st = this.stats;
    if (reads > READS_PER_BYTE * this.seen + READS_BASE) fail(p, `${who} made ${reads} reads for ${this.seen} bytes: work is not linear in the packet`);
    if (reads > st.maxReads) st.maxReads = reads;
    const ratio = reads / (this.seen + READS_BASE / READS_PER_BYTE);
    if (ratio > st.maxReadRatio) st.maxReadRatio = ratio;
  }

  private track(p: PacketView): void {
    const reached = this.stats.reached;
    const ds = this.reg.dissectors;
    for (let i = 0; i < p.nLayers; i++) reached.add(`${ds[p.proto[i]!]!.name}@${p.depth[i]}`);
    for (let k = 0; k < p.nAnomalies; k++) reached.add(`!${this.reg.anomalies.info(p.anomalyCode[k]!).id}@${p.depth[p.anomalyLayer[k]!] ?? 0}`);
  }

  /** The properties every decoded packet has, whatever its bytes. */
  check(p: PacketView): void {
    const reg = this.reg;
    const nProto = reg.dissectors.length;
    if (p.nLayers < 1 || p.nLayers > MAX_LAYERS) fail(p, `${p.nLayers} layers`);
    if (p.proto[0] !== this.frameId) fail(p, 'the first layer is not frame');
    for (let i = 0; i < p.nLayers; i++) {
      const proto = p.proto[i]!;
      if (proto < 1 || proto >= nProto) fail(p, `layer ${i} has protocol id ${proto}`);
      const name = reg.dissectors[proto]!.name;
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const h = p.hdrEnd[i]!;
      const e = p.end[i]!;
      if (!(s >= 0 && s <= h && h <= e && e <= b.length)) fail(p, `layer ${i} (${name}) spans start ${s} header end ${h} end ${e} in a buffer of ${b.length}`);
      if (b === p.buf && (s < p.base || e > p.base + p.capLen)) fail(p, `layer ${i} (${name}) [${s}, ${e}) lies outside the record [${p.base}, ${p.base + p.capLen})`);
      if (p.depth[i]! > MAX_TUNNEL_DEPTH) fail(p, `layer ${i} (${name}) at tunnel depth ${p.depth[i]}`);
    }
    if (p.nAnomalies > MAX_ANOMALIES) fail(p, `${p.nAnomalies} anomalies`);
    const nAnom = reg.anomalies.list.length;
    for (let k = 0; k < p.nAnomalies; k++) {
      const code = p.anomalyCode[k]!;
      if (code < 1 || code >= nAnom) fail(p, `anomaly code ${code} is not in the registry`);
      if (p.anomalyLayer[k]! >= p.nLayers) fail(p, `anomaly ${reg.anomalies.info(code).id} names layer ${p.anomalyLayer[k]} of ${p.nLayers}`);
    }
    this.fields(p);
  }

  /** Every field getter and summary of every layer, and every value formatted as printed. */
  private fields(p: PacketView): void {
    const sink = this.sink;
    const ds = this.reg.dissectors;
    for (let i = 0; i < p.nLayers; i++) {
      const d = ds[p.proto[i]!]!;
      for (const def of d.fields) {
        sink.reset();
        const before = auditedReads();
        def.get(p, i, sink);
        this.work(p, auditedReads() - before, def.name);
        for (let k = 0; k < sink.n; k++) {
          const kind = sink.kind[k];
          if (kind === V_NUM) {
            if (!Number.isFinite(sink.num[k])) fail(p, `${def.name} is ${sink.num[k]} (a read outside the buffer?)`);
          } else if (kind === V_BYTES) {
            const b = sink.buf[k]!;
            const o = sink.off[k]!;
            const n = sink.len[k]!;
            if (!(o >= 0 && n >= 0 && o + n <= b.length)) fail(p, `${def.name} points at [${o}, ${o + n}) of a ${b.length}-byte buffer`);
            if (b === p.buf && (o < p.base || o + n > p.base + p.capLen)) fail(p, `${def.name} points outside the record`);
          } else if (kind === V_TIME) {
            if (!Number.isFinite(sink.num[k]) || !Number.isFinite(sink.off[k])) fail(p, `${def.name} is not a time`);
          } else if (kind !== V_STR) fail(p, `${def.name} pushed a value of kind ${kind}`);
          const text = formatValue(def, sink, k);
          if (CONTROL.test(text) || text.includes('\n')) fail(p, `${def.name} prints a control character: ${JSON.stringify(text)}`);
        }
      }
      if (d.summary) {
        const s = d.summary(p, i);
        if (typeof s !== 'string') fail(p, `${d.name} summary is not a string`);
      }
    }
  }

  /** The packet list line, JSON object and detail tree: none throws, none carries a control character. */
  private outputs(p: PacketView): void {
    const line = this.lister.line(p, 'capture');
    if (CONTROL.test(line) || line.includes('\n')) fail(p, `list line carries a control character: ${JSON.stringify(line)}`);
    const obj = JSON.stringify(this.json.packetObject(p, 'capture'));
    if (CONTROL.test(obj)) fail(p, `JSON carries a control character`);
    const detail = renderDetail(packetDetail(p));
    if (CONTROL.test(detail)) fail(p, `detail carries a control character`);
  }
}

export interface CaptureAudit {
  /** False when the reader refused the input (CaptureOpenError). */
  opened: boolean;
  refusal?: string;
  records: number;
  problems: number;
}

/**
 * Read a capture held in memory and audit every record. The reader must only refuse
 * with CaptureOpenError, hand out records inside its buffer and numbered in order, and
 * give problems with an offset inside the data and a message.
 */
export function auditCapture(buf: Buffer, name: string, auditor: PacketAuditor): CaptureAudit {
  let r: CaptureReader;
  try {
    r = CaptureReader.fromBuffer(buf, name);
  } catch (e) {
    if (e instanceof CaptureOpenError) return { opened: false, refusal: e.message, records: 0, problems: 0 };
    throw e;
  }
  auditor.reset();
  const rec = r.rec;
  let n = 0;
  // Each next() consumes at least one record header's worth of input: more calls than
  // bytes would mean it no longer advances.
  const limit = buf.length + 16;
  while (r.next()) {
    if (++n > limit) throw new InvariantError(`${name}: the reader delivered more records than the input has bytes`);
    if (rec.number !== n) throw new InvariantError(`${name}: record ${n} is numbered ${rec.number}`);
    if (!(rec.off >= 0 && rec.capLen >= 0 && rec.capLen <= MAX_CAPLEN && rec.off + rec.capLen <= rec.buf.length)) {
      throw new InvariantError(`${name}: record ${n} at [${rec.off}, ${rec.off + rec.capLen}) of a ${rec.buf.length}-byte buffer`);
    }
    auditor.record(rec);
  }
  checkProblems(r, name);
  return { opened: true, records: n, problems: r.problemCount };
}

function checkProblems(r: CaptureReader, name: string): void {
  const size = r.gzip ? Infinity : (r.size ?? Infinity);
  for (const pr of r.problems) {
    if (!(pr.offset >= 0 && pr.offset <= size)) throw new InvariantError(`${name}: problem at offset ${pr.offset} (input is ${size} bytes): ${pr.message}`);
    if (typeof pr.message !== 'string' || pr.message.length < 10) throw new InvariantError(`${name}: problem without a message at offset ${pr.offset}`);
    if (pr.file !== name) throw new InvariantError(`${name}: problem names file ${pr.file}`);
  }
}

export interface PipelineResult {
  opened: boolean;
  result?: CaptureResult;
  text?: string;
  markdown?: string;
}

/**
 * The whole pipeline in audit mode: the analysis pass, the diagnosis, the report and its
 * text and Markdown renderings. None may throw; the renderings carry no control character.
 */
export async function auditPipeline(buf: Buffer, name: string, flowCapacity = 256, command: string[] = ['netdiag', 'read', name]): Promise<PipelineResult> {
  let r: CaptureReader;
  try {
    r = CaptureReader.fromBuffer(buf, name);
  } catch (e) {
    if (e instanceof CaptureOpenError) return { opened: false };
    throw e;
  }
  setAudit(true);
  try {
    const result = await analyzeReader(r, { name, path: '-' }, 0, { flowCapacity });
    const { model, findings } = diagnose([result], null);
    const report = buildReport(model, findings, '0.0.0', command);
    const text = renderText(report);
    const markdown = renderMarkdown(report);
    const bad = CONTROL.exec(text) ?? CONTROL.exec(markdown);
    if (bad) throw new InvariantError(`${name}: a report carries control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`);
    return { opened: true, result, text, markdown };
  } finally {
    setAudit(false);
  }
}
