/**
 * Two builds' flow tables alone, alternating in one process: the facts of a capture's first
 * 250,000 packets are extracted once, then replayed into each build's FlowTable.add three
 * times per round. Prints the minimum and median CPU time of each.
 *
 *   node bench/flow-table-ab.mjs FILE BEFORE_DIST AFTER_DIST [ROUNDS=7]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file, distA, distB, rounds = '7'] = process.argv.slice(2);
if (!file || !distA || !distB) {
  process.stderr.write('usage: node bench/flow-table-ab.mjs FILE BEFORE_DIST AFTER_DIST [ROUNDS]\n');
  process.exit(2);
}
const url = (dist, path) => `${pathToFileURL(resolve(dist)).href}/${path}`;
const { CaptureReader } = await import(url(distA, 'src/capture/reader.js'));
const { Decoder } = await import(url(distA, 'src/decode/decoder.js'));
const { createRegistry } = await import(url(distA, 'src/decode/protocols.js'));
const { PacketFacts } = await import(url(distA, 'src/analysis/facts.js'));
const Before = (await import(url(distA, 'src/analysis/flow-table.js'))).FlowTable;
const After = (await import(url(distB, 'src/analysis/flow-table.js'))).FlowTable;

// What FlowTable.add reads of the facts, besides the addresses.
const FIELDS = ['innerIp', 'innerProto', 'l4', 'icmp', 'sport', 'dport', 'tunnelKind', 'tunnelId', 'iface', 'direction', 'innerIpLen', 'outerIpLen', 'quotedIp', 'tcpFlags', 'tcpMss', 'tcpWindow', 'payloadLen', 'tcpSeq', 'tcpAck'];
const MAX = 250_000;
const columns = FIELDS.map(() => new Float64Array(MAX));
const addr = new Uint32Array(MAX * 16);
const meta = new Float64Array(MAX * 3);
const reader = await CaptureReader.open(file);
const reg = createRegistry();
const decoder = new Decoder(reg);
const facts = new PacketFacts(reg);
let n = 0;
for (;;) {
  while (n < MAX && reader.next()) {
    const p = decoder.decode(reader.rec, 0);
    facts.extract(p);
    FIELDS.forEach((k, i) => (columns[i][n] = facts[k]));
    addr.set(facts.addr.subarray(0, 16), n * 16);
    meta[n * 3] = reader.rec.tsSec + reader.rec.tsNsec / 1e9;
    meta[n * 3 + 1] = p.number;
    meta[n * 3 + 2] = reader.rec.wireLen;
    n++;
  }
  if (n >= MAX || !(await reader.fill())) break;
}
await reader.close();

const replayed = { addr: new Uint32Array(24) };
for (const k of FIELDS) replayed[k] = 0;
// One monomorphic assignment per field, as PacketFacts.extract writes them.
const load = new Function('f', 'c', 'i', FIELDS.map((k, j) => `f.${k} = c[${j}][i];`).join('\n'));

function run(FlowTable) {
  const table = new FlowTable();
  const t0 = process.cpuUsage();
  for (let r = 0; r < 3; r++) {
    for (let i = 0; i < n; i++) {
      load(replayed, columns, i);
      replayed.addr.set(addr.subarray(i * 16, i * 16 + 16));
      table.add(replayed, meta[i * 3], meta[i * 3 + 1], meta[i * 3 + 2]);
    }
  }
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / 1000;
}

const a = [];
const b = [];
for (let r = 0; r < Number(rounds); r++) {
  a.push(run(Before));
  b.push(run(After));
}
const median = (x) => x.slice().sort((p, q) => p - q)[x.length >> 1];
const f = (x) => x.toFixed(0);
process.stdout.write(`${n} packets' facts × 3 into FlowTable.add, CPU ms over ${rounds} rounds: before min ${f(Math.min(...a))} median ${f(median(a))} | after min ${f(Math.min(...b))} median ${f(median(b))} | after/before median ${(median(b) / median(a)).toFixed(3)}\n`);
