import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipTcp } from '../../src/craft/stack.js';
import type { TcpOption } from '../../src/craft/tcp.js';
import { setAudit } from '../../src/decode/audit.js';
import type { Decoder } from '../../src/decode/decoder.js';
import { anomalies, decodeBytes, hex, layers, makeDecoder, values } from '../helpers/decode.js';
import { removeTempFiles, tempPath, tshark } from '../craft/tshark-oracle.js';
import { tcpAck, tcpFlags, tcpMss, tcpOptionOffset, tcpPayloadLength, tcpSeq, tcpWindowScale, TCP_SYN, TCPOPT_TIMESTAMP } from '../../dissectors/tcp.js';

afterAll(removeTempFiles);

/** A captured record: its bytes and the length it had on the wire. */
interface Rec {
  bytes: Buffer;
  wire?: number;
}

function pcapOf(recs: readonly Rec[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  const parts = [head];
  recs.forEach((r, k) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000 + k, 0);
    h.writeUInt32LE(r.bytes.length, 8);
    h.writeUInt32LE(r.wire ?? r.bytes.length, 12);
    parts.push(h, r.bytes);
  });
  return Buffer.concat(parts);
}

let files = 0;

/** tshark's -T fields values of each record, every occurrence joined by commas. */
function theirs(recs: readonly Rec[], fields: readonly string[], args: string[] = []): string[][] {
  const path = tempPath(`tcp-${files++}.pcap`);
  writeFileSync(path, pcapOf(recs));
  const out = tshark(['-r', path, ...args, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])]);
  return out.split('\n').slice(0, recs.length).map((l) => l.split('\t'));
}

function ours(recs: readonly Rec[], fields: readonly string[], dec: Decoder = makeDecoder()): string[][] {
  return recs.map((r) => {
    const p = decodeBytes(dec, r.bytes, 1, r.wire ?? r.bytes.length);
    return fields.map((f) => values(p, f).join(','));
  });
}

const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const ENDS = { src: '10.244.1.5', dst: '10.244.2.7', sport: 43210, dport: 8080 };

function frame(o: { seq?: number; ack?: number; flags?: string | number; options?: TcpOption[]; window?: number; checksum?: 'bad'; sport?: number; dport?: number }, payload = Buffer.alloc(0)): Buffer {
  return ethernet(MAC, ipTcp({ ...ENDS, seq: 1000, ack: 0, flags: 'S', window: 64240, ...o }, payload));
}

const SYN_OPTIONS: TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', tsval: 3000000000, tsecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];

const HEADER_FIELDS = [
  'tcp.srcport',
  'tcp.dstport',
  'tcp.port',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.hdr_len',
  'tcp.flags',
  'tcp.flags.syn',
  'tcp.flags.ack',
  'tcp.flags.fin',
  'tcp.flags.reset',
  'tcp.flags.push',
  'tcp.flags.urg',
  'tcp.flags.ece',
  'tcp.flags.cwr',
  'tcp.flags.str',
  'tcp.window_size_value',
  'tcp.checksum',
  'tcp.urgent_pointer',
  'tcp.len',
];

const OPTION_FIELDS = [
  'tcp.options',
  'tcp.option_kind',
  'tcp.option_len',
  'tcp.options.mss',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.wscale.multiplier',
  'tcp.options.sack_perm',
  'tcp.options.sack',
  'tcp.options.sack.count',
  'tcp.options.sack_le',
  'tcp.options.sack_re',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'tcp.options.nop',
  'tcp.options.eol',
];

// SACK edges are compared raw: tshark shows them relative to the peer's ISN by default.
const RAW_SEQ = ['-o', 'tcp.relative_sequence_numbers:FALSE'];

describe('tcp', () => {
  it('decodes a SYN with Linux options as tshark does', () => {
    setAudit(true);
    const recs = [{ bytes: frame({ options: SYN_OPTIONS }) }];
    const fields = [...HEADER_FIELDS, ...OPTION_FIELDS];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields, RAW_SEQ));
    expect(ours(recs, ['tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.flags'])[0]).toEqual(['1460', '7', '0x0002']);
  });

  it('shows SACK blocks, timestamps and a payload', () => {
    setAudit(true);
    const recs = [
      {
        bytes: frame(
          {
            flags: 'P.',
            ack: 7001,
            options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[8101, 8201], [8301, 8401]] }, { kind: 'timestamps', tsval: 5, tsecr: 6 }],
          },
          Buffer.from('hello'),
        ),
      },
    ];
    const fields = [...HEADER_FIELDS, ...OPTION_FIELDS, 'tcp.payload'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields, RAW_SEQ));
    expect(ours(recs, ['tcp.options.sack_le', 'tcp.options.sack_re', 'tcp.len'])[0]).toEqual(['8101,8301', '8201,8401', '5']);
  });

  it('shows only the fields each truncation of the header and options leaves, as tshark does', () => {
    setAudit(true);
    const full = frame({ options: SYN_OPTIONS }, Buffer.from('data'));
    const recs: Rec[] = [];
    for (let cut = 34; cut <= full.length; cut++) recs.push({ bytes: full.subarray(0, cut), wire: full.length });
    const fields = [...HEADER_FIELDS, ...OPTION_FIELDS, 'tcp.payload'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields, RAW_SEQ));
    const dec = makeDecoder();
    const tcpEnd = 14 + 20 + 40;
    for (let cut = 35; cut < tcpEnd; cut++) {
      const p = decodeBytes(dec, full.subarray(0, cut), 1, full.length);
      expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'tcp']);
      expect(anomalies(p)).toContain('tcp.truncated');
    }
    expect(anomalies(decodeBytes(dec, full.subarray(0, tcpEnd), 1, full.length))).toEqual([]);
  });

  it('reports the segment length from the IP header when the capture is snapped', () => {
    setAudit(true);
    const full = frame({ flags: 'P.', ack: 1 }, Buffer.alloc(100, 0x78));
    const recs = [{ bytes: full.subarray(0, 60), wire: full.length }, { bytes: Buffer.concat([full, Buffer.alloc(6)]) }];
    const fields = ['tcp.len', 'tcp.payload', 'tcp.checksum.status'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields, ['-o', 'tcp.check_checksum:TRUE']));
    expect(ours(recs, ['tcp.len'])).toEqual([['100'], ['100']]);
  });

  it('verifies the checksum only when the whole segment was captured', () => {
    setAudit(true);
    const good = frame({ flags: 'P.', ack: 1 }, Buffer.from('abc'));
    const bad = frame({ flags: 'P.', ack: 1, checksum: 'bad' }, Buffer.from('abc'));
    const recs = [{ bytes: good }, { bytes: bad }, { bytes: good.subarray(0, good.length - 1), wire: good.length }];
    expect(ours(recs, ['tcp.checksum.status'])).toEqual(theirs(recs, ['tcp.checksum.status'], ['-o', 'tcp.check_checksum:TRUE']));
    expect(ours(recs, ['tcp.checksum.status'])).toEqual([['1'], ['0'], ['2']]);
  });

  it('shows the text of a RST in tcp.reset_cause and passes it to no protocol above', () => {
    setAudit(true);
    const recs = [{ bytes: frame({ flags: 'R.', ack: 1, sport: 179 }, Buffer.from('BIG-IP: connection reset')) }];
    const fields = ['tcp.payload', 'tcp.reset_cause', 'tcp.len'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    expect(layers(decodeBytes(makeDecoder(), recs[0]!.bytes))).toEqual(['frame', 'eth', 'ip', 'tcp']);
  });

  it('flags a data offset below 20 and shows what tshark shows of such a header', () => {
    setAudit(true);
    const b = frame({ flags: 'P.', ack: 1 }, Buffer.from('abcdefgh'));
    b[14 + 20 + 12] = 0x40;
    const recs = [{ bytes: b }];
    const fields = [...HEADER_FIELDS, 'tcp.options', 'tcp.payload'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields));
    expect(anomalies(decodeBytes(makeDecoder(), b))).toEqual(['tcp.hdr_len_bad']);
  });

  it('flags a header longer than the segment itself', () => {
    setAudit(true);
    const b = frame({ flags: 'P.', ack: 1 }, Buffer.from('abcdefgh'));
    b[14 + 20 + 12] = 0xf0;
    const recs = [{ bytes: b }];
    const fields = [...HEADER_FIELDS, ...OPTION_FIELDS, 'tcp.payload'];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields, RAW_SEQ));
    expect(anomalies(decodeBytes(makeDecoder(), b))).toEqual(['tcp.hdr_len_exceeds']);
  });

  it('stops at an option length of 0 or 1 or one running past the header, as an anomaly', () => {
    setAudit(true);
    const withWscale = (len: number, mss: boolean) => {
      const opts: TcpOption[] = [{ kind: 'mss', value: 1460 }, { kind: 'wscale', shift: 7 }];
      if (mss) opts.push({ kind: 'mss', value: 536 });
      const b = frame({ options: opts });
      b[14 + 20 + 20 + 4 + 1] = len;
      return b;
    };
    const recs = [
      { bytes: withWscale(0, true) },
      { bytes: withWscale(1, true) },
      { bytes: withWscale(9, false) },
      // A known option with the wrong length: listed without a value, and the walk goes on.
      { bytes: withWscale(4, true) },
    ];
    const fields = [...OPTION_FIELDS];
    expect(ours(recs, fields)).toEqual(theirs(recs, fields, RAW_SEQ));
    const dec = makeDecoder();
    for (const r of recs) expect(anomalies(decodeBytes(dec, r.bytes))).toEqual(['tcp.option_len_bad']);
  });

  it('lists each EOL byte and stops at non-zero padding after it', () => {
    setAudit(true);
    const raw = (bytes: number[]) => {
      const b = frame({ options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }] });
      Buffer.from(bytes).copy(b, 14 + 20 + 20);
      return b;
    };
    const recs = [{ bytes: raw([1, 0, 0, 0]) }, { bytes: raw([0, 0, 1, 0]) }, { bytes: raw([5, 2, 1, 1]) }, { bytes: raw([1, 1, 1, 2]) }];
    expect(ours(recs, OPTION_FIELDS)).toEqual(theirs(recs, OPTION_FIELDS, RAW_SEQ));
  });

  it('hands a non-empty payload to the protocol of the lower port, in both directions', () => {
    setAudit(true);
    const dec = makeDecoder();
    const keepalive = hex('ffffffffffffffffffffffffffffffff001304');
    expect(layers(decodeBytes(dec, frame({ flags: 'P.', ack: 1, sport: 40000, dport: 179 }, keepalive)))).toEqual(['frame', 'eth', 'ip', 'tcp', 'bgp']);
    expect(layers(decodeBytes(dec, frame({ flags: 'P.', ack: 1, sport: 179, dport: 40000 }, keepalive)))).toEqual(['frame', 'eth', 'ip', 'tcp', 'bgp']);
    expect(layers(decodeBytes(dec, frame({ flags: '.', ack: 1, sport: 40000, dport: 179 })))).toEqual(['frame', 'eth', 'ip', 'tcp']);
    expect(layers(decodeBytes(dec, frame({ flags: 'P.', ack: 1, sport: 40000, dport: 40001 }, keepalive)))).toEqual(['frame', 'eth', 'ip', 'tcp']);
  });

  it('gives analyzers the header values and options without re-parsing', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), frame({ seq: 0xfffffff0, options: SYN_OPTIONS }, Buffer.from('xy')));
    const t = p.find(p.reg.id('tcp'));
    expect(tcpSeq(p, t)).toBe(0xfffffff0);
    expect(tcpAck(p, t)).toBe(0);
    expect(tcpFlags(p, t)).toBe(TCP_SYN);
    expect(tcpPayloadLength(p, t)).toBe(2);
    expect(tcpMss(p, t)).toBe(1460);
    expect(tcpWindowScale(p, t)).toBe(7);
    const ts = tcpOptionOffset(p, t, TCPOPT_TIMESTAMP);
    expect(p.layerBuf[t]!.readUInt32BE(ts + 2)).toBe(3000000000);
    const bare = decodeBytes(makeDecoder(), frame({}));
    expect(tcpMss(bare, bare.find(bare.reg.id('tcp')))).toBe(-1);
  });

  it('has a packet-list summary', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), frame({ flags: 'S.', ack: 5 }));
    const t = p.find(p.reg.id('tcp'));
    expect(p.reg.dissectors[p.proto[t]!]!.summary!(p, t)).toBe('TCP 43210 → 8080 [SYN, ACK] seq=1000 ack=5 win=64240 len=0');
  });
});

describe('tcp option lengths on the common layouts', () => {
  const optionsAt = 14 + 20 + 20;
  const layouts: Array<{ name: string; options: TcpOption[]; lengthAt: number; valid: number }> = [
    { name: 'timestamps after two NOPs', options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: 1, tsecr: 2 }], lengthAt: 3, valid: 10 },
    { name: 'timestamps in a SYN', options: SYN_OPTIONS, lengthAt: 7, valid: 10 },
    { name: 'window scale in a SYN', options: SYN_OPTIONS, lengthAt: 18, valid: 3 },
  ];
  for (const audit of [false, true]) {
    for (const { name, options, lengthAt, valid } of layouts) {
      it(`flags every length but ${valid} of ${name} (audit ${audit ? 'on' : 'off'})`, () => {
        setAudit(audit);
        try {
          const dec = makeDecoder();
          const bytes = frame({ flags: 'S', options });
          for (let len = 0; len < 256; len++) {
            bytes[optionsAt + lengthAt] = len;
            const found = anomalies(decodeBytes(dec, bytes)).includes('tcp.option_len_bad');
            expect(found, `length ${len}`).toBe(len !== valid);
          }
        } finally {
          setAudit(false);
        }
      });
    }
  }
});
