import { describe, expect, it } from 'vitest';
import { ipTcp } from '../../src/craft/stack.js';
import { encodeTcpOptions, tcpFlags } from '../../src/craft/tcp.js';
import { dissect, one } from './tshark-oracle.js';

const RAW = 101;
const ends = { src: '100.96.1.5', dst: '100.96.2.7', sport: 43210, dport: 8080 };

describe('tcp', () => {
  it('writes ports, numbers, window and flags with a good checksum', () => {
    const p = ipTcp({ ...ends, seq: 0xfffffff0, ack: 12345, flags: 'P.', window: 502, urgent: 0 }, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    const [l] = dissect([p], ['tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.window_size_value', 'tcp.flags', 'tcp.len', 'tcp.checksum.status'], { linktype: RAW });
    expect(one(l!, 'tcp.srcport')).toBe('43210');
    expect(one(l!, 'tcp.dstport')).toBe('8080');
    expect(one(l!, 'tcp.seq_raw')).toBe(String(0xfffffff0));
    expect(one(l!, 'tcp.ack_raw')).toBe('12345');
    expect(one(l!, 'tcp.window_size_value')).toBe('502');
    expect(Number(one(l!, 'tcp.flags'))).toBe(0x18);
    expect(one(l!, 'tcp.len')).toBe('18');
    expect(one(l!, 'tcp.checksum.status')).toBe('1');
  });

  it('reads tcpdump flag letters', () => {
    expect(tcpFlags('S')).toBe(0x02);
    expect(tcpFlags('S.')).toBe(0x12);
    expect(tcpFlags('FP.')).toBe(0x19);
    expect(tcpFlags('R')).toBe(0x04);
    expect(tcpFlags('SEW')).toBe(0xc2);
    expect(() => tcpFlags('X')).toThrow();
  });

  it('encodes MSS, window scale, SACK-permitted, timestamps and NOPs as Linux orders them in a SYN', () => {
    const p = ipTcp(
      {
        ...ends,
        seq: 1,
        flags: 'S',
        options: [{ kind: 'mss', value: 1410 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsval: 3000000000, tsecr: 0 }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }],
      },
      Buffer.alloc(0),
    );
    const [l] = dissect([p], ['tcp.hdr_len', 'tcp.options.mss_val', 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval', 'tcp.options.timestamp.tsecr', 'tcp.options.wscale.shift', 'tcp.checksum.status'], { linktype: RAW });
    expect(one(l!, 'tcp.hdr_len')).toBe('40');
    expect(one(l!, 'tcp.options.mss_val')).toBe('1410');
    expect(l!['tcp.options.sack_perm']).toHaveLength(1);
    expect(one(l!, 'tcp.options.timestamp.tsval')).toBe('3000000000');
    expect(one(l!, 'tcp.options.timestamp.tsecr')).toBe('0');
    expect(one(l!, 'tcp.options.wscale.shift')).toBe('7');
    expect(one(l!, 'tcp.checksum.status')).toBe('1');
  });

  it('encodes SACK blocks', () => {
    const p = ipTcp(
      { ...ends, seq: 1000, ack: 5000, flags: '.', options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[6000, 7000], [8000, 9000]] }] },
      Buffer.alloc(0),
    );
    const [l] = dissect([p], ['tcp.options.sack_le', 'tcp.options.sack_re'], { linktype: RAW, args: ['-o', 'tcp.relative_sequence_numbers:FALSE'] });
    expect(l!['tcp.options.sack_le']).toEqual(['6000', '8000']);
    expect(l!['tcp.options.sack_re']).toEqual(['7000', '9000']);
  });

  it('pads options to 4 bytes and refuses more than 40', () => {
    expect(encodeTcpOptions([{ kind: 'wscale', shift: 7 }])).toHaveLength(4);
    expect(() => encodeTcpOptions([{ kind: 'sack', blocks: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]] }])).toThrow();
  });

  it('checksums over the IPv6 pseudo-header and writes a bad checksum on request', () => {
    const v6 = ipTcp({ src: 'fd00::5', dst: 'fd00::7', sport: 1, dport: 2, seq: 9, flags: 'S' }, Buffer.alloc(0));
    const bad = ipTcp({ ...ends, seq: 9, flags: 'S', checksum: 'bad' }, Buffer.alloc(0));
    const [a, b] = dissect([v6, bad], ['tcp.checksum.status'], { linktype: RAW });
    expect(one(a!, 'tcp.checksum.status')).toBe('1');
    expect(one(b!, 'tcp.checksum.status')).toBe('0');
  });
});
