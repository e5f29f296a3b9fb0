import { basename } from 'node:path';
import type { CaptureInput } from './pass.js';

/**
 * `NAME=FILE` names a capture point; a bare path is named after its file. Apart from the pass
 * so that what only names captures (the terminal UI's first screen) does not load the analysis.
 */
export function parseCaptureArg(arg: string): CaptureInput {
  const eq = arg.indexOf('=');
  if (eq > 0 && !arg.slice(0, eq).includes('/')) return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
  return { name: arg === '-' ? 'stdin' : basename(arg), path: arg };
}
