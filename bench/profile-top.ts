/**
 * The heaviest frames of a V8 CPU profile (`node --cpu-prof`) by self time.
 *
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [--top N] [--markdown]
 *
 * Self time is what the sampler saw executing in the frame itself (not in its
 * callees), from each sample's time delta; frames are merged by function, file
 * and line, so one function reached by several paths is one row.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
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
  if (file.startsWith(root + '/')) file = relative(root, file);
  return `${file}:${cf.lineNumber + 1}`;
}

/** Self time per frame, heaviest first; `total` is the profile's sampled time. */
export function topFrames(p: CpuProfile, n: number, root = process.cwd()): { rows: FrameRow[]; totalMs: number } {
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
    const name = cf.functionName || (cf.url ? '(anonymous)' : '(program)');
    const where = location(cf, root);
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
  const file = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--top');
  if (!file) {
    process.stderr.write('usage: bench/profile-top.ts FILE.cpuprofile [--top N] [--markdown]\n');
    process.exit(2);
  }
  const ti = argv.indexOf('--top');
  const n = ti >= 0 ? Number(argv[ti + 1]) : 15;
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(formatTop(topFrames(prof, n), argv.includes('--markdown')));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
