/**
 * The full analysis as `netdiag read FILE... --format json` runs it (every capture's pass,
 * the diagnosis, the JSON report), called straight from the built package. It measures the
 * analysis while the CLI's report path is not wired to it, and keeps the worker-thread
 * behaviour of the real thing: run.js is loaded from dist/, so several captures go to
 * worker threads unless NETDIAG_NO_WORKERS is set.
 *
 *   node bench/analyze-driver.mjs FILE...   (after npm run build)
 */
import { analyzeAll } from '../dist/src/analysis/run.js';
import { parseCaptureArg } from '../dist/src/analysis/pass.js';
import { diagnose } from '../dist/src/analysis/diagnose.js';
import { buildReport } from '../dist/src/report/report.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node bench/analyze-driver.mjs FILE...\n');
  process.exit(2);
}
const { results, failures } = await analyzeAll(files.map(parseCaptureArg));
for (const f of failures) process.stderr.write(`analyze-driver: ${f.input.path}: ${f.message}\n`);
const { model, findings } = diagnose(results, null);
const report = buildReport(model, findings, 'bench', ['read', ...files, '--format', 'json']);
process.stdout.write(JSON.stringify(report) + '\n');
process.exitCode = failures.length > 0 ? 2 : 0;
