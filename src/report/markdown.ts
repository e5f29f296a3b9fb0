import { escapeMarkdown as md } from '../output/escape.js';
import { interfaces } from './html-tables.js';
import type { CitedPacket } from './key-packets.js';
import { fenced, flowsMarkdown, keyPacketsMarkdown, pathText, timelineMarkdown } from './markdown-sections.js';
import { podPath } from './path.js';
import type { Report } from './report.js';
import { named, namesMarkdown } from '../k8s/names-view.js';
import { renderCorrelationMarkdown } from '../correlate/render-text.js';

export interface MarkdownExtras {
  /** Cited packets read back from the captures: the key packets section. */
  cited?: readonly CitedPacket[];
}

/** Markdown for a ticket (GitHub/GitLab/Jira render it): tables, collapsible detail. */
export function renderMarkdown(r: Report, extras: MarkdownExtras = {}): string {
  const out: string[] = [];
  const code = (s: string) => '`' + s.replace(/`/g, "'").replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?') + '`';
  out.push(`## netdiag: ${md(r.verdict)}`);
  out.push('');
  out.push('| # | Severity | Component | Node | Finding | Confidence |');
  out.push('|---|---|---|---|---|---|');
  r.findings.forEach((f, i) => out.push(`| ${i + 1} | ${f.severity} | ${f.component} | ${f.node ?? ''}${f.nodeName ? ` (${md(f.nodeName)})` : ''} | ${md(named(r, f.title))} | ${Math.round(f.confidence * 100)}% |`));
  if (!r.findings.length) out.push('| | | | | none | |');
  out.push('');
  out.push('**Path** (as inferred from the captures; `✕` marks where packets die):');
  out.push('');
  out.push(...fenced(pathText(r, podPath(r))));
  out.push('');
  r.findings.forEach((f, i) => {
    out.push(`### ${i + 1}. ${md(named(r, f.title))}`);
    out.push('');
    // One paragraph per line of the detail: escaping would show a newline as a literal \n.
    for (const line of named(r, f.detail).split('\n')) out.push(md(line), '');
    if (f.evidence.length) {
      out.push('| Capture | Packets | Count | What |');
      out.push('|---|---|---|---|');
      for (const e of f.evidence) out.push(`| ${md(e.capture)} | ${e.packets.join(', ')} | ${e.count} | ${md(named(r, e.note))} |`);
      out.push('');
    }
    if (f.remedy.length) {
      out.push('Check / fix on the node:');
      out.push('');
      out.push('```sh');
      for (const x of f.remedy) out.push(x.replace(/```/g, "'''").replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?'));
      out.push('```');
      out.push('');
    }
  });
  out.push(...namesMarkdown(r));
  out.push('<details><summary>Topology</summary>');
  out.push('');
  const t = r.topology;
  out.push(`CNI mode: ${t.cni.length ? `**${md(t.cni[0]!.mode)}** (${md(t.cni[0]!.evidence.join('; '))})` : 'not recognised'}`);
  out.push('');
  out.push('| Node | MACs | VTEP MACs | Pod CIDRs | Roles |');
  out.push('|---|---|---|---|---|');
  for (const n of t.nodes) out.push(`| ${n.name ? md(n.name) + ' ' : ''}${n.ip} | ${n.macs.join(', ')} | ${n.vtepMacs.join(', ')} | ${n.podCidrs.join(', ')} | ${n.roles.join(', ')} |`);
  out.push('');
  out.push('</details>');
  out.push('');
  out.push(...timelineMarkdown(r));
  out.push(...flowsMarkdown(r));
  if (r.correlation) out.push(...renderCorrelationMarkdown(r.correlation, md), '');
  if (extras.cited) out.push(...keyPacketsMarkdown(r, extras.cited));
  out.push('<details><summary>Captures</summary>');
  out.push('');
  out.push('| Capture | Packets | Bytes | Format | Interfaces | First | Last | Clock offset | Drops | Problems | Flows evicted |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of r.captures) {
    const drops = c.interfaces.filter((i) => i.drop !== undefined).reduce((a, i) => a + i.drop!, 0);
    out.push(
      `| ${md(c.name)} | ${c.packets} | ${c.sizeBytes ?? ''} | ${md(c.formatDetail || c.format)} | ${md(interfaces(c))} | ${c.firstTime ?? ''} | ${c.lastTime ?? ''} | ${c.clockOffset ? `${c.clockOffset.toFixed(6)} s` : '0'} | ${drops} | ${c.problems.length} | ${c.flowsEvicted} |`,
    );
  }
  const evicted = r.captures.filter((c) => c.flowsEvicted > 0);
  if (evicted.length) out.push('', `Flow table full in ${evicted.map((c) => md(c.name)).join(', ')}: the least recently seen flows were evicted, so per-flow statistics are partial.`);
  out.push('');
  out.push('</details>');
  out.push('');
  out.push(`<sub>netdiag ${md(r.netdiag.version)}: ${code(r.netdiag.command.join(' '))}</sub>`);
  return out.join('\n') + '\n';
}
