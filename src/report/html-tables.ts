import { escapeHtml as h } from '../output/escape.js';
import { encapLabel, flowLabel } from '../correlate/describe.js';
import { duration } from '../correlate/render-text.js';
import { named } from '../k8s/names-view.js';
import type { Report, ReportCapture, ReportFinding } from './report.js';

/** The report's tables as HTML: findings with evidence and remedies, topology, flows, captures. */

const cell = (s: string | number | null | undefined) => `<td>${h(s === null || s === undefined ? '' : String(s))}</td>`;
const row = (cells: Array<string | number | null | undefined>) => `<tr>${cells.map(cell).join('')}</tr>`;
const table = (cls: string, head: string[], rows: string[]) =>
  `<table class="${cls}"><thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.join('') || `<tr><td colspan="${head.length}" class="muted">none</td></tr>`}</tbody></table>`;

export function findingHtml(r: Report, f: ReportFinding, i: number): string {
  const ev = table(
    'evidence',
    ['Capture', 'Packets', 'Count', 'What'],
    f.evidence.map((e) => row([e.capture, e.packets.join(', '), e.count, named(r, e.note)])),
  );
  const remedy = f.remedy.length ? `<div class="remedy"><div class="muted">Check / fix on the node:</div><pre>${f.remedy.map(h).join('\n')}</pre></div>` : '';
  return (
    `<section class="finding sev-${f.severity}" id="finding-${i + 1}">` +
    `<h3><span class="badge sev-${f.severity}">${f.severity}</span> ${i + 1}. ${h(named(r, f.title))}</h3>` +
    `<div class="meta">${h(f.component)} · ${h(f.id)}${f.node ? ` · node ${h(f.node)}${f.nodeName ? ` (${h(f.nodeName)})` : ''}` : ''} · confidence ${Math.round(f.confidence * 100)}%</div>` +
    `<p class="detail">${named(r, f.detail).split('\n').map(h).join('<br>')}</p>${f.evidence.length ? ev : ''}${remedy}</section>`
  );
}

export function topologyHtml(r: Report): string {
  const t = r.topology;
  const cni = t.cni.length ? t.cni.map((c) => `<li><b>${h(c.mode)}</b> (${Math.round(c.confidence * 100)}%): ${h(c.evidence.join('; '))}</li>`).join('') : '<li class="muted">not recognised</li>';
  return (
    `<ul class="cni">${cni}</ul>` +
    table('nodes', ['Node', 'Name', 'MACs', 'VTEP MACs', 'Pod CIDRs', 'Roles'], t.nodes.map((n) => row([n.ip, n.name, n.macs.join(', '), n.vtepMacs.join(', '), n.podCidrs.join(', '), n.roles.join(', ')]))) +
    table('vteps', ['VTEP', 'Kind', 'MAC', 'Node', 'VNI', 'Port'], t.vteps.map((v, k) => row([k + 1, v.kind, v.mac, v.nodeIp, v.vni, v.port]))) +
    table('pod-cidrs', ['Pod CIDR', 'Node', 'Learnt from'], t.podCidrs.map((c) => row([c.cidr, c.nodeIp, c.source]))) +
    table('mtu', ['From', 'To', 'Encapsulation', 'Largest outer', 'Largest inner', 'Overhead'], t.mtu.map((m) => row([m.src, m.dst, m.encapsulation, m.largestOuter, m.largestInner, m.overhead])))
  );
}

/** Flows listed in the HTML: the most troubled first, as the report orders them. */
export const HTML_FLOWS = 50;

export function flowsHtml(r: Report): string {
  const rows = r.flows.slice(0, HTML_FLOWS).map((f) => {
    const tcp = f.tcp ? `${f.tcp.handshake}; retrans ${f.tcp.retransmissions[0]}/${f.tcp.retransmissions[1]}; rst ${f.tcp.rst[0]}/${f.tcp.rst[1]}` : '';
    const who = f.srcName || f.dstName ? ` (${f.srcName ?? f.src} → ${f.dstName ?? f.dst})` : '';
    return row([f.capture, f.key + who, `${f.packets[0]} / ${f.packets[1]}`, `${f.bytes[0]} / ${f.bytes[1]}`, tcp]);
  });
  const more = r.flows.length - Math.min(r.flows.length, HTML_FLOWS) + r.flowsOmitted;
  return table('flows', ['Capture', 'Flow', 'Packets →/←', 'Bytes →/←', 'TCP'], rows) + (more > 0 ? `<p class="muted">${more} more flows not listed.</p>` : '');
}

/** The cluster's names of the report's addresses (nothing without cluster state). */
export function namesHtml(r: Report): string {
  const list = Object.entries(r.names ?? {}).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  if (!list.length) return '';
  return `<h2 id="names">Names (cluster state)</h2>${table('names', ['Address', 'Kind', 'Name', 'Node'], list.map(([ip, n]) => row([ip, n.kind, n.namespace !== undefined ? `${n.namespace}/${n.name}` : n.name, n.node ?? ''])))}`;
}

/** Flows followed across captures: each hop with its encapsulation and latency, and where packets were lost. */
export const HTML_PATHS = 5;

export function correlationHtml(r: Report): string {
  const c = r.correlation;
  if (!c) return '';
  const rows: string[] = [];
  for (const p of c.paths.slice(0, HTML_PATHS)) {
    p.hops.forEach((hop, k) => {
      const lat = k > 0 ? p.segments[k - 1]?.latency : null;
      const lost = k > 0 ? p.segments[k - 1]?.lost ?? 0 : 0;
      rows.push(row([k === 0 ? flowLabel(p.flow) : '', `${hop.capture}${hop.iface ? ` #${hop.iface}` : ''}`, encapLabel(hop.encap), hop.packets, lat ? duration(lat.median) : '', lost || '']));
    });
  }
  const losses = c.losses.map(
    (g) =>
      `<li><b>${g.lost} lost</b> (${h(g.place)}): last seen at ${h(g.lastSeen)}${g.lastSeenForm ? ` (${g.lastSeenForm})` : ''}, never at ${g.firstMissing ? h(g.firstMissing) : 'a later capture'}${g.firstMissingForm ? ` (${g.firstMissingForm})` : ''}; ${g.delivered} delivered; ${h(g.flows.slice(0, 3).join(', '))}</li>`,
  );
  return (
    `<h2 id="across">Across captures</h2><p class="muted">${c.matched} packets seen at two or more capture points.</p>` +
    table('correlation', ['Flow', 'Capture point', 'Encapsulation', 'Packets', 'Latency from previous', 'Lost before'], rows) +
    (losses.length ? `<ul class="losses">${losses.join('')}</ul>` : '')
  );
}

function isoTime(t: number | null): string {
  if (t === null) return '';
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

function drops(c: ReportCapture): string {
  const d = c.interfaces.filter((i) => i.drop !== undefined).map((i) => `${i.name ?? `if${i.index}`}: ${i.drop}`);
  return d.join(', ');
}

export function interfaces(c: ReportCapture): string {
  return c.interfaces.map((i) => `${i.name ?? `if${i.index}`} (${i.linktypeName})`).join(', ');
}

export function capturesHtml(r: Report): string {
  const rows = r.captures.map((c) =>
    row([
      c.name,
      c.file,
      c.sizeBytes ?? '',
      c.packets,
      c.formatDetail || c.format,
      interfaces(c),
      isoTime(c.firstTime),
      isoTime(c.lastTime),
      c.clockOffset ? `${c.clockOffset.toFixed(6)} s${c.clockOffsetError !== null ? ` ± ${c.clockOffsetError.toFixed(6)}` : ''}` : '0',
      drops(c),
      c.problems.length ? c.problems.map((p) => `offset ${p.offset}: ${p.message}`).join('; ') : '',
    ]),
  );
  return table('captures', ['Capture point', 'File', 'Bytes', 'Packets', 'Format', 'Interfaces', 'First packet (UTC)', 'Last packet (UTC)', 'Clock offset', 'Drops', 'Problems'], rows);
}
