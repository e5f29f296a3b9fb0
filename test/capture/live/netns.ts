/**
 * A two-namespace veth lab for live-capture tests: namespace `a` sends, namespace `b`
 * captures on `vb`. Everything lives inside namespaces this process creates (the veth is
 * created inside `a`, so the root namespace is never touched) and is deleted by
 * `destroy()`, or at exit if a test dies first. Static neighbours and disabled IPv6 keep
 * the wire free of ARP, ND and MLD, so the packets on it are exactly the ones sent.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
export const NOT_ROOT_REASON = 'needs root to create network namespaces and capture';

export const A_ADDR = '198.18.0.1';
export const B_ADDR = '198.18.0.2';
export const UDP_PORT = 9999;

function sh(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

let made = 0;

export class VethLab {
  readonly a: string;
  readonly b: string;
  private alive = true;
  private readonly atExit = (): void => this.destroy();

  constructor() {
    const tag = `ndl${process.pid}x${made++}`;
    this.a = `${tag}a`;
    this.b = `${tag}b`;
    process.on('exit', this.atExit);
    try {
      sh(['ip', 'netns', 'add', this.a]);
      sh(['ip', 'netns', 'add', this.b]);
      for (const n of [this.a, this.b]) {
        sh(['ip', 'netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
        sh(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
      }
      sh(['ip', '-n', this.a, 'link', 'add', 'va', 'address', '02:00:00:00:00:0a', 'type', 'veth', 'peer', 'name', 'vb', 'netns', this.b, 'address', '02:00:00:00:00:0b']);
      sh(['ip', '-n', this.a, 'addr', 'add', `${A_ADDR}/24`, 'dev', 'va']);
      sh(['ip', '-n', this.b, 'addr', 'add', `${B_ADDR}/24`, 'dev', 'vb']);
      sh(['ip', '-n', this.a, 'link', 'set', 'va', 'up']);
      sh(['ip', '-n', this.b, 'link', 'set', 'vb', 'up']);
      sh(['ip', '-n', this.a, 'neigh', 'replace', B_ADDR, 'lladdr', '02:00:00:00:00:0b', 'dev', 'va']);
      sh(['ip', '-n', this.b, 'neigh', 'replace', A_ADDR, 'lladdr', '02:00:00:00:00:0a', 'dev', 'vb']);
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  destroy(): void {
    if (!this.alive) return;
    this.alive = false;
    process.off('exit', this.atExit);
    for (const n of [this.a, this.b]) spawnSync('ip', ['netns', 'del', n]);
  }

  /** Delete the veth pair (both ends go), as deleting a pod deletes its veth. */
  deleteVeth(): void {
    sh(['ip', '-n', this.a, 'link', 'del', 'va']);
  }

  /**
   * Send UDP datagrams of the given payload sizes from a to b, `gapMs` apart. `sent`
   * resolves when the sender exits, `passed` once `markAt` datagrams are out. Bounded by
   * the list and by a 60 s kill.
   */
  sendUdpStream(sizes: readonly number[], gapMs: number, markAt: number): { sent: Promise<void>; passed: Promise<void> } {
    const script = [
      'import socket, sys, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      `for i, n in enumerate([${sizes.join(',')}]):`,
      // Exit 3, quietly, when the interface goes away under it (the interface-gone tests).
      '    try:',
      `        s.sendto(b"x" * n, ("${B_ADDR}", ${UDP_PORT}))`,
      '    except OSError:',
      '        sys.exit(3)',
      `    if i + 1 == ${markAt}: print("mark", flush=True)`,
      `    time.sleep(${gapMs / 1000})`,
    ].join('\n');
    const p = spawn('ip', ['netns', 'exec', this.a, 'python3', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    const passed = new Promise<void>((resolve, reject) => {
      p.stdout!.setEncoding('utf8').on('data', (t: string) => {
        if (t.includes('mark')) resolve();
      });
      p.once('exit', () => reject(new Error(`UDP sender exited before sending ${markAt} datagrams`)));
    });
    passed.catch(() => undefined);
    const sent = (async () => {
      const [code] = (await once(p, 'exit')) as [number | null];
      clearTimeout(timer);
      if (code !== 0) throw new Error(code === 3 ? 'UDP sender stopped: a send failed (the interface went away)' : `UDP sender exited with ${code}`);
    })();
    return { sent, passed };
  }

  /** All of `sendUdpStream` at once. */
  sendUdp(sizes: readonly number[], gapMs = 2): Promise<void> {
    return this.sendUdpStream(sizes, gapMs, sizes.length).sent;
  }
}

export interface Running {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Start `netdiag ARGS` inside namespace `ns` from the sources (through `wrapper`, e.g. setpriv); killed after `limitMs`. */
export function netdiagIn(ns: string, args: string[], limitMs = 60_000, wrapper: string[] = []): Running {
  const child = spawn('ip', ['netns', 'exec', ns, ...wrapper, process.execPath, '--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: new URL('../../../', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { child, stderr: () => err, stdout: () => out, exited };
}

/** Resolves once netdiag's stderr says it captures on `count` interfaces; rejects if it exits first. */
export async function capturing(r: Running, count = 1, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let done = false;
  void r.exited.then(() => (done = true));
  for (;;) {
    if ((r.stderr().match(/capturing on /g) ?? []).length >= count) return;
    if (done) throw new Error(`netdiag exited before capturing: ${r.stderr()}`);
    if (Date.now() > deadline) throw new Error(`netdiag did not start capturing within ${limitMs} ms: ${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
