import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed, when } from '../src/decode/define.js';
import { u8, u16 } from '../src/decode/bytes.js';
import type { FieldSink } from '../src/decode/field-sink.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * IEEE 802.1Q VLAN tag (ethertypes 0x8100 and 0x9100), and the IEEE 802.1ad
 * service tag (0x88a8) that stacks in front of it for Q-in-Q.
 *  0                   1                   2                   3
 * | PCP |D|         VLAN ID       |     EtherType / Length        |
 * An 802.1ad tag followed directly by another 0x88a8 tag is shown by Wireshark
 * as a single layer carrying both (S-VID and C-VID), 8 bytes long.
 */

/** Wireshark stops following 802.1Q tags after this many in one packet. */
const MAX_VLAN_TAGS = 20;
/** Largest value of the type field that is an 802.3 length rather than an ethertype. */
const MAX_8023_LEN = 1500;

let ethertypes: Uint16Array = new Uint16Array(0);
let VLAN = 0;
let LLC = 0;
let A_TOO_MANY = 0;
let A_LEN_PAST = 0;

/**
 * The trailer after a payload reached through an ethertype (Wireshark's ethertype
 * dissector): the bytes of layer i that its child layer (i + 1) did not claim. When the
 * frame is at least 60 bytes, the part that pads it to 60 is Ethernet padding (only if
 * it is all zeros, otherwise everything is trailer) and is not part of the trailer.
 */
export function pushEthertypeTrailer(p: PacketView, i: number, out: FieldSink): void {
  const j = i + 1;
  if (j >= p.nLayers || p.layerBuf[j] !== p.layerBuf[i] || p.start[j] !== p.hdrEnd[i]) return;
  const from = p.end[j]!;
  const to = p.end[i]!;
  if (from >= to) return;
  const b = p.layerBuf[i]!;
  const cap = to - from;
  // Only a trailer running to the end of the record can have been cut by the snap length.
  const reported = b === p.buf && to === p.base + p.capLen ? cap + p.wireLen - p.capLen : cap;
  let pad = 0;
  if (p.wireLen >= 60 && p.wireLen - reported < 60) pad = 60 - (p.wireLen - reported);
  if (pad > cap) return;
  for (let k = 0; k < pad; k++) {
    if (u8(b, from + k) !== 0) {
      pad = 0;
      break;
    }
  }
  if (cap > pad) out.pushBytes(b, from + pad, cap - pad);
}

const tagged = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]! >= 4;
const isEthertype = (p: PacketView, i: number) => tagged(p, i) && u16(p.layerBuf[i]!, p.start[i]! + 2) > MAX_8023_LEN;

export const vlan: ProtocolModule = {
  dispatch: [
    ['ethertype', 0x8100],
    ['ethertype', 0x9100],
  ],
  anomalies: {
    too_many_tags: ['warning', 'More than 20 nested 802.1Q tags: the rest is not dissected'],
    len_past_end: ['error', '802.1Q length field runs past the end of the frame'],
  },
  dissector: {
    name: 'vlan',
    label: '802.1Q VLAN',
    fields: [
      fixed('vlan.priority', 'Priority', 'uint', 0, 2, { mask: 0xe000, bits: 16 }),
      fixed('vlan.dei', 'DEI', 'bool', 0, 2, { mask: 0x1000 }),
      fixed('vlan.id', 'ID', 'uint', 0, 2, { mask: 0x0fff, bits: 16 }),
      when(isEthertype, fixed('vlan.etype', 'Type', 'uint', 2, 2, { base: 'hex' })),
      when((p, i) => tagged(p, i) && !isEthertype(p, i), fixed('vlan.len', 'Length', 'uint', 2, 2)),
      field('vlan.trailer', 'Trailer', 'bytes', pushEthertypeTrailer),
    ],
    init(reg: Registry) {
      ethertypes = reg.table('ethertype');
      VLAN = reg.id('vlan');
      LLC = reg.id('llc');
      A_TOO_MANY = reg.anomaly('vlan.too_many_tags');
      A_LEN_PAST = reg.anomaly('vlan.len_past_end');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      let tags = 0;
      for (let k = 0; k < i; k++) if (p.proto[k] === VLAN) tags++;
      if (tags >= MAX_VLAN_TAGS) {
        p.hdrEnd[i] = s;
        p.anomaly(i, A_TOO_MANY);
        return;
      }
      if (e - s < 4) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + 4;
      const type = u16(b, s + 2);
      if (type <= MAX_8023_LEN) {
        let end = s + 4 + type;
        if (end > e) {
          p.anomaly(i, A_LEN_PAST);
          end = e;
        }
        // 0xffff right after the tag is raw 802.3 IPX (no LLC header), which netdiag does not dissect.
        if (end - (s + 4) >= 2 && u16(b, s + 4) === 0xffff) return;
        p.setNext(LLC, s + 4, end);
        return;
      }
      const next = ethertypes[type]!;
      if (next) p.setNext(next, s + 4, e);
    },
    summary(p, i) {
      if (!tagged(p, i)) return '802.1Q (truncated)';
      const tci = u16(p.layerBuf[i]!, p.start[i]!);
      return `802.1Q vlan ${tci & 0x0fff} pri ${tci >> 13}`;
    },
  },
};

/*
 * IEEE 802.1ad (Q-in-Q) service tag. Wireshark names its type field ieee8021ah.etype,
 * prints DEI as a number, and reads the whole tag (both tags for 0x88a8 0x88a8) before
 * showing any field.
 */
const ETHERTYPE_8021AD = 0x88a8;
const ETHERTYPE_8021AH = 0x88e7;

function adInner(p: PacketView, i: number): number {
  return p.hdrEnd[i]! - p.start[i]! >= 4 ? u16(p.layerBuf[i]!, p.start[i]! + 2) : -1;
}
const adDouble = (p: PacketView, i: number) => adInner(p, i) === ETHERTYPE_8021AD && p.hdrEnd[i]! - p.start[i]! >= 6;
const adSingle = (p: PacketView, i: number) => {
  const t = adInner(p, i);
  return t >= 0 && t !== ETHERTYPE_8021AD;
};

/** A masked field of the first tag, repeated for the second one in a double tag. */
function adBoth(name: string, label: string, mask: number, shift: number) {
  return field(name, label, 'uint', (p, i, out) => {
    if (adInner(p, i) < 0) return;
    const b = p.layerBuf[i]!;
    const s = p.start[i]!;
    out.pushNum((u16(b, s) & mask) >>> shift);
    if (adDouble(p, i)) out.pushNum((u16(b, s + 4) & mask) >>> shift);
  });
}

export const ieee8021ad: ProtocolModule = {
  dispatch: [['ethertype', ETHERTYPE_8021AD]],
  dissector: {
    name: 'ieee8021ad',
    label: 'IEEE 802.1ad',
    fields: [
      adBoth('ieee8021ad.priority', 'Priority', 0xe000, 13),
      adBoth('ieee8021ad.dei', 'DEI', 0x1000, 12),
      when(adSingle, fixed('ieee8021ad.id', 'ID', 'uint', 0, 2, { mask: 0x0fff, bits: 16 })),
      when(adDouble, fixed('ieee8021ad.svid', 'S-VID', 'uint', 0, 2, { mask: 0x0fff, bits: 16 })),
      when(adDouble, fixed('ieee8021ad.cvid', 'C-VID', 'uint', 4, 2, { mask: 0x0fff, bits: 16 })),
      field('ieee8021ah.etype', 'Type', 'uint', (p, i, out) => {
        const t = adInner(p, i);
        if (t < 0 || t === ETHERTYPE_8021AH) return;
        const at = t === ETHERTYPE_8021AD ? 6 : 2;
        if (p.hdrEnd[i]! - p.start[i]! >= at + 2) out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + at));
      }, { base: 'hex', bits: 16 }),
      field('ieee8021ah.trailer', 'Trailer', 'bytes', pushEthertypeTrailer),
    ],
    init(reg: Registry) {
      ethertypes = reg.table('ethertype');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 4) {
        p.hdrEnd[i] = s;
        p.truncated(i);
        return;
      }
      const type = u16(b, s + 2);
      if (type === ETHERTYPE_8021AH) {
        // A backbone (802.1ah) I-tag follows: netdiag shows the B-tag and stops.
        p.hdrEnd[i] = s + 4;
        return;
      }
      let hdr = 4;
      let inner = type;
      if (type === ETHERTYPE_8021AD) {
        if (e - s < 8) {
          p.hdrEnd[i] = e - s >= 6 ? s + 6 : s;
          p.truncated(i);
          return;
        }
        hdr = 8;
        inner = u16(b, s + 6);
      }
      p.hdrEnd[i] = s + hdr;
      const next = ethertypes[inner]!;
      if (next) p.setNext(next, s + hdr, e);
    },
    summary(p, i) {
      if (adInner(p, i) < 0) return '802.1ad (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      if (adDouble(p, i)) return `802.1ad S-VID ${u16(b, s) & 0x0fff}, C-VID ${u16(b, s + 4) & 0x0fff}`;
      return `802.1ad vlan ${u16(b, s) & 0x0fff}`;
    },
  },
};
