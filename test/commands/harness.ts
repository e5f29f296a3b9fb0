/**
 * Running `netdiag read` in-process (the function the CLI handler calls) or as a child
 * process, writing small captures, and running tshark as the oracle.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { PcapngWriter, PcapWriter } from '../../src/capture/writer.js';
import { runRead, type ReadResult } from '../../src/commands/read.js';
import type { ReadArgs } from '../../src/commands/options.js';
import { ethernet, ipUdp, ipTcp, vxlan, ETHERTYPE } from '../../src/craft/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');

let dir: string | null = null;
export function tempPath(name: string): string {
  if (dir === null) {
    const d = mkdtempSync(join(tmpdir(), 'netdiag-read-'));
    dir = d;
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return join(dir, name);
}

export interface Packet {
  data: Buffer;
  /** Seconds since the epoch; default 1700000000 + index. */
  sec?: number;
  nsec?: number;
  wireLen?: number;
  comment?: string;
  linktype?: number;
}

let seq = 0;

/** A classic pcap (nanosecond) with one link type. */
export function writePcap(packets: Packet[], linktype = 1, name = `cap-${seq++}.pcap`): string {
  const path = tempPath(name);
  const w = new PcapWriter(path, { linktype, nanosecond: true });
  packets.forEach((p, i) => w.writePacket({ sec: p.sec ?? 1700000000 + i, nsec: p.nsec ?? 0 }, p.data, 0, p.data.length, p.wireLen ?? p.data.length));
  w.closeSync();
  return path;
}

/** A pcapng file; one interface per distinct link type; packet comments kept. */
export function writePcapng(packets: Packet[], name = `cap-${seq++}.pcapng`): string {
  const path = tempPath(name);
  const w = new PcapngWriter(path);
  const ifs = new Map<number, number>();
  packets.forEach((p, i) => {
    const lt = p.linktype ?? 1;
    let id = ifs.get(lt);
    if (id === undefined) {
      id = w.addInterface({ linktype: lt });
      ifs.set(lt, id);
    }
    w.writePacket(id, { sec: p.sec ?? 1700000000 + i, nsec: p.nsec ?? 0 }, p.data, 0, p.data.length, p.wireLen ?? p.data.length, p.comment !== undefined ? { comment: p.comment } : undefined);
  });
  w.closeSync();
  return path;
}

export interface InProcess extends ReadResult {
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** `netdiag read` through runRead, as the CLI runs it, with stdout and stderr captured. */
export async function readInProcess(args: Partial<ReadArgs> & { files: string[] }): Promise<InProcess> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  let stderr = '';
  const r = await runRead({ tui: false, ...args } as ReadArgs, {
    stdout,
    stderr: (t) => {
      stderr += t;
    },
    stdoutIsTTY: false,
  });
  const bytes = Buffer.concat(chunks);
  return { ...r, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr };
}

export interface Spawned {
  status: number | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** The CLI as a child process (through tsx, so no build is needed). */
export function spawnCli(args: string[], input?: Buffer): Promise<Spawned> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('close', (status) => {
      const b = Buffer.concat(out);
      done({ status, stdout: b.toString('utf8'), stdoutBytes: b, stderr: err });
    });
    if (input) child.stdin.end(input);
    else child.stdin.end();
  });
}

const ROOT_NOTICE = /^Running as user "root" and group "root"\. This could be dangerous\.$/;

/** tshark's stderr without blank lines and its running-as-root notice. */
function tsharkComplaints(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !ROOT_NOTICE.test(l.trim()))
    .join('\n');
}

/** tshark's stdout; throws when it fails or complains. */
export function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 << 20 });
  if (r.error) throw r.error;
  const err = tsharkComplaints(r.stderr);
  if (r.status !== 0 || err !== '') throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${err}`);
  return r.stdout;
}

/** tshark run asynchronously (several files at once): exit status, stdout, and stderr without the root notice. */
export function tsharkRun(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('tshark', args);
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: tsharkComplaints(err) }));
  });
}

/** Asynchronous tshark, for running several files at once; rejects when it fails. */
export async function tsharkAsync(args: string[]): Promise<string> {
  const r = await tsharkRun(args);
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** A VXLAN-encapsulated TCP SYN between two pods, as flannel sends it (UDP 8472). */
export function vxlanSyn(o: { vni?: number; dport?: number } = {}): Buffer {
  const inner = ethernet(
    { dst: '0a:58:64:60:02:01', src: '0a:58:64:60:01:01', type: ETHERTYPE.IPV4 },
    ipTcp({ src: '100.96.1.2', dst: '100.96.2.3', sport: 43210, dport: 80, seq: 1000, flags: 'S', window: 64240 }),
  );
  return ethernet(
    { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 },
    ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 51000, dport: o.dport ?? 8472, checksum: 'zero' }, vxlan({ vni: o.vni ?? 1 }, inner)),
  );
}

/** A plain UDP datagram with the given payload. */
export function udpPacket(payload: Buffer, o: { src?: string; dst?: string; sport?: number; dport?: number } = {}): Buffer {
  return ethernet(
    { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: ETHERTYPE.IPV4 },
    ipUdp({ src: o.src ?? '198.18.0.1', dst: o.dst ?? '198.18.0.2', sport: o.sport ?? 40000, dport: o.dport ?? 9999 }, payload),
  );
}
