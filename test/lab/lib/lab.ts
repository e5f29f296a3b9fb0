import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, run, sleepSync, type RunOptions, type RunResult } from './exec.js';

/**
 * Every namespace the lab creates is named `nd-<driver pid>-<role>`, so a
 * cleanup can tell leftovers of a crashed run (pid gone) from a run that is
 * still going (another engineer's, or a test running in parallel).
 */
export const NS_PREFIX = 'nd-';
const NS_RE = /^nd-(\d+)-[a-z0-9-]+$/;
const RUNDIR_PREFIX = 'nd-lab-';
const RUNDIR_BASE = '/tmp';

export interface BackgroundOptions {
  /** Upper bound on the process's life, enforced by coreutils `timeout` inside the namespace. */
  ttlSeconds: number;
  /** Signal `timeout` sends at the deadline (it forwards the signals it receives as well). */
  killSignal?: NodeJS.Signals;
}

export class Proc {
  output = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly role: string,
    readonly child: ChildProcess,
    logFile: string,
  ) {
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (this.output.length < 256 * 1024) this.output += text;
      appendFileSync(logFile, text);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
      child.on('error', (err) => {
        this.output += `\n${err.message}`;
        this.exitCode = 127;
        resolve(127);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForOutput(re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.output)) {
      if (!this.running) throw new Error(`${this.name} exited before printing ${re}: ${this.output.trim()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${re} within ${timeoutMs} ms: ${this.output.trim()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running && this.child.pid) {
      try {
        process.kill(this.child.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** Polite signal first so tcpdump flushes and closes its file; then force. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number | null> {
    if (!this.running) return this.exitCode;
    this.signal(sig);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs));
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.signal('SIGKILL');
      await this.exited;
    }
    return this.exitCode;
  }
}

export class Lab {
  readonly runId = String(process.pid);
  readonly runDir: string;
  private readonly namespaces: string[] = [];
  private readonly procs: Proc[] = [];
  private readonly commandLog: string[] = [];
  private tornDown = false;

  constructor() {
    this.runDir = join(RUNDIR_BASE, `${RUNDIR_PREFIX}${this.runId}`);
    mkdirSync(this.runDir, { recursive: true });
  }

  hasNamespace(role: string): boolean {
    return this.namespaces.includes(this.ns(role));
  }

  ns(role: string): string {
    return `${NS_PREFIX}${this.runId}-${role}`;
  }

  /** The commands that built the cluster, written as a runbook per namespace. */
  get commands(): string {
    return this.commandLog.join('\n') + '\n';
  }

  note(text: string): void {
    this.commandLog.push(`# ${text}`);
  }

  addNamespace(role: string): string {
    const name = this.ns(role);
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    this.commandLog.push(`# namespace ${role}`);
    // IPv6 off: router solicitations and MLD reports would add noise to every
    // capture without exercising anything the lab is about.
    this.sh(role, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    this.sh(role, ['ip', 'link', 'set', 'lo', 'up']);
    return name;
  }

  sh(role: string, argv: readonly string[], opts: RunOptions = {}): RunResult {
    this.commandLog.push(`${role}# ${argv.map(shellQuote).join(' ')}`);
    return run(['ip', 'netns', 'exec', this.ns(role), ...argv], opts);
  }

  /** Like sh() but not written to the runbook: reads that do not change the cluster. */
  query(role: string, argv: readonly string[], opts: RunOptions = {}): RunResult {
    return run(['ip', 'netns', 'exec', this.ns(role), ...argv], { allowFail: true, ...opts });
  }

  /** `log`: how the command appears in the runbook ('bg' marks it as left running). */
  spawn(role: string, name: string, argv: readonly string[], opts: BackgroundOptions, log: 'bg' | 'fg' | 'none' = 'bg'): Proc {
    if (log !== 'none') this.commandLog.push(`${role}# ${argv.map(shellQuote).join(' ')}${log === 'bg' ? ' &' : ''}`);
    const full = [
      'netns', 'exec', this.ns(role),
      'timeout', '-s', opts.killSignal ?? 'SIGTERM', '-k', '5', String(opts.ttlSeconds),
      ...argv,
    ];
    const child = spawn('ip', full, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new Proc(name, role, child, join(this.runDir, `${name}.log`));
    this.procs.push(proc);
    return proc;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop('SIGTERM', 3000)));
  }

  /**
   * Synchronous so it can run from 'exit' and signal handlers. Order matters:
   * a process still inside a namespace keeps it (and its veths) alive after
   * `ip netns del`, so everything inside is killed first.
   */
  teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const p of this.procs) p.signal('SIGTERM');
    const deadline = Date.now() + 3000;
    while (this.procs.some((p) => p.running && p.child.pid && pidAlive(p.child.pid)) && Date.now() < deadline) sleepSync(50);
    for (const p of this.procs) p.signal('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) deleteNamespace(ns);
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

function deleteNamespace(ns: string): void {
  const pids = run(['ip', 'netns', 'pids', ns], { allowFail: true, timeoutMs: 5000 })
    .stdout.split(/\s+/)
    .filter(Boolean)
    .map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (pids.length) sleepSync(100);
  run(['ip', 'netns', 'del', ns], { allowFail: true, timeoutMs: 10_000 });
}

export function listLabNamespaces(): { name: string; pid: number }[] {
  const out = run(['ip', 'netns', 'list'], { allowFail: true }).stdout;
  const result: { name: string; pid: number }[] = [];
  for (const line of out.split('\n')) {
    const name = line.split(/\s+/)[0] ?? '';
    const m = NS_RE.exec(name);
    if (m) result.push({ name, pid: Number(m[1]) });
  }
  return result;
}

/** A pid can be reused; only a live lab driver keeps its namespaces. */
function isLiveLabDriver(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lab');
  } catch {
    return false;
  }
}

/**
 * Removes what crashed runs left behind: namespaces (with every process in
 * them: tcpdump, bird, tunnel forwarders, traffic agents) and run directories.
 * `force` also removes those of runs that are still alive.
 */
export function cleanupLeftovers(force = false): string[] {
  const removed: string[] = [];
  for (const { name, pid } of listLabNamespaces()) {
    if (!force && (pid === process.pid || isLiveLabDriver(pid))) continue;
    deleteNamespace(name);
    removed.push(name);
  }
  for (const entry of readdirSync(RUNDIR_BASE)) {
    if (!entry.startsWith(RUNDIR_PREFIX)) continue;
    const pid = Number(entry.slice(RUNDIR_PREFIX.length));
    if (!Number.isInteger(pid)) continue;
    if (!force && (pid === process.pid || isLiveLabDriver(pid))) continue;
    rmSync(join(RUNDIR_BASE, entry), { recursive: true, force: true });
    removed.push(join(RUNDIR_BASE, entry));
  }
  return removed;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
