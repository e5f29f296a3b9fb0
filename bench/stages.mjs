/**
 * Where the full analysis spends its time per packet, stage by stage: the record walk,
 * then decoding, the facts, the flow table, and every analyzer's per-packet hook, each
 * measured as the CPU time it adds to the stage before it. Runs from the built package.
 *
 *   node bench/stages.mjs FILE [--runs K] [--analyzers]   (after npm run build)
 *   NETDIAG_DIST=/path/to/dist node bench/stages.mjs FILE  (another build, for before/after)
 *
 * Each stage is one loop over the whole capture, repeated K times (default 3); the
 * minimum CPU time is printed, as it is the least disturbed by other work on the machine.
 * --analyzers adds one row per analyzer with a per-packet hook: the pass with that hook
 * alone, less the pass with none.
 */
import { pathToFileURL } from 'node:url';

const dist = process.env.NETDIAG_DIST ? pathToFileURL(process.env.NETDIAG_DIST.replace(/\/?$/, '/')).href : new URL('../dist/', import.meta.url).href;
const { CaptureReader } = await import(`${dist}src/capture/reader.js`);
const { Decoder } = await import(`${dist}src/decode/decoder.js`);
const { createRegistry } = await import(`${dist}src/decode/protocols.js`);
const { PacketFacts } = await import(`${dist}src/analysis/facts.js`);
const { FlowTable } = await import(`${dist}src/analysis/flow-table.js`);
const { analyzers } = await import(`${dist}src/analysis/analyzers/index.js`);

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const perAnalyzer = args.includes('--analyzers');
if (!file) {
  process.stderr.write('usage: node bench/stages.mjs FILE [--runs K] [--analyzers]\n');
  process.exit(2);
}

/** One loop over the capture: `level` 0 walks, 1 decodes, 2 extracts facts, 3 adds flows, 4 runs `hooks`. */
async function pass(level, hooks) {
  const reader = await CaptureReader.open(file);
  const reg = createRegistry();
  const decoder = new Decoder(reg);
  const facts = new PacketFacts(reg);
  const flows = new FlowTable();
  const ctx = { captureIndex: 0, capture: 'bench', time: 0, flowRow: -1, flowDir: 0, flows };
  const states = hooks.map((a) => a.create(ctx));
  const fns = hooks.map((a) => a.packet.bind(a));
  const rec = reader.rec;
  let packets = 0;
  const t0 = process.cpuUsage();
  for (;;) {
    while (reader.next()) {
      packets++;
      if (level === 0) continue;
      const p = decoder.decode(rec, 0);
      if (level === 1) continue;
      facts.extract(p);
      if (level === 2) continue;
      const time = rec.tsSec + rec.tsNsec / 1e9;
      ctx.time = time;
      ctx.flowRow = flows.add(facts, time, p.number, rec.wireLen);
      ctx.flowDir = flows.lastDir;
      for (let a = 0; a < fns.length; a++) fns[a](states[a], facts, p, ctx);
    }
    if (!(await reader.fill())) break;
  }
  const t = process.cpuUsage(t0);
  await reader.close();
  return { packets, ms: (t.user + t.system) / 1000 };
}

async function best(level, hooks) {
  let min = Infinity;
  let packets = 0;
  for (let r = 0; r < runs; r++) {
    const m = await pass(level, hooks);
    packets = m.packets;
    if (m.ms < min) min = m.ms;
  }
  return { packets, ms: min };
}

const withHooks = analyzers.filter((a) => typeof a.packet === 'function' && a.name !== 'path');
const rows = [];
const stages = [
  ['record walk', 0, []],
  ['+ decode', 1, []],
  ['+ facts', 2, []],
  ['+ flow table', 3, []],
  ['+ every analyzer hook (no path)', 3, withHooks],
];
let prev = 0;
let packets = 0;
for (const [name, level, hooks] of stages) {
  const m = await best(level, hooks);
  packets = m.packets;
  rows.push([name, m.ms, m.ms - prev]);
  prev = m.ms;
}
const flowsOnly = rows[3][1];
if (perAnalyzer) {
  for (const a of withHooks) {
    const m = await best(3, [a]);
    rows.push([`  hook: ${a.name}`, m.ms, m.ms - flowsOnly]);
  }
}
const kpps = (ms) => (ms > 0 ? `${((packets / ms) * 1000 / 1000).toFixed(0)} k/s` : '-');
process.stdout.write(`${file}: ${packets} packets, best of ${runs} runs, CPU ms\n`);
process.stdout.write(`${'stage'.padEnd(34)} ${'total'.padStart(8)} ${'added'.padStart(8)} ${'ns/pkt'.padStart(8)}  packets/CPU-s\n`);
for (const [name, total, added] of rows) {
  process.stdout.write(`${name.padEnd(34)} ${total.toFixed(0).padStart(8)} ${added.toFixed(0).padStart(8)} ${((added * 1e6) / packets).toFixed(0).padStart(8)}  ${kpps(total)}\n`);
}
