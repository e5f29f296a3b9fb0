import type { Finding } from '../analysis/finding.js';
import { escapeControl as esc } from '../output/escape.js';
import type { Report, ReportFinding } from './report.js';
import { named, namesText } from '../k8s/names-view.js';
import { renderCorrelationText } from '../correlate/render-text.js';

/** ANSI styling, off for NO_COLOR and non-terminals. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
export const COLOR: Style = { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), green: wrap(32, 39) };
const id = (s: string) => s;
export const PLAIN: Style = { bold: id, dim: id, red: id, yellow: id, cyan: id, green: id };

export function useColor(stream: { isTTY?: boolean }): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env['TERM'] !== 'dumb';
}

function sev(f: Finding, st: Style): string {
  const label = f.severity.toUpperCase().padEnd(7);
  return f.severity === 'error' ? st.red(st.bold(label)) : f.severity === 'warning' ? st.yellow(label) : st.dim(label);
}

function time(t: number | null): string {
  if (t === null) return '-';
  const d = new Date(t * 1000);
  // Damaged captures carry timestamps no calendar holds: show the raw seconds.
  return Number.isNaN(d.getTime()) ? `${t}s` : d.toISOString().replace('T', ' ').replace('Z', '');
}

/** `name` adds the cluster's names next to addresses in the finding's text (see names-view). */
export function renderFinding(f: ReportFinding, st: Style, index: number, name: (text: string) => string = (t) => t): string[] {
  const out: string[] = [];
  out.push(`${index}. ${sev(f, st)} ${st.bold(esc(name(f.title)))}`);
  out.push(`   ${st.dim(`${f.component}${f.node ? ` · node ${f.node}${f.nodeName ? ` (${esc(f.nodeName)})` : ''}` : ''} · confidence ${Math.round(f.confidence * 100)}% · ${f.id}`)}`);
  for (const line of esc(name(f.detail)).split('\\n')) out.push(`   ${line}`);
  if (f.evidence.length) {
    out.push(`   ${st.cyan('Evidence:')}`);
    for (const e of f.evidence) {
      const pk = e.packets.length ? ` packets ${e.packets.join(', ')}${e.count > e.packets.length ? ` … (${e.count} in all)` : ''}` : e.count ? ` (${e.count})` : '';
      out.push(`     - ${esc(e.capture)}:${pk} — ${esc(name(e.note))}`);
    }
  }
  if (f.remedy.length) {
    out.push(`   ${st.cyan('Check / fix:')}`);
    for (const r of f.remedy) out.push(`     $ ${esc(r)}`);
  }
  return out;
}

/** The report an SRE reads on the node and pastes into the ticket. */
export function renderText(r: Report, st: Style = PLAIN): string {
  const out: string[] = [];
  out.push(st.bold(`netdiag ${r.netdiag.version} — ${esc(r.verdict)}`));
  out.push('');
  out.push(st.bold('Captures'));
  for (const c of r.captures) {
    const off = c.clockOffset ? ` clock offset ${c.clockOffset >= 0 ? '+' : ''}${c.clockOffset.toFixed(6)}s` : '';
    out.push(`  ${esc(c.name)}: ${c.packets} packets, ${c.formatDetail ? esc(c.formatDetail) : c.format}, ${time(c.firstTime)} → ${time(c.lastTime)}${off}`);
    if (c.flowsEvicted) out.push(`    ${st.yellow('!')} flow table full: ${c.flowsEvicted} flows evicted (least recently seen first); per-flow statistics are partial`);
    for (const p of c.problems.slice(0, 5)) out.push(`    ${p.severity === 'error' ? st.red('!') : st.yellow('!')} offset ${p.offset}: ${esc(p.message)}`);
    if (c.problems.length > 5) out.push(`    … ${c.problems.length - 5} more problems`);
  }
  out.push('');
  out.push(...namesText(r).map((l, i) => (i === 0 ? st.bold(l) : l)));
  out.push(st.bold('Topology'));
  const t = r.topology;
  if (t.cni.length) out.push(`  CNI mode: ${st.bold(t.cni[0]!.mode)} (${Math.round(t.cni[0]!.confidence * 100)}%: ${esc(t.cni[0]!.evidence.join('; '))})`);
  else out.push('  CNI mode: not recognised from these packets');
  for (const c of t.cni.slice(1)) out.push(`    also: ${c.mode} (${Math.round(c.confidence * 100)}%)`);
  for (const n of t.nodes) {
    const parts = [n.name ? `${esc(n.name)} ` : '', n.ip];
    if (n.macs.length) parts.push(` mac ${n.macs.join(',')}`);
    if (n.vtepMacs.length) parts.push(` vtep ${n.vtepMacs.join(',')}`);
    if (n.podCidrs.length) parts.push(` pods ${n.podCidrs.join(',')}`);
    out.push(`  node ${parts.join('')} ${st.dim(`[${n.roles.join(', ')}]`)}`);
  }
  out.push('');
  const problems = r.findings.filter((f) => f.severity !== 'info');
  out.push(st.bold(`Findings (${problems.length} problem${problems.length === 1 ? '' : 's'}, ${r.findings.length - problems.length} note${r.findings.length - problems.length === 1 ? '' : 's'})`));
  if (!r.findings.length) out.push('  none');
  r.findings.forEach((f, i) => {
    out.push(...renderFinding(f, st, i + 1, (t) => named(r, t)).map((l) => `  ${l}`));
    out.push('');
  });
  if (r.correlation) out.push(...renderCorrelationText(r.correlation, st), '');
  out.push(st.bold('Flows') + st.dim(` (most troubled first${r.flowsOmitted ? `; ${r.flowsOmitted} more not shown` : ''})`));
  for (const f of r.flows.slice(0, 20)) {
    const tcp = f.tcp ? ` ${f.tcp.handshake}${f.tcp.retransmissions[0] + f.tcp.retransmissions[1] ? ` retrans ${f.tcp.retransmissions[0] + f.tcp.retransmissions[1]}` : ''}` : '';
    const names = f.srcName || f.dstName ? `  [${esc(f.srcName ?? f.src)} → ${esc(f.dstName ?? f.dst)}]` : '';
    out.push(`  ${esc(f.capture)}: ${esc(f.key)}${names}  ${f.packets[0]}/${f.packets[1]} pkts${tcp}`);
  }
  return out.join('\n') + '\n';
}
