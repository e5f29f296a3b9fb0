import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveFileWriter, formatFor } from '../../../src/capture/live/file-writer.js';
import { emptyLiveRecord, type LiveRecord } from '../../../src/capture/live/record.js';
import type { LiveInterface, LiveStats } from '../../../src/capture/live/source.js';
import { CaptureReader, forEachRecord } from '../../../src/capture/reader.js';
import { removeTempFiles, tempPath, tshark } from '../../craft/tshark-oracle.js';

afterAll(removeTempFiles);

const ETH = 1;
const RAW = 101;

function iface(index: number, name: string, linktype = ETH): LiveInterface {
  return { index, name, linktype, snaplen: 262144, engine: 'tcpdump' };
}

/** An Ethernet frame of `len` bytes whose first byte says which packet it is. */
function frame(tag: number, len: number): Buffer {
  const b = Buffer.alloc(len, 0x55);
  b[0] = tag;
  return b;
}

/** Feed the writer like an engine does: one record object rewritten per packet. */
function feed(w: LiveFileWriter, packets: Array<{ ifIndex: number; bytes: Buffer; sec: number; nsec: number; wire?: number }>): void {
  const rec: LiveRecord = emptyLiveRecord(0);
  for (const p of packets) {
    rec.buf = p.bytes;
    rec.off = 0;
    rec.capLen = p.bytes.length;
    rec.wireLen = p.wire ?? p.bytes.length;
    rec.tsSec = p.sec;
    rec.tsNsec = p.nsec;
    rec.ifIndex = p.ifIndex;
    w.write(rec);
  }
}

function stats(name: string, delivered: number, dropped: number | null, ifDropped: number | null, received: number | null): LiveStats {
  return { interface: name, delivered, dropped, ifDropped, received };
}

describe('LiveFileWriter', () => {
  it('writes a pcapng with one interface block per interface, nanosecond times and the final counters', async () => {
    const path = tempPath('two-ifaces.pcapng');
    const w = new LiveFileWriter({ path, format: 'pcapng', interfaces: [iface(0, 'eth0'), iface(1, 'tun0', RAW)] });
    feed(w, [
      { ifIndex: 0, bytes: frame(1, 60), sec: 1_700_000_000, nsec: 123_456_789 },
      { ifIndex: 1, bytes: Buffer.from('450000140000000040ff0000c6120001c6120002', 'hex'), sec: 1_700_000_000, nsec: 223_456_789 },
      { ifIndex: 0, bytes: frame(3, 1514), sec: 1_700_000_001, nsec: 5, wire: 9000 },
    ]);
    w.finish({ reason: 'stopped', message: null, startTime: 0, endTime: 0, stats: [stats('eth0', 2, 4, 1, 7), stats('tun0', 1, null, null, null)] });

    const rows = tshark(['-r', path, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch'])
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toEqual([
      ['eth0', '60', '60', '1700000000.123456789'],
      ['tun0', '20', '20', '1700000000.223456789'],
      ['eth0', '9000', '1514', '1700000001.000000005'],
    ]);
    const r = await CaptureReader.open(path);
    await forEachRecord(r, () => undefined);
    expect(r.interfaces.map((i) => [i.name, i.linktype])).toEqual([
      ['eth0', ETH],
      ['tun0', RAW],
    ]);
    // isb_ifrecv: the kernel's count when known, else what was delivered; isb_ifdrop: every packet missed.
    expect([r.interfaces[0]!.recv, r.interfaces[0]!.drop]).toEqual([7, 5]);
    expect([r.interfaces[1]!.recv, r.interfaces[1]!.drop]).toEqual([1, undefined]);
  });

  it('writes a nanosecond pcap for one interface', () => {
    const path = tempPath('one.pcap');
    const w = new LiveFileWriter({ path, format: 'pcap', interfaces: [iface(0, 'eth0')] });
    feed(w, [{ ifIndex: 0, bytes: frame(1, 64), sec: 1_700_000_000, nsec: 999_999_999 }]);
    w.finish(null);
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len']).trim()).toBe('1700000000.999999999\t64');
  });

  it('refuses a pcap for several interfaces', () => {
    expect(() => new LiveFileWriter({ path: tempPath('no.pcap'), format: 'pcap', interfaces: [iface(0, 'a'), iface(1, 'b')] })).toThrow(/pcapng/);
  });

  it('flush leaves a file that ends after a whole record while capturing goes on', () => {
    const path = tempPath('flushed.pcap');
    const w = new LiveFileWriter({ path, format: 'pcap', interfaces: [iface(0, 'eth0')] });
    feed(w, [1, 2, 3].map((t) => ({ ifIndex: 0, bytes: frame(t, 100 + t), sec: 1_700_000_000 + t, nsec: 0 })));
    w.flush();
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'frame.len']).trim().split('\n')).toEqual(['101', '102', '103']);
    feed(w, [{ ifIndex: 0, bytes: frame(4, 104), sec: 1_700_000_004, nsec: 0 }]);
    w.finish(null);
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'frame.len']).trim().split('\n')).toEqual(['101', '102', '103', '104']);
  });

  it('a ring of 3 cycles through FILE0..FILE2, each under the size limit, keeping the newest packets', () => {
    const dir = tempPath('ring-unit');
    mkdirSync(dir, { recursive: true });
    const base = join(dir, 'cap.pcapng');
    const limit = 4000;
    const w = new LiveFileWriter({ path: base, format: 'pcapng', interfaces: [iface(0, 'eth0')], ring: { files: 3, bytes: limit }, statsNow: () => [stats('eth0', 0, 0, 0, 0)] });
    const n = 40;
    feed(w, Array.from({ length: n }, (_, k) => ({ ifIndex: 0, bytes: frame(k, 500), sec: 1_700_000_000 + k, nsec: 0 })));
    w.finish(null);
    expect(readdirSync(dir).sort()).toEqual(['cap.pcapng0', 'cap.pcapng1', 'cap.pcapng2']);
    const tags: number[] = [];
    for (const f of readdirSync(dir)) {
      expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(limit);
      const hex = tshark(['-r', join(dir, f), '-T', 'fields', '-e', 'eth.dst']).trim().split('\n');
      tags.push(...hex.map((h) => parseInt(h.slice(0, 2), 16)));
    }
    tags.sort((a, b) => a - b);
    expect(tags[tags.length - 1]).toBe(n - 1);
    expect(tags).toEqual(Array.from({ length: tags.length }, (_, k) => n - tags.length + k));
    expect(w.paths.map((p) => p.slice(dir.length + 1))).toHaveLength(3);
  });
});

describe('formatFor', () => {
  it('takes --format first, then the file name, then pcapng for several interfaces', () => {
    expect(formatFor('x.pcap', 'pcapng', 1)).toBe('pcapng');
    expect(formatFor('x.pcapng', undefined, 1)).toBe('pcapng');
    expect(formatFor('x.PCAP', undefined, 2)).toBe('pcap');
    expect(formatFor('capture', undefined, 1)).toBe('pcap');
    expect(formatFor('capture', undefined, 2)).toBe('pcapng');
  });
});
