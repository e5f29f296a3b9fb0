import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodePcapHeader,
  encodePcapRecord,
  epbFlags,
  LINKTYPE,
  PcapngEncoder,
  PcapngWriter,
  PcapWriter,
  type Timestamp,
  type TsResolution,
} from '../../src/capture/writer.js';
import { ETHERTYPE, ethernet, ipUdp } from '../../src/craft/index.js';
import { fieldsOf, problemFrames, removeTempFiles, run, tempPath, tshark, type Layers } from '../craft/tshark-oracle.js';

const FRAME_FIELDS = ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id', 'frame.comment', 'frame.section_number', 'frame.encap_type'];
const MIME = ['-X', 'read_format:MIME Files Format'];

function udpPacket(i: number, size = 60): Buffer {
  const ip = ipUdp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 40000 + i, dport: 61000, id: i }, Buffer.alloc(size, i & 0xff));
  return ethernet({ dst: '02:42:c6:12:00:02', src: '02:42:c6:12:00:01', type: ETHERTYPE.IPV4 }, ip);
}

function rawPacket(i: number): Buffer {
  return ipUdp({ src: '100.96.1.5', dst: '100.96.2.7', sport: 50000 + i, dport: 61001 }, Buffer.alloc(20, i));
}

/** What tshark prints for a time it stores in nanoseconds. */
function epoch(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** How a reader turns ticks back into (sec, nsec): truncating at each step. */
function readBack(r: TsResolution, ts: Timestamp): string {
  const per = BigInt(r.base) ** BigInt(r.exponent);
  const ticks = ((BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec)) * per) / 1_000_000_000n;
  return epoch(Number(ticks / per), Number(((ticks % per) * 1_000_000_000n) / per));
}

const field = (l: Layers, name: string): string | undefined => l[name]?.[0];

const TIMES: Timestamp[] = [
  { sec: 1700000000, nsec: 0 },
  { sec: 1700000000, nsec: 123456789 },
  { sec: 1700000001, nsec: 999999999 },
  { sec: 1700000002, nsec: 1000 },
  { sec: 4294967295, nsec: 999999999 },
];

afterAll(removeTempFiles);

describe('classic pcap writer', () => {
  for (const nanosecond of [false, true]) {
    for (const byteOrder of ['le', 'be'] as const) {
      it(`round-trips through tshark, capinfos and tcpdump (${nanosecond ? 'ns' : 'µs'}, ${byteOrder})`, () => {
        const path = tempPath(`w-${nanosecond}-${byteOrder}.pcap`);
        const w = new PcapWriter(path, { linktype: LINKTYPE.ETHERNET, nanosecond, byteOrder, snaplen: 96 });
        const pkts = TIMES.map((_, i) => udpPacket(i, i * 40));
        TIMES.forEach((ts, i) => w.writePacket(ts, pkts[i]!));
        // A view into a larger buffer, with an original length beyond what was captured.
        const big = Buffer.concat([Buffer.alloc(7), pkts[1]!, Buffer.alloc(5)]);
        w.writePacket({ sec: 1700000003, nsec: 5 }, big, 7, 50, 1514);
        w.closeSync();

        const magic = readFileSync(path).subarray(0, 4).toString('hex');
        const want = nanosecond ? 'a1b23c4d' : 'a1b2c3d4';
        expect(magic).toBe(byteOrder === 'be' ? want : Buffer.from(want, 'hex').reverse().toString('hex'));

        const frames = fieldsOf(path, FRAME_FIELDS);
        const expectTime = (ts: Timestamp): string => epoch(ts.sec, nanosecond ? ts.nsec : Math.floor(ts.nsec / 1000) * 1000);
        const expected = [
          ...TIMES.map((ts, i) => [expectTime(ts), String(pkts[i]!.length), String(Math.min(96, pkts[i]!.length))]),
          [expectTime({ sec: 1700000003, nsec: 5 }), '1514', '50'],
        ];
        expect(frames.map((l) => [field(l, 'frame.time_epoch'), field(l, 'frame.len'), field(l, 'frame.cap_len')])).toEqual(expected);
        expect(problemFrames(path, ['-d', 'udp.port==61000,data'])).toEqual([]);

        const info = run('capinfos', [path]);
        expect(info.status).toBe(0);
        expect(info.stdout).toMatch(/File encapsulation:\s+Ethernet/);
        expect(info.stdout).toMatch(/Packet size limit:\s+file hdr: 96 bytes/);
        expect(info.stdout).toMatch(new RegExp(`File timestamp precision:\\s+${nanosecond ? 'nanoseconds \\(9\\)' : 'microseconds \\(6\\)'}`));
        expect(info.stdout).toMatch(/Number of packets:\s+6\b/);

        const td = run('tcpdump', ['-r', path, '-nn', '-tt', '--nano']);
        expect(td.status).toBe(0);
        expect(td.stderr).toContain('link-type EN10MB (Ethernet), snapshot length 96');
        // tcpdump will not print seconds from 2^31 on ("[Error converting time]").
        const tdTimes = td.stdout.trim().split('\n').map((line) => line.split(' ')[0]);
        expect(tdTimes.filter((_, i) => i !== 4)).toEqual(expected.map((e) => e[0]).filter((_, i) => i !== 4));
      });
    }
  }

  it('produces the same bytes from the encoder functions as from the writer', () => {
    const path = tempPath('enc.pcap');
    const o = { linktype: LINKTYPE.RAW, nanosecond: true, byteOrder: 'be' as const };
    const w = new PcapWriter(path, o);
    const pkts = [rawPacket(1), rawPacket(2)];
    pkts.forEach((p, i) => w.writePacket(TIMES[i]!, p, 0, p.length, p.length + 3));
    w.closeSync();
    const enc = Buffer.concat([encodePcapHeader(o), ...pkts.map((p, i) => encodePcapRecord(o, TIMES[i]!, p, p.length + 3))]);
    expect(readFileSync(path)).toEqual(enc);
  });

  it('streams to a Writable in chunks, honouring backpressure, with the same bytes as a file descriptor', async () => {
    const chunks: Buffer[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 8192,
      write(chunk: Buffer, _enc, cb) {
        writes++;
        chunks.push(Buffer.from(chunk));
        setImmediate(cb);
      },
    });
    const sw = new PcapWriter(slow, { linktype: LINKTYPE.ETHERNET, chunkSize: 4096 });
    const path = tempPath('fd.pcap');
    const fd = openSync(path, 'w');
    const fw = new PcapWriter(fd, { linktype: LINKTYPE.ETHERNET, chunkSize: 4096 });
    let waited = 0;
    for (let i = 0; i < 3000; i++) {
      // One record larger than a whole chunk.
      const p = udpPacket(i, i === 1500 ? 9000 : i % 300);
      const ts = { sec: 1700000000 + Math.floor(i / 1000), nsec: (i % 1000) * 1000000 };
      fw.writePacket(ts, p);
      if (!sw.writePacket(ts, p)) {
        waited++;
        await sw.drain();
      }
    }
    await sw.close();
    fw.closeSync();
    closeSync(fd);
    const streamed = Buffer.concat(chunks);
    expect(streamed).toEqual(readFileSync(path));
    expect(writes).toBeGreaterThan(10);
    expect(waited).toBeGreaterThan(0);
    expect(fieldsOf(path, ['frame.len']).length).toBe(3000);
  });

  it('refuses impossible records', () => {
    const w = new PcapWriter(tempPath('bad.pcap'), { linktype: 1 });
    expect(() => w.writePacket({ sec: 1, nsec: 1e9 }, Buffer.alloc(4))).toThrow();
    expect(() => w.writePacket({ sec: 1, nsec: 0 }, Buffer.alloc(4), 0, 4, 3)).toThrow();
    expect(() => w.writePacket({ sec: 2 ** 32, nsec: 0 }, Buffer.alloc(4))).toThrow();
    w.closeSync();
  });
});

describe('pcapng writer', () => {
  for (const byteOrder of ['le', 'be'] as const) {
    it(`writes a section tshark, capinfos and tcpdump read (${byteOrder})`, () => {
      const path = tempPath(`ng-${byteOrder}.pcapng`);
      const w = new PcapngWriter(path, { section: { byteOrder, userAppl: 'netdiag test', hardware: 'x86_64', os: 'Linux' } });
      const eth = w.addInterface({ linktype: LINKTYPE.ETHERNET, name: 'eth0', description: 'uplink', snaplen: 128 });
      const pkts = TIMES.map((_, i) => udpPacket(i, i * 50));
      TIMES.forEach((ts, i) => w.writePacket(eth, ts, pkts[i]!));
      w.closeSync();
      const head = readFileSync(path).subarray(8, 12).toString('hex');
      expect(head).toBe(byteOrder === 'le' ? '4d3c2b1a' : '1a2b3c4d');

      const frames = fieldsOf(path, FRAME_FIELDS);
      expect(frames.map((l) => [field(l, 'frame.time_epoch'), field(l, 'frame.len'), field(l, 'frame.cap_len'), field(l, 'frame.interface_id')])).toEqual(
        TIMES.map((ts, i) => [readBack({ base: 10, exponent: 6 }, ts), String(pkts[i]!.length), String(Math.min(128, pkts[i]!.length)), '0']),
      );
      const info = run('capinfos', [path]);
      expect(info.stdout).toMatch(/Capture application:\s+netdiag test/);
      expect(info.stdout).toMatch(/Capture hardware:\s+x86_64/);
      expect(info.stdout).toMatch(/Name = eth0/);
      expect(info.stdout).toMatch(/Description = uplink/);
      expect(info.stdout).toMatch(/Capture length = 128/);
      const td = run('tcpdump', ['-r', path, '-nn', '-tt', '--nano']);
      expect(td.status).toBe(0);
      expect(td.stdout.trim().split('\n')).toHaveLength(TIMES.length);
      expect(problemFrames(path, MIME)).toEqual([]);
    });
  }

  it('keeps two interfaces of different linktypes apart, with comments and flags', () => {
    const path = tempPath('ng-two-if.pcapng');
    const w = new PcapngWriter(path);
    const eth = w.addInterface({ linktype: LINKTYPE.ETHERNET, name: 'eth0' });
    const tun = w.addInterface({ linktype: LINKTYPE.RAW, name: 'tunl0', tsresol: { base: 10, exponent: 9 } });
    w.writePacket(eth, TIMES[1]!, udpPacket(1), undefined, undefined, undefined, { comment: 'first, with ünïcode', flags: epbFlags({ direction: 'inbound', reception: 'unicast' }) });
    w.writePacket(tun, TIMES[1]!, rawPacket(2));
    w.writePacket(eth, TIMES[2]!, udpPacket(3), undefined, undefined, undefined, { flags: epbFlags({ direction: 'outbound' }) });
    w.writePacket(tun, TIMES[3]!, rawPacket(4), undefined, undefined, undefined, { comment: 'x' });
    w.closeSync();
    const frames = fieldsOf(path, [...FRAME_FIELDS, 'frame.interface_name', 'frame.packet_flags_direction', 'ip.src']);
    expect(frames.map((l) => [field(l, 'frame.interface_id'), field(l, 'frame.interface_name'), field(l, 'frame.encap_type'), field(l, 'frame.comment'), field(l, 'frame.time_epoch')])).toEqual([
      ['0', 'eth0', '1', 'first, with ünïcode', readBack({ base: 10, exponent: 6 }, TIMES[1]!)],
      ['1', 'tunl0', '7', undefined, epoch(TIMES[1]!.sec, TIMES[1]!.nsec)],
      ['0', 'eth0', '1', undefined, readBack({ base: 10, exponent: 6 }, TIMES[2]!)],
      ['1', 'tunl0', '7', 'x', epoch(TIMES[3]!.sec, TIMES[3]!.nsec)],
    ]);
    expect(frames.map((l) => l['frame.packet_flags_direction']?.map(Number)[0])).toEqual([1, undefined, 2, undefined]);
    expect(frames.map((l) => field(l, 'ip.src'))).toEqual(['198.18.0.1', '100.96.1.5', '198.18.0.1', '100.96.1.5']);
    expect(problemFrames(path, MIME)).toEqual([]);
  });

  it('encodes EPB timestamps in each interface resolution', () => {
    const resolutions: TsResolution[] = [
      { base: 10, exponent: 6 },
      { base: 10, exponent: 9 },
      { base: 10, exponent: 3 },
      { base: 2, exponent: 20 },
      { base: 2, exponent: 30 },
    ];
    const path = tempPath('ng-tsresol.pcapng');
    const w = new PcapngWriter(path);
    const ids = resolutions.map((tsresol) => w.addInterface({ linktype: LINKTYPE.RAW, tsresol }));
    const want: string[] = [];
    for (const id of ids) {
      for (const ts of TIMES) {
        w.writePacket(id, ts, rawPacket(id));
        want.push(readBack(resolutions[id]!, ts));
      }
    }
    w.closeSync();
    expect(fieldsOf(path, ['frame.time_epoch']).map((l) => field(l, 'frame.time_epoch'))).toEqual(want);
    const resol = fieldsOf(path, ['pcapng.options.option.data.interface.timestamp_resolution'], MIME)[0]!;
    expect(resol['pcapng.options.option.data.interface.timestamp_resolution']!.map(Number)).toEqual([6, 9, 3, 0x94, 0x9e]);
  });

  it('writes interface statistics that the file-format dissector reads back', () => {
    const path = tempPath('ng-isb.pcapng');
    for (const byteOrder of ['le', 'be'] as const) {
      const w = new PcapngWriter(path, { section: { byteOrder } });
      const ns = w.addInterface({ linktype: LINKTYPE.RAW, tsresol: { base: 10, exponent: 9 } });
      w.writePacket(ns, TIMES[1]!, rawPacket(1));
      const start = { sec: 1700000000, nsec: 1 };
      const end = { sec: 1700000009, nsec: 987654321 };
      w.writeStatistics(ns, end, { startTime: start, endTime: end, ifRecv: 2 ** 40 + 3, ifDrop: 1, osDrop: 7, filterAccept: 2, usrDeliv: 1, comment: 'final counters' });
      w.closeSync();
      const [l] = fieldsOf(path, ['pcapng.block.type', 'pcapng.options.option.data.interface.received', 'pcapng.options.option.data.interface.dropped', 'pcapng.options.option.data.interface.dropped_by_os', 'pcapng.options.option.data.interface.accepted_by_filter', 'pcapng.options.option.data.interface.delivered_to_user', 'pcapng.options.option.data.comment'], MIME);
      expect(l!['pcapng.block.type']).toEqual(['0x0a0d0d0a', '0x00000001', '0x00000006', '0x00000005']);
      expect(l!['pcapng.options.option.data.interface.received']).toEqual([String(2 ** 40 + 3)]);
      expect(l!['pcapng.options.option.data.interface.dropped']).toEqual(['1']);
      expect(l!['pcapng.options.option.data.interface.dropped_by_os']).toEqual(['7']);
      expect(l!['pcapng.options.option.data.interface.accepted_by_filter']).toEqual(['2']);
      expect(l!['pcapng.options.option.data.interface.delivered_to_user']).toEqual(['1']);
      expect(l!['pcapng.options.option.data.comment']).toEqual(['final counters']);
      // isb_starttime/endtime: high word then low word, each in the section's
      // byte order. tshark locates them (PDML pos) but does not print them.
      const words = (ts: Timestamp): string => {
        const t = BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec);
        const b = Buffer.alloc(8);
        const put = byteOrder === 'le' ? b.writeUInt32LE.bind(b) : b.writeUInt32BE.bind(b);
        put(Number(t >> 32n), 0);
        put(Number(t & 0xffffffffn), 4);
        return b.toString('hex');
      };
      const pdml = tshark(['-r', path, ...MIME, '-T', 'pdml']);
      const bytesOf = (name: string): string => {
        const m = new RegExp(`name="${name.replace(/\./g, '\\.')}"[^>]*size="8" pos="(\\d+)"`).exec(pdml);
        if (!m) throw new Error(`${name} not in PDML`);
        return readFileSync(path).subarray(Number(m[1]), Number(m[1]) + 8).toString('hex');
      };
      expect(bytesOf('pcapng.options.option.data.start_time')).toBe(words(start));
      expect(bytesOf('pcapng.options.option.data.end_time')).toBe(words(end));
      const info = run('capinfos', [path]);
      expect(info.stdout).toMatch(/Number of stat entries = 1/);
    }
  });

  it('reads a second section in the other byte order, with simple and obsolete packet blocks, and skips an unknown block', () => {
    const path = tempPath('ng-two-sections.pcapng');
    const w = new PcapngWriter(path, { section: { byteOrder: 'le', comment: 'one' } });
    const eth = w.addInterface({ linktype: LINKTYPE.ETHERNET });
    w.writePacket(eth, TIMES[0]!, udpPacket(0));
    w.writeRawBlock(0x00000a0b, Buffer.from('a block type no reader knows, skipped by its length'));
    w.writePacket(eth, TIMES[1]!, udpPacket(1));
    w.newSection({ byteOrder: 'be', comment: 'two' });
    const raw = w.addInterface({ linktype: LINKTYPE.RAW, snaplen: 40 });
    const spb = rawPacket(5);
    w.writeSimplePacket(spb, 0, 40, spb.length);
    w.writeObsoletePacket(raw, TIMES[2]!, rawPacket(6), { comment: 'from the old days', origLen: rawPacket(6).length });
    w.writePacket(raw, TIMES[3]!, rawPacket(7));
    w.closeSync();
    const frames = fieldsOf(path, FRAME_FIELDS);
    expect(frames.map((l) => [field(l, 'frame.section_number'), field(l, 'frame.encap_type'), field(l, 'frame.len'), field(l, 'frame.cap_len'), field(l, 'frame.comment')])).toEqual([
      ['1', '1', String(udpPacket(0).length), String(udpPacket(0).length), undefined],
      ['1', '1', String(udpPacket(1).length), String(udpPacket(1).length), undefined],
      ['2', '7', String(spb.length), '40', undefined],
      ['2', '7', String(rawPacket(6).length), '40', 'from the old days'],
      ['2', '7', String(rawPacket(7).length), '40', undefined],
    ]);
    // Interface ids are not compared: tshark 4.0 reports a later section's
    // section-local id (with the first section's interface name), newer
    // versions number interfaces across the file. The SPB has no time.
    expect(frames.map((l) => field(l, 'frame.time_epoch'))).toEqual([
      readBack({ base: 10, exponent: 6 }, TIMES[0]!),
      readBack({ base: 10, exponent: 6 }, TIMES[1]!),
      undefined,
      readBack({ base: 10, exponent: 6 }, TIMES[2]!),
      readBack({ base: 10, exponent: 6 }, TIMES[3]!),
    ]);
    const [l] = fieldsOf(path, ['pcapng.block.type', 'pcapng.section_header.byte_order_magic'], MIME);
    expect(l!['pcapng.block.type']).toEqual(['0x0a0d0d0a', '0x00000001', '0x00000006', '0x00000a0b', '0x00000006', '0x0a0d0d0a', '0x00000001', '0x00000003', '0x00000002', '0x00000006']);
    expect(problemFrames(path, MIME)).toEqual([]);
    const info = run('capinfos', [path]);
    expect(info.stdout).toMatch(/Section 1:/);
  });

  it('produces the same bytes from the encoder as from the writer', () => {
    const path = tempPath('ng-enc.pcapng');
    const w = new PcapngWriter(path, { section: { byteOrder: 'be', os: 'Linux' } });
    w.addInterface({ linktype: LINKTYPE.ETHERNET, tsresol: { base: 2, exponent: 24 } });
    w.writePacket(0, TIMES[1]!, udpPacket(1), 0, 30, 90, { comment: 'c', flags: 1 });
    w.writeSimplePacket(udpPacket(2));
    w.writeStatistics(0, TIMES[2]!, { ifRecv: 2 });
    w.writeCustomBlock(32473, Buffer.from('custom'));
    w.closeSync();
    const e = new PcapngEncoder();
    const enc = Buffer.concat([
      e.sectionHeader({ byteOrder: 'be', os: 'Linux' }),
      e.interfaceDescription({ linktype: LINKTYPE.ETHERNET, tsresol: { base: 2, exponent: 24 } }),
      e.enhancedPacket(0, TIMES[1]!, udpPacket(1).subarray(0, 30), { origLen: 90, comment: 'c', flags: 1 }),
      e.simplePacket(udpPacket(2)),
      e.interfaceStatistics(0, TIMES[2]!, { ifRecv: 2 }),
      e.customBlock(32473, Buffer.from('custom')),
    ]);
    expect(readFileSync(path)).toEqual(enc);
    writeFileSync(path, enc);
    expect(problemFrames(path, MIME)).toEqual([]);
  });

  it('refuses packets for interfaces the section does not have, and simple packets short of the snaplen', () => {
    const w = new PcapngWriter(tempPath('ng-bad.pcapng'));
    expect(() => w.writePacket(0, TIMES[0]!, Buffer.alloc(4))).toThrow(/no interface 0/);
    w.addInterface({ linktype: 1, snaplen: 100 });
    expect(() => w.writeSimplePacket(Buffer.alloc(50), 0, 50, 200)).toThrow();
    w.newSection();
    expect(() => w.writePacket(0, TIMES[0]!, Buffer.alloc(4))).toThrow(/no interface 0/);
    w.closeSync();
  });

  it('leaves a complete file when closed with nothing written but the header', () => {
    const path = tempPath('ng-empty.pcapng');
    new PcapngWriter(path).closeSync();
    expect(tshark(['-r', path, '-T', 'fields', '-e', 'frame.number'])).toBe('');
  });
});
