import { u8, u16, u32 } from '../../src/decode/bytes.js';
import { field, fixed } from '../../src/decode/define.js';
import { Decoder } from '../../src/decode/decoder.js';
import type { ProtocolModule } from '../../src/decode/dissector.js';
import type { PacketView } from '../../src/decode/packet-view.js';
import { Registry } from '../../src/decode/registry.js';
import { frame } from '../../dissectors/frame.js';
import { decodeBytes } from '../helpers/decode.js';
import { compileFilter } from '../../src/filter/index.js';

/*
 * A protocol with one field of every type, so the filter semantics can be pinned
 * without depending on any real dissector. Header (40 bytes):
 *   0 u8 (named values) | 1 u16 | 3 flags: 0x80 flag, 0x01 another tst layer follows
 *   4 IPv4 | 8 MAC | 14 IPv6 | 30 4 bytes | 34 int8 | 35 seconds | 36 nanoseconds (u32)
 * then, in the last layer, a UTF-8 string to the end.
 */
export const LINKTYPE_TST = 147;
let TST = 0;

const whole = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]! >= 40;

export const tst: ProtocolModule = {
  dispatch: [['linktype', LINKTYPE_TST]],
  dissector: {
    name: 'tst',
    label: 'Test',
    fields: [
      fixed('tst.u8', 'u8', 'uint', 0, 1, { names: { 1: 'One', 2: 'Two', 3: 'Other', 17: 'UDP' } }),
      fixed('tst.u16', 'u16', 'uint', 1, 2),
      fixed('tst.flag', 'flag', 'bool', 3, 1, { mask: 0x80 }),
      fixed('tst.v4', 'v4', 'ipv4', 4, 4),
      fixed('tst.mac', 'mac', 'ether', 8, 6),
      fixed('tst.v6', 'v6', 'ipv6', 14, 16),
      fixed('tst.bytes', 'bytes', 'bytes', 30, 4),
      field('tst.i8', 'i8', 'int', (p, i, out) => {
        if (whole(p, i)) out.pushNum((u8(p.layerBuf[i]!, p.start[i]! + 34) << 24) >> 24);
      }, { bits: 8 }),
      field('tst.time', 'time', 'rel_time', (p, i, out) => {
        if (whole(p, i)) out.pushTime(u8(p.layerBuf[i]!, p.start[i]! + 35), u32(p.layerBuf[i]!, p.start[i]! + 36));
      }),
      field('tst.each', 'each byte of tst.bytes', 'uint', (p, i, out) => {
        if (!whole(p, i)) return;
        for (let k = 0; k < 4; k++) out.pushNum(u8(p.layerBuf[i]!, p.start[i]! + 30 + k));
      }, { bits: 8 }),
      field('tst.str', 'str', 'string', (p, i, out) => {
        if (whole(p, i) && (u8(p.layerBuf[i]!, p.start[i]! + 3) & 1) === 0 && p.end[i]! > p.hdrEnd[i]!) out.pushStr(p.layerBuf[i]!.toString('utf8', p.hdrEnd[i]!, p.end[i]!));
      }),
      field('tst.label', 'label', 'none', (p, i, out) => {
        if (whole(p, i) && u16(p.layerBuf[i]!, p.start[i]! + 1) === 0xffff) out.pushNum(0);
      }),
      field('tst.u48', 'u48', 'uint', (p, i, out) => {
        if (whole(p, i)) out.pushNum(p.layerBuf[i]!.readUIntBE(p.start[i]! + 8, 6));
      }, { bits: 48 }),
      fixed('tst.f', 'f', 'float', 0, 1),
    ],
    init(reg) {
      TST = reg.id('tst');
    },
    decode(p, i) {
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 40) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + 40;
      if (u8(p.layerBuf[i]!, s + 3) & 1) p.setNext(TST, s + 40, e);
    },
  },
};

/** A second protocol, present only to test protocol presence and field-to-field types. */
export const other: ProtocolModule = {
  dissector: { name: 'other', label: 'Other', fields: [fixed('other.u8', 'u8', 'uint', 0, 1)], decode() {} },
};

export function tstRegistry(): Registry {
  const reg = new Registry();
  for (const m of [frame, tst, other]) reg.add(m);
  return reg.seal();
}

export interface TstLayer {
  u8?: number;
  u16?: number;
  flag?: boolean;
  v4?: string;
  mac?: string;
  v6?: string;
  bytes?: string;
  i8?: number;
  sec?: number;
  nsec?: number;
  str?: string;
}

function v6Bytes(text: string): Buffer {
  // Expanded form only (tests write all eight groups), so the test does not reuse the parser under test.
  const g = text.split(':');
  if (g.length !== 8) throw new Error(`write ${text} with eight groups`);
  return Buffer.from(g.map((x) => x.padStart(4, '0')).join(''), 'hex');
}

/** Bytes of a packet made of tst layers, outermost first. */
export function tstPacket(...layers: TstLayer[]): Buffer {
  const parts: Buffer[] = [];
  layers.forEach((l, idx) => {
    const h = Buffer.alloc(40);
    h[0] = l.u8 ?? 0;
    h.writeUInt16BE(l.u16 ?? 0, 1);
    h[3] = (l.flag ? 0x80 : 0) | (idx < layers.length - 1 ? 1 : 0);
    Buffer.from((l.v4 ?? '0.0.0.0').split('.').map(Number)).copy(h, 4);
    Buffer.from((l.mac ?? '00:00:00:00:00:00').split(':').join(''), 'hex').copy(h, 8);
    v6Bytes(l.v6 ?? '0:0:0:0:0:0:0:0').copy(h, 14);
    Buffer.from(l.bytes ?? '00000000', 'hex').copy(h, 30);
    h.writeInt8(l.i8 ?? 0, 34);
    h[35] = l.sec ?? 0;
    h.writeUInt32BE(l.nsec ?? 0, 36);
    parts.push(h);
    if (idx === layers.length - 1 && l.str !== undefined) parts.push(Buffer.from(l.str, 'utf8'));
  });
  return Buffer.concat(parts);
}

/** Compile `filter` and evaluate it on one packet of tst layers. */
export function makeMatcher(): (filter: string, ...layers: TstLayer[]) => boolean {
  const reg = tstRegistry();
  const dec = new Decoder(reg);
  return (filter, ...layers) => compileFilter(reg, filter).matches(decodeBytes(dec, tstPacket(...layers), LINKTYPE_TST));
}
