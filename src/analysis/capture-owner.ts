import type { FlowSummary } from './flow-table.js';

/**
 * Which host a capture was taken on, judged from its flows: the address present in
 * (nearly) every flow. On a node's underlay that is the node IP (outer addresses); on a
 * pod's eth0, the pod IP. Returns null when no address dominates (a switch mirror port,
 * or a capture too small to tell).
 */
export interface CaptureOwner {
  ip: string;
  layer: 'outer' | 'inner';
  share: number;
}

export function captureOwner(flows: FlowSummary[]): CaptureOwner | null {
  const outer = new Map<string, number>();
  const inner = new Map<string, number>();
  let tunnelled = 0;
  for (const f of flows) {
    const w = f.packets[0] + f.packets[1];
    if (f.outerSrc && f.outerDst) {
      tunnelled += w;
      outer.set(f.outerSrc, (outer.get(f.outerSrc) ?? 0) + w);
      if (f.outerDst !== f.outerSrc) outer.set(f.outerDst, (outer.get(f.outerDst) ?? 0) + w);
    }
    inner.set(f.src, (inner.get(f.src) ?? 0) + w);
    if (f.dst !== f.src) inner.set(f.dst, (inner.get(f.dst) ?? 0) + w);
  }
  const total = flows.reduce((a, f) => a + f.packets[0] + f.packets[1], 0);
  if (total === 0) return null;
  const best = (m: Map<string, number>, of: number): [string, number] | null => {
    let top: [string, number] | null = null;
    for (const e of m) if (!top || e[1] > top[1]) top = e;
    return top && of > 0 ? [top[0], top[1] / of] : null;
  };
  const o = best(outer, tunnelled);
  if (o && tunnelled / total > 0.5 && o[1] >= 0.9) return { ip: o[0], layer: 'outer', share: o[1] };
  const i = best(inner, total);
  if (i && i[1] >= 0.9) return { ip: i[0], layer: 'inner', share: i[1] };
  return null;
}
