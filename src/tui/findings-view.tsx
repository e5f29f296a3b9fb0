import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Evidence } from '../analysis/finding.js';
import type { Report, ReportFinding } from '../report/report.js';
import { annotate, longAddress, type AddressNames } from './address-names.js';
import { fit, safe, scrollTop, wrap } from './layout.js';
import type { AnalysisState } from './session.js';
import { SEVERITY_COLOR, SEVERITY_LABEL } from './theme.js';

export type FindingsFocus = 'list' | 'evidence';

interface Line {
  text: string;
  color?: string;
  bold?: boolean;
  /** Index of the evidence item this line shows. */
  evidence?: number;
}

export function evidenceText(e: Evidence, names?: AddressNames): string {
  const shown = e.packets.join(', ');
  const more = e.count > e.packets.length ? ` … (${e.count} in all)` : '';
  return `${safe(e.capture)}: packet${e.packets.length === 1 ? '' : 's'} ${shown}${more} — ${safe(annotate(names, e.note))}`;
}

/**
 * A finding's detail as lines: what, where, why, the evidence (selectable) and the fix.
 * With cluster state, the node is named and addresses in the text carry their names.
 */
export function findingLines(f: ReportFinding, width: number, names?: AddressNames): Line[] {
  const out: Line[] = [];
  out.push({ text: safe(annotate(names, f.title)), bold: true, color: SEVERITY_COLOR[f.severity] });
  const node = f.node ? `node ${f.nodeName !== undefined ? `${f.nodeName} (${f.node})` : longAddress(names, f.node)}` : null;
  const meta = [f.component, node, `confidence ${Math.round(f.confidence * 100)}%`, f.id].filter(Boolean).join(' · ');
  out.push({ text: safe(meta), color: 'gray' });
  for (const l of wrap(safe(annotate(names, f.detail)), width)) out.push({ text: l });
  out.push({ text: 'Evidence (Enter: show the packets)', bold: true });
  f.evidence.forEach((e, k) => out.push({ text: '  ' + evidenceText(e, names), evidence: k }));
  if (f.remedy.length) {
    out.push({ text: 'Check / fix', bold: true });
    for (const r of f.remedy) out.push({ text: `  $ ${safe(r)}`, color: 'green' });
  }
  return out;
}

export interface FindingsViewProps {
  report: Report | null;
  analysis: AnalysisState;
  captures: number;
  cursor: number;
  evidenceCursor: number;
  focus: FindingsFocus;
  width: number;
  height: number;
}

/** Ranked findings on top, the selected one's detail, evidence and remedy below. */
export function FindingsView({ report, analysis, captures, cursor, evidenceCursor, focus, width, height }: FindingsViewProps) {
  if (report === null) {
    const text =
      analysis === 'running'
        ? `Diagnosing ${captures} capture${captures === 1 ? '' : 's'}… the packets are browsable meanwhile (2).`
        : analysis === 'off'
          ? 'No diagnosis for this session.'
          : 'The diagnosis could not run (see the message line).';
    return (
      <Box height={height} flexDirection="column">
        <Text dimColor>{fit(text, width)}</Text>
      </Box>
    );
  }
  const findings = report.findings;
  if (findings.length === 0) {
    return (
      <Box height={height} flexDirection="column">
        <Text color="green">{fit(safe(report.verdict), width)}</Text>
      </Box>
    );
  }
  const listHeight = Math.min(findings.length, Math.max(2, Math.floor(height / 3)));
  const listTop = scrollTop(0, cursor, listHeight, findings.length);
  const list: ReactNode[] = [];
  for (let i = listTop; i < Math.min(findings.length, listTop + listHeight); i++) {
    const f = findings[i]!;
    const sel = i === cursor;
    list.push(
      <Text key={i} inverse={sel && focus === 'list'} bold={sel}>
        <Text color={SEVERITY_COLOR[f.severity]}>{`${String(i + 1).padStart(2)}. ${SEVERITY_LABEL[f.severity].padEnd(5)} `}</Text>
        {fit(safe(annotate(report.names, f.title)), width - 10)}
      </Text>,
    );
  }
  const f = findings[Math.min(cursor, findings.length - 1)]!;
  const lines = findingLines(f, width, report.names);
  const detailHeight = height - listHeight - 1;
  const selLine = lines.findIndex((l) => l.evidence === evidenceCursor);
  const top = focus === 'evidence' && selLine >= 0 ? scrollTop(0, Math.min(lines.length - 1, selLine + 2), detailHeight, lines.length) : 0;
  const detail: ReactNode[] = [];
  for (let i = top; i < Math.min(lines.length, top + detailHeight); i++) {
    const l = lines[i]!;
    const sel = focus === 'evidence' && l.evidence === evidenceCursor;
    detail.push(
      <Text key={i} inverse={sel} bold={l.bold === true} {...(l.color ? { color: l.color } : {})}>
        {fit(l.text, width)}
      </Text>,
    );
  }
  return (
    <Box height={height} flexDirection="column">
      {list}
      <Text dimColor>{fit('─'.repeat(width), width)}</Text>
      {detail}
    </Box>
  );
}
