/**
 * Two builds' per-packet pass, alternating in one process so both see the same machine:
 * decode, facts and the flow table (and, with `hooks`, every analyzer's per-packet hook
 * except the path analyzer's; with `hooks=NAME,NAME` only those), over one capture held
 * in memory; or, with `pass`, the CapturePass that `netdiag read` runs (every analyzer
 * but the path one). Prints the minimum and median CPU time of each and their ratio.
 *
 *   node bench/pass-ab.mjs FILE BEFORE_DIST AFTER_DIST [ROUNDS=9] [hooks|hooks=NAME,...|pass]
 *
 * A build's dist is what `tsc` writes (e.g. `git archive HEAD | tar -x -C /tmp/before`,
 * then tsc there): BEFORE_DIST=/tmp/before/dist AFTER_DIST=dist.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, distA, distB, rounds = '9', mode = ''] = process.argv.slice(2);
if (!file || !distA || !distB) {
  process.stderr.write('usage: node bench/pass-ab.mjs FILE BEFORE_DIST AFTER_DIST [ROUNDS] [hooks]\n');
  process.exit(2);
}
const withHooks = mode === 'hooks' || mode.startsWith('hooks=');
const hookNames = mode.startsWith('hooks=') ? mode.slice(6).split(',') : null;
const wholePass = mode === 'pass';

async function load(dist) {
  const base = pathToFileURL(resolve(dist)).href;
  const analyzers = (await import(`${base}/src/analysis/analyzers/index.js`)).analyzers;
  return {
    CaptureReader: (await import(`${base}/src/capture/reader.js`)).CaptureReader,
    Decoder: (await import(`${base}/src/decode/decoder.js`)).Decoder,
    createRegistry: (await import(`${base}/src/decode/protocols.js`)).createRegistry,
    PacketFacts: (await import(`${base}/src/analysis/facts.js`)).PacketFacts,
    FlowTable: (await import(`${base}/src/analysis/flow-table.js`)).FlowTable,
    hooks: analyzers.filter((a) => typeof a.packet === 'function' && a.name !== 'path' && (hookNames === null || hookNames.includes(a.name))),
    CapturePass: wholePass ? (await import(`${base}/src/analysis/capture-pass.js`)).CapturePass : null,
  };
}

const bytes = readFileSync(file);

async function pass(m) {
  const reader = m.CaptureReader.fromBuffer(bytes);
  if (wholePass) {
    const cp = new m.CapturePass({ name: 'bench', path: file }, 0, { followPackets: false });
    const rec = reader.rec;
    const t0 = process.cpuUsage();
    for (;;) {
      while (reader.next()) cp.packet(rec);
      if (!(await reader.fill())) break;
    }
    const u = process.cpuUsage(t0);
    return (u.user + u.system) / 1000;
  }
  const reg = m.createRegistry();
  const dec = new m.Decoder(reg);
  const facts = new m.PacketFacts(reg);
  const flows = new m.FlowTable();
  const ctx = { captureIndex: 0, capture: 'bench', time: 0, flowRow: -1, flowDir: 0, flows };
  const hooks = withHooks ? m.hooks : [];
  const states = hooks.map((a) => a.create(ctx));
  const fns = hooks.map((a) => a.packet.bind(a));
  const rec = reader.rec;
  const t0 = process.cpuUsage();
  for (;;) {
    while (reader.next()) {
      const p = dec.decode(rec, 0);
      facts.extract(p);
      const time = rec.tsSec + rec.tsNsec / 1e9;
      ctx.time = time;
      ctx.flowRow = flows.add(facts, time, p.number, rec.wireLen);
      ctx.flowDir = flows.lastDir;
      for (let a = 0; a < fns.length; a++) fns[a](states[a], facts, p, ctx);
    }
    if (!(await reader.fill())) break;
  }
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / 1000;
}

const A = await load(distA);
const B = await load(distB);
const a = [];
const b = [];
for (let r = 0; r < Number(rounds); r++) {
  a.push(await pass(A));
  b.push(await pass(B));
}
const median = (x) => x.slice().sort((p, q) => p - q)[x.length >> 1];
const f = (x) => x.toFixed(0);
const what = wholePass ? 'the capture pass' : withHooks ? `decode, facts, flows and ${hookNames ? hookNames.join(', ') : 'hooks'}` : 'decode, facts and flows';
process.stdout.write(`${what}, CPU ms over ${rounds} rounds: before min ${f(Math.min(...a))} median ${f(median(a))} | after min ${f(Math.min(...b))} median ${f(median(b))} | after/before median ${(median(b) / median(a)).toFixed(3)}\n`);
