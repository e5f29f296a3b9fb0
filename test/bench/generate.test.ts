import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCapture, type GenOptions } from '../../bench/generate.js';
import { CaptureReader } from '../../src/capture/reader.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'netdiag-gen-'));
const SMALL = 6000;

async function gen(name: string, o: Partial<GenOptions>): Promise<Buffer> {
  const path = join(dir, name);
  await generateCapture({ packets: SMALL, ...o }, path);
  return readFileSync(path);
}

interface Frame {
  data: Buffer;
  t: number;
  sec: number;
  nsec: number;
}

function frames(buf: Buffer): Frame[] {
  const r = CaptureReader.fromBuffer(buf);
  const out: Frame[] = [];
  while (r.next()) out.push({ data: Buffer.from(r.rec.buf.subarray(r.rec.off, r.rec.off + r.rec.capLen)), t: r.rec.tsSec + r.rec.tsNsec / 1e9, sec: r.rec.tsSec, nsec: r.rec.tsNsec });
  expect(r.problems).toEqual([]);
  return out;
}

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

let usec: Buffer;

beforeAll(async () => {
  usec = await gen('a-us.pcap', { seed: 'a' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench capture generator', () => {
  it('writes the same bytes for the same seed and different bytes for another seed', async () => {
    const again = await gen('a-us-again.pcap', { seed: 'a' });
    expect(again.equals(usec)).toBe(true);
    const other = await gen('b-us.pcap', { seed: 'b' });
    expect(other.length).toBeGreaterThan(24);
    expect(other.equals(usec)).toBe(false);
  });

  it('writes the same packets in every container format', async () => {
    const ns = await gen('a-ns.pcap', { seed: 'a', format: 'pcap-ns' });
    const ng = await gen('a.pcapng', { seed: 'a', format: 'pcapng' });
    expect(usec.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(ns.readUInt32LE(0)).toBe(0xa1b23c4d);
    expect(ng.readUInt32LE(0)).toBe(0x0a0d0d0a);
    const a = frames(usec);
    const b = frames(ns);
    const c = frames(ng);
    expect(a.length).toBe(SMALL);
    expect(b.length).toBe(SMALL);
    expect(c.length).toBe(SMALL);
    const differ = (x: Frame[]): number[] => x.flatMap((f, i) => (f.data.equals(a[i]!.data) ? [] : [i + 1]));
    expect(differ(b)).toEqual([]);
    expect(differ(c)).toEqual([]);
    // Nanosecond files keep digits the microsecond one truncates.
    expect(b.filter((f, i) => f.sec !== a[i]!.sec || Math.floor(f.nsec / 1000) * 1000 !== a[i]!.nsec).length).toBe(0);
    expect(c.filter((f, i) => f.sec !== b[i]!.sec || f.nsec !== b[i]!.nsec).length).toBe(0);
    expect(b.some((f, i) => f.nsec !== a[i]!.nsec)).toBe(true);
  });

  it('advances timestamps at a busy node rate', () => {
    const f = frames(usec);
    expect(f.filter((x, i) => i > 0 && x.t < f[i - 1]!.t).length).toBe(0);
    const rate = f.length / (f[f.length - 1]!.t - f[0]!.t);
    expect(rate).toBeGreaterThan(5_000);
    expect(rate).toBeLessThan(500_000);
  });

  it('opens a new flow for every packet of a SYN scan', async () => {
    const f = frames(await gen('scan.pcap', { seed: 'a', scan: true, packets: 3000 }));
    const tuples = new Set<string>();
    let notSyn = 0;
    for (const { data } of f) {
      // Outer Ethernet, IPv4, UDP 8472, VXLAN, inner Ethernet: the inner IPv4 header at 64.
      const ip = 64;
      const tcp = ip + (data[ip]! & 0x0f) * 4;
      if (data.readUInt16BE(36) !== 8472 || data[tcp + 13] !== 0x02) notSyn++;
      tuples.add(`${data.readUInt32BE(ip + 12)} ${data.readUInt32BE(ip + 16)} ${data.readUInt16BE(tcp)} ${data.readUInt16BE(tcp + 2)}`);
    }
    expect(notSyn).toBe(0);
    expect(tuples.size).toBe(3000);
  });

  // The pcapng file holds the same frames as the pcap ones (see above), so one check covers all three.
  it.skipIf(!hasTshark)('produces no packet tshark calls malformed', async () => {
    await gen('a-check.pcapng', { seed: 'a', format: 'pcapng' });
    expect(tshark(['-r', join(dir, 'a-check.pcapng'), '-Y', '_ws.malformed', '-d', 'udp.port==8472,vxlan'])).toBe('');
  });

  it.skipIf(!hasTshark)('carries the node traffic mix with valid checksums', async () => {
    // Fewer connections at once, so each gets far enough in a short capture to lose and resend a segment.
    await gen('mix.pcap', { seed: 'a', flows: 200 });
    const fields = ['frame.protocols', 'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'udp.dstport', 'vxlan.vni', 'ip.proto', 'gre.proto', 'gre.key', 'bgp.type', 'icmp.type', 'icmp.code', 'arp.opcode', 'tcp.flags', 'tcp.analysis.retransmission', 'dns.flags.response'];
    const out = tshark([
      '-r', join(dir, 'mix.pcap'), '-d', 'udp.port==8472,vxlan',
      '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=;', ...fields.flatMap((f) => ['-e', f]),
    ]);
    const rows = out.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.length).toBe(SMALL);
    const cols = new Map(fields.map((name, k) => [name, rows.map((r) => (r[k] ?? '').split(';').filter((x) => x !== ''))]));
    const col = (name: string): string[][] => cols.get(name)!;
    // Checksum status 0 is "Bad".
    for (const name of ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status']) {
      expect(col(name).filter((v) => v.includes('0')).length, name).toBe(0);
    }
    const records = rows.map((_, i) => Object.fromEntries(fields.map((f) => [f, col(f)[i]!])));
    const count = (pred: (r: Record<string, string[]>) => boolean): number => records.filter(pred).length;
    const vnis = new Set(col('vxlan.vni').flat());
    expect(vnis.has('1')).toBe(true);
    expect(vnis.size).toBeGreaterThanOrEqual(4);
    // flannel (8472) carries most packets.
    expect(count((r) => r['udp.dstport']![0] === '8472')).toBeGreaterThan(SMALL * 0.4);
    expect(count((r) => r['udp.dstport']![0] === '4789')).toBeGreaterThan(0);
    expect(count((r) => r['ip.proto']![0] === '4')).toBeGreaterThan(0);
    for (const proto of ['0x0800', '0x6558']) {
      expect(count((r) => r['gre.proto']![0] === proto && r['gre.key']!.length === 0), proto).toBeGreaterThan(0);
      expect(count((r) => r['gre.proto']![0] === proto && r['gre.key']!.length === 1), `${proto} key`).toBeGreaterThan(0);
    }
    const bgp = col('bgp.type');
    for (const t of ['1', '2', '4']) expect(bgp.some((m) => m.includes(t)), `BGP type ${t}`).toBe(true);
    expect(bgp.some((m) => m.length >= 3)).toBe(true);
    expect(count((r) => r['icmp.type']![0] === '3' && r['icmp.code']![0] === '4')).toBeGreaterThan(0);
    expect(count((r) => r['icmp.type']![0] === '8')).toBeGreaterThan(0);
    expect(count((r) => r['arp.opcode']![0] === '1')).toBeGreaterThan(0);
    expect(count((r) => r['arp.opcode']![0] === '2')).toBeGreaterThan(0);
    expect(count((r) => r['dns.flags.response']!.includes('1'))).toBeGreaterThan(0);
    const flags = col('tcp.flags').map((f) => Number(f[f.length - 1] ?? 'NaN'));
    for (const [name, bit] of [['SYN', 0x02], ['FIN', 0x01], ['RST', 0x04], ['PSH', 0x08]] as const) {
      expect(flags.filter((f) => f & bit).length, name).toBeGreaterThan(0);
    }
    expect(count((r) => r['tcp.analysis.retransmission']!.length > 0)).toBeGreaterThan(0);
  });
});
