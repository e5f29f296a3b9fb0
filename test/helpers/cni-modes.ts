import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TOPOLOGY = join(import.meta.dirname, '../../src/analysis/topology');

/**
 * Every CNI mode name topology inference can give, read from its source: the quoted names
 * after `mode:` in build.ts and the per-CNI recognisers. A mode added there shows up here,
 * so the tables keyed by mode name are checked against it without being listed twice.
 */
export function inferredModeNames(): string[] {
  const names = new Set<string>();
  for (const f of readdirSync(TOPOLOGY).filter((x) => x.endsWith('.ts'))) {
    for (const m of readFileSync(join(TOPOLOGY, f), 'utf8').matchAll(/\bmode:\s*([^,}\n]+)/g)) {
      for (const q of m[1]!.matchAll(/'([^']+)'/g)) names.add(q[1]!);
    }
  }
  return [...names].sort();
}
