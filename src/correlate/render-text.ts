import { escapeControl as esc } from '../output/escape.js';
import { encapLabel, flowLabel } from './describe.js';
import type { Correlation, LossGroup, Trace } from './types.js';

interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
}

/** Microseconds below a millisecond, milliseconds above: the scale latencies live at. */
export function duration(s: number): string {
  const a = Math.abs(s);
  return a < 0.001 ? `${(s * 1e6).toFixed(0)} µs` : a < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(3)} s`;
}

function point(name: string, form: LossGroup['lastSeenForm']): string {
  return form === null ? esc(name) : `${esc(name)} (${form})`;
}

/** The text report's "Across captures" section: clocks, where packets stop, and the busiest paths. */
export function renderCorrelationText(c: Correlation, st: Style, paths = 5): string[] {
  const out: string[] = [st.bold('Across captures') + st.dim(` (${c.matched} packets seen at two or more points)`)];
  for (const p of c.points) {
    const clock =
      p.clockMethod === 'reference' ? 'clock reference' : p.clockOffset === null ? 'no packet shared with the others: clock not aligned' : `clock ${p.clockOffset >= 0 ? '+' : ''}${duration(p.clockOffset)} ± ${duration(p.clockOffsetError ?? 0)} (${p.clockMethod})`;
    out.push(`  ${esc(p.capture)}: ${p.kind}${p.node ? ` on ${p.node}` : ''}${p.pod ? ` pod ${p.pod}` : ''} (${Math.round(p.confidence * 100)}% sure); ${clock}`);
  }
  if (c.truncated.length) out.push(`  ${st.red('!')} sightings stopped at ${c.sightingLimit} per capture in ${c.truncated.map(esc).join(', ')}: later packets not followed`);
  for (const g of c.losses) {
    out.push(
      `  ${st.red('✕')} ${g.lost} lost ${g.place}: last seen ${point(g.lastSeen, g.lastSeenForm)}, never at ${g.firstMissing ? point(g.firstMissing, g.firstMissingForm) : '(no later capture)'}` +
        `${g.pattern.sizeAbove !== null ? `; only above ${g.pattern.sizeAbove} bytes` : g.pattern.allPackets ? '; every packet' : ''}${g.pattern.oneDirection ? '; one direction' : ''} — packets ${g.sample.join(', ')}`,
    );
  }
  for (const p of c.paths.slice(0, paths)) {
    out.push(`  ${esc(flowLabel(p.flow))}: ${p.packets} packets${p.lost ? `, ${p.lost} lost` : ''}`);
    p.hops.forEach((h, k) => {
      const seg = k > 0 ? p.segments[k - 1] : undefined;
      const lat = seg?.latency ? ` +${duration(seg.latency.median)}` : '';
      out.push(`    ${k === 0 ? '  ' : '→ '}${esc(h.capture)}${h.iface ? `#${h.iface}` : ''} ${esc(encapLabel(h.encap))} (${h.packets})${lat}`);
    });
  }
  if (c.pathsOmitted + Math.max(0, c.paths.length - paths) > 0) out.push(st.dim(`  ${c.pathsOmitted + Math.max(0, c.paths.length - paths)} more flow paths in --format json`));
  if (c.trace) out.push('', ...renderTraceText(c.trace, st));
  return out;
}

/** --trace as text: each matching packet's journey, one line per point it was seen at. */
export function renderTraceText(t: Trace, st: Style, max = 50): string[] {
  const out = [st.bold(`Trace ${esc(t.filter)}`) + st.dim(` (${t.packets.length + t.omitted} packet${t.packets.length + t.omitted === 1 ? '' : 's'})`)];
  if (!t.packets.length) out.push('  no packet matched');
  for (const p of t.packets.slice(0, max)) {
    out.push(`  ${esc(flowLabel(p.flow))}: ${esc(p.label)}`);
    const width = Math.max(...p.events.map((e) => e.capture.length + (e.iface ? String(e.iface).length + 1 : 0)));
    for (const e of p.events) {
      const where = `${esc(e.capture)}${e.iface ? `#${e.iface}` : ''}`;
      out.push(`    ${`+${duration(e.since)}`.padStart(10)}  ${where.padEnd(width)}  frame ${e.packet}  ${esc(encapLabel(e.encap))}`);
    }
    if (p.missing) out.push(`    ${st.red('✕')} never reached ${esc(p.missing)}`);
  }
  const more = t.omitted + Math.max(0, t.packets.length - max);
  if (more) out.push(st.dim(`  ${more} more in --format json`));
  return out;
}

/** The Markdown report's compact per-hop table of the lossiest paths. */
export function renderCorrelationMarkdown(c: Correlation, md: (s: string) => string, paths = 5): string[] {
  const out: string[] = ['### Across captures', '', '| Flow | Hop | Encapsulation | Packets | Latency from previous |', '|---|---|---|---|---|'];
  for (const p of c.paths.slice(0, paths)) {
    p.hops.forEach((h, k) => {
      const lat = k > 0 ? p.segments[k - 1]?.latency : null;
      out.push(`| ${k === 0 ? md(flowLabel(p.flow)) : ''} | ${md(h.capture)}${h.iface ? ` #${h.iface}` : ''} | ${md(encapLabel(h.encap))} | ${h.packets} | ${lat ? duration(lat.median) : ''} |`);
    });
  }
  if (c.trace) out.push('', ...renderTraceMarkdown(c.trace, md));
  for (const g of c.losses) out.push('', `- ✕ ${g.lost} lost (${g.place}): last seen ${md(g.lastSeen)}${g.lastSeenForm ? ` (${g.lastSeenForm})` : ''}, never at ${g.firstMissing ? md(g.firstMissing) : 'a later capture'}${g.firstMissingForm ? ` (${g.firstMissingForm})` : ''}`);
  return out;
}

/** --trace in Markdown: one row per packet, one column per capture point, time since its first sighting. */
export function renderTraceMarkdown(t: Trace, md: (s: string) => string, max = 50): string[] {
  const shown = t.packets.slice(0, max);
  const points: string[] = [];
  for (const p of shown) for (const e of p.events) if (!points.includes(e.capture)) points.push(e.capture);
  const out = [`**Trace** \`${t.filter.replace(/`/g, "'").replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')}\` (${t.packets.length + t.omitted} packets)`, ''];
  out.push(`| Packet | ${points.map(md).join(' | ')} | Never reached |`);
  out.push(`|---|${points.map(() => '---').join('|')}|---|`);
  for (const p of shown) {
    const cells = points.map((name) => {
      const e = p.events.find((x) => x.capture === name);
      return e ? `+${duration(e.since)} (#${e.packet})` : '—';
    });
    out.push(`| ${md(`${flowLabel(p.flow)} ${p.label}`)} | ${cells.join(' | ')} | ${p.missing ? `✕ ${md(p.missing)}` : ''} |`);
  }
  const more = t.omitted + Math.max(0, t.packets.length - max);
  if (more) out.push('', `${more} more packets in the JSON report.`);
  return out;
}
