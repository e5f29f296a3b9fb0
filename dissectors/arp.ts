import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed } from '../src/decode/define.js';
import { u8, u16, u32, u48 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import { ipv4String, macFromBytes } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * ARP and RARP (RFC 826, RFC 903), ethertypes 0x0806 and 0x8035.
 *  0                   1                   2                   3
 * |         Hardware type         |         Protocol type         |
 * |  HW addr len  | Proto addr len|            Opcode             |
 * | Sender hardware address (hln) | Sender protocol address (pln) |
 * | Target hardware address (hln) | Target protocol address (pln) |
 *
 * Addresses are shown as MAC / IPv4 only for Ethernet-sized (1 or 6 with length 6) and
 * IPv4-sized (0x0800 with length 4) addresses, as raw bytes otherwise.
 *
 * Wireshark reads some addresses before it shows them (to classify gratuitous ARPs and
 * to build the Info column), so a packet cut inside those shows only the fixed part;
 * netdiag mirrors that by computing the bytes it may show in decode().
 */
const ARPHRD_ETHER = 1;
const ARPHRD_AX25 = 3;
const ARPHRD_IEEE802 = 6;
const ARPHRD_ATM2225 = 19;
const ETHERTYPE_IP = 0x0800;

const OP_REQUEST = 1;
const OP_REPLY = 2;
const OP_RREQUEST = 3;
const OP_RREPLY = 4;
const OP_DRARP_REQUEST = 5;
const OP_DRARP_REPLY = 6;
const OP_DRARP_ERROR = 7;
const OP_IREQUEST = 8;
const OP_IREPLY = 9;
const OP_MARS_FIRST = 11;
const OP_MAPOS_UNARP = 23;

/** Bits of the layer's aux word (above the shared low bits). */
const F_GRATUITOUS = 1 << 8;
const F_PROBE = 1 << 9;
const F_ANNOUNCEMENT = 1 << 10;

let A_BAD = 0;
let A_NOT_ETHER = 0;
let A_PROTO_SIZE = 0;
let ETH = 0;
let VLAN = 0;
let QINQ = 0;

interface Geometry {
  hrd: number;
  pro: number;
  hln: number;
  pln: number;
  op: number;
}
const g: Geometry = { hrd: 0, pro: 0, hln: 0, pln: 0, op: 0 };

/** Fill `g` from layer i's fixed part; false when no ARP field is shown. */
function geometry(p: PacketView, i: number): boolean {
  const s = p.start[i]!;
  if (p.hdrEnd[i]! - s < 8) return false;
  const b = p.layerBuf[i]!;
  g.hrd = u16(b, s);
  g.pro = u16(b, s + 2);
  g.hln = u8(b, s + 4);
  g.pln = u8(b, s + 5);
  g.op = u16(b, s + 6);
  return true;
}

const isEther = (hrd: number, hln: number) => (hrd === ARPHRD_ETHER || hrd === ARPHRD_IEEE802) && hln === 6;
const isIpv4 = (pro: number, pln: number) => pro === ETHERTYPE_IP && pln === 4;

function allZero(b: Buffer, o: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (u8(b, o + k) !== 0) return false;
  return true;
}

function sameBytes(b: Buffer, x: number, y: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (u8(b, x + k) !== u8(b, y + k)) return false;
  return true;
}

type Which = 'src' | 'dst';

function hwOffset(which: Which): number {
  return which === 'src' ? 8 : 8 + g.hln + g.pln;
}
function protoOffset(which: Which): number {
  return which === 'src' ? 8 + g.hln : 8 + 2 * g.hln + g.pln;
}

function pushHw(p: PacketView, i: number, out: FieldSink, which: Which, mac: boolean): void {
  if (!geometry(p, i) || g.hln === 0) return;
  if (g.hrd === ARPHRD_AX25 && g.hln === 7) return; // AX.25 callsigns: not shown by netdiag
  if (isEther(g.hrd, g.hln) !== mac) return;
  const o = p.start[i]! + hwOffset(which);
  if (o + g.hln > p.hdrEnd[i]!) return;
  if (mac) out.pushNum(u48(p.layerBuf[i]!, o));
  else out.pushBytes(p.layerBuf[i]!, o, g.hln);
}

function pushProto(p: PacketView, i: number, out: FieldSink, which: Which, v4: boolean): void {
  if (!geometry(p, i) || g.pln === 0) return;
  if (which === 'dst' && g.op === OP_DRARP_ERROR && g.hrd !== ARPHRD_AX25) return;
  if (isIpv4(g.pro, g.pln) !== v4) return;
  const o = p.start[i]! + protoOffset(which);
  if (o + g.pln > p.hdrEnd[i]!) return;
  if (v4) out.pushNum(u32(p.layerBuf[i]!, o));
  else out.pushBytes(p.layerBuf[i]!, o, g.pln);
}

function flag(name: string, label: string, bit: number) {
  return field(name, label, 'bool', (p, i, out) => {
    if (p.hdrEnd[i]! > p.start[i]! && (p.aux[i]! & bit) !== 0) out.pushNum(1);
  });
}

/**
 * The gratuitous/probe/announcement flags of an ARP packet, or -1 when one of the
 * addresses Wireshark reads before showing any field lies beyond the `avail` bytes.
 */
function classify(b: Buffer, s: number, avail: number, hrd: number, pro: number, hln: number, pln: number, op: number): number {
  const spa = 8 + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  // A hardware address is read only when it has a length; a protocol address always.
  const shaOk = hln === 0 || 8 + hln <= avail;
  const thaOk = hln === 0 || tha + hln <= avail;
  const spaOk = spa + pln <= avail;
  const tpaOk = tpa + pln <= avail;
  const reqOrReply = op === OP_REQUEST || op === OP_REPLY;
  if (hrd === ARPHRD_AX25) {
    // The AX.25 flavour formats both protocol addresses first and has no gratuitous flag.
    if (!tpaOk) return -1;
    const grat = reqOrReply && sameBytes(b, s + spa, s + tpa, pln);
    if (op === OP_REPLY && !grat && !shaOk) return -1;
    if ((op === OP_RREQUEST || op === OP_IREQUEST || op === OP_RREPLY) && !thaOk) return -1;
    if (op === OP_IREPLY && !shaOk) return -1;
    return 0;
  }
  if (reqOrReply) {
    if (isEther(hrd, hln) && isIpv4(pro, pln) && tpa + 4 > avail) return -1;
    if (!tpaOk) return -1;
    const zeroTha = tha + 6 <= avail && allZero(b, s + tha, 6);
    if (sameBytes(b, s + spa, s + tpa, pln)) return op === OP_REQUEST && zeroTha ? F_GRATUITOUS | F_ANNOUNCEMENT : F_GRATUITOUS;
    let flags = 0;
    if (op === OP_REQUEST && zeroTha) {
      if (spa + 4 > avail) return -1;
      if (u32(b, s + spa) === 0) flags = F_PROBE;
    }
    if (op === OP_REPLY && !shaOk) return -1;
    return flags;
  }
  if (op === OP_RREQUEST || op === OP_IREQUEST || op === OP_DRARP_REQUEST) return thaOk ? 0 : -1;
  if (op === OP_RREPLY || op === OP_DRARP_REPLY) return thaOk && tpaOk ? 0 : -1;
  if (op === OP_IREPLY || (op >= OP_MARS_FIRST && op <= OP_MAPOS_UNARP)) return shaOk && spaOk ? 0 : -1;
  return 0;
}

/** Bytes of layer i readable as ARP: the captured part of the reported ARP length. */
function reportedLength(p: PacketView, i: number): number {
  const e = p.end[i]!;
  const cut = p.layerBuf[i] === p.buf && e === p.base + p.capLen ? p.wireLen - p.capLen : 0;
  return e - p.start[i]! + (cut > 0 ? cut : 0);
}

export const arp: ProtocolModule = {
  dispatch: [
    ['ethertype', 0x0806],
    ['ethertype', 0x8035],
  ],
  anomalies: {
    length_exceeds: ['warning', 'ARP address lengths run past the end of the packet'],
    hw_not_ethernet: ['warning', 'ARP in an Ethernet frame with a hardware type or address size that is not Ethernet'],
    proto_size_bad: ['warning', 'ARP for IPv4 with a protocol address size other than 4'],
  },
  dissector: {
    name: 'arp',
    label: 'ARP',
    fields: [
      fixed('arp.hw.type', 'Hardware type', 'uint', 0, 2),
      fixed('arp.proto.type', 'Protocol type', 'uint', 2, 2, { base: 'hex' }),
      fixed('arp.hw.size', 'Hardware size', 'uint', 4, 1),
      fixed('arp.proto.size', 'Protocol size', 'uint', 5, 1),
      fixed('arp.opcode', 'Opcode', 'uint', 6, 2, {
        names: { 1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply', 8: 'inverse request', 9: 'inverse reply' },
      }),
      flag('arp.isgratuitous', 'Is gratuitous', F_GRATUITOUS),
      flag('arp.isprobe', 'Is probe', F_PROBE),
      flag('arp.isannouncement', 'Is announcement', F_ANNOUNCEMENT),
      field('arp.src.hw_mac', 'Sender MAC address', 'ether', (p, i, out) => pushHw(p, i, out, 'src', true)),
      field('arp.src.hw', 'Sender hardware address', 'bytes', (p, i, out) => pushHw(p, i, out, 'src', false)),
      field('arp.src.proto_ipv4', 'Sender IP address', 'ipv4', (p, i, out) => pushProto(p, i, out, 'src', true)),
      field('arp.src.proto', 'Sender protocol address', 'bytes', (p, i, out) => pushProto(p, i, out, 'src', false)),
      field('arp.dst.hw_mac', 'Target MAC address', 'ether', (p, i, out) => pushHw(p, i, out, 'dst', true)),
      field('arp.dst.hw', 'Target hardware address', 'bytes', (p, i, out) => pushHw(p, i, out, 'dst', false)),
      field('arp.dst.proto_ipv4', 'Target IP address', 'ipv4', (p, i, out) => pushProto(p, i, out, 'dst', true)),
      field('arp.dst.proto', 'Target protocol address', 'bytes', (p, i, out) => pushProto(p, i, out, 'dst', false)),
      field('arp.dst.drarp_error_status', 'DRARP error status', 'uint', (p, i, out) => {
        if (!geometry(p, i) || g.op !== OP_DRARP_ERROR || g.pln === 0 || g.hrd === ARPHRD_AX25) return;
        const o = p.start[i]! + protoOffset('dst');
        if (o + 1 <= p.hdrEnd[i]!) out.pushNum(u8(p.layerBuf[i]!, o));
      }),
    ],
    init(reg: Registry) {
      A_BAD = reg.anomaly('arp.length_exceeds');
      A_NOT_ETHER = reg.anomaly('arp.hw_not_ethernet');
      A_PROTO_SIZE = reg.anomaly('arp.proto_size_bad');
      ETH = reg.id('eth');
      VLAN = reg.id('vlan');
      QINQ = reg.id('ieee8021ad');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      p.hdrEnd[i] = s;
      if (e - s < 2) {
        p.truncated(i);
        return;
      }
      const hrd = u16(b, s);
      // ATMARP (RFC 2225) has its own layout; not dissected.
      if (hrd === ARPHRD_ATM2225) return;
      if (e - s < 8) {
        p.hdrEnd[i] = hrd === ARPHRD_AX25 ? s : e;
        p.truncated(i);
        return;
      }
      // The fixed part is shown before anything else is read.
      p.hdrEnd[i] = s + 8;
      const pro = u16(b, s + 2);
      const hln = u8(b, s + 4);
      const pln = u8(b, s + 5);
      const op = u16(b, s + 6);
      const total = 8 + 2 * hln + 2 * pln;
      // Hosts on an Ethernet segment resolve Ethernet addresses; anything else there is forged or broken.
      let j = i - 1;
      while (j > 0 && (p.proto[j] === VLAN || p.proto[j] === QINQ)) j--;
      if (p.proto[j] === ETH && !isEther(hrd, hln)) p.anomaly(i, A_NOT_ETHER);
      if (pro === ETHERTYPE_IP && pln !== 4) p.anomaly(i, A_PROTO_SIZE);
      if (total > reportedLength(p, i)) {
        if (hrd === ARPHRD_AX25) p.hdrEnd[i] = s;
        p.anomaly(i, A_BAD);
        return;
      }
      const avail = Math.min(e - s, total);
      p.end[i] = s + avail;
      const flags = classify(b, s, avail, hrd, pro, hln, pln, op);
      if (flags < 0) {
        // The AX.25 flavour reads everything before showing even the fixed part.
        if (hrd === ARPHRD_AX25) p.hdrEnd[i] = s;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + avail;
      p.aux[i] = p.aux[i]! | flags;
      if (avail < total) p.truncated(i);
    },
    summary(p, i) {
      if (!geometry(p, i)) return 'ARP (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const end = p.hdrEnd[i]!;
      const v4 = isIpv4(g.pro, g.pln);
      const ether = isEther(g.hrd, g.hln);
      const spa = s + 8 + g.hln;
      const tpa = s + 8 + 2 * g.hln + g.pln;
      const ip = (o: number) => (v4 && o + 4 <= end ? ipv4String(u32(b, o)) : '?');
      if (g.op === OP_REQUEST) {
        if (p.aux[i]! & F_ANNOUNCEMENT) return `ARP announcement for ${ip(tpa)}`;
        if (p.aux[i]! & F_GRATUITOUS) return `ARP gratuitous request for ${ip(tpa)}`;
        if (p.aux[i]! & F_PROBE) return `ARP probe who-has ${ip(tpa)}`;
        return `ARP who-has ${ip(tpa)} tell ${ip(spa)}`;
      }
      if (g.op === OP_REPLY) {
        if (p.aux[i]! & F_GRATUITOUS) return `ARP gratuitous reply for ${ip(spa)}`;
        const mac = ether && s + 14 <= end ? macFromBytes(b, s + 8) : '?';
        return `ARP ${ip(spa)} is-at ${mac}`;
      }
      return `ARP opcode ${g.op}`;
    },
  },
};
