import { escapeHtml as h } from '../output/escape.js';
import type { PathHop, PodPath } from './path.js';

/**
 * The path as an inline SVG, U-shaped: the source node's hops left to right on top, the
 * underlay on the right, the destination node's hops right to left below, so a path of
 * eleven hops stays readable at page width. The failing segment is red with its loss count.
 */
const BOX_W = 132;
const BOX_H = 74;
const PITCH = 164;
const ROW_Y = [58, 272] as const;
const LEFT = 20;
const MARKERS_SHOWN = 3;

interface Box {
  x: number;
  y: number;
}

/** Text that fits a box: long names are cut, never wrapped over their neighbours. */
function fit(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

function layout(p: PodPath): Box[] {
  const u = p.hops.findIndex((x) => x.kind === 'underlay');
  const boxes: Box[] = [];
  p.hops.forEach((_, i) => {
    if (i < u) boxes.push({ x: LEFT + i * PITCH, y: ROW_Y[0] });
    else if (i === u) boxes.push({ x: LEFT + u * PITCH, y: (ROW_Y[0] + ROW_Y[1]) / 2 });
    else boxes.push({ x: LEFT + (p.hops.length - 1 - i) * PITCH, y: ROW_Y[1] });
  });
  return boxes;
}

const KIND_CLASS: Record<PathHop['kind'], string> = { pod: 'hop-pod', veth: 'hop-veth', bridge: 'hop-bridge', vtep: 'hop-vtep', nic: 'hop-nic', underlay: 'hop-underlay' };

function hopSvg(hop: PathHop, b: Box, i: number): string {
  const lines = hop.facts.slice(0, 3).map((f, k) => `<text x="${b.x + 8}" y="${b.y + 38 + k * 13}" class="fact">${h(fit(f, 24))}</text>`);
  let s = `<g class="hop ${KIND_CLASS[hop.kind]}" data-hop="${i}"${hop.node ? ` data-node="${h(hop.node)}"` : ''}><rect x="${b.x}" y="${b.y}" width="${BOX_W}" height="${BOX_H}" rx="6"/>`;
  s += `<text x="${b.x + 8}" y="${b.y + 20}" class="label">${h(fit(hop.label, 20))}</text>${lines.join('')}`;
  const marks = hop.captures.slice(0, MARKERS_SHOWN).map((c) => fit(c, 22));
  if (hop.captures.length > MARKERS_SHOWN) marks.push(`+${hop.captures.length - MARKERS_SHOWN} more`);
  marks.forEach((m, k) => {
    const y = b.y + BOX_H + 16 + k * 14;
    s += `<g class="capture-point"><circle cx="${b.x + 10}" cy="${y - 4}" r="4"/><text x="${b.x + 20}" y="${y}">${h(m)}</text></g>`;
  });
  return s + '</g>';
}

/** Connector from hop i to hop i+1, attached to the facing sides of the two boxes. */
function segmentEnds(boxes: Box[], i: number, u: number): [number, number, number, number] {
  const a = boxes[i]!;
  const b = boxes[i + 1]!;
  const mid = BOX_H / 2;
  if (i + 1 < u) return [a.x + BOX_W, a.y + mid, b.x, b.y + mid];
  if (i + 1 === u) return [a.x + BOX_W, a.y + mid, b.x + BOX_W / 2, b.y];
  if (i === u) return [a.x + BOX_W / 2, a.y + BOX_H, b.x + BOX_W, b.y + mid];
  return [a.x, a.y + mid, b.x + BOX_W, b.y + mid];
}

export function renderPathSvg(p: PodPath): string {
  const boxes = layout(p);
  const u = p.hops.findIndex((x) => x.kind === 'underlay');
  const width = LEFT * 2 + u * PITCH + BOX_W;
  const height = ROW_Y[1] + BOX_H + 20 + (MARKERS_SHOWN + 1) * 14;
  const parts: string[] = [];
  parts.push(
    `<svg id="path-diagram" class="path" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="pod-to-pod path">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
  );
  // Node frames: which hops belong to which node.
  for (const side of [0, 1] as const) {
    const y = ROW_Y[side] - 30;
    const node = side === 0 ? p.srcNodeLabel : p.dstNodeLabel;
    parts.push(
      `<g class="node-frame"><rect x="${LEFT - 10}" y="${y}" width="${u * PITCH}" height="${BOX_H + 40 + MARKERS_SHOWN * 14}" rx="10"/>` +
        `<text x="${LEFT}" y="${y + 16}">${h(side === 0 ? 'source node ' : 'destination node ')}${h(fit(node, 60))}</text></g>`,
    );
  }
  for (let i = 0; i + 1 < p.hops.length; i++) {
    const [x1, y1, x2, y2] = segmentEnds(boxes, i, u);
    const failing = p.fault?.segment === i;
    parts.push(`<line class="seg${failing ? ' failing' : ''}" data-segment="${i}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"/>`);
  }
  p.hops.forEach((hop, i) => parts.push(hopSvg(hop, boxes[i]!, i)));
  if (p.fault) {
    const [x1, y1, x2, y2] = segmentEnds(boxes, p.fault.segment, u);
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2;
    const anchor = mx > width - 200 ? 'end' : 'middle';
    // Between two boxes of a row the label goes above the row, clear of the boxes' text.
    const inRow = y1 === y2;
    const ty = inRow ? y1 - BOX_H / 2 - 8 : my - 14;
    parts.push(
      `<g class="fault-label"><circle cx="${mx}" cy="${my}" r="9"/><text x="${mx}" y="${my + 4}" text-anchor="middle" class="cross">✕</text>` +
        `<text x="${anchor === 'end' ? mx - 14 : mx}" y="${ty}" text-anchor="${anchor}">${h(fit(p.fault.label, 48))}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
