/**
 * npm run fuzz -- --minutes N [--seed S] [--no-coverage] [--json FILE]
 *
 * A mutation fuzzer over the fixtures, the shared corpus and crafted packets of every
 * protocol: byte flips, inserts, deletes, splices, and mutations of the length fields the
 * capture formats and the packet headers carry. Each input goes through the reader, the
 * decoder in audit mode (every record in a Buffer of its own length, every field and
 * output), and one input in four through the analysis pass, the diagnosis and the
 * reports. V8 block coverage decides which inputs are kept.
 *
 * An input that throws is written to fixtures/crashers/<hash>.pcap with the stack in
 * <hash>.txt (test/hostile/crashers.test.ts runs every one of them); an input that hangs
 * the loop for HANG_MS is kept the same way, and fuzzing goes on in a new worker.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerData, WorkerMessage } from './worker.js';
import { MAX_INPUT } from './mutate.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const HANG_MS = 30_000;

interface Args {
  minutes: number;
  seed: number;
  coverage: boolean;
  json: string | null;
  crashers: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { minutes: 1, seed: (Date.now() ^ (process.pid << 16)) >>> 0, coverage: true, json: null, crashers: `${ROOT}fixtures/crashers` };
  for (let k = 0; k < argv.length; k++) {
    const v = argv[k]!;
    const next = () => {
      const x = argv[++k];
      if (x === undefined) throw new Error(`${v} needs a value`);
      return x;
    };
    if (v === '--minutes') a.minutes = Number(next());
    else if (v === '--seed') a.seed = Number(next()) >>> 0;
    else if (v === '--no-coverage') a.coverage = false;
    else if (v === '--json') a.json = next();
    else if (v === '--crashers') a.crashers = next();
    else if (v === '--help' || v === '-h') {
      process.stdout.write('usage: npm run fuzz -- --minutes N [--seed S] [--no-coverage] [--json FILE] [--crashers DIR]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${v}`);
  }
  if (!(a.minutes > 0)) throw new Error('--minutes must be a positive number');
  return a;
}

/** Same bug, same signature: the error's kind and message without numbers, and where in netdiag it was thrown. */
function signature(name: string, message: string, stack: string): string {
  const frame = stack
    .split('\n')
    .slice(1)
    .find((l) => /\/(src|dissectors)\//.test(l) && !l.includes('/fuzz/'));
  const where = frame ? frame.replace(/^.*\/((src|dissectors)\/[^):]+:\d+).*$/, '$1') : 'unknown';
  return `${name}: ${message.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 160)} @ ${where}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.crashers, { recursive: true });
  const started = Date.now();
  const deadline = started + args.minutes * 60_000;
  const shared = new SharedArrayBuffer(8 + MAX_INPUT);
  const counter = new Int32Array(shared, 0, 2);
  const found: Uint8Array[] = [];
  const hung: string[] = [];
  const crashes = new Map<string, string>();
  let hangs = 0;
  let restarts = 0;
  let last: Extract<WorkerMessage, { type: 'stats' | 'done' }> | null = null;
  let execsBefore = 0;

  const save = (input: Uint8Array, text: string, sig: string): string => {
    const hash = createHash('sha1').update(input).digest('hex').slice(0, 16);
    const base = `${args.crashers}/${hash}`;
    if (!existsSync(`${base}.pcap`)) {
      writeFileSync(`${base}.pcap`, input);
      writeFileSync(`${base}.txt`, `${sig}\n\nfound by: npm run fuzz -- --minutes ${args.minutes} --seed ${args.seed}\n\n${text}\n`);
    }
    return hash;
  };

  process.stdout.write(`netdiag fuzz: ${args.minutes} min, seed ${args.seed}, coverage ${args.coverage ? 'V8 block coverage' : 'off (protocol/anomaly tuples only)'}\n`);

  const runWorker = (): Promise<void> =>
    new Promise((resolve) => {
      const data: WorkerData = { seed: (args.seed + restarts * 7919) >>> 0, deadline, coverage: args.coverage, root: ROOT, crasherDir: args.crashers, shared, corpus: found, skip: hung };
      // TypeScript loader hooks do not reach worker threads by themselves: register tsx there first.
      const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
      const w = new Worker(boot, { eval: true, workerData: data });
      let progressed = false;
      let seen = Atomics.load(counter, 0);
      let since = Date.now();
      let finished = false;
      const watch = setInterval(() => {
        const now = Atomics.load(counter, 0);
        if (now !== seen) {
          seen = now;
          since = Date.now();
          return;
        }
        if (Date.now() - since < HANG_MS) return;
        // The same input for HANG_MS: keep it and go on in a new worker.
        const len = Atomics.load(counter, 1);
        const input = new Uint8Array(shared, 8, len).slice();
        hung.push(createHash('sha1').update(input).digest('hex'));
        const sig = `hang: no progress for ${HANG_MS / 1000} s`;
        const hash = save(input, sig, sig);
        crashes.set(sig + ` (${hash})`, hash);
        process.stdout.write(`hang ${hash}: ${sig}\n`);
        hangs++;
        clearInterval(watch);
        void w.terminate();
      }, 1000);
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'input') found.push(m.input);
        else if (m.type === 'crash') {
          const sig = signature(m.name, m.message, m.stack);
          if (!crashes.has(sig)) {
            const hash = save(m.input, m.stack, sig);
            crashes.set(sig, hash);
            process.stdout.write(`crash ${hash}: ${sig}\n`);
          }
        } else {
          progressed = true;
          last = { ...m, execs: execsBefore + m.execs };
          if (m.type === 'done') finished = true;
        }
      });
      w.on('error', (e) => {
        const sig = signature(e.name, e.message, e.stack ?? '');
        process.stdout.write(`worker error: ${sig}\n`);
      });
      w.on('exit', () => {
        clearInterval(watch);
        if (last) execsBefore = last.execs;
        if (!finished && !progressed && hangs === 0) {
          process.stdout.write('the fuzzing worker stopped before its first execution; giving up\n');
          resolve();
        } else if (!finished && Date.now() < deadline) {
          restarts++;
          void runWorker().then(resolve);
        } else resolve();
      });
    });

  const progress = setInterval(() => {
    if (!last) return;
    const min = (Date.now() - started) / 60_000;
    process.stdout.write(`  ${min.toFixed(1)} min: ${last.execs} execs, ${Math.round(last.execs / min)}/min, corpus ${last.corpus}, ${last.covered} code bytes and ${last.functions[0]} functions covered, ${last.tuples} tuples\n`);
  }, 60_000);
  await runWorker();
  clearInterval(progress);

  const minutes = (Date.now() - started) / 60_000;
  const s = last as Extract<WorkerMessage, { type: 'stats' | 'done' }> | null;
  const execs = s?.execs ?? 0;
  const summary = {
    seed: args.seed,
    minutes: Number(minutes.toFixed(2)),
    execs,
    execsPerMinute: Math.round(execs / minutes),
    corpus: s?.corpus ?? 0,
    coverage: s && s.total
      ? { coveredBytes: s.covered, totalBytes: s.total, percent: Number(((100 * s.covered) / s.total).toFixed(1)), functionsEntered: s.functions[0], functionsKnown: s.functions[1] }
      : null,
    areas: (s?.areas ?? []).map(([area, c, t]) => ({ area, percent: Number(((100 * c) / t).toFixed(1)) })),
    tuples: s?.tuples ?? 0,
    crashes: [...crashes.entries()].map(([sig, hash]) => ({ hash, signature: sig })),
    hangs,
    restarts,
  };
  process.stdout.write(
    [
      `executions: ${execs} in ${minutes.toFixed(1)} min (${summary.execsPerMinute}/min)`,
      summary.coverage
        ? `V8 block coverage of src/ and dissectors/: ${summary.coverage.coveredBytes} of ${summary.coverage.totalBytes} compiled code bytes ran (${summary.coverage.percent}%, a lower bound: module-level statements are not counted); ${summary.coverage.functionsEntered} of ${summary.coverage.functionsKnown} functions entered`
        : 'V8 coverage: off',
      ...summary.areas.map((a) => `  ${a.area.padEnd(16)} ${a.percent}%`),
      `(protocol, depth) and anomaly tuples reached: ${summary.tuples}`,
      `corpus: ${summary.corpus} inputs`,
      `crashes: ${summary.crashes.length} (${hangs} hangs)${summary.crashes.length ? ` -> ${args.crashers}` : ''}`,
      ...summary.crashes.map((c) => `  ${c.hash}: ${c.signature}`),
      '',
    ].join('\n'),
  );
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 2) + '\n');
  process.exitCode = summary.crashes.length ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`netdiag fuzz: ${(e as Error).message}\n`);
  process.exit(2);
});
