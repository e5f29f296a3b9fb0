/**
 * tshark as the reference dissector for tests. Packets are written with a
 * minimal pcap writer of its own, so crafting tests do not lean on
 * src/capture, and every run fails on anything tshark prints to stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// tshark's unconditional notice when run as root.
const ROOT_NOTICE = /^Running as user "root" and group "root"\. This could be dangerous\.$/;

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

export function run(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !ROOT_NOTICE.test(l.trim()))
    .join('\n');
  return { stdout: r.stdout, stderr, status: r.status };
}

/** Runs tshark; throws unless it exits 0 with nothing on stderr. */
export function tshark(args: string[]): string {
  const r = run('tshark', args);
  if (r.status !== 0 || r.stderr !== '') {
    throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return r.stdout;
}

let dir: string | null = null;

/** A path in a directory shared by the calling test file; see `removeTempFiles`. */
export function tempPath(name: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'netdiag-test-'));
  return join(dir, name);
}

/**
 * For `afterAll` in each file that uses `tempPath`. NETDIAG_KEEP_TEST_FILES=1
 * keeps the captures for a look.
 */
export function removeTempFiles(): void {
  if (dir !== null && !process.env.NETDIAG_KEEP_TEST_FILES) rmSync(dir, { recursive: true, force: true });
  dir = null;
}

/** A little-endian microsecond pcap, one second between packets. */
export function pcapBytes(packets: Buffer[], linktype: number): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(linktype, 20);
  const recs = packets.map((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000 + i, 0);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    return Buffer.concat([r, p]);
  });
  return Buffer.concat([head, ...recs]);
}


/** Checksums are only verified when asked. */
export const CHECKSUM_PREFS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'];

export type Layers = Record<string, string[]>;

/** Values of `names` per packet, every occurrence in order (outer before inner). */
export function fieldsOf(file: string, names: string[], extra: string[] = []): Layers[] {
  const out = tshark(['-r', file, '-T', 'json', ...CHECKSUM_PREFS, ...extra, ...names.flatMap((n) => ['-e', n])]);
  const parsed = JSON.parse(out) as Array<{ _source: { layers: Layers } }>;
  return parsed.map((p) => p._source.layers);
}

/** Fields of `packets` written to a throwaway pcap. */
export function dissect(packets: Buffer[], names: string[], o: { linktype?: number; args?: string[] } = {}): Layers[] {
  const d = mkdtempSync(join(tmpdir(), 'netdiag-craft-'));
  try {
    const path = join(d, 'packets.pcap');
    writeFileSync(path, pcapBytes(packets, o.linktype ?? 1));
    return fieldsOf(path, names, o.args ?? []);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/** The only value of a field; fails the test when absent or repeated. */
export function one(l: Layers, name: string): string {
  const v = l[name];
  if (v === undefined || v.length !== 1) throw new Error(`expected one ${name}, got ${JSON.stringify(v)} in ${JSON.stringify(l)}`);
  return v[0]!;
}

/** Packets with malformed or error-severity expert info, as frame numbers. */
export function problemFrames(file: string, extra: string[] = []): string[] {
  const out = tshark(['-r', file, ...extra, '-Y', PROBLEM_FILTER, '-T', 'fields', '-e', 'frame.number']);
  return out.split('\n').filter((l) => l.trim() !== '');
}

export const PROBLEM_FILTER = '_ws.malformed || _ws.expert.severity == "Error"';

/**
 * How many frames match each display filter, from one tshark pass
 * (io,stat over a single interval). Filters may not contain commas.
 */
export function countMatching(file: string, filters: string[], extra: string[] = []): number[] {
  for (const f of filters) if (f.includes(',')) throw new Error(`io,stat cannot take a filter with a comma: ${f}`);
  const out = tshark(['-r', file, ...extra, '-q', '-z', `io,stat,0,${filters.join(',')}`]);
  const row = out.split('\n').find((l) => l.includes('<>'));
  if (row === undefined) throw new Error(`no io,stat row in:\n${out}`);
  // | interval | frames | bytes | frames | bytes | ...
  const cells = row.split('|').slice(2, -1).map((s) => Number(s.trim()));
  return filters.map((_, i) => cells[2 * i]!);
}
