import type { Report } from '../report/report.js';
import { safe } from './layout.js';

export interface TopoLine {
  text: string;
  color?: string;
  bold?: boolean;
}

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? safe(String(v)) : '');

/**
 * The cluster as the captures show it: CNI mode, nodes with their VTEPs and pod CIDRs,
 * pod names where the report has them, and each traced flow's journey across capture
 * points where the report carries a correlation.
 */
export function topologyLines(report: Report): TopoLine[] {
  const t = report.topology;
  const out: TopoLine[] = [];
  out.push({ text: 'CNI mode', bold: true });
  if (t.cni.length === 0) out.push({ text: '  not recognised from these packets', color: 'gray' });
  for (const c of t.cni) out.push({ text: `  ${safe(c.mode)} (${Math.round(c.confidence * 100)}%)${c.evidence.length ? ': ' + safe(c.evidence[0]) : ''}` });
  out.push({ text: 'Nodes', bold: true });
  if (t.nodes.length === 0) out.push({ text: '  none seen', color: 'gray' });
  for (const n of t.nodes) {
    const name = n.name ? ` (${safe(n.name)})` : '';
    const roles = n.roles.length ? ` [${safe(n.roles.join(', '))}]` : '';
    out.push({ text: `  ${safe(n.ip)}${name}${roles}`, color: 'cyan' });
    if (n.vtepMacs.length) out.push({ text: `      vtep ${safe(n.vtepMacs.join(', '))}` });
    if (n.podCidrs.length) out.push({ text: `      pods ${safe(n.podCidrs.join(', '))}` });
  }
  if (t.vteps.length) {
    out.push({ text: 'VTEPs', bold: true });
    for (const v of t.vteps) out.push({ text: `  ${safe(v.kind)} vni ${v.vni} port ${v.port}  ${safe(v.mac)} → ${safe(v.nodeIp)}` });
  }
  if (t.podCidrs.length) {
    out.push({ text: 'Pod CIDRs', bold: true });
    for (const p of t.podCidrs) out.push({ text: `  ${safe(p.cidr)} on ${safe(p.nodeIp)} (from ${safe(p.source)})` });
  }
  const extra = report as unknown as Loose;
  namesLines(extra['names'], out);
  correlationLines(extra['correlation'], out);
  return out;
}

/** `names`: pod names by IP, either `ip → "ns/pod"` or `ip → {namespace, pod}`. */
function namesLines(names: unknown, out: TopoLine[]): void {
  if (!isObj(names)) return;
  const entries = Object.entries(names);
  if (!entries.length) return;
  out.push({ text: 'Pods', bold: true });
  for (const [ip, v] of entries) {
    const name = isObj(v) ? [str(v['namespace']), str(v['pod'] ?? v['name'])].filter(Boolean).join('/') : str(v);
    out.push({ text: `  ${safe(ip)}  ${name}` });
  }
}

/** Journeys of traced flows: for each, the capture points in path order and what each saw. */
function correlationLines(c: unknown, out: TopoLine[]): void {
  if (!isObj(c) && !Array.isArray(c)) return;
  const list = Array.isArray(c) ? c : ((['journeys', 'traces', 'flows'].map((k) => (c as Loose)[k]).find(Array.isArray) as unknown[] | undefined) ?? []);
  if (!list.length) return;
  out.push({ text: 'Trace (per-hop journey)', bold: true });
  for (const j of list) {
    if (!isObj(j)) continue;
    out.push({ text: `  ${str(j['label'] ?? j['flow'] ?? j['key'] ?? j['filter'])}`, color: 'cyan' });
    const hops = (['hops', 'points', 'steps'].map((k) => j[k]).find(Array.isArray) as unknown[] | undefined) ?? [];
    for (const h of hops) {
      if (!isObj(h)) continue;
      const where = str(h['capture'] ?? h['point'] ?? h['name']);
      const seen = h['packets'] ?? h['count'] ?? h['seen'];
      const n = Array.isArray(seen) ? seen.length : str(seen);
      const note = str(h['status'] ?? h['verdict'] ?? h['note']);
      const stop = h['lost'] === true || h['stops'] === true || /lost|drop|missing|stop/i.test(note);
      out.push({ text: `    → ${where}${n !== '' ? `  ${n} pkts` : ''}${note ? `  ${note}` : ''}`, ...(stop ? { color: 'red' } : {}) });
    }
  }
}
