import type { Report } from '../report/report.js';
import { encapLabel, flowLabel } from '../correlate/describe.js';
import { duration } from '../correlate/render-text.js';
import type { Correlation, LossGroup, Trace } from '../correlate/types.js';
import { annotateAddresses, type AddressName } from '../k8s/names.js';
import { safe } from './layout.js';

export interface TopoLine {
  text: string;
  color?: string;
  bold?: boolean;
}

/**
 * The cluster as the captures show it: CNI mode, nodes with their VTEPs and pod CIDRs,
 * the cluster's names where the report has them, and, with several captures, where
 * packets stop, each flow's path hop by hop, and the --trace journeys.
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
  namesLines(report.names, out);
  if (report.correlation) correlationLines(report.correlation, report.names ?? {}, out);
  return out;
}

function nameOf(n: AddressName): string {
  return n.namespace !== undefined ? `${n.namespace}/${n.name}` : n.name;
}

/** Addresses the cluster state names, with their kind and node. */
function namesLines(names: Report['names'], out: TopoLine[]): void {
  const list = Object.entries(names ?? {}).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  if (!list.length) return;
  out.push({ text: 'Names (cluster state)', bold: true });
  for (const [ip, n] of list) out.push({ text: `  ${safe(ip)}  ${n.kind} ${safe(nameOf(n))}${n.node ? ` on ${safe(n.node)}` : ''}` });
}

const form = (name: string, f: LossGroup['lastSeenForm']): string => (f === null ? safe(name) : `${safe(name)} (${f})`);
const hopName = (capture: string, iface: number): string => `${safe(capture)}${iface ? `#${iface}` : ''}`;

/**
 * Packets followed across the captures: where losses stop (first, in red), each capture
 * point's role and clock, and every flow's path hop by hop with its encapsulation there,
 * the packets seen, and the latency and losses on the way to the next hop.
 */
function correlationLines(c: Correlation, names: Readonly<Record<string, AddressName>>, out: TopoLine[]): void {
  const label = (text: string) => safe(annotateAddresses(text, names));
  out.push({ text: `Across captures (${c.matched} packets seen at two or more points)`, bold: true });
  for (const g of c.losses) {
    const why = g.pattern.sizeAbove !== null ? `; only above ${g.pattern.sizeAbove} bytes` : g.pattern.allPackets ? '; every packet' : '';
    const nodes = g.fromNode || g.toNode ? ` (${safe(g.fromNode ?? '?')} → ${safe(g.toNode ?? '?')})` : '';
    out.push({
      text: `  ✕ ${g.lost} lost ${g.place}: last seen ${form(g.lastSeen, g.lastSeenForm)}, never at ${g.firstMissing ? form(g.firstMissing, g.firstMissingForm) : '(no later capture)'}${nodes}${why}`,
      color: 'red',
      bold: true,
    });
    out.push({ text: `      ${g.delivered} delivered; packets ${g.sample.join(', ')} at ${safe(g.lastSeen)}; ${g.flows.map(label).join(', ')}`, color: 'red' });
  }
  if (c.truncated.length) out.push({ text: `  ! sightings stopped at ${c.sightingLimit} per capture in ${c.truncated.map(safe).join(', ')}`, color: 'yellow' });
  out.push({ text: 'Capture points', bold: true });
  for (const p of c.points) {
    const clock = p.clockMethod === 'reference' ? 'clock reference' : p.clockOffset === null ? 'clock not aligned' : `clock ${p.clockOffset >= 0 ? '+' : ''}${duration(p.clockOffset)} ± ${duration(p.clockOffsetError ?? 0)}`;
    out.push({ text: `  ${safe(p.capture)}: ${p.kind}${p.node ? ` on ${label(p.node)}` : ''}${p.pod ? ` pod ${label(p.pod)}` : ''}; ${clock}`, color: 'cyan' });
  }
  if (!c.paths.length) return;
  out.push({ text: 'Flow paths (hop, encapsulation, packets; latency to the next hop)', bold: true });
  for (const path of c.paths) {
    out.push({ text: `  ${label(flowLabel(path.flow))}: ${path.packets} packets${path.lost ? `, ${path.lost} lost` : ''}`, color: path.lost ? 'red' : 'cyan' });
    path.hops.forEach((h, k) => {
      out.push({ text: `    ${k === 0 ? '  ' : '→ '}${hopName(h.capture, h.iface)}  ${safe(encapLabel(h.encap))}  ${h.packets} pkts` });
      const seg = path.segments.find((s) => s.from === h.capture && s.fromIface === h.iface);
      if (!seg) return;
      const lat = seg.latency ? `${duration(seg.latency.median)} (${duration(seg.latency.min)}..${duration(seg.latency.max)})` : 'no latency';
      const lost = seg.lost > 0 ? `  ✕ ${seg.lost} lost before ${hopName(seg.to, seg.toIface)}` : '';
      out.push({ text: `        ${lat}${lost}`, ...(seg.lost > 0 ? { color: 'red' } : { color: 'gray' }) });
    });
  }
  if (c.pathsOmitted) out.push({ text: `  ${c.pathsOmitted} more flow paths in --format json`, color: 'gray' });
  if (c.trace) traceLines(c.trace, label, out);
}

/** --trace: each matching packet at every point it was seen, and where it never arrived. */
function traceLines(t: Trace, label: (text: string) => string, out: TopoLine[]): void {
  out.push({ text: `Trace ${safe(t.filter)} (${t.packets.length + t.omitted} packets)`, bold: true });
  if (!t.packets.length) out.push({ text: '  no packet matched', color: 'gray' });
  for (const p of t.packets) {
    out.push({ text: `  ${label(flowLabel(p.flow))}: ${safe(p.label)}`, color: 'cyan' });
    for (const e of p.events) out.push({ text: `    +${duration(e.since).padEnd(10)} ${hopName(e.capture, e.iface)}  frame ${e.packet}  ${safe(encapLabel(e.encap))}` });
    if (p.missing) out.push({ text: `    ✕ never reached ${safe(p.missing)}`, color: 'red' });
  }
  if (t.omitted) out.push({ text: `  ${t.omitted} more in --format json`, color: 'gray' });
}
