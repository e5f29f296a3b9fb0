import { escapeHtml as h } from '../output/escape.js';
import { capturesHtml, correlationHtml, findingHtml, flowsHtml, namesHtml, topologyHtml } from './html-tables.js';
import { keyPacketsHtml } from './html-packets.js';
import { REPORT_CSS } from './html-style.js';
import type { CitedPacket } from './key-packets.js';
import { podPath, topProblem } from './path.js';
import type { Report } from './report.js';
import { renderPathSvg } from './svg-path.js';
import { renderTimelineSvg } from './svg-timeline.js';

export interface HtmlExtras {
  /** Cited packets read back from the captures (key packets, timeline dots). */
  cited?: readonly CitedPacket[];
  /** Why some cited packets could not be read back. */
  citedProblems?: readonly string[];
}

/**
 * `--format html`: one self-contained page to attach to an incident. Inline CSS and SVG,
 * no script and nothing fetched, so it opens offline and cannot run what a packet carries;
 * every string is escaped where it lands, and nothing from a packet ever becomes a link.
 */
export function renderHtml(r: Report, extras: HtmlExtras = {}): string {
  const cited = extras.cited ?? [];
  const top = topProblem(r);
  const sev = top >= 0 ? r.findings[top]!.severity : 'ok';
  const path = podPath(r);
  const problems = r.findings.filter((f) => f.severity !== 'info').length;
  const pathNote = path.fault
    ? `Red: where packets die, from finding #${path.fault.finding + 1}.`
    : top >= 0
      ? 'The top finding does not point at one segment of this path.'
      : 'No segment is failing.';
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    // No script may run and nothing may load: the page is a document, whatever the packets say.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>netdiag: ${h(r.verdict)}</title><style>${REPORT_CSS}</style></head><body>`,
    `<header><h1>netdiag incident report</h1><p class="verdict sev-${sev}" id="verdict">${h(r.verdict)}</p>`,
    `<p class="muted">${problems} problem${problems === 1 ? '' : 's'} in ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}; ${r.captures.length} capture point${r.captures.length === 1 ? '' : 's'}; CNI ${h(path.mode)}.</p></header>`,
    `<h2 id="path">Path</h2><p class="muted">${h(path.src ?? '?')} → ${h(path.dst ?? '?')} as inferred from the captures. Purple dots: capture points. ${h(pathNote)}${path.elsewhere.length ? ` Not on this path: ${h(path.elsewhere.join(', '))}.` : ''}</p>`,
    renderPathSvg(path),
    '<h2 id="findings">Findings</h2>',
    r.findings.length ? r.findings.map((f, i) => findingHtml(r, f, i)).join('') : '<p class="muted">No findings.</p>',
    '<h2 id="timeline">Timeline</h2>',
    '<p class="legend muted"><span><i style="background:#90a4ae"></i>packets seen</span><span><i style="background:#c62828"></i>cited by an error</span><span><i style="background:#b26a00"></i>cited by a warning</span><span><i style="background:#1565c0"></i>cited by info</span></p>',
    renderTimelineSvg(r, cited),
    correlationHtml(r),
    '<h2 id="topology">Topology</h2>',
    topologyHtml(r),
    namesHtml(r),
    '<h2 id="flows">Flows</h2>',
    flowsHtml(r),
    '<h2 id="packets">Key packets</h2>',
    keyPacketsHtml(r, cited),
    ...(extras.citedProblems?.length ? [`<p class="muted">${h(extras.citedProblems.join('; '))}</p>`] : []),
    '<h2 id="captures">Captures</h2>',
    capturesHtml(r),
    `<footer>netdiag ${h(r.netdiag.version)} · <code>${h(r.netdiag.command.join(' '))}</code></footer>`,
    '</body></html>',
  );
  return parts.join('\n') + '\n';
}
