import { closeSync, openSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { Registry } from '../decode/registry.js';
import type { FieldsOptions } from '../output/fields-output.js';
import type { CaptureInfo, PacketFilter, PacketSink, ReaderProblem, SourceResult, TextOut } from '../output/packet-source.js';
import { readOptions, STDIN_TOKEN, type ReadArgs } from './options.js';

// Everything that decodes is imported inside the handler: `netdiag --help` must stay fast.

export const command = 'read [files..]';
export const describe = 'analyze capture files, or print their packets as tshark does';

export function builder<T>(y: Argv<T>): Argv<T & ReadArgs> {
  return readOptions(y)
    .example('$0 read capture.pcap', 'diagnose a capture')
    .example('$0 read node-a.pcap node-b.pcap --list', 'packet lists of two captures')
    .example('$0 read cap.pcap -Y "vxlan.vni == 1" -T fields -e ip.src -e ip.dst', 'fields of the matching packets')
    .example('$0 read cap.pcap -Y "tcp.flags.syn == 1" -w syn.pcap', 'keep just the relevant packets for a ticket');
}

/** Where a run reads and writes; the CLI passes the process's, tests their own. */
export interface ReadIO {
  stdout: Writable;
  stderr(text: string): void;
  stdoutIsTTY: boolean;
}

export interface ReadResult {
  exitCode: number;
  captures: CaptureInfo[];
  /** Reader problems reported (truncation, corruption). */
  problems: number;
}

/** Everything a read needs once the options are checked; handed to runReport. */
export interface ReadContext {
  args: ReadArgs;
  io: ReadIO;
  files: string[];
  reg: Registry;
  filter: PacketFilter | null;
  /** The text destination: --output FILE, else stdout. */
  text(): TextOut;
  /** Run the packet loop over every capture into the sinks, reporting problems on stderr. */
  run(sinks: PacketSink[], hooks?: { onProgress?(c: CaptureInfo): void }): Promise<SourceResult>;
  /** Problems reported so far. */
  problems: number;
}

function fail(io: ReadIO, message: string): ReadResult {
  io.stderr(`netdiag: ${message}\n`);
  return { exitCode: 2, captures: [], problems: 0 };
}

export function processIO(): ReadIO {
  return {
    stdout: process.stdout,
    stderr: (t) => void process.stderr.write(t),
    stdoutIsTTY: process.stdout.isTTY === true,
  };
}

export async function handler(argv: ArgumentsCamelCase<ReadArgs>): Promise<void> {
  const files = (argv.files ?? []).map((f) => (f === STDIN_TOKEN ? '-' : f));
  try {
    const r = await runRead({ ...argv, files }, processIO());
    process.exitCode = r.exitCode;
  } catch (e) {
    // The reader of a capture written to stdout went away (`netdiag read -w - | head -c 100`).
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    process.exitCode = 0;
  }
}

/** Does the command line ask for packet output rather than a report? */
export function wantsPackets(a: ReadArgs): boolean {
  return (
    a.list === true ||
    a.T !== undefined ||
    (a.e?.length ?? 0) > 0 ||
    a.V === true ||
    a.x === true ||
    a.w !== undefined ||
    a.format === 'packets'
  );
}

/** The terminal UI instead of the printed report: an interactive terminal on both ends, nothing asked of the output. */
export function wantsTui(a: ReadArgs, io: ReadIO): boolean {
  return (
    a.tui !== false &&
    io.stdoutIsTTY &&
    io.stdout === process.stdout &&
    process.stdin.isTTY === true &&
    a.output === undefined &&
    a.format === undefined &&
    !(a.files ?? []).includes('-')
  );
}

/**
 * `netdiag read`: check the options, build the registry (with -d overrides) and the filter,
 * then print packets or the report. Returns the exit code: 0 when the analysis completed,
 * 2 for usage errors or a capture that could not be read at all (the others are still read).
 */
export async function runRead(args: ReadArgs, io: ReadIO): Promise<ReadResult> {
  const files = [...(args.files ?? [])].map(String);
  if (files.length === 0) return fail(io, 'read: name at least one capture file (- for stdin)');
  if (args.c !== undefined && !(Number.isInteger(args.c) && args.c > 0)) return fail(io, `-c ${String(args.c)}: expected a positive whole number`);
  if (files.filter((f) => f === '-').length > 1) return fail(io, 'stdin (-) can be read only once');

  const [{ createRegistry, parseDecodeAs }, fieldsMod, filterMod, sourceMod] = await Promise.all([
    import('../decode/protocols.js'),
    import('../output/fields-output.js'),
    import('../filter/index.js'),
    import('../output/packet-source.js'),
  ]);

  let fieldsOptions: FieldsOptions | null = null;
  const fields = args.e ?? [];
  let T = args.T;
  if (fields.length && T === undefined) T = 'fields';
  if (T === 'fields') {
    if (!fields.length) return fail(io, '-T fields: name the fields to print with -e, e.g. -e ip.src -e ip.dst');
    const o = fieldsMod.parseFieldsOptions(args.E ?? []);
    if (typeof o === 'string') return fail(io, o);
    fieldsOptions = o;
  } else if (T === 'text' && fields.length) {
    return fail(io, '-e needs -T fields or -T json');
  }

  const reg = createRegistry();
  for (const spec of args.d ?? []) {
    const d = parseDecodeAs(spec, reg);
    if (typeof d === 'string') return fail(io, d);
    reg.setDispatch(d.table, d.key, d.proto);
  }

  const unknown = fieldsMod.unknownFields(reg, fields);
  if (unknown.length) return fail(io, unknown.join('\nnetdiag: '));

  let filter: PacketFilter | null = null;
  if (args.Y !== undefined && args.Y.trim() !== '') {
    try {
      filter = filterMod.compileFilter(reg, args.Y);
    } catch (e) {
      if (e instanceof filterMod.FilterError) {
        io.stderr(`${e.pointer()}\n`);
        return { exitCode: 2, captures: [], problems: 0 };
      }
      throw e;
    }
  }

  if (args.w !== undefined && args.w !== '-' && files.some((f) => f !== '-' && resolve(f) === resolve(args.w!))) {
    return fail(io, `-w ${args.w}: that is one of the captures being read`);
  }

  const textRequested = args.list === true || T !== undefined || args.V === true || args.x === true;
  if (args.w === '-' && textRequested && args.output === undefined) {
    return fail(io, '-w - writes the capture to stdout: send the text elsewhere with --output FILE');
  }

  let textStream: Writable | null = null;
  let textOut: TextOut | null = null;
  let outputFd: number | null = null;
  if (args.output !== undefined) {
    try {
      outputFd = openSync(args.output, 'w');
    } catch (e) {
      return fail(io, `${args.output}: ${(e as Error).message}`);
    }
  }
  const text = (): TextOut => {
    if (textOut) return textOut;
    textStream = outputFd !== null ? createWriteStream('', { fd: outputFd, autoClose: true }) : io.stdout;
    textOut = new sourceMod.TextOut(textStream);
    return textOut;
  };

  const ctx: ReadContext = {
    args,
    io,
    files,
    reg,
    filter,
    text,
    problems: 0,
    run: (sinks, hooks) =>
      sourceMod.forEachPacket({
        ...(hooks?.onProgress ? { onProgress: hooks.onProgress } : {}),
        files,
        reg,
        filter,
        ...(args.c !== undefined ? { count: args.c } : {}),
        sinks,
        onOpenError: (_path, message) => io.stderr(`netdiag: ${message}\n`),
        onProblem: (pr: ReaderProblem) => {
          ctx.problems++;
          io.stderr(`netdiag: ${pr.file}: offset ${pr.offset}: ${pr.message}\n`);
        },
      }),
  };

  let result: ReportResult;
  try {
    if (wantsPackets(args)) result = await runPackets(ctx, { T, fieldsOptions, text: textRequested || args.w === undefined });
    else if (wantsTui(args, io)) {
      // Loaded only here: --help and every printed run stay free of ink and react.
      const { runTui } = await import('../tui/index.js');
      const exitCode = await runTui({ files, decodeAs: args.d ?? [], ...(args.Y !== undefined ? { filter: args.Y } : {}), ...(args.nodeState !== undefined ? { nodeState: args.nodeState } : {}), ...(args.clusterState !== undefined || args.k8s?.length ? { cluster: { ...(args.clusterState !== undefined ? { clusterState: args.clusterState } : {}), k8s: args.k8s ?? [] } } : {}), ...(args.trace !== undefined ? { trace: args.trace } : {}), command: ['netdiag', ...process.argv.slice(2)] });
      result = { captures: [], failed: 0, stopped: false, exitCode };
    } else result = await runReport(ctx);
  } finally {
    if (textOut) await (textOut as TextOut).flush();
    const s = textStream as Writable | null;
    if (s && s !== io.stdout) await new Promise<void>((resolve) => s.end(resolve));
    else if (outputFd !== null && !s) closeSync(outputFd);
  }
  return { exitCode: result.failed > 0 ? 2 : (result.exitCode ?? 0), captures: result.captures, problems: ctx.problems };
}

interface PacketPlan {
  T: string | undefined;
  fieldsOptions: FieldsOptions | null;
  /** Print text (false when -w is the only output asked for). */
  text: boolean;
}

/** Packet output: the list, -T fields, -T json, -V detail, -x hex, and -w. */
export async function runPackets(ctx: ReadContext, plan: PacketPlan): Promise<SourceResult> {
  const { args } = ctx;
  const sinks: PacketSink[] = [];
  if (args.w !== undefined) {
    const [{ CaptureWriteSink }, { prescanLinktypes }] = await Promise.all([import('../output/write-capture.js'), import('../output/packet-source.js')]);
    const target = args.w === '-' ? ctx.io.stdout : args.w;
    // pcap holds one link type: learn them all before the first packet decides the format.
    const linktypes = ctx.files.length > 1 ? await prescanLinktypes(ctx.files) : [];
    let w: PacketSink;
    try {
      w = new CaptureWriteSink(target, { linktypes, pcapng: /\.(pcapng|ntar)(\.gz)?$/i.test(args.w), warn: (m) => ctx.io.stderr(`netdiag: ${m}\n`) });
    } catch (e) {
      ctx.io.stderr(`netdiag: ${args.w}: ${(e as Error).message}\n`);
      return { captures: [], failed: 1, stopped: false };
    }
    sinks.push(w);
  }
  if (plan.text) sinks.push(await textSink(ctx, plan));
  return ctx.run(sinks);
}

async function textSink(ctx: ReadContext, plan: PacketPlan): Promise<PacketSink> {
  const { args, reg } = ctx;
  const out = ctx.text();
  const several = ctx.files.length > 1;
  if (plan.T === 'fields') {
    const { FieldsOutput } = await import('../output/fields-output.js');
    const f = new FieldsOutput(reg, args.e ?? [], plan.fieldsOptions!, out);
    return {
      packet: (p) => f.packet(p),
      flush: () => out.flush(),
      get stopped() {
        return out.stopped;
      },
      finish: async () => {
        f.header();
        await out.flush();
      },
    };
  }
  if (plan.T === 'json') {
    const { JsonOutput } = await import('../output/json-output.js');
    const j = new JsonOutput(reg, out, { fields: args.e ?? [], captureKey: several });
    return {
      packet: (p, _rec, c) => j.packet(p, c.label),
      flush: () => out.flush(),
      get stopped() {
        return out.stopped;
      },
      finish: async () => {
        j.end();
        await out.flush();
      },
    };
  }
  const [{ PacketLister }, detail] = await Promise.all([import('../output/packet-list.js'), import('../output/detail.js')]);
  const cluster = args.clusterState !== undefined || args.k8s?.length ? await (await import('../k8s/load.js')).loadClusterArgs(args, (m) => ctx.io.stderr(`netdiag: ${m}\n`)) : null;
  const names = cluster ? new (await import('../k8s/names.js')).NameResolver(cluster) : null;
  const lister = new PacketLister(reg, names ? (a) => names.label(a) : undefined);
  const verbose = args.V === true;
  const hex = args.x === true;
  return {
    captureStart: (c) => {
      if (several && verbose) out.write(`==> ${c.label} <==\n`);
    },
    packet: (p, _rec, c) => {
      if (!verbose && !hex) return out.write(lister.line(p, several ? c.label : undefined) + '\n');
      const d = detail.packetDetail(p);
      let s = verbose ? detail.renderDetail(d) : lister.line(p, several ? c.label : undefined) + '\n';
      if (hex) s += detail.renderHex(d);
      else s += '\n';
      return out.write(s);
    },
    flush: () => out.flush(),
    get stopped() {
      return out.stopped;
    },
    finish: () => out.flush(),
  };
}

/** A report run may set its own exit code (e.g. 1 for --fail-on). */
export type ReportResult = SourceResult & { exitCode?: number };

/**
 * The report: what `netdiag read` prints without packet options. One streaming pass per
 * capture (in parallel workers for several), then the diagnosis across all of them, then
 * the chosen format. Exit code 1 when --fail-on names a severity that was found.
 */
export async function runReport(ctx: ReadContext): Promise<ReportResult> {
  const { args, io } = ctx;
  const [{ analyzeAll }, { parseCaptureArg }, { diagnose }, { buildReport }, { renderText, COLOR, PLAIN, useColor }, { renderMarkdown }, { version }] = await Promise.all([
    import('../analysis/run.js'),
    import('../analysis/pass.js'),
    import('../analysis/diagnose.js'),
    import('../report/report.js'),
    import('../report/text.js'),
    import('../report/markdown.js'),
    import('../version.js'),
  ]);
  const { safeJson } = await import('../output/json-text.js');
  const format = args.format ?? 'text';
  // stdout carries the report; yargs hands a long option's `-` value over as ''.
  if (args.evidence === '' || args.evidence === '-') {
    io.stderr('netdiag: --evidence: name the pcapng file to write, e.g. --evidence evidence.pcapng\n');
    return { captures: [], failed: 0, stopped: false, exitCode: 2 };
  }
  if (args.evidence !== undefined && args.output !== undefined && resolve(args.output) === resolve(args.evidence)) {
    io.stderr(`netdiag: --evidence ${args.evidence}: the report is written there too (--output)\n`);
    return { captures: [], failed: 0, stopped: false, exitCode: 2 };
  }
  if (args.evidence !== undefined && ctx.files.some((f) => f !== '-' && resolve(parseCaptureArg(f).path) === resolve(args.evidence!))) {
    io.stderr(`netdiag: --evidence ${args.evidence}: that is one of the captures being read\n`);
    return { captures: [], failed: 0, stopped: false, exitCode: 2 };
  }
  if (args.Y !== undefined) io.stderr('netdiag: -Y selects packets for packet output (--list, -T, -w); the report analyzes every packet\n');
  if (args.trace !== undefined) {
    const bad = (await import('../filter/index.js')).validateFilter(ctx.reg, args.trace);
    if (bad) {
      io.stderr(`netdiag: --trace: ${bad.pointer()}\n`);
      return { captures: [], failed: 0, stopped: false, exitCode: 2 };
    }
  }
  const inputs = ctx.files.map(parseCaptureArg);
  const progress = process.stderr.isTTY && io.stderr === processIO().stderr;
  let last = 0;
  const { results, failures } = await analyzeAll(inputs, {
    decodeAs: args.d ?? [],
    ...(args.trace !== undefined ? { trace: args.trace } : {}),
    ...(progress
      ? {
          onProgress: (read: number, total: number | undefined) => {
            const now = Date.now();
            if (now - last < 200) return;
            last = now;
            process.stderr.write(`\rnetdiag: reading… ${Math.round(read / 1048576)} MiB${total ? ` of ${Math.round(total / 1048576)} MiB` : ''}\u001b[K`);
          },
        }
      : {}),
  });
  if (progress && last) process.stderr.write('\r\u001b[K');
  for (const f of failures) io.stderr(`netdiag: ${f.message.startsWith(f.input.path) ? f.message : `${f.input.path}: ${f.message}`}\n`);
  for (const r of results) {
    for (const pr of r.summary.problems) {
      ctx.problems++;
      io.stderr(`netdiag: ${r.summary.file}: offset ${pr.offset}: ${pr.message}\n`);
    }
  }
  let nodeState = null;
  if (args.nodeState !== undefined) {
    const { loadNodeState } = await import('../nodestate/load.js');
    try {
      nodeState = await loadNodeState(args.nodeState);
      for (const pr of nodeState.problems ?? []) io.stderr(`netdiag: node state: ${pr}\n`);
    } catch (e) {
      io.stderr(`netdiag: --node-state ${args.nodeState}: ${(e as Error).message}\n`);
      return { captures: [], failed: 1, stopped: false, exitCode: 2 };
    }
  }
  const cluster = args.clusterState !== undefined || args.k8s?.length ? await (await import('../k8s/load.js')).loadClusterArgs(args, (m) => io.stderr(`netdiag: ${m}\n`)) : null;
  const { model, findings } = diagnose(results, nodeState, undefined, cluster, args.trace);
  // The correlation is built: its spill files go now, not at exit.
  (await import('../correlate/spill.js')).releaseSightings(results);
  const report = buildReport(model, findings, version(), ['netdiag', ...process.argv.slice(2)]);
  const out = ctx.text();
  // The packets findings cite, read back once for the key packets and for --evidence.
  let citedRead: Promise<import('../report/key-packets.js').CitedPackets> | null = null;
  const readCited = () =>
    (citedRead ??= import('../report/key-packets.js').then(async ({ readCitedPackets }) => {
      const c = await readCitedPackets(report, { decodeAs: args.d ?? [] });
      for (const pr of c.problems) io.stderr(`netdiag: ${pr}\n`);
      return c;
    }));
  if (format === 'json') out.write(safeJson(report, 2) + '\n');
  else if (format === 'markdown' || format === 'html') {
    const cited = await readCited();
    if (format === 'html') out.write((await import('../report/html.js')).renderHtml(report, { cited: cited.packets, citedProblems: cited.problems }));
    else out.write(renderMarkdown(report, { cited: cited.packets }));
  }
  else out.write(renderText(report, args.output === undefined && io.stdoutIsTTY && useColor(process.stdout) ? COLOR : PLAIN));
  if (args.evidence !== undefined) {
    const { writeEvidence } = await import('../report/evidence.js');
    const cited = await readCited();
    try {
      const w = await writeEvidence(args.evidence, report, cited.packets);
      io.stderr(`netdiag: ${args.evidence}: ${w.packets} cited packet${w.packets === 1 ? '' : 's'} from ${w.interfaces} capture point${w.interfaces === 1 ? '' : 's'}\n`);
    } catch (e) {
      io.stderr(`netdiag: --evidence ${args.evidence}: ${(e as Error).message}\n`);
      return { captures: [], failed: failures.length, stopped: false, exitCode: 2 };
    }
  }
  const threshold = args.failOn === 'warning' ? ['error', 'warning'] : args.failOn === 'error' ? ['error'] : [];
  const tripped = findings.some((f) => threshold.includes(f.severity));
  return {
    captures: [],
    failed: failures.length,
    stopped: false,
    exitCode: failures.length && !results.length ? 2 : tripped ? 1 : 0,
  };
}
