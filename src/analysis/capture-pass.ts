/**
 * One capture's analysis, fed a record at a time: decode into the reused view, extract the
 * facts, account the packet to a flow, let every analyzer look at it. `result()` may be
 * called at any point and as often as wanted (a live capture asks every few seconds): it
 * reads the state without changing it, so packets fed afterwards are analyzed exactly as
 * if it had never been called.
 */
import type { CaptureProblem } from '../capture/problems.js';
import type { InterfaceInfo } from '../capture/pcapng.js';
import type { CaptureRecord } from '../capture/record.js';
import { TRACE_FRAMES, type TracedFrames } from '../correlate/trace-frames.js';
import { Decoder } from '../decode/decoder.js';
import { createRegistry, parseDecodeAs } from '../decode/protocols.js';
import type { Registry } from '../decode/registry.js';
import { compileFilter, type CompiledFilter } from '../filter/index.js';
import type { Analyzer, PassContext } from './analyzer.js';
import { analyzers } from './analyzers/index.js';
import { PacketFacts } from './facts.js';
import { EVIDENCE_SAMPLE } from './finding.js';
import { FlowTable } from './flow-table.js';
import type { AnomalyCount, CaptureSummary } from './model.js';
import { TimelineBins, type PacketTimeline } from './packet-timeline.js';
import type { CaptureInput, CaptureResult, PassOptions } from './pass.js';

type Interface = Pick<InterfaceInfo, 'index' | 'linktype' | 'linktypeName' | 'snaplen' | 'name' | 'recv' | 'drop'>;
type Problem = Pick<CaptureProblem, 'offset' | 'severity' | 'message' | 'packet'>;

/** What the result says about where the packets came from: a file's container, or a live capture's interfaces. */
export interface CaptureOrigin {
  format: 'pcap' | 'pcapng';
  formatDetail: string;
  interfaces: readonly Interface[];
  problems: readonly Problem[];
  sizeBytes: number | null;
}

export class CapturePass {
  private readonly started = Date.now();
  private readonly reg: Registry;
  private readonly decoder: Decoder;
  private readonly facts: PacketFacts;
  private readonly flows: FlowTable;
  private readonly list: readonly Analyzer[];
  private readonly ctx: PassContext;
  private readonly states: unknown[];
  /** The analyzers with a per-packet hook: their states and bound hooks, side by side. */
  private readonly hookStates: unknown[];
  private readonly hooks: ReadonlyArray<NonNullable<Analyzer['packet']>>;
  private readonly trace: CompiledFilter | null;
  private readonly traced: TracedFrames = { packets: [], count: 0 };
  private readonly anomalyCounts: Uint32Array;
  private readonly anomalyPackets: number[][];
  private readonly timeline = new TimelineBins();
  /** Doubles from the start (valid once a packet was fed): a field that once held null boxes every time stored in it. */
  private firstTime = Number.NaN;
  private lastTime = Number.NaN;
  private bytes = 0;
  private snapped = 0;
  private maxCap = 0;
  /** Records fed so far. */
  packets = 0;

  constructor(
    private readonly input: CaptureInput,
    private readonly index: number,
    opts: PassOptions = {},
  ) {
    const reg = (this.reg = createRegistry());
    for (const spec of opts.decodeAs ?? []) {
      const d = parseDecodeAs(spec, reg);
      if (typeof d === 'string') throw new Error(d);
      reg.setDispatch(d.table, d.key, d.proto);
    }
    this.decoder = new Decoder(reg);
    this.facts = new PacketFacts(reg);
    const flows = (this.flows = new FlowTable(opts.flowCapacity));
    // Sightings cost memory per packet: only kept when there is another capture to follow them into.
    const list = (this.list = (opts.analyzers ?? analyzers).filter((a) => opts.followPackets !== false || a.name !== 'path'));
    const ctx = (this.ctx = { captureIndex: index, capture: input.name, time: 0, flowRow: -1, flowDir: 0, flows, ...(opts.spillDir !== undefined ? { spillDir: opts.spillDir } : {}) });
    this.states = list.map((a) => a.create(ctx));
    this.trace = opts.trace ? compileFilter(reg, opts.trace) : null;
    const hooked = list.flatMap((a, k) => (a.packet ? [k] : []));
    this.hookStates = hooked.map((k) => this.states[k]);
    this.hooks = hooked.map((k) => list[k]!.packet!.bind(list[k]));
    this.anomalyCounts = new Uint32Array(reg.anomalies.list.length);
    this.anomalyPackets = reg.anomalies.list.map(() => []);
  }

  /** Hot path: one record (valid during the call only). */
  packet(rec: CaptureRecord): void {
    const p = this.decoder.decode(rec, this.index);
    this.packets++;
    this.bytes += rec.wireLen;
    if (rec.capLen < rec.wireLen) this.snapped++;
    if (rec.capLen > this.maxCap) this.maxCap = rec.capLen;
    const time = rec.tsSec + rec.tsNsec / 1e9;
    if (this.packets === 1) this.firstTime = time;
    this.lastTime = time;
    this.timeline.add(time);
    const anomalyCounts = this.anomalyCounts;
    for (let k = 0; k < p.nAnomalies; k++) {
      const code = p.anomalyCode[k]!;
      if (anomalyCounts[code]!++ < EVIDENCE_SAMPLE) this.anomalyPackets[code]!.push(p.number);
    }
    const facts = this.facts;
    const ctx = this.ctx;
    facts.extract(p);
    ctx.time = time;
    ctx.flowRow = this.flows.add(facts, time, p.number, rec.wireLen);
    ctx.flowDir = this.flows.lastDir;
    const hooks = this.hooks;
    const states = this.hookStates;
    for (let a = 0; a < hooks.length; a++) hooks[a]!(states[a], facts, p, ctx);
    const trace = this.trace;
    if (trace !== null && trace.matches(p) && this.traced.count++ < TRACE_FRAMES) this.traced.packets.push(p.number);
  }

  /**
   * The result for the packets fed so far. Lists in it may be shared with the pass's state
   * and grow if more packets follow; structuredClone it to keep it as it is now.
   */
  result(origin: CaptureOrigin): CaptureResult {
    const ctx = this.ctx;
    const results: Record<string, unknown> = {};
    this.list.forEach((a, k) => (results[a.name] = a.finish(this.states[k], ctx)));
    const anomalies: AnomalyCount[] = [];
    this.anomalyCounts.forEach((count, code) => {
      if (!count) return;
      const info = this.reg.anomalies.info(code);
      anomalies.push({ id: info.id, severity: info.severity, description: info.description, count, packets: this.anomalyPackets[code]!.slice() });
    });
    const flowList = this.flows.summaries();
    const summary: CaptureSummary & { timeline: PacketTimeline | null } = {
      index: this.index,
      name: this.input.name,
      file: this.input.path,
      format: origin.format,
      formatDetail: origin.formatDetail,
      sizeBytes: origin.sizeBytes,
      packets: this.packets,
      bytes: this.bytes,
      firstTime: this.packets > 0 ? this.firstTime : null,
      lastTime: this.packets > 0 ? this.lastTime : null,
      interfaces: origin.interfaces.map((i) => ({
        index: i.index,
        linktype: i.linktype,
        linktypeName: i.linktypeName,
        snaplen: i.snaplen,
        ...(i.name !== undefined ? { name: i.name } : {}),
        ...(i.recv !== undefined ? { recv: i.recv } : {}),
        ...(i.drop !== undefined ? { drop: i.drop } : {}),
      })),
      problems: origin.problems.map((pr) => ({ offset: pr.offset, severity: pr.severity, message: pr.message, ...(pr.packet !== undefined ? { packet: pr.packet } : {}) })),
      anomalies,
      snappedPackets: this.snapped,
      maxCapturedLength: this.maxCap,
      flows: this.flows.size,
      flowsEvicted: this.flows.evicted,
      clockOffset: 0,
      clockOffsetError: null,
      durationMs: Date.now() - this.started,
      timeline: this.timeline.toJSON(),
    };
    const traced = this.trace ? { traced: { packets: this.traced.packets.slice(), count: this.traced.count } } : {};
    return { summary, flows: flowList, results, ...traced };
  }
}
