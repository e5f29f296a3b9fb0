// One pass over a capture with chosen parts of the analysis, for instruction counting (bench/instructions/per-packet.sh).
// usage: node bench/instructions/one-pass.mjs DIST FILE MODE(none|all|pass|hookname) REPEAT
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const [dist, file, mode, repeat = '3'] = process.argv.slice(2);
const base = pathToFileURL(resolve(dist)).href;
const { analyzers } = await import(`${base}/src/analysis/analyzers/index.js`);
const { CaptureReader } = await import(`${base}/src/capture/reader.js`);
const { Decoder } = await import(`${base}/src/decode/decoder.js`);
const { createRegistry } = await import(`${base}/src/decode/protocols.js`);
const { PacketFacts } = await import(`${base}/src/analysis/facts.js`);
const { FlowTable } = await import(`${base}/src/analysis/flow-table.js`);
const { CapturePass } = await import(`${base}/src/analysis/capture-pass.js`);
const bytes = readFileSync(file);
const hooksAll = analyzers.filter((a) => typeof a.packet === 'function' && a.name !== 'path');
const sel = mode === 'all' ? hooksAll : hooksAll.filter((a) => mode.split(',').includes(a.name));
async function pass(hooks) {
  const reader = CaptureReader.fromBuffer(bytes);
  const rec = reader.rec;
  if (mode === 'pass') {
    const cp = new CapturePass({ name: 'bench', path: file }, 0, { followPackets: false });
    for (;;) { while (reader.next()) cp.packet(rec); if (!(await reader.fill())) break; }
    return;
  }
  const reg = createRegistry();
  const dec = new Decoder(reg);
  const facts = new PacketFacts(reg);
  const flows = new FlowTable();
  const ctx = { captureIndex: 0, capture: 'bench', time: 0, flowRow: -1, flowDir: 0, flows };
  const states = hooks.map((a) => a.create(ctx));
  const fns = hooks.map((a) => a.packet.bind(a));
  for (;;) {
    while (reader.next()) {
      if (mode === 'walk') continue;
      const p = dec.decode(rec, 0);
      if (mode === 'decode') continue;
      facts.extract(p);
      if (mode === 'facts') continue;
      const time = rec.tsSec + rec.tsNsec / 1e9;
      ctx.time = time;
      ctx.flowRow = flows.add(facts, time, p.number, rec.wireLen);
      ctx.flowDir = flows.lastDir;
      for (let a = 0; a < fns.length; a++) fns[a](states[a], facts, p, ctx);
    }
    if (!(await reader.fill())) break;
  }
}
for (let r = 0; r < Number(repeat); r++) await pass(sel);
