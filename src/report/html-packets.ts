import { escapeHtml as h } from '../output/escape.js';
import { hexRows, type DetailField, type PacketDetail } from '../output/detail.js';
import type { CitedPacket } from './key-packets.js';
import type { Report } from './report.js';

/** The cited packets a report shows, decoded as the detail view does: layer tree, then hex. */

function fieldsHtml(fs: DetailField[]): string {
  if (!fs.length) return '';
  return `<ul>${fs.map((f) => `<li><span class="f-label">${h(f.label)}:</span> <span class="f-value">${h(f.display)}</span>${fieldsHtml(f.children)}</li>`).join('')}</ul>`;
}

function hexHtml(d: PacketDetail): string {
  return d.buffers
    .map((b, k) => {
      const rows = hexRows(b.bytes).map((r) => `${r.offset.toString(16).padStart(4, '0')}  ${r.hex.join(' ').padEnd(47)}   ${r.ascii}`);
      return `${k > 0 ? `<div class="muted">${h(b.label)}</div>` : ''}<pre class="hex">${rows.map(h).join('\n')}</pre>`;
    })
    .join('');
}

export function keyPacketHtml(r: Report, p: CitedPacket): string {
  const d = p.detail!;
  const cites = p.citedBy.map((k) => `#${k + 1}`).join(', ');
  const layers = d.layers
    .map((l) => {
      const an = l.anomalies.map((a) => `<li class="anomaly">${h(`[${a.severity}] ${a.message} (${a.id})`)}</li>`).join('');
      return `<details class="layer"><summary>${h(l.title)}</summary>${fieldsHtml(l.fields)}${an ? `<ul>${an}</ul>` : ''}</details>`;
    })
    .join('');
  const top = r.findings[p.citedBy[0]!];
  return (
    `<section class="packet" data-capture="${h(p.capture)}" data-frame="${p.number}">` +
    `<h3>${h(p.capture)} frame ${p.number} <span class="muted">cited by ${h(cites)}${top ? ` — ${h(top.id)}` : ''}</span></h3>` +
    `<div class="muted">${h(d.title)}</div>${layers}${hexHtml(d)}</section>`
  );
}

export function keyPacketsHtml(r: Report, cited: readonly CitedPacket[]): string {
  const shown = cited.filter((p) => p.detail !== null).sort((a, b) => a.citedBy[0]! - b.citedBy[0]! || a.captureIndex - b.captureIndex || a.number - b.number);
  if (!shown.length) return '<p class="muted">No packets cited by a problem finding.</p>';
  return shown.map((p) => keyPacketHtml(r, p)).join('');
}
