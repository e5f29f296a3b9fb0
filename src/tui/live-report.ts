import { rankFindings, type Finding } from '../analysis/finding.js';
import { emptyTopology } from '../analysis/topology/types.js';
import { SCHEMA_VERSION, type Report } from '../report/report.js';
import { version } from '../version.js';

/**
 * The report the UI holds while a capture is being taken: the findings so far, ranked.
 * Flows, topology and per-capture summaries come with the report printed when the capture
 * stops; the views that need them say there are none yet.
 */
export function liveReport(findings: readonly Finding[], command: string[]): Report {
  const ranked = rankFindings([...findings]);
  const problems = ranked.filter((f) => f.severity !== 'info');
  const top = problems[0];
  const verdict = top
    ? `${top.title}${top.node ? ` (node ${top.node})` : ''}${problems.length > 1 ? `; ${problems.length - 1} more problem${problems.length === 2 ? '' : 's'} found` : ''}.`
    : 'No fault found so far.';
  return {
    schemaVersion: SCHEMA_VERSION,
    netdiag: { version: version(), command },
    verdict,
    captures: [],
    topology: emptyTopology(),
    flows: [],
    flowsOmitted: 0,
    findings: ranked,
    names: {},
    correlation: null,
  };
}
