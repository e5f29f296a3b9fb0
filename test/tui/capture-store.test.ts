import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/filter/index.js';
import { FilterScan } from '../../src/tui/packet-set.js';
import { TuiSession } from '../../src/tui/session.js';
import { udpPacket, writePcapng } from '../commands/harness.js';
import { tsharkRows } from '../lab/tshark.js';
import { STALE_FDB } from './tui-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'netdiag-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(path: string): Promise<TuiSession> {
  const s = TuiSession.forFiles([path], { analyze: false, refreshMs: 10 });
  await s.loaded;
  // The random-access side opens right after the first chunk is indexed.
  for (let k = 0; k < 100 && !s.stores[0]!.ready && s.stores[0]!.error === null; k++) await new Promise((r) => setTimeout(r, 10));
  return s;
}

describe('capture store', () => {
  it('indexes every record: as many packets as tshark reads, each readable by number', async () => {
    for (const name of ['pod-a.pcap', 'node1-any.pcap', 'node3-underlay.pcap']) {
      const path = STALE_FDB + name;
      const s = await open(path);
      const st = s.stores[0]!;
      const lens = tsharkRows(path, 'frame', ['frame.len']).map((r) => Number(r[0]));
      expect(st.count).toBe(lens.length);
      expect(st.status).toBe('done');
      // Random access in any order gives each packet's own length.
      for (const n of [lens.length, 1, Math.ceil(lens.length / 2)]) expect(st.row(n)!.length).toBe(lens[n - 1]);
      expect(st.row(lens.length + 1)).toBeNull();
      expect(st.recordError(lens.length + 1)).toMatch(/no packet/);
      s.close();
    }
  });

  it('a capture cut off mid-record keeps its whole packets and says where the damage is', async () => {
    const src = `${STALE_FDB}node1-any.pcap`;
    const cut = join(dir, 'cut.pcap');
    copyFileSync(src, cut);
    truncateSync(cut, statSync(src).size - 30);
    const s = await open(cut);
    const st = s.stores[0]!;
    const whole = tsharkRows(src, 'frame').length;
    expect(st.count).toBe(whole - 1);
    expect(st.problems.length).toBeGreaterThan(0);
    expect(st.problems[0]!.message).toMatch(/cut off|truncated|ends/i);
    expect(st.problems[0]!.offset).toBeGreaterThan(24);
    expect(st.row(whole - 1)).not.toBeNull();
    s.close();
  });

  it('a file that is not a capture is reported, not thrown', async () => {
    const bad = join(dir, 'bad.pcap');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, 'hello, not a capture at all');
    const s = await open(bad);
    expect(s.stores[0]!.status).toBe('failed');
    expect(s.stores[0]!.error).toMatch(/not a pcap or pcapng file/);
    expect(s.stores[0]!.row(1)).toBeNull();
    s.close();
  });

  it('reads pcapng packets by number, as tshark numbers them', async () => {
    const path = writePcapng([
      { data: udpPacket(Buffer.from('one')) },
      { data: udpPacket(Buffer.from('two'), { dport: 53 }) },
      { data: udpPacket(Buffer.from('three'), { src: '10.0.0.9' }) },
    ]);
    const s = await open(path);
    const st = s.stores[0]!;
    const oracle = tsharkRows(path, 'frame', ['ip.src', 'udp.dstport']);
    expect(st.count).toBe(oracle.length);
    oracle.forEach((r, i) => {
      const row = st.row(i + 1)!;
      expect(row.source).toBe(r[0]);
    });
    s.close();
  });

  it('a filter pass keeps the numbers tshark selects, in order', async () => {
    const path = `${STALE_FDB}node1-any.pcap`;
    const s = await open(path);
    for (const filter of ['tcp.flags.syn == 1', 'vxlan', 'ip.dst == 100.96.2.2 and udp']) {
      const scan = new FilterScan(s.stores[0]!, compileFilter(s.reg, filter), () => undefined);
      await scan.run();
      expect(scan.complete).toBe(true);
      const ours = Array.from({ length: scan.length }, (_, i) => scan.numberAt(i));
      expect(ours).toEqual(tsharkRows(path, filter).map((r) => Number(r[0])));
      // positionOf finds a listed number's row.
      if (ours.length) expect(scan.positionOf(ours[ours.length - 1]!)).toBe(ours.length - 1);
    }
    s.close();
  });

  it('opens a gzip-compressed capture through a decompressed copy that goes when the UI closes', async () => {
    const src = `${STALE_FDB}node1-any.pcap`;
    const gz = join(dir, 'node1-any.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(src)));
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('netdiag-gunzip-')));
    const s = await open(gz);
    const st = s.stores[0]!;
    const lens = tsharkRows(src, 'frame', ['frame.len']).map((r) => Number(r[0]));
    expect(st.error).toBeNull();
    expect(st.count).toBe(lens.length);
    for (const n of [lens.length, 1, Math.ceil(lens.length / 2)]) expect(st.row(n)!.length).toBe(lens[n - 1]);
    const spools = readdirSync(tmpdir()).filter((n) => n.startsWith('netdiag-gunzip-') && !before.has(n));
    expect(spools).toHaveLength(1);
    s.close();
    expect(existsSync(join(tmpdir(), spools[0]!))).toBe(false);
  });

  it('a cut-off gzip stream keeps the packets before the cut and says the rest is missing', async () => {
    const src = `${STALE_FDB}node1-any.pcap`;
    const whole = gzipSync(readFileSync(src));
    const gz = join(dir, 'cut.pcap.gz');
    writeFileSync(gz, whole.subarray(0, Math.floor(whole.length / 2)));
    const s = await open(gz);
    const st = s.stores[0]!;
    const all = tsharkRows(src, 'frame').length;
    expect(st.count).toBeGreaterThan(0);
    expect(st.count).toBeLessThan(all);
    expect(st.row(st.count)).not.toBeNull();
    expect(st.problems.some((p) => /gzip: .*missing/.test(p.message))).toBe(true);
    s.close();
  });
});
