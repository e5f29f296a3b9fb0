import type { Finding } from './finding.js';
import type { Model } from './model.js';

/**
 * TCP timeouts and ICMP errors are usually symptoms of a cause another analyzer already
 * named (a stale FDB entry, a dropped tunnel port, a dead BGP session). When an error
 * finding names one of the nodes on the symptom's path, the symptom is kept as a note
 * pointing at it, so the ranked list leads with causes and a healthy path's trouble still
 * stands on its own.
 */
export function asSymptom(f: Finding, model: Model, nodesOnPath: Array<string | null | undefined>): Finding {
  const involved = new Set(nodesOnPath.filter((n): n is string => !!n));
  const cause = model.findings.find((c) => c.severity === 'error' && c.component !== 'tcp' && c.component !== 'icmp' && c.node !== null && involved.has(c.node));
  if (!cause) return f;
  return { ...f, severity: 'info', confidence: Math.min(f.confidence, 0.5), detail: `${f.detail}\nLikely a consequence of: ${cause.title}.` };
}
