import type { ClusterSource, LiveFeed } from './session.js';

export type { ClusterSource, LiveFeed, LiveListener } from './session.js';

/** Capture files to open (`NAME=PATH` names a capture point), or a capture being taken. */
export type TuiInput =
  | {
      files: string[];
      decodeAs?: string[];
      nodeState?: string;
      command?: string[];
      /** Display filter to start with (read -Y). */
      filter?: string;
      /** read --cluster-state / --k8s: names of pods, nodes and Services. */
      cluster?: ClusterSource;
      /** read --trace: packets to follow across the captures (topology view). */
      trace?: string;
    }
  | { live: LiveFeed; decodeAs?: string[] };

export interface TuiTerminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/**
 * The terminal UI: `netdiag read` on a terminal, and live capture. Resolves with the exit
 * code once the user quits.
 */
export async function runTui(input: TuiInput, term: TuiTerminal = { stdin: process.stdin, stdout: process.stdout }): Promise<number> {
  // React's development build records every render's props for its profiler, seconds a
  // keypress with the packet stores as props; and react, its JSX runtime and the
  // reconciler must all load in the same mode. So the mode is set before any of them load.
  process.env['NODE_ENV'] ??= 'production';
  const { runTerminal } = await import('./terminal.js');
  return runTerminal(input, term);
}
