import { escapeMarkdown as md } from '../output/escape.js';
import { hexDump, renderDetail } from '../output/detail.js';
import type { PacketTimeline } from '../analysis/packet-timeline.js';
import type { CitedPacket } from './key-packets.js';
import type { PathHop, PodPath } from './path.js';
import type { Report } from './report.js';

/** Sections of the Markdown report beyond the findings: path, timeline, flows, key packets. */

// eslint-disable-next-line no-control-regex
const UNSAFE_IN_FENCE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A fenced code block whose text cannot close the fence or carry control characters. */
export function fenced(text: string, info = 'text'): string[] {
  // Angle brackets too: renderers that are loose about fences (some ticket systems) must not see a tag.
  const safe = text.replace(/`{3,}/g, (m) => "'".repeat(m.length)).replace(UNSAFE_IN_FENCE, '?').replace(/</g, '‹').replace(/>/g, '›').replace(/\](?=\()/g, '] ');
  return ['```' + info, safe.replace(/\n+$/, ''), '```'];
}

function hopText(h: PathHop): string {
  const facts = h.kind === 'vtep' && h.facts[0] ? ` (${h.facts[0]})` : '';
  return `${h.label}${facts}`;
}

/** The path as three lines: source node's hops, the underlay, the destination node's hops. */
export function pathText(r: Report, p: PodPath): string {
  const u = p.hops.findIndex((h) => h.kind === 'underlay');
  const arrow = (i: number) => (p.fault?.segment === i ? ' ✕→ ' : ' → ');
  let a = `[${p.srcNodeLabel}] `;
  for (let i = 0; i < u; i++) a += hopText(p.hops[i]!) + (i + 1 < u ? arrow(i) : '');
  let b = `[${p.dstNodeLabel}] `;
  for (let i = u + 1; i < p.hops.length; i++) b += hopText(p.hops[i]!) + (i + 1 < p.hops.length ? arrow(i) : '');
  const down = p.fault && (p.fault.segment === u - 1 || p.fault.segment === u) ? '✕' : '↓';
  const lines = [a, `   ${down} underlay (${p.hops[u]!.facts.join(', ')})`, b];
  if (p.fault) lines.push(`✕ ${p.fault.label} (finding #${p.fault.finding + 1}: ${r.findings[p.fault.finding]!.title})`);
  const seen = p.hops.filter((h) => h.captures.length).map((h) => `${h.captures.join(', ')} @ ${h.label}${h.node ? ` (${h.node})` : ''}`);
  if (seen.length) lines.push(`captures: ${seen.join('; ')}`);
  if (p.elsewhere.length) lines.push(`not on this path: ${p.elsewhere.join(', ')}`);
  return lines.join('\n');
}

const SPARK = '▁▂▃▄▅▆▇█';
/** Columns in a Markdown sparkline. */
export const SPARK_COLUMNS = 40;

/**
 * Packets over time as one row of block characters on a shared axis from t0 to t1 (seconds,
 * clock offset applied), so the rows of several captures line up.
 */
export function sparkline(t: PacketTimeline, offset: number, t0: number, t1: number): string {
  const cols = new Array<number>(SPARK_COLUMNS).fill(0);
  const width = Math.max(t1 - t0, 1e-9) / SPARK_COLUMNS;
  t.counts.forEach((n, k) => {
    const at = t.start + offset + (k + 0.5) * t.binSeconds;
    cols[Math.min(SPARK_COLUMNS - 1, Math.max(0, Math.floor((at - t0) / width)))]! += n;
  });
  const max = Math.max(...cols);
  return cols.map((n) => (n === 0 ? ' ' : SPARK[Math.min(SPARK.length - 1, Math.floor(((n - 1) * SPARK.length) / max))]!)).join('');
}

export function timelineMarkdown(r: Report): string[] {
  const lanes = r.captures.filter((c) => c.timeline && c.firstTime !== null);
  if (!lanes.length) return [];
  const t0 = Math.min(...lanes.map((c) => c.firstTime! + c.clockOffset));
  const t1 = Math.max(...lanes.map((c) => c.lastTime! + c.clockOffset));
  const out = ['<details><summary>Timeline</summary>', '', `Packets per capture point over ${(t1 - t0).toFixed(2)} s (one column is ${((t1 - t0) / SPARK_COLUMNS).toFixed(3)} s):`, ''];
  out.push('| Capture | Packets over time | Packets |', '|---|---|---|');
  for (const c of lanes) out.push(`| ${md(c.name)} | \`${sparkline(c.timeline!, c.clockOffset, t0, t1)}\` | ${c.packets} |`);
  out.push('', '</details>', '');
  return out;
}

/** Flows listed in the Markdown: a ticket wants the troubled few, not the table. */
export const MARKDOWN_FLOWS = 20;

export function flowsMarkdown(r: Report): string[] {
  const out = ['<details><summary>Flows</summary>', '', '| Capture | Flow | Packets →/← | Bytes →/← | TCP |', '|---|---|---|---|---|'];
  for (const f of r.flows.slice(0, MARKDOWN_FLOWS)) {
    const tcp = f.tcp ? `${f.tcp.handshake}; retrans ${f.tcp.retransmissions[0]}/${f.tcp.retransmissions[1]}; rst ${f.tcp.rst[0]}/${f.tcp.rst[1]}` : '';
    out.push(`| ${md(f.capture)} | ${md(f.key)} | ${f.packets[0]} / ${f.packets[1]} | ${f.bytes[0]} / ${f.bytes[1]} | ${md(tcp)} |`);
  }
  if (!r.flows.length) out.push('| | none | | | |');
  const more = r.flows.length - Math.min(r.flows.length, MARKDOWN_FLOWS) + r.flowsOmitted;
  if (more > 0) out.push('', `${more} more flows not listed.`);
  out.push('', '</details>', '');
  return out;
}

/** A ticket shows one decoded packet per problem finding, its long lines and hex cut short. */
export const MARKDOWN_LINE = 160;
export const MARKDOWN_HEX_BYTES = 256;

function packetText(p: CitedPacket): string {
  const detail = renderDetail(p.detail!)
    .split('\n')
    .map((l) => (l.length > MARKDOWN_LINE ? l.slice(0, MARKDOWN_LINE - 1) + '…' : l))
    .join('\n');
  const bytes = p.detail!.buffers[0]!.bytes;
  const more = bytes.length - MARKDOWN_HEX_BYTES;
  return detail + '\n' + hexDump(bytes, 0, Math.min(bytes.length, MARKDOWN_HEX_BYTES)) + (more > 0 ? `… ${more} more bytes\n` : '');
}

export function keyPacketsMarkdown(r: Report, cited: readonly CitedPacket[]): string[] {
  const first = new Map<number, CitedPacket>();
  const sorted = cited.filter((p) => p.detail !== null).sort((a, b) => a.citedBy[0]! - b.citedBy[0]! || a.captureIndex - b.captureIndex || a.number - b.number);
  for (const p of sorted) if (!first.has(p.citedBy[0]!)) first.set(p.citedBy[0]!, p);
  const shown = [...first.values()];
  if (!shown.length) return [];
  const out = ['<details><summary>Key packets</summary>', ''];
  for (const p of shown) {
    const f = r.findings[p.citedBy[0]!]!;
    out.push(`**${md(p.capture)} frame ${p.number}**: cited by ${p.citedBy.map((k) => `#${k + 1}`).join(', ')} (${md(f.id)})`, '');
    out.push(...fenced(packetText(p)), '');
  }
  out.push('</details>', '');
  return out;
}
