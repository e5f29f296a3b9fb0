import { spawnSync } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Every command is bounded: a hung `ip` or `birdc` must not hang the lab. */
  timeoutMs?: number;
  /** Faults are often made by commands expected to fail (e.g. a ping into a black hole). */
  allowFail?: boolean;
  input?: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`command failed (exit ${result.code}): ${argv.join(' ')}\n${result.stderr.trim()}`);
  }
}

export function run(argv: readonly string[], opts: RunOptions = {}): RunResult {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty command');
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 20_000,
    killSignal: 'SIGKILL',
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  const result: RunResult = {
    // A timed-out command has no exit status; 124 is what coreutils `timeout` reports.
    code: r.status ?? (r.error || r.signal ? 124 : 1),
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : ''),
  };
  if (result.code !== 0 && !opts.allowFail) throw new CommandError(argv, result);
  return result;
}

/** Blocks the thread; used only on teardown paths that cannot be async (exit handlers). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
