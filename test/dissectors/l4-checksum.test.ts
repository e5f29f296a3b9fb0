import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipTcp, ipUdp } from '../../src/craft/stack.js';
import { setAudit } from '../../src/decode/audit.js';
import { FieldSink } from '../../src/decode/field-sink.js';
import { decodeBytes, makeDecoder } from '../helpers/decode.js';
import { removeTempFiles, tempPath, tshark } from '../craft/tshark-oracle.js';
import { CHECKSUM_GOOD, CHECKSUM_UNVERIFIED, ipLayerOf, pseudoHeaderSum, udpChecksumStatus, udpChecksumStatusField } from '../../dissectors/l4-checksum.js';
import { tcpChecksumStatus } from '../../dissectors/tcp.js';

afterAll(removeTempFiles);

interface Rec {
  bytes: Buffer;
  wire?: number;
}

function tsharkColumn(recs: readonly Rec[], field: string): string[] {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  const parts = [head];
  for (const r of recs) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.bytes.length, 8);
    h.writeUInt32LE(r.wire ?? r.bytes.length, 12);
    parts.push(h, r.bytes);
  }
  const path = tempPath('l4.pcap');
  writeFileSync(path, Buffer.concat(parts));
  const out = tshark(['-r', path, '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', field]);
  return out.split('\n').slice(0, recs.length);
}

const v4 = { src: '10.244.1.5', dst: '10.244.2.7' };
const v6 = { src: 'fd00:10:244:1::5', dst: 'fd00:10:244:2::7' };
const eth4 = (pkt: Buffer) => ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 }, pkt);
const eth6 = (pkt: Buffer) => ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x86dd }, pkt);

function udpStatus(r: Rec): string {
  const p = decodeBytes(makeDecoder(), r.bytes, 1, r.wire ?? r.bytes.length);
  const u = p.find(p.reg.id('udp'));
  const sink = new FieldSink();
  udpChecksumStatusField.get(p, u, sink);
  expect(sink.n).toBe(1);
  expect(sink.num[0]).toBe(udpChecksumStatus(p, u));
  return String(sink.num[0]);
}

describe('l4-checksum', () => {
  it('rates UDP checksums as tshark does: good, bad, absent over IPv4, illegal over IPv6, unverified when snapped', () => {
    setAudit(true);
    const data = Buffer.from('a datagram of odd length');
    const good = eth4(ipUdp({ ...v4, sport: 5353, dport: 53 }, data));
    const recs: Rec[] = [
      { bytes: good },
      { bytes: eth4(ipUdp({ ...v4, sport: 5353, dport: 53, checksum: 'bad' }, data)) },
      { bytes: eth4(ipUdp({ ...v4, sport: 5353, dport: 53, checksum: 'zero' }, data)) },
      { bytes: eth6(ipUdp({ ...v6, sport: 5353, dport: 53 }, data)) },
      { bytes: eth6(ipUdp({ ...v6, sport: 5353, dport: 53, checksum: 'zero' }, data)) },
      { bytes: good.subarray(0, good.length - 3), wire: good.length },
    ];
    const ours = recs.map(udpStatus);
    expect(ours).toEqual(tsharkColumn(recs, 'udp.checksum.status'));
    expect(ours).toEqual(['1', '0', '3', '1', '4', '2']);
  });

  it('verifies TCP over IPv6 with the IPv6 pseudo-header', () => {
    setAudit(true);
    const recs: Rec[] = [
      { bytes: eth6(ipTcp({ ...v6, sport: 43210, dport: 179, seq: 1, flags: 'S' })) },
      { bytes: eth6(ipTcp({ ...v6, sport: 43210, dport: 179, seq: 1, flags: 'S', checksum: 'bad' })) },
    ];
    const ours = recs.map((r) => {
      const p = decodeBytes(makeDecoder(), r.bytes);
      return String(tcpChecksumStatus(p, p.find(p.reg.id('tcp'))));
    });
    expect(ours).toEqual(tsharkColumn(recs, 'tcp.checksum.status'));
  });

  it('sums the pseudo-header of the carrying IP layer and refuses layers without one', () => {
    setAudit(true);
    const p = decodeBytes(makeDecoder(), eth4(ipUdp({ ...v4, sport: 1, dport: 2 }, Buffer.alloc(4))));
    const u = p.find(p.reg.id('udp'));
    const ip = ipLayerOf(p, u);
    expect(p.reg.dissectors[p.proto[ip]!]!.name).toBe('ip');
    // 10.244.1.5 + 10.244.2.7 as 16-bit words, + protocol 17 + length 12.
    expect(pseudoHeaderSum(p, ip, 17, 12)).toBe(0x0af4 + 0x0105 + 0x0af4 + 0x0207 + 17 + 12);
    expect(udpChecksumStatus(p, u)).toBe(CHECKSUM_GOOD);
    expect(ipLayerOf(p, ip)).toBe(-1);
    expect(pseudoHeaderSum(p, 0, 17, 12)).toBe(-1);
    expect(CHECKSUM_UNVERIFIED).toBe(2);
  });
});
