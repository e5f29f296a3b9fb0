/**
 * The full analysis as `netdiag read FILE... --format json` runs it (every capture's pass,
 * the diagnosis, the JSON report), called straight from the built package. It measures the
 * analysis while the CLI's report path is not wired to it, and keeps the worker-thread
 * behaviour of the real thing: run.js is loaded from dist/, so several captures go to
 * worker threads unless NETDIAG_NO_WORKERS is set.
 *
 *   node bench/analyze-driver.mjs FILE...   (after npm run build; `-` reads stdin)
 *   NETDIAG_DIST=/path/to/dist node bench/analyze-driver.mjs FILE...   (another build, for before/after)
 *   NETDIAG_BENCH_WITHOUT=path,... node bench/analyze-driver.mjs FILE...
 *
 * NETDIAG_BENCH_WITHOUT leaves the named analyzers out (the captures are then read in this
 * process), to tell one analyzer's memory or time from the rest. A capture of any size can
 * be piped in without a file:
 *
 *   node --import tsx bench/generate.ts --packets 10M --out /dev/stdout | /usr/bin/time -v node bench/analyze-driver.mjs -
 */
import { pathToFileURL } from 'node:url';

const dist = process.env.NETDIAG_DIST ? pathToFileURL(process.env.NETDIAG_DIST.replace(/\/?$/, '/')).href : new URL('../dist/', import.meta.url).href;
const { analyzeAll } = await import(`${dist}src/analysis/run.js`);
const { parseCaptureArg } = await import(`${dist}src/analysis/pass.js`);
const { diagnose } = await import(`${dist}src/analysis/diagnose.js`);
const { buildReport } = await import(`${dist}src/report/report.js`);
const { analyzers } = await import(`${dist}src/analysis/analyzers/index.js`);

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node bench/analyze-driver.mjs FILE...\n');
  process.exit(2);
}
const without = (process.env.NETDIAG_BENCH_WITHOUT ?? '').split(',').filter(Boolean);
const list = without.length ? analyzers.filter((a) => !without.includes(a.name)) : analyzers;
const { results, failures } = await analyzeAll(files.map(parseCaptureArg), without.length ? { analyzers: list } : {});
for (const f of failures) process.stderr.write(`analyze-driver: ${f.input.path}: ${f.message}\n`);
const { model, findings } = diagnose(results, null, list);
const report = buildReport(model, findings, 'bench', ['read', ...files, '--format', 'json']);
process.stdout.write(JSON.stringify(report) + '\n');
process.exitCode = failures.length > 0 ? 2 : 0;
