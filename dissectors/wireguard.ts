import type { ProtocolModule } from '../src/decode/dissector.js';
import { field } from '../src/decode/define.js';
import { u8, u16, u24, u32le } from '../src/decode/bytes.js';
import type { FieldDef } from '../src/decode/field.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * WireGuard (https://www.wireguard.com/protocol/), UDP port 51820, little-endian:
 * |  Type (1)  |           Reserved (3)            |
 * 1 Handshake Initiation, 148 bytes: sender(4) ephemeral(32) static(48) timestamp(28) mac1(16) mac2(16)
 * 2 Handshake Response,    92 bytes: sender(4) receiver(4) ephemeral(32) empty(16) mac1(16) mac2(16)
 * 3 Cookie Reply,          64 bytes: receiver(4) nonce(24) cookie(32)
 * 4 Transport Data,     >= 32 bytes: receiver(4) counter(8) encrypted packet (>= 16)
 * Named only: nothing is decrypted. tshark recognises a message by its type and exact
 * length (and, for types 3 and 4, zero reserved bytes); datagrams on the port that fail
 * that test get no fields, as tshark gives them none, and the `bad_message` anomaly.
 * (tshark also holds a response back until it has seen the initiation it answers, and
 * once a conversation is known to be WireGuard takes all of it; netdiag goes by the port.)
 */
export const WG_INITIATION = 1;
export const WG_RESPONSE = 2;
export const WG_COOKIE_REPLY = 3;
export const WG_TRANSPORT = 4;

let UDP = 0;
let A_BAD = 0;

/** The message's length on the wire: the UDP length says, even when the capture is snapped. */
function wireLength(p: PacketView, i: number): number {
  const u = i - 1;
  if (u >= 0 && p.proto[u] === UDP && p.hdrEnd[u]! - p.start[u]! >= 8) return u16(p.layerBuf[u]!, p.start[u]! + 4) - 8;
  return p.end[i]! - p.start[i]!;
}

/** The message type when the layer holds a well-formed WireGuard message, else 0. */
export function wgMessageType(p: PacketView, i: number): number {
  const b = p.layerBuf[i]!;
  const s = p.start[i]!;
  if (p.end[i]! - s < 4) return 0;
  const type = u8(b, s);
  const len = wireLength(p, i);
  switch (type) {
    case WG_INITIATION:
      return len === 148 ? type : 0;
    case WG_RESPONSE:
      return len === 92 ? type : 0;
    case WG_COOKIE_REPLY:
      return len === 64 && u24(b, s + 1) === 0 ? type : 0;
    case WG_TRANSPORT:
      return len >= 32 && u24(b, s + 1) === 0 ? type : 0;
    default:
      return 0;
  }
}

/** A field at `at` (per message type, -1 when absent) of `size` bytes, shown when captured. */
function wgField(name: string, label: string, type: FieldDef['type'], offsets: readonly number[], size: number, kind: 'u32le' | 'u64le' | 'bytes' | 'u8', base?: 'hex'): FieldDef {
  return field(
    name,
    label,
    type,
    (p, i, out) => {
      const t = wgMessageType(p, i);
      const at = t ? offsets[t - 1]! : -1;
      // tshark reads two bytes past the header of an initiation before it shows any field.
      if (at < 0 || (t === WG_INITIATION && p.end[i]! - p.start[i]! < 6)) return;
      const b = p.layerBuf[i]!;
      const o = p.start[i]! + at;
      if (o + size > p.end[i]!) return;
      if (kind === 'u8') out.pushNum(u8(b, o));
      else if (kind === 'u32le') out.pushNum(u32le(b, o));
      else if (kind === 'u64le') out.pushNum(u32le(b, o + 4) * 4294967296 + u32le(b, o));
      else out.pushBytes(b, o, size);
    },
    base ? { base, bits: size * 8 } : {},
  );
}

export const wireguard: ProtocolModule = {
  dispatch: [['udp.port', 51820]],
  anomalies: {
    bad_message: ['warning', 'UDP payload on the WireGuard port is not a well-formed WireGuard message'],
  },
  dissector: {
    name: 'wg',
    label: 'WireGuard',
    fields: [
      wgField('wg.type', 'Type', 'uint', [0, 0, 0, 0], 1, 'u8'),
      wgField('wg.reserved', 'Reserved', 'bytes', [1, 1, 1, 1], 3, 'bytes'),
      wgField('wg.sender', 'Sender', 'uint', [4, 4, -1, -1], 4, 'u32le', 'hex'),
      wgField('wg.receiver', 'Receiver', 'uint', [-1, 8, 4, 4], 4, 'u32le', 'hex'),
      wgField('wg.nonce', 'Nonce', 'bytes', [-1, -1, 8, -1], 24, 'bytes'),
      wgField('wg.encrypted_cookie', 'Encrypted Cookie', 'bytes', [-1, -1, 32, -1], 32, 'bytes'),
      wgField('wg.mac1', 'mac1', 'bytes', [116, 60, -1, -1], 16, 'bytes'),
      wgField('wg.mac2', 'mac2', 'bytes', [132, 76, -1, -1], 16, 'bytes'),
      // A 64-bit counter; exact below 2^53, far beyond any real session's message count.
      wgField('wg.counter', 'Counter', 'uint', [-1, -1, -1, 8], 8, 'u64le'),
    ],
    init(reg: Registry) {
      UDP = reg.id('udp');
      A_BAD = reg.anomaly('wg.bad_message');
    },
    decode(p, i) {
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 4) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      const t = wgMessageType(p, i);
      if (t === 0) {
        p.hdrEnd[i] = s;
        p.anomaly(i, A_BAD);
        return;
      }
      const fixedLen = t === WG_INITIATION ? 148 : t === WG_RESPONSE ? 92 : t === WG_COOKIE_REPLY ? 64 : 16;
      p.hdrEnd[i] = Math.min(e, s + fixedLen);
      if (e - s < fixedLen) p.truncated(i);
    },
    summary(p, i) {
      const t = wgMessageType(p, i);
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      const hex = (o: number) => (o + 4 <= e ? '0x' + u32le(b, o).toString(16).padStart(8, '0') : '?');
      switch (t) {
        case WG_INITIATION:
          return `WireGuard Handshake Initiation, sender=${hex(s + 4)}`;
        case WG_RESPONSE:
          return `WireGuard Handshake Response, sender=${hex(s + 4)}, receiver=${hex(s + 8)}`;
        case WG_COOKIE_REPLY:
          return `WireGuard Cookie Reply, receiver=${hex(s + 4)}`;
        case WG_TRANSPORT:
          return wireLength(p, i) === 32 ? `WireGuard Keepalive, receiver=${hex(s + 4)}` : `WireGuard Transport Data, receiver=${hex(s + 4)}`;
        default:
          return 'WireGuard (not a WireGuard message)';
      }
    },
  },
};
