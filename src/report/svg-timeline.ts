import { escapeHtml as h } from '../output/escape.js';
import type { CitedPacket } from './key-packets.js';
import type { Report } from './report.js';

/**
 * Packets per capture point over time, one lane each, on the first capture's clock (clock
 * offsets applied). Bars are every packet seen; dots are the packets the findings cite, red
 * for errors, so a loss shows as dots with no bar downstream and TCP's retransmission backoff
 * (1, 2, 4, 8 s…) as dots spreading out along a lane.
 */
const LABEL_W = 170;
const PLOT_W = 720;
const LANE_H = 34;
const TOP = 18;
export const TIMELINE_LANES = 16;

function niceStep(span: number): number {
  const raw = span / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmtSeconds(s: number): string {
  return Math.abs(s) >= 10 || Number.isInteger(s) ? `${Math.round(s)} s` : `${s.toFixed(Math.max(0, -Math.floor(Math.log10(Math.abs(s) || 1)) + 1))} s`;
}

export function renderTimelineSvg(r: Report, cited: readonly CitedPacket[]): string {
  const lanes = r.captures.filter((c) => c.firstTime !== null).slice(0, TIMELINE_LANES);
  if (!lanes.length) return '<p class="muted">No packets to draw.</p>';
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const c of lanes) {
    t0 = Math.min(t0, c.firstTime! + c.clockOffset);
    t1 = Math.max(t1, c.lastTime! + c.clockOffset);
  }
  const span = Math.max(t1 - t0, 0.001);
  const x = (t: number) => LABEL_W + ((t - t0) / span) * PLOT_W;
  const height = TOP + lanes.length * LANE_H + 30;
  const out: string[] = [];
  out.push(`<svg id="timeline-chart" class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${LABEL_W + PLOT_W + 20} ${height}" role="img" aria-label="packets per capture point over time">`);
  lanes.forEach((c, li) => {
    const y = TOP + li * LANE_H;
    out.push(`<g class="lane" data-capture="${h(c.name)}"><text x="4" y="${y + LANE_H / 2 + 4}" class="lane-label">${h(c.name.length > 24 ? c.name.slice(0, 23) + '…' : c.name)}</text>`);
    out.push(`<line class="lane-base" x1="${LABEL_W}" y1="${y + LANE_H - 4}" x2="${LABEL_W + PLOT_W}" y2="${y + LANE_H - 4}"/>`);
    const tl = c.timeline;
    if (tl && tl.counts.length) {
      const max = Math.max(...tl.counts);
      tl.counts.forEach((n, k) => {
        if (!n) return;
        const a = x(tl.start + c.clockOffset + k * tl.binSeconds);
        const b = x(tl.start + c.clockOffset + (k + 1) * tl.binSeconds);
        const bh = Math.max(2, ((LANE_H - 10) * n) / max);
        out.push(`<rect class="bar" x="${a.toFixed(1)}" y="${(y + LANE_H - 4 - bh).toFixed(1)}" width="${Math.max(1, b - a - 0.5).toFixed(1)}" height="${bh.toFixed(1)}"><title>${n} packet${n === 1 ? '' : 's'}</title></rect>`);
      });
    }
    for (const p of cited) {
      if (p.captureIndex !== c.index) continue;
      const sevs = p.citedBy.map((k) => r.findings[k]?.severity ?? 'info');
      const sev = sevs.includes('error') ? 'error' : sevs.includes('warning') ? 'warning' : 'info';
      const t = p.tsSec + p.tsNsec / 1e9 + c.clockOffset;
      out.push(`<circle class="cited sev-${sev}" cx="${x(t).toFixed(1)}" cy="${y + LANE_H / 2 - 2}" r="3.5"><title>${h(`${c.name} frame ${p.number}`)}</title></circle>`);
    }
    out.push('</g>');
  });
  const axisY = TOP + lanes.length * LANE_H + 4;
  const step = niceStep(span);
  out.push(`<g class="axis"><line x1="${LABEL_W}" y1="${axisY}" x2="${LABEL_W + PLOT_W}" y2="${axisY}"/>`);
  for (let k = 0, t = 0; t <= span + 1e-9 && k < 40; k++, t = k * step) {
    out.push(`<line x1="${x(t0 + t).toFixed(1)}" y1="${axisY}" x2="${x(t0 + t).toFixed(1)}" y2="${axisY + 4}"/><text x="${x(t0 + t).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${fmtSeconds(t)}</text>`);
  }
  out.push('</g></svg>');
  return out.join('');
}
