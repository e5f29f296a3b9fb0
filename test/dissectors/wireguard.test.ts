import { afterAll, describe, expect, it } from 'vitest';
import { ethernet } from '../../src/craft/ethernet.js';
import { ipUdp } from '../../src/craft/stack.js';
import { setAudit } from '../../src/decode/audit.js';
import { anomalies, decodeBytes, layers, makeDecoder, values } from '../helpers/decode.js';
import { removeTempFiles } from '../craft/tshark-oracle.js';
import { ours, theirs, type Rec } from '../helpers/oracle.js';
import { wgMessageType, WG_TRANSPORT } from '../../dissectors/wireguard.js';

afterAll(removeTempFiles);


const FIELDS = ['wg.type', 'wg.reserved', 'wg.sender', 'wg.receiver', 'wg.nonce', 'wg.encrypted_cookie', 'wg.mac1', 'wg.mac2', 'wg.counter'];

const MAC = { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 };
const overUdp = (msg: Buffer) => ethernet(MAC, ipUdp({ src: '192.0.2.1', dst: '192.0.2.2', sport: 40000, dport: 51820 }, msg));

const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
};
const bytes = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, k) => (from + k) & 0xff));
const head = (type: number, reserved = [0, 0, 0]) => Buffer.from([type, ...reserved]);

const INITIATION = Buffer.concat([head(1), le32(0x11223344), bytes(32), bytes(48), bytes(28), bytes(16, 100), bytes(16, 200)]);
const RESPONSE = Buffer.concat([head(2), le32(0x55667788), le32(0x11223344), bytes(32), bytes(16), bytes(16, 100), bytes(16, 200)]);
const COOKIE = Buffer.concat([head(3), le32(0x11223344), bytes(24, 7), bytes(32, 9)]);
const counter = (lo: number, hi: number) => Buffer.concat([le32(lo), le32(hi)]);
const DATA = Buffer.concat([head(4), le32(0x11223344), counter(7, 0), bytes(48)]);
const KEEPALIVE = Buffer.concat([head(4), le32(0x11223344), counter(5, 256), bytes(16)]);

describe('wireguard', () => {
  it('names the four message types and their fields as tshark does', () => {
    setAudit(true);
    const recs = [INITIATION, RESPONSE, COOKIE, DATA, KEEPALIVE].map((m) => ({ bytes: overUdp(m) }));
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    expect(ours(recs, ['wg.type'])).toEqual([['1'], ['2'], ['3'], ['4'], ['4']]);
    const p = decodeBytes(makeDecoder(), overUdp(KEEPALIVE));
    expect(layers(p)).toEqual(['frame', 'eth', 'ip', 'udp', 'wg']);
    expect(values(p, 'wg.counter')).toEqual([String(256 * 2 ** 32 + 5)]);
    expect(anomalies(p)).toEqual([]);
  });

  it('checks the reserved bytes of cookie replies and data messages only', () => {
    setAudit(true);
    const recs = [
      Buffer.concat([head(4, [1, 0, 0]), DATA.subarray(4)]),
      Buffer.concat([head(4, [0, 0, 1]), DATA.subarray(4)]),
      Buffer.concat([head(3, [0, 1, 0]), COOKIE.subarray(4)]),
      Buffer.concat([head(1, [0, 0, 7]), INITIATION.subarray(4)]),
    ].map((m) => ({ bytes: overUdp(m) }));
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
  });

  it('gives no fields to datagrams that are not WireGuard messages, and says so', () => {
    setAudit(true);
    const recs = [DATA.subarray(0, 21), Buffer.concat([head(9), bytes(40)]), INITIATION.subarray(0, 100)].map((m) => ({ bytes: overUdp(m) }));
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    const dec = makeDecoder();
    for (const r of recs) {
      const p = decodeBytes(dec, r.bytes);
      expect(anomalies(p)).toEqual(['wg.bad_message']);
      expect(wgMessageType(p, p.find(p.reg.id('wg')))).toBe(0);
    }
  });

  it('shows the fields a snapped capture kept, judging the message by the UDP length', () => {
    setAudit(true);
    const full = overUdp(INITIATION);
    const recs: Rec[] = [];
    for (const cut of [45, 46, 47, 48, 49, 50, 60, 100, 150, 170, 189]) recs.push({ bytes: full.subarray(0, cut), wire: full.length });
    expect(ours(recs, FIELDS)).toEqual(theirs(recs, FIELDS));
    const p = decodeBytes(makeDecoder(), full.subarray(0, 100), 1, full.length);
    expect(anomalies(p)).toEqual(['wg.truncated']);
    const d = decodeBytes(makeDecoder(), overUdp(DATA));
    expect(wgMessageType(d, d.find(d.reg.id('wg')))).toBe(WG_TRANSPORT);
  });

  it('has packet-list summaries', () => {
    setAudit(true);
    const dec = makeDecoder();
    const summary = (m: Buffer) => {
      const p = decodeBytes(dec, overUdp(m));
      const w = p.find(p.reg.id('wg'));
      return p.reg.dissectors[p.proto[w]!]!.summary!(p, w);
    };
    expect(summary(INITIATION)).toBe('WireGuard Handshake Initiation, sender=0x11223344');
    expect(summary(KEEPALIVE)).toBe('WireGuard Keepalive, receiver=0x11223344');
  });
});
