/** Ethernet II frames, optionally 802.1Q-tagged or QinQ (802.1ad) double-tagged. */
import { macBytes } from './addr.js';
import { ETHERTYPE } from './constants.js';

export interface VlanTag {
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** Defaults: 0x88a8 for the outer tag of a stack, 0x8100 otherwise. */
  tpid?: number;
}

export interface EthernetOptions {
  dst: string;
  src: string;
  /** EtherType of the payload (after any tags). */
  type: number;
  /** Outermost first. */
  vlans?: VlanTag[];
  /**
   * Pad to the 60-byte minimum (no FCS). NICs pad on the wire, so frames
   * captured on receive carry the padding while locally sent ones do not.
   */
  pad?: boolean;
}

export function ethernet(o: EthernetOptions, payload: Buffer): Buffer {
  const tags = o.vlans ?? [];
  const hlen = 14 + 4 * tags.length;
  const len = Math.max(hlen + payload.length, o.pad ? 60 : 0);
  const b = Buffer.alloc(len);
  macBytes(o.dst).copy(b, 0);
  macBytes(o.src).copy(b, 6);
  let off = 12;
  tags.forEach((t, i) => {
    if (t.vid < 0 || t.vid > 0xfff) throw new Error(`VLAN id out of range: ${t.vid}`);
    const tpid = t.tpid ?? (tags.length > 1 && i === 0 ? ETHERTYPE.QINQ : ETHERTYPE.VLAN);
    b.writeUInt16BE(tpid, off);
    b.writeUInt16BE((((t.pcp ?? 0) & 7) << 13) | (t.dei ? 0x1000 : 0) | t.vid, off + 2);
    off += 4;
  });
  b.writeUInt16BE(o.type, off);
  payload.copy(b, hlen);
  return b;
}
