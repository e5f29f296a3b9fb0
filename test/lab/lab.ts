/**
 * netdiag network lab: builds small Kubernetes-like clusters out of network
 * namespaces, breaks them the way clusters break, captures where an SRE would
 * and writes captures + node state + truth per scenario.
 *
 *   npm run lab -- list
 *   npm run lab -- table                                  (the README's scenario table)
 *   npm run lab -- SCENARIO[,SCENARIO...]|all [OUTDIR]   (default test/lab/out)
 *   npm run lab -- cleanup [--force]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupLeftovers } from './lib/lab.js';
import { preflight } from './lib/preflight.js';
import { runScenario, teardownCurrent, type ScenarioResult } from './lib/runner.js';
import { SCENARIOS, scenarioByName, scenarioTable } from './scenarios.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = join(here, 'out');

function usage(): never {
  console.error('usage: lab.ts list | table | cleanup [--force] | SCENARIO[,SCENARIO...]|all [OUTDIR]');
  process.exit(2);
}

function installTeardownHandlers(): void {
  // Every way out removes the namespaces and processes of this run.
  process.on('exit', teardownCurrent);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: tearing down`);
      teardownCurrent();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    teardownCurrent();
    process.exit(1);
  });
}

async function main(argv: string[]): Promise<number> {
  const [cmd, outArg] = argv;
  if (!cmd) usage();

  if (cmd === 'table') {
    process.stdout.write(scenarioTable());
    return 0;
  }

  if (cmd === 'list') {
    const width = Math.max(...SCENARIOS.map((s) => s.name.length));
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(width)}  ${s.summary}`);
    return 0;
  }

  const problems = preflight();
  if (problems.length) {
    console.error('the lab cannot run here:\n' + problems.map((p) => `  - ${p}`).join('\n'));
    return 2;
  }

  if (cmd === 'cleanup') {
    const removed = cleanupLeftovers(argv.includes('--force'));
    console.log(removed.length ? `removed:\n${removed.map((r) => `  ${r}`).join('\n')}` : 'nothing to clean up');
    return 0;
  }

  const names = cmd === 'all' ? SCENARIOS.map((s) => s.name) : cmd.split(',');
  const unknown = names.filter((n) => !scenarioByName(n));
  if (unknown.length) {
    console.error(`unknown scenario(s): ${unknown.join(', ')} (see \`npm run lab -- list\`)`);
    return 2;
  }

  installTeardownHandlers();
  const leftovers = cleanupLeftovers();
  if (leftovers.length) console.error(`removed leftovers of crashed runs: ${leftovers.join(', ')}`);

  const out = resolve(outArg ?? DEFAULT_OUT);
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const name of names) {
    const sc = scenarioByName(name)!;
    process.stdout.write(`${name} ... `);
    const r = await runScenario(sc, out);
    results.push(r);
    const failed = r.records.filter((x) => !x.ok).length;
    console.log(`${r.seconds.toFixed(1)} s, ${r.records.length - failed}/${r.records.length} traffic steps succeeded -> ${r.dir}`);
    if (process.env.LAB_VERBOSE) for (const x of r.records) console.log(`    ${x.ok ? 'ok  ' : 'FAIL'} ${x.what}: ${x.detail}`);
  }
  const seconds = (Date.now() - started) / 1000;
  writeFileSync(
    join(out, 'summary.json'),
    JSON.stringify({ seconds, scenarios: results.map((r) => ({ name: r.name, seconds: r.seconds, traffic: r.records })) }, null, 2) + '\n',
  );
  console.log(`${results.length} scenario(s) in ${seconds.toFixed(1)} s`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    teardownCurrent();
    process.exit(1);
  },
);
