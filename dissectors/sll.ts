import type { ProtocolModule } from '../src/decode/dissector.js';
import { field } from '../src/decode/define.js';
import { u8, u16, u32 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import { macFromBytes } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';
import { pushEthertypeTrailer } from './vlan.js';

/*
 * Linux "cooked" capture headers, what `tcpdump -i any` writes.
 *
 * SLL (LINKTYPE_LINUX_SLL, 113), 16 bytes:
 * |          Packet type          |       ARPHRD_ type            |
 * |  Link-layer address length    |  Link-layer address (8 bytes) ...
 * ...                             |          Protocol             |
 *
 * SLL2 (LINKTYPE_LINUX_SLL2, 276), 20 bytes:
 * |           Protocol            |           Reserved            |
 * |                        Interface index                        |
 * |          ARPHRD_ type         |  Packet type  |  Addr length  |
 * |                  Link-layer address (8 bytes)                 |
 *
 * Wireshark shows both versions as protocol `sll` with the same field names, so one
 * dissector handles both and picks the layout from the record's link type. A protocol
 * value up to 1536 is a Linux-internal type (0x0004: 802.2 LLC follows); on
 * ARPHRD_IPGRE it is a GRE protocol type; otherwise an ethertype.
 */
const LINKTYPE_LINUX_SLL2 = 276;
const ARPHRD_IPGRE = 778;
const ARPHRD_NETLINK = 824;
const LINUX_SLL_P_802_2 = 0x0004;
const MAX_LINUX_PROTO = 1536;

let ethertypes: Uint16Array = new Uint16Array(0);
let greProtos: Uint16Array = new Uint16Array(0);
let LLC = 0;

interface Layout {
  proto: number;
  hatype: number;
  pkttype: number;
  pkttypeSize: number;
  halen: number;
  halenSize: number;
  addr: number;
  size: number;
  /** Bytes Wireshark reads (packet type, hardware type) before it shows any field. */
  preread: number;
}

const V1: Layout = { proto: 14, hatype: 2, pkttype: 0, pkttypeSize: 2, halen: 4, halenSize: 2, addr: 6, size: 16, preread: 4 };
const V2: Layout = { proto: 0, hatype: 8, pkttype: 10, pkttypeSize: 1, halen: 11, halenSize: 1, addr: 12, size: 20, preread: 12 };

const layoutOf = (p: PacketView): Layout => (p.linktype === LINKTYPE_LINUX_SLL2 ? V2 : V1);

const PKTTYPES: Record<number, string> = { 0: 'Unicast to us', 1: 'Broadcast', 2: 'Multicast', 3: 'Unicast to another host', 4: 'Sent by us' };
const LTYPES: Record<number, string> = { 1: 'Raw 802.3', 4: '802.2 LLC', 7: 'PPP (HDLC)' };

/** The value at `off` (1 or 2 bytes) if it lies within the header shown, else -1. */
function read(p: PacketView, i: number, off: number, size: number): number {
  const o = p.start[i]! + off;
  if (o + size > p.hdrEnd[i]!) return -1;
  const b = p.layerBuf[i]!;
  return size === 2 ? u16(b, o) : u8(b, o);
}

const halen = (p: PacketView, i: number, L: Layout) => read(p, i, L.halen, L.halenSize);

/** Which field Wireshark files the protocol value under. */
function protoKind(p: PacketView, i: number, L: Layout): 'etype' | 'ltype' | 'gretype' | '' {
  const v = read(p, i, L.proto, 2);
  if (v < 0) return '';
  if (v <= MAX_LINUX_PROTO) return 'ltype';
  return read(p, i, L.hatype, 2) === ARPHRD_IPGRE ? 'gretype' : 'etype';
}

/** A numeric header field at a per-version offset. */
function num(name: string, label: string, at: (L: Layout) => [off: number, size: number], opts: { base?: 'hex'; bits?: number; names?: Record<number, string> } = {}) {
  return field(
    name,
    label,
    'uint',
    (p, i, out) => {
      const [off, size] = at(layoutOf(p));
      if (off < 0) return;
      const o = p.start[i]! + off;
      if (o + size > p.hdrEnd[i]!) return;
      const b = p.layerBuf[i]!;
      out.pushNum(size === 4 ? u32(b, o) : size === 2 ? u16(b, o) : u8(b, o));
    },
    opts,
  );
}

function protoField(name: string, kind: 'etype' | 'ltype' | 'gretype', names?: Record<number, string>) {
  return field(
    name,
    'Protocol',
    'uint',
    (p, i, out) => {
      const L = layoutOf(p);
      if (protoKind(p, i, L) === kind) out.pushNum(read(p, i, L.proto, 2));
    },
    { base: 'hex', bits: 16, ...(names ? { names } : {}) },
  );
}

function address(p: PacketView, i: number, out: FieldSink, want: 'eth' | 'ipv4' | 'other'): void {
  const L = layoutOf(p);
  const n = halen(p, i, L);
  const kind = n === 6 ? 'eth' : n === 4 ? 'ipv4' : n > 0 ? 'other' : '';
  if (kind !== want) return;
  const size = n > 8 ? 8 : n;
  const o = p.start[i]! + L.addr;
  if (o + size > p.hdrEnd[i]!) return;
  const b = p.layerBuf[i]!;
  if (want === 'eth') out.pushNum(u16(b, o) * 4294967296 + u32(b, o + 2));
  else if (want === 'ipv4') out.pushNum(u32(b, o));
  else out.pushBytes(b, o, size);
}

export const sll: ProtocolModule = {
  dispatch: [
    ['linktype', 113],
    ['linktype', LINKTYPE_LINUX_SLL2],
  ],
  dissector: {
    name: 'sll',
    label: 'Linux cooked capture',
    fields: [
      num('sll.pkttype', 'Packet type', (L) => [L.pkttype, L.pkttypeSize], { bits: 16, names: PKTTYPES }),
      num('sll.hatype', 'Link-layer address type', (L) => [L.hatype, 2]),
      num('sll.halen', 'Link-layer address length', (L) => [L.halen, L.halenSize], { bits: 16 }),
      field('sll.src.eth', 'Source', 'ether', (p, i, out) => address(p, i, out, 'eth')),
      field('sll.src.ipv4', 'Source', 'ipv4', (p, i, out) => address(p, i, out, 'ipv4')),
      field('sll.src.other', 'Source', 'bytes', (p, i, out) => address(p, i, out, 'other')),
      field('sll.unused', 'Unused', 'bytes', (p, i, out) => {
        const L = layoutOf(p);
        const n = halen(p, i, L);
        if (n < 0 || n >= 8) return;
        const o = p.start[i]! + L.addr + n;
        if (o + 8 - n <= p.hdrEnd[i]!) out.pushBytes(p.layerBuf[i]!, o, 8 - n);
      }),
      protoField('sll.etype', 'etype'),
      protoField('sll.ltype', 'ltype', LTYPES),
      protoField('sll.gretype', 'gretype'),
      num('sll.ifindex', 'Interface index', (L) => (L === V2 ? [4, 4] : [-1, 0])),
      field('sll.trailer', 'Trailer', 'bytes', (p, i, out) => {
        if (protoKind(p, i, layoutOf(p)) === 'etype') pushEthertypeTrailer(p, i, out);
      }),
    ],
    init(reg: Registry) {
      ethertypes = reg.table('ethertype');
      greProtos = reg.table('gre.proto');
      LLC = reg.id('llc');
    },
    decode(p, i) {
      const L = layoutOf(p);
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < L.preread) {
        p.hdrEnd[i] = s;
        p.truncated(i);
        return;
      }
      const hw = u16(b, s + L.hatype);
      if (hw === ARPHRD_NETLINK) {
        // The protocol field holds a netlink message type and the message follows; not dissected.
        p.hdrEnd[i] = s;
        return;
      }
      if (e - s < L.size) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + L.size;
      const proto = u16(b, s + L.proto);
      let next = 0;
      if (proto <= MAX_LINUX_PROTO) next = proto === LINUX_SLL_P_802_2 ? LLC : 0;
      else if (hw === ARPHRD_IPGRE) next = greProtos[proto]!;
      else next = ethertypes[proto]!;
      if (next) p.setNext(next, s + L.size, e);
    },
    summary(p, i) {
      const L = layoutOf(p);
      const name = L === V2 ? 'SLL2' : 'SLL';
      if (p.hdrEnd[i]! - p.start[i]! < L.size) return `${name} (truncated)`;
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const type = read(p, i, L.pkttype, L.pkttypeSize);
      const dir = PKTTYPES[type] ?? `packet type ${type}`;
      const from = halen(p, i, L) === 6 ? ` from ${macFromBytes(b, s + L.addr)}` : '';
      const ifx = L === V2 ? ` ifindex ${u32(b, s + 4)}` : '';
      return `${name}${ifx} ${dir}${from}`;
    },
  },
};
