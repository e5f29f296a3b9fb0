/**
 * Capture reading throughput.
 *
 *   node --import tsx bench/reader.ts --make-file N OUT [--from FILE] [--corrupt-record K]
 *       Write a classic pcap of N records by repeating the records of FILE (default: the
 *       corpus's vxlan.pcap) with increasing timestamps; --corrupt-record sets record K's
 *       captured length to 0x7fffffff.
 *
 *   node --import tsx bench/reader.ts FILE [--pcap-parser-dir DIR] [--runs R]
 *       Count the records of FILE three ways, each in its own process so peak RSS is its
 *       own: (a) the bare record walk (8 MiB reads, step over records, touch nothing),
 *       (b) CaptureReader's loop, and (c) pcap-parser when it can be resolved from DIR
 *       (e.g. after `npm install --prefix /tmp/pp pcap-parser@0.2.1`). Best and median of R runs (default 5); peak RSS is the largest of the runs.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureReader } from '../src/capture/reader.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHUNK = 8 << 20;

interface Result {
  mode: string;
  records: number;
  seconds: number;
  /** User + system CPU time of the loop: steadier than wall time on a busy machine. */
  cpuSeconds: number;
  maxRssKiB: number;
  error?: string;
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function le32(b: Buffer, o: number, le: boolean): number {
  return le ? b.readUInt32LE(o) : b.readUInt32BE(o);
}

/** --make-file: repeat the records of a small pcap up to n records. */
function makeFile(n: number, out: string, from: string, corrupt: number): void {
  const src = readFileSync(from);
  const le = src.readUInt32LE(0) === 0xa1b2c3d4 || src.readUInt32LE(0) === 0xa1b23c4d;
  const recs: Buffer[] = [];
  for (let p = 24; p + 16 <= src.length; ) {
    const cap = le32(src, p + 8, le);
    recs.push(src.subarray(p, p + 16 + cap));
    p += 16 + cap;
  }
  if (recs.length === 0) throw new Error(`${from}: no records`);
  const fd = openSync(out, 'w');
  const buf = Buffer.alloc(CHUNK + 70000);
  src.copy(buf, 0, 0, 24);
  let used = 24;
  const t0 = 1700000000;
  for (let i = 0; i < n; i++) {
    const r = recs[i % recs.length]!;
    r.copy(buf, used);
    const us = i * 10;
    const sec = t0 + Math.floor(us / 1e6);
    if (le) {
      buf.writeUInt32LE(sec, used);
      buf.writeUInt32LE(us % 1e6, used + 4);
      if (i + 1 === corrupt) buf.writeUInt32LE(0x7fffffff, used + 8);
    } else {
      buf.writeUInt32BE(sec, used);
      buf.writeUInt32BE(us % 1e6, used + 4);
      if (i + 1 === corrupt) buf.writeUInt32BE(0x7fffffff, used + 8);
    }
    used += r.length;
    if (used >= CHUNK) {
      writeSync(fd, buf, 0, used);
      used = 0;
    }
  }
  writeSync(fd, buf, 0, used);
  closeSync(fd);
  console.log(`${out}: ${n} records, ${statSync(out).size} bytes`);
}

/** (a) The bare walk: the least any reader has to do. */
function walk(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK + (1 << 20));
  let end = readSync(fd, buf, 0, CHUNK, null);
  if (buf[0] === 0x1f && buf[1] === 0x8b) throw new Error('gzip-compressed: no bare walk');
  const m = buf.readUInt32LE(0);
  let count = 0;
  let pos: number;
  let ng = false;
  let le: boolean;
  if (m === 0x0a0d0d0a) {
    ng = true;
    le = buf.readUInt32LE(8) === 0x1a2b3c4d;
    pos = 0;
  } else {
    le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
    pos = 24;
  }
  for (;;) {
    if (ng) {
      while (end - pos >= 8) {
        const len = le32(buf, pos + 4, le);
        if (len < 12 || len > (1 << 20)) throw new Error(`block length ${len} after ${count} packets: the bare walk cannot go on`);
        if (end - pos < len) break;
        const t = le32(buf, pos, le);
        if (t === 6 || t === 3 || t === 2) count++;
        pos += len;
      }
    } else {
      while (end - pos >= 16) {
        const len = 16 + le32(buf, pos + 8, le);
        if (len > 16 + 262144) throw new Error(`record length ${len - 16} at record ${count + 1}: the bare walk cannot go on`);
        if (end - pos < len) break;
        count++;
        pos += len;
      }
    }
    buf.copy(buf, 0, pos, end);
    end -= pos;
    pos = 0;
    const n = readSync(fd, buf, end, CHUNK, null);
    if (n === 0) break;
    end += n;
  }
  closeSync(fd);
  return count;
}

/** (b) CaptureReader's consumer loop. */
async function reader(file: string): Promise<number> {
  const r = await CaptureReader.open(file);
  let count = 0;
  for (;;) {
    while (r.next()) count++;
    if (!(await r.fill())) break;
  }
  await r.close();
  if (r.problems.length > 0) process.stderr.write(`${r.problems.length} problems, first: ${r.problems[0]!.message}\n`);
  return count;
}

/** (c) pcap-parser 0.2.1, resolved from a directory outside the project. */
function pcapParser(file: string, dir: string): Promise<number> {
  const req = createRequire(join(resolve(dir), 'index.js'));
  const pp = req('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
  return new Promise((res, rej) => {
    let count = 0;
    const p = pp.parse(file);
    p.on('packet', () => count++);
    p.on('error', (e: Error) => rej(e));
    p.on('end', () => res(count));
  });
}

async function child(mode: string, file: string, dir: string | undefined): Promise<void> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let records = 0;
  let error: string | undefined;
  try {
    if (mode === 'walk') records = walk(file);
    else if (mode === 'reader') records = await reader(file);
    else records = await pcapParser(file, dir!);
  } catch (e) {
    error = (e as Error).message;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const res: Result = { mode, records, seconds, cpuSeconds: (c.user + c.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS };
  if (error !== undefined) res.error = error;
  process.stdout.write(JSON.stringify(res) + '\n');
}

function runChild(mode: string, file: string, dir: string | undefined): Result {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--mode', mode, file];
  if (dir !== undefined) args.push('--pcap-parser-dir', dir);
  const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`${mode} failed: ${out.stderr}`);
  if (out.stderr.trim() !== '') process.stderr.write(`  [${mode}] ${out.stderr.trim()}\n`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as Result;
}

function canResolve(dir: string): boolean {
  try {
    createRequire(join(resolve(dir), 'index.js')).resolve('pcap-parser');
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mode = argValue(args, '--mode');
  const dir = argValue(args, '--pcap-parser-dir');
  if (mode !== undefined) {
    const file = args[args.indexOf('--mode') + 2]!;
    return child(mode, file, dir);
  }
  const make = args.indexOf('--make-file');
  if (make >= 0) {
    const n = Number(args[make + 1]);
    const out = args[make + 2]!;
    const from = argValue(args, '--from') ?? join(here, '../../shared/corpus/tcpdump/vxlan.pcap');
    makeFile(n, out, from, Number(argValue(args, '--corrupt-record') ?? 0));
    return;
  }
  const file = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--')));
  if (file === undefined) {
    console.error('usage: bench/reader.ts FILE [--pcap-parser-dir DIR] [--runs R] | --make-file N OUT [--from FILE] [--corrupt-record K]');
    process.exit(2);
  }
  const runs = Number(argValue(args, '--runs') ?? 5);
  const size = statSync(file).size;
  const modes = ['walk', 'reader'];
  if (dir !== undefined) {
    if (canResolve(dir)) modes.push('pcap-parser');
    else console.error(`pcap-parser cannot be resolved from ${dir}; skipped`);
  }
  console.log(`${file}: ${(size / 1e6).toFixed(1)} MB, ${runs} runs each, node ${process.version}`);
  console.log('mode           records   best s  median s   rec/s (best)   MB/s (best)   best cpu s   rec/s per cpu-s   peak RSS');
  for (const m of modes) {
    const all: Result[] = [];
    for (let i = 0; i < runs; i++) all.push(runChild(m, file, dir));
    all.sort((a, b) => a.seconds - b.seconds);
    const b = all[0]!;
    const med = all[Math.floor(all.length / 2)]!;
    const cpu = Math.min(...all.map((r) => r.cpuSeconds));
    const rss = Math.max(...all.map((r) => r.maxRssKiB));
    console.log(
      [
        m.padEnd(12),
        String(b.records).padStart(9),
        b.seconds.toFixed(3).padStart(8),
        med.seconds.toFixed(3).padStart(9),
        `${(b.records / b.seconds / 1e6).toFixed(2)} M`.padStart(14),
        (size / 1e6 / b.seconds).toFixed(0).padStart(13),
        cpu.toFixed(3).padStart(12),
        `${(b.records / cpu / 1e6).toFixed(2)} M`.padStart(17),
        `${(rss / 1024).toFixed(0)} MiB`.padStart(10),
        b.error ? `  error: ${b.error}` : '',
      ].join(' '),
    );
  }
}

await main();
