/**
 * The heaviest frames of a V8 CPU profile (`node --cpu-prof`) by self time.
 *
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [--top N] [--markdown] [--by-file] [--inside FUNCTION]
 *
 * Self time is what the sampler saw executing in the frame itself (not in its
 * callees), from each sample's time delta; frames are merged by function, file
 * and line, so one function reached by several paths is one row (--by-file: one row per
 * file). Compiled frames are shown at their TypeScript source when dist/ has source maps.
 * --inside prints instead the time spent inside one function, callees included (the
 * correlation stage: `--inside correlate` on a profile of `node dist/src/cli.js read A B`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FrameRow {
  name: string;
  /** file:line (1-based), relative to the working directory when inside it. */
  where: string;
  selfMs: number;
  share: number;
}

// ------------------------------------------------------------------ source maps

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line: segments [generated column, source index, source line, source column]. */
type Mappings = Array<Array<[number, number, number, number]>>;

function decodeMappings(text: string): Mappings {
  const lines: Mappings = [];
  let src = 0;
  let sLine = 0;
  let sCol = 0;
  for (const line of text.split(';')) {
    const segs: Array<[number, number, number, number]> = [];
    let gCol = 0;
    for (const seg of line.split(',')) {
      if (seg === '') continue;
      const v: number[] = [];
      let shift = 0;
      let acc = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        acc += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          v.push(acc & 1 ? -(acc >>> 1) : acc >>> 1);
          acc = 0;
          shift = 0;
        }
      }
      gCol += v[0]!;
      if (v.length >= 4) {
        src += v[1]!;
        sLine += v[2]!;
        sCol += v[3]!;
        segs.push([gCol, src, sLine, sCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

interface SourceMap {
  sources: string[];
  dir: string;
  mappings: Mappings;
}

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | null {
  if (maps.has(file)) return maps.get(file)!;
  let m: SourceMap | null = null;
  try {
    const raw = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; sourceRoot?: string; mappings: string };
    m = { sources: raw.sources.map((s) => join(raw.sourceRoot ?? '', s)), dir: dirname(file), mappings: decodeMappings(raw.mappings) };
  } catch {
    m = null;
  }
  maps.set(file, m);
  return m;
}

/** The TypeScript position a compiled position came from, when dist/ has its source map. */
function original(file: string, line: number, col: number): { file: string; line: number } | null {
  const m = sourceMapOf(file);
  const segs = m?.mappings[line];
  if (!m || !segs || segs.length === 0) return null;
  let best = segs[0]!;
  for (const s of segs) if (s[0] <= col) best = s;
  return { file: resolve(m.dir, m.sources[best[1]]!), line: best[2] };
}

function location(cf: CallFrame, root: string): string {
  if (!cf.url) return '';
  let file = cf.url;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      /* keep the URL */
    }
  }
  let line = cf.lineNumber;
  if (file.endsWith('.js')) {
    const o = original(file, cf.lineNumber, cf.columnNumber);
    if (o) {
      file = o.file;
      line = o.line;
    }
  }
  if (file.startsWith(root + '/')) file = relative(root, file);
  return `${file}:${line + 1}`;
}

/** Self time per frame (or per file with `byFile`), heaviest first; `total` is the profile's sampled time. */
export function topFrames(p: CpuProfile, n: number, root = process.cwd(), byFile = false): { rows: FrameRow[]; totalMs: number } {
  const byId = new Map<number, ProfileNode>();
  for (const node of p.nodes) byId.set(node.id, node);
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // A sample's delta is the time since the previous one: charge each interval to the sample that ends it.
    for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + Math.max(0, deltas[i]!));
  } else {
    const per = (p.endTime - p.startTime) / Math.max(1, p.nodes.reduce((a, x) => a + (x.hitCount ?? 0), 0));
    for (const node of p.nodes) self.set(node.id, (node.hitCount ?? 0) * per);
  }
  const merged = new Map<string, FrameRow>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const cf = node.callFrame;
    const loc = location(cf, root);
    const name = byFile ? (loc ? loc.replace(/:\d+$/, '') : cf.functionName || '(program)') : cf.functionName || (cf.url ? '(anonymous)' : '(program)');
    const where = byFile ? '' : loc;
    const key = `${name}\u0000${where}`;
    let row = merged.get(key);
    if (!row) merged.set(key, (row = { name, where, selfMs: 0, share: 0 }));
    row.selfMs += us / 1000;
    total += us / 1000;
  }
  const rows = [...merged.values()].sort((a, b) => b.selfMs - a.selfMs);
  for (const r of rows) r.share = total > 0 ? r.selfMs / total : 0;
  return { rows: rows.slice(0, n), totalMs: total };
}

/** Milliseconds of samples taken inside a frame of function `name` (its file matching `url`), callees included. */
export function insideMs(p: CpuProfile, name: string, url: RegExp = /./): number {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const inside = new Set<number>();
  const mark = (id: number): void => {
    if (inside.has(id)) return;
    inside.add(id);
    for (const c of byId.get(id)?.children ?? []) mark(c);
  };
  for (const n of p.nodes) if (n.callFrame.functionName === name && url.test(n.callFrame.url)) mark(n.id);
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let us = 0;
  for (let i = 0; i < samples.length; i++) if (inside.has(samples[i]!)) us += Math.max(0, deltas[i] ?? 0);
  return us / 1000;
}

export function formatTop(t: { rows: FrameRow[]; totalMs: number }, markdown: boolean): string {
  if (markdown) {
    const lines = ['| # | self ms | self % | function | where |', '| ---: | ---: | ---: | --- | --- |'];
    t.rows.forEach((r, i) => lines.push(`| ${i + 1} | ${r.selfMs.toFixed(0)} | ${(100 * r.share).toFixed(1)} | \`${r.name}\` | ${r.where ? `\`${r.where}\`` : ''} |`));
    lines.push('', `Sampled time: ${t.totalMs.toFixed(0)} ms.`);
    return lines.join('\n') + '\n';
  }
  const lines = [`  #  self ms  self %  function                                  where`];
  t.rows.forEach((r, i) =>
    lines.push(`${String(i + 1).padStart(3)} ${r.selfMs.toFixed(0).padStart(8)} ${(100 * r.share).toFixed(1).padStart(6)}%  ${r.name.padEnd(40).slice(0, 40)}  ${r.where}`),
  );
  lines.push(`sampled time: ${t.totalMs.toFixed(0)} ms`);
  return lines.join('\n') + '\n';
}

function main(argv: string[]): void {
  const file = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--top' && argv[i - 1] !== '--inside');
  if (!file) {
    process.stderr.write('usage: bench/profile-top.ts FILE.cpuprofile [--top N] [--markdown] [--by-file] [--inside FUNCTION]\n');
    process.exit(2);
  }
  const ti = argv.indexOf('--top');
  const n = ti >= 0 ? Number(argv[ti + 1]) : 15;
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const ii = argv.indexOf('--inside');
  if (ii >= 0) {
    const name = argv[ii + 1] ?? '';
    const total = (prof.timeDeltas ?? []).reduce((a, d) => a + Math.max(0, d), 0) / 1000;
    process.stdout.write(`inside ${name}(): ${insideMs(prof, name).toFixed(0)} ms of ${total.toFixed(0)} ms sampled\n`);
    return;
  }
  process.stdout.write(formatTop(topFrames(prof, n, process.cwd(), argv.includes('--by-file')), argv.includes('--markdown')));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
