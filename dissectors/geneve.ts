import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed } from '../src/decode/define.js';
import { u8, u16, u24 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * Geneve (RFC 8926), UDP port 6081:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * |                    Variable-Length Options                    |
 * Each option (Opt Len counts 4-byte words):
 * |          Option Class         |      Type     |R|R|R| Length  |
 * |                 Variable-Length Option Data (Length words)    |
 * The protocol type is an Ethertype; 0x6558 (Transparent Ethernet Bridging) means an
 * Ethernet frame follows.
 */
const ETHERTYPE_TEB = 0x6558;
/** Google Cloud's option class: tshark decodes its VNID, endpoint and profile options. */
const CLASS_GCP = 0x0132;
const isGcpOption = (cls: number, type: number) => cls === CLASS_GCP && type >= 1 && type <= 3;

let ethertypes: Uint16Array = new Uint16Array(0);
let ETH = 0;
let A_VERSION = 0;
let A_OPTLEN = 0;

const captured = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]!;
const optionsLength = (p: PacketView, i: number) => (u8(p.layerBuf[i]!, p.start[i]!) & 0x3f) * 4;

/** True when every option byte was captured (tshark shows no option field otherwise). */
function optionsWhole(p: PacketView, i: number): boolean {
  return captured(p, i) >= 8 && captured(p, i) === 8 + optionsLength(p, i);
}

const O_OPTION = 0;
const O_CLASS = 1;
const O_TYPE = 2;
const O_CRITICAL = 3;
const O_FLAGS = 4;
const O_FLAGS_RESERVED = 5;
const O_LENGTH = 6;
const O_DATA = 7;

/**
 * Push one field of every option. An option whose length runs past the options area ends
 * the walk (it is the `option_length_invalid` anomaly decode() reports).
 */
function eachOption(p: PacketView, i: number, want: number, out: FieldSink): void {
  if (!optionsWhole(p, i)) return;
  const b = p.layerBuf[i]!;
  const end = p.hdrEnd[i]!;
  let o = p.start[i]! + 8;
  while (o + 4 <= end) {
    const len = 4 + (u8(b, o + 3) & 0x1f) * 4;
    if (o + len > end) return;
    switch (want) {
      case O_OPTION:
        out.pushBytes(b, o, len);
        break;
      case O_CLASS:
        out.pushNum(u16(b, o));
        break;
      case O_TYPE:
        out.pushNum(u8(b, o + 2));
        break;
      case O_CRITICAL:
        out.pushNum(u8(b, o + 2) & 0x80 ? 1 : 0);
        break;
      case O_FLAGS:
        out.pushNum(u8(b, o + 3) >> 5);
        break;
      case O_FLAGS_RESERVED:
        out.pushNum(u8(b, o + 3) & 0xe0 ? 1 : 0);
        break;
      case O_LENGTH:
        out.pushNum(len);
        break;
      case O_DATA:
        if (!isGcpOption(u16(b, o), u8(b, o + 2))) out.pushBytes(b, o + 4, len - 4);
        break;
    }
    o += len;
  }
}

function optionField(name: string, label: string, type: 'uint' | 'bool' | 'bytes', want: number, base?: 'hex', bits?: number) {
  return field(name, label, type, (p, i, out) => eachOption(p, i, want, out), base ? { base, ...(bits ? { bits } : {}) } : {});
}

export const geneve: ProtocolModule = {
  dispatch: [['udp.port', 6081]],
  anomalies: {
    version_bad: ['error', 'Geneve version other than 0'],
    option_length_invalid: ['warning', 'Geneve option runs past the end of the options'],
  },
  dissector: {
    name: 'geneve',
    label: 'Geneve',
    tunnel: true,
    fields: [
      fixed('geneve.version', 'Version', 'uint', 0, 1, { mask: 0xc0 }),
      fixed('geneve.flags', 'Flags', 'uint', 1, 1, { base: 'hex' }),
      fixed('geneve.flags.oam', 'Operations, Administration and Management Frame', 'bool', 1, 1, { mask: 0x80 }),
      fixed('geneve.flags.critical', 'Critical Options Present', 'bool', 1, 1, { mask: 0x40 }),
      fixed('geneve.flags.reserved', 'Reserved', 'bool', 1, 1, { mask: 0x3f }),
      fixed('geneve.proto_type', 'Protocol Type', 'uint', 2, 2, { base: 'hex' }),
      fixed('geneve.vni', 'Virtual Network Identifier (VNI)', 'uint', 4, 3, { base: 'hex_dec' }),
      fixed('geneve.reserved', 'Reserved', 'uint', 7, 1, { base: 'hex' }),
      field('geneve.options', 'Geneve Options', 'bytes', (p, i, out) => {
        if (optionsWhole(p, i) && optionsLength(p, i) > 0) out.pushBytes(p.layerBuf[i]!, p.start[i]! + 8, optionsLength(p, i));
      }),
      // tshark names the header's option length (in bytes) and each option's length alike.
      field('geneve.option.length', 'Length', 'uint', (p, i, out) => {
        if (captured(p, i) < 1) return;
        out.pushNum(optionsLength(p, i));
        eachOption(p, i, O_LENGTH, out);
      }),
      optionField('geneve.option', 'Option', 'bytes', O_OPTION),
      optionField('geneve.option.class', 'Class', 'uint', O_CLASS, 'hex', 16),
      optionField('geneve.option.type', 'Type', 'uint', O_TYPE, 'hex', 8),
      optionField('geneve.option.type.critical', 'Critical Option', 'bool', O_CRITICAL),
      optionField('geneve.option.flags', 'Flags', 'uint', O_FLAGS, 'hex', 8),
      optionField('geneve.option.flags.reserved', 'Reserved', 'bool', O_FLAGS_RESERVED),
      optionField('geneve.option.unknown.data', 'Unknown Option Data', 'bytes', O_DATA),
    ],
    init(reg: Registry) {
      ethertypes = reg.table('ethertype');
      ETH = reg.id('eth');
      A_VERSION = reg.anomaly('geneve.version_bad');
      A_OPTLEN = reg.anomaly('geneve.option_length_invalid');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 8) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const first = u8(b, s);
      const hlen = 8 + (first & 0x3f) * 4;
      if (s + hlen > e) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + hlen;
      for (let o = s + 8; o < s + hlen; ) {
        // Each option is at least its 4-byte header, so the walk ends.
        const len = o + 4 <= s + hlen ? 4 + (u8(b, o + 3) & 0x1f) * 4 : hlen;
        if (o + len > s + hlen) {
          p.anomaly(i, A_OPTLEN);
          break;
        }
        o += len;
      }
      if (first >> 6 !== 0) {
        // An unknown version may lay its header out differently: its payload is not trusted.
        p.anomaly(i, A_VERSION);
        return;
      }
      const type = u16(b, s + 2);
      const next = type === ETHERTYPE_TEB ? ETH : ethertypes[type]!;
      if (next !== 0 && e > s + hlen) p.setNext(next, s + hlen, e);
    },
    summary(p, i) {
      if (captured(p, i) < 8) return 'Geneve (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const oam = u8(b, s + 1) & 0x80 ? ' OAM' : '';
      return `Geneve vni ${u24(b, s + 4)} proto 0x${u16(b, s + 2).toString(16).padStart(4, '0')}${oam}`;
    },
  },
};
