import type { ProtocolModule } from '../src/decode/dissector.js';
import { field } from '../src/decode/define.js';
import { u16, u32, u32le } from '../src/decode/bytes.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * BSD loopback encapsulations: a 4-byte header naming the address family.
 * |                 Address family (AF_*)                         |
 *
 * LINKTYPE_NULL (0) writes it in the capturing host's byte order; LINKTYPE_LOOP (108)
 * in network byte order. Wireshark shows both as protocol `null`.
 *
 * For NULL the byte order is guessed as Wireshark does (reading the word little-endian,
 * as on the x86 host it runs on): AF_ values are small, so a value with its upper 16
 * bits set was written the other way round; a 16-bit family in either half (IRIX snoop)
 * is taken as such. A value above 1500 is an ethertype (old Linux loopback captures),
 * shown as null.type. Frames starting ff 03 are PPP in HDLC framing, not dissected.
 */
const AF_INET = 2;
const AF_INET6_BSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;
const MAX_8023_LEN = 1500;
const LINKTYPE_LOOP = 108;

let ethertypes: Uint16Array = new Uint16Array(0);
let IP = 0;
let IPV6 = 0;

const swap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** The header as Wireshark interprets it: a family (<= 1500) or an ethertype; -1 if absent. */
function headerValue(p: PacketView, i: number): number {
  const s = p.start[i]!;
  if (p.hdrEnd[i]! - s < 4) return -1;
  const b = p.layerBuf[i]!;
  if (p.linktype === LINKTYPE_LOOP) return u32(b, s);
  let v = u32le(b, s);
  if (v > 0xffff) {
    if (v < 0x01000000 && (v & 0x00ff0000) < 0x00060000) v = v >>> 16;
    else v = swap32(v);
  } else if ((v & 0xff) === 0 && (v & 0xff00) < 0x0600) {
    v = v >>> 8;
  }
  return v;
}

function familyProto(af: number): number {
  if (af === AF_INET) return IP;
  if (af === AF_INET6_BSD || af === AF_INET6_FREEBSD || af === AF_INET6_DARWIN) return IPV6;
  return 0;
}

const FAMILIES: Record<number, string> = { 2: 'IP', 7: 'OSI', 16: 'Appletalk', 23: 'Netware IPX/SPX', 24: 'IPv6', 28: 'IPv6', 30: 'IPv6' };

/** LOOP headers are always a family; NULL headers above 1500 are ethertypes. */
const isEthertype = (p: PacketView, v: number) => p.linktype !== LINKTYPE_LOOP && v > MAX_8023_LEN;

export const nullLink: ProtocolModule = {
  dispatch: [
    ['linktype', 0],
    ['linktype', LINKTYPE_LOOP],
  ],
  dissector: {
    name: 'null',
    label: 'Null/Loopback',
    fields: [
      field('null.type', 'Type', 'uint', (p, i, out) => {
        const v = headerValue(p, i);
        if (v >= 0 && isEthertype(p, v)) out.pushNum(v & 0xffff);
      }, { base: 'hex', bits: 16 }),
      field('null.family', 'Family', 'uint', (p, i, out) => {
        const v = headerValue(p, i);
        if (v >= 0 && !isEthertype(p, v)) out.pushNum(v);
      }, { names: FAMILIES }),
    ],
    init(reg: Registry) {
      ethertypes = reg.table('ethertype');
      IP = reg.id('ip');
      IPV6 = reg.id('ipv6');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (p.linktype !== LINKTYPE_LOOP && e - s >= 2 && u16(b, s) === 0xff03) {
        // PPP in HDLC framing on an ISDN interface; netdiag does not dissect PPP.
        p.hdrEnd[i] = s;
        return;
      }
      if (e - s < 4) {
        p.hdrEnd[i] = s;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + 4;
      const v = headerValue(p, i);
      const next = isEthertype(p, v) ? ethertypes[v & 0xffff]! : familyProto(v);
      if (next) p.setNext(next, s + 4, e);
    },
    summary(p, i) {
      const v = headerValue(p, i);
      if (v < 0) return 'Null/Loopback (truncated)';
      if (isEthertype(p, v)) return `Null/Loopback type 0x${v.toString(16).padStart(4, '0')}`;
      return `Null/Loopback family ${FAMILIES[v] ?? v}`;
    },
  },
};
