/**
 * What splitting one capture's pass over two threads would give: decoding and the facts on
 * the main thread, the flow table and the analyzers' per-packet hooks on a worker, the
 * facts and the layer stack of each packet handed over through a ring of slots in a
 * SharedArrayBuffer. Measured against the same work in one thread, each in a fresh
 * process, alternating. Runs from the built package.
 *
 *   node bench/split-pass-probe.mjs FILE [--runs K] [--facts-on-worker]   (after npm run build)
 *
 * --facts-on-worker hands over only the layer stack and extracts the facts on the worker
 * (from its own copy of the bytes): the other place to cut the work in two.
 *
 * A probe, not the pass: both threads hold the whole file in memory (so layer offsets mean
 * the same bytes on both sides), a layer in a reassembly buffer is handed over as empty,
 * and nothing is reported but the time. It bounds from above what the split could gain.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const dist = new URL('../dist/', import.meta.url).href;
const { CaptureReader } = await import(`${dist}src/capture/reader.js`);
const { Decoder } = await import(`${dist}src/decode/decoder.js`);
const { PacketView } = await import(`${dist}src/decode/packet-view.js`);
const { createRegistry } = await import(`${dist}src/decode/protocols.js`);
const { PacketFacts } = await import(`${dist}src/analysis/facts.js`);
const { FlowTable } = await import(`${dist}src/analysis/flow-table.js`);
const { analyzers } = await import(`${dist}src/analysis/analyzers/index.js`);

const reg = createRegistry();
const hooked = analyzers.filter((a) => typeof a.packet === 'function' && a.name !== 'path');

// ---------------------------------------------------------------- the slot layout
const probe = new PacketFacts(reg);
/** Facts fields that may not fit 32 bits (MACs, u32 sequence numbers and addresses, the interface word, -1-or-u32 ids): doubles. */
const WIDE = new Set(['outerEthSrc', 'outerEthDst', 'innerEthSrc', 'innerEthDst', 'arpSha', 'arpTha', 'arpSpa', 'arpTpa', 'iface', 'tunnelId', 'tcpSeq', 'tcpAck']);
const fields = Object.keys(probe).filter((k) => typeof probe[k] === 'number' || typeof probe[k] === 'boolean');
const bools = new Set(fields.filter((k) => typeof probe[k] === 'boolean'));
const wide = fields.filter((k) => WIDE.has(k));
const narrow = fields.filter((k) => !WIDE.has(k));
const MAX_LAYERS = 16;
/** Doubles: time, tsSec, tsNsec, then the wide fields; then 32-bit words: the record, the narrow fields, the addresses, the layers. */
const D_WORDS = 3 + wide.length;
const I_RECORD = 8;
const I_WORDS = I_RECORD + narrow.length + 24 + MAX_LAYERS * 6;
const SLOT_BYTES = Math.ceil((D_WORDS * 8 + I_WORDS * 4) / 64) * 64;
const SLOTS = 1024;
const BATCH = 128;
const ADDR = I_RECORD + narrow.length;
const LAYERS = ADDR + 24;

// Straight-line copies of every field (a loop over names would be a keyed lookup per field).
const pack = new Function('f', 'p', 'd', 'i', 'D', 'I', `
  ${wide.map((k, n) => `d[D + ${3 + n}] = f.${k};`).join('\n')}
  ${narrow.map((k, n) => `i[I + ${I_RECORD + n}] = ${bools.has(k) ? `f.${k} ? 1 : 0` : `f.${k}`};`).join('\n')}
  for (let k = 0; k < 24; k++) i[I + ${ADDR} + k] = f.addr[k];
  const nl = p.nLayers < ${MAX_LAYERS} ? p.nLayers : ${MAX_LAYERS};
  for (let k = 0; k < nl; k++) {
    const o = I + ${LAYERS} + k * 6;
    i[o] = p.layerBuf[k] === p.buf ? p.proto[k] : 0;
    i[o + 1] = p.start[k]; i[o + 2] = p.hdrEnd[k]; i[o + 3] = p.end[k]; i[o + 4] = p.depth[k]; i[o + 5] = p.aux[k];
  }
  i[I + 7] = nl;`);
const unpack = new Function('f', 'p', 'd', 'i', 'D', 'I', `
  ${wide.map((k, n) => `f.${k} = d[D + ${3 + n}];`).join('\n')}
  ${narrow.map((k, n) => `f.${k} = ${bools.has(k) ? `i[I + ${I_RECORD + n}] === 1` : `i[I + ${I_RECORD + n}]`};`).join('\n')}
  for (let k = 0; k < 24; k++) f.addr[k] = i[I + ${ADDR} + k];
  const nl = i[I + 7];
  p.nLayers = nl;
  for (let k = 0; k < nl; k++) {
    const o = I + ${LAYERS} + k * 6;
    p.proto[k] = i[o]; p.start[k] = i[o + 1]; p.hdrEnd[k] = i[o + 2]; p.end[k] = i[o + 3]; p.depth[k] = i[o + 4]; p.aux[k] = i[o + 5];
  }`);

function packLayers(p, i, I) {
  const nl = p.nLayers < MAX_LAYERS ? p.nLayers : MAX_LAYERS;
  for (let k = 0; k < nl; k++) {
    const o = I + LAYERS + k * 6;
    i[o] = p.layerBuf[k] === p.buf ? p.proto[k] : 0;
    i[o + 1] = p.start[k];
    i[o + 2] = p.hdrEnd[k];
    i[o + 3] = p.end[k];
    i[o + 4] = p.depth[k];
    i[o + 5] = p.aux[k];
  }
  i[I + 7] = nl;
}

function unpackLayers(p, i, I) {
  const nl = i[I + 7];
  p.nLayers = nl;
  for (let k = 0; k < nl; k++) {
    const o = I + LAYERS + k * 6;
    p.proto[k] = i[o];
    p.start[k] = i[o + 1];
    p.hdrEnd[k] = i[o + 2];
    p.end[k] = i[o + 3];
    p.depth[k] = i[o + 4];
    p.aux[k] = i[o + 5];
  }
}

/** The flow table and the hooks, fed one packet's facts and view. */
function analysis() {
  const flows = new FlowTable();
  const ctx = { captureIndex: 0, capture: 'probe', time: 0, flowRow: -1, flowDir: 0, flows };
  const states = hooked.map((a) => a.create(ctx));
  const fns = hooked.map((a) => a.packet.bind(a));
  return (f, p, time) => {
    ctx.time = time;
    ctx.flowRow = flows.add(f, time, p.number, p.wireLen);
    ctx.flowDir = flows.lastDir;
    for (let a = 0; a < fns.length; a++) fns[a](states[a], f, p, ctx);
  };
}

async function single(bytes) {
  const t = performance.now();
  const reader = CaptureReader.fromBuffer(bytes);
  const rec = reader.rec;
  const dec = new Decoder(reg);
  const facts = new PacketFacts(reg);
  const feed = analysis();
  for (;;) {
    while (reader.next()) {
      const p = dec.decode(rec, 0);
      facts.extract(p);
      feed(facts, p, rec.tsSec + rec.tsNsec / 1e9);
    }
    if (!(await reader.fill())) break;
  }
  return performance.now() - t;
}

async function split(bytes, file, factsOnWorker) {
  const sab = new SharedArrayBuffer(SLOTS * SLOT_BYTES + 64);
  // [0] slots filled, [1] slots taken, [2] 1 when the main thread is done.
  const ctl = new Int32Array(sab, SLOTS * SLOT_BYTES, 16);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { file, sab, factsOnWorker } });
  await new Promise((r) => worker.once('message', r));
  const t = performance.now();
  const d = new Float64Array(sab, 0, (SLOTS * SLOT_BYTES) / 8);
  const i = new Int32Array(sab, 0, (SLOTS * SLOT_BYTES) / 4);
  const reader = CaptureReader.fromBuffer(bytes);
  const rec = reader.rec;
  const dec = new Decoder(reg);
  const facts = new PacketFacts(reg);
  let filled = 0;
  let taken = 0;
  for (;;) {
    while (reader.next()) {
      while (filled - taken >= SLOTS) {
        Atomics.wait(ctl, 1, taken);
        taken = Atomics.load(ctl, 1);
      }
      const p = dec.decode(rec, 0);
      if (!factsOnWorker) facts.extract(p);
      const at = (filled % SLOTS) * SLOT_BYTES;
      const D = at / 8;
      const I = at / 4 + D_WORDS * 2;
      d[D] = rec.tsSec + rec.tsNsec / 1e9;
      d[D + 1] = rec.tsSec;
      d[D + 2] = rec.tsNsec;
      i[I] = p.number;
      i[I + 1] = p.capLen;
      i[I + 2] = p.wireLen;
      i[I + 3] = p.linktype;
      i[I + 4] = p.ifIndex;
      i[I + 5] = p.base;
      i[I + 6] = p.recordFlags;
      if (factsOnWorker) packLayers(p, i, I);
      else pack(facts, p, d, i, D, I);
      if ((++filled & (BATCH - 1)) === 0) {
        Atomics.store(ctl, 0, filled);
        Atomics.notify(ctl, 0);
      }
    }
    if (!(await reader.fill())) break;
  }
  Atomics.store(ctl, 0, filled);
  Atomics.store(ctl, 2, 1);
  Atomics.notify(ctl, 0);
  const mainMs = performance.now() - t;
  const workerMs = await new Promise((r) => worker.once('message', r));
  const ms = performance.now() - t;
  await worker.terminate();
  return { ms, mainMs, workerMs };
}

function workerLoop({ file, sab, factsOnWorker }) {
  const bytes = readFileSync(file);
  const ctl = new Int32Array(sab, SLOTS * SLOT_BYTES, 16);
  const d = new Float64Array(sab, 0, (SLOTS * SLOT_BYTES) / 8);
  const i = new Int32Array(sab, 0, (SLOTS * SLOT_BYTES) / 4);
  const p = new PacketView(reg);
  p.buf = bytes;
  p.layerBuf.fill(bytes);
  const f = new PacketFacts(reg);
  const feed = analysis();
  parentPort.postMessage('ready');
  let taken = 0;
  let busy = 0;
  for (;;) {
    const filled = Atomics.load(ctl, 0);
    if (taken === filled) {
      if (Atomics.load(ctl, 2) === 1 && Atomics.load(ctl, 0) === taken) break;
      Atomics.wait(ctl, 0, filled, 50);
      continue;
    }
    const t = performance.now();
    while (taken < filled) {
      const at = (taken % SLOTS) * SLOT_BYTES;
      const D = at / 8;
      const I = at / 4 + D_WORDS * 2;
      p.tsSec = d[D + 1];
      p.tsNsec = d[D + 2];
      p.number = i[I];
      p.capLen = i[I + 1];
      p.wireLen = i[I + 2];
      p.linktype = i[I + 3];
      p.ifIndex = i[I + 4];
      p.base = i[I + 5];
      p.recordFlags = i[I + 6];
      if (factsOnWorker) {
        unpackLayers(p, i, I);
        f.extract(p);
      } else unpack(f, p, d, i, D, I);
      feed(f, p, d[D]);
      if ((++taken & (BATCH - 1)) === 0) {
        Atomics.store(ctl, 1, taken);
        Atomics.notify(ctl, 1);
      }
    }
    Atomics.store(ctl, 1, taken);
    Atomics.notify(ctl, 1);
    busy += performance.now() - t;
  }
  parentPort.postMessage(busy);
}

if (!isMainThread) workerLoop(workerData);
else {
  const args = process.argv.slice(2);
  const modeAt = args.indexOf('--mode');
  const file = args.find((a, k) => !a.startsWith('--') && args[k - 1] !== '--runs' && args[k - 1] !== '--mode');
  if (!file) {
    process.stderr.write('usage: node bench/split-pass-probe.mjs FILE [--runs K] [--facts-on-worker]\n');
    process.exit(2);
  }
  if (modeAt >= 0) {
    const bytes = readFileSync(file);
    const out = args[modeAt + 1] === 'split' ? await split(bytes, file, args.includes('--facts-on-worker')) : { ms: await single(bytes) };
    process.stdout.write(JSON.stringify(out) + '\n');
  } else {
    const runsAt = args.indexOf('--runs');
    const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
    const times = { single: [], split: [] };
    for (let r = 0; r < runs; r++) {
      for (const mode of ['single', 'split']) {
        const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), file, '--mode', mode, ...args.filter((a) => a === '--facts-on-worker')], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (child.status !== 0) throw new Error(`${mode} run failed: ${child.stderr}`);
        const out = JSON.parse(child.stdout);
        times[mode].push(out.ms);
        const parts = out.mainMs !== undefined ? ` (main thread ${out.mainMs.toFixed(0)} ms, worker busy ${out.workerMs.toFixed(0)} ms)` : '';
        process.stdout.write(`· ${mode} run ${r + 1}/${runs}: ${out.ms.toFixed(0)} ms${parts}\n`);
      }
    }
    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const s = median(times.single);
    const p = median(times.split);
    process.stdout.write(`one thread ${s.toFixed(0)} ms, split over two ${p.toFixed(0)} ms (medians of ${runs}): split / one = ${(p / s).toFixed(2)}\n`);
  }
}
