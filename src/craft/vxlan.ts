/** VXLAN (RFC 7348) and VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe). */

export interface VxlanOptions {
  vni: number;
  /** First header byte; 0x08 is the I flag ("VNI valid"). */
  flags?: number;
}

/** The 8-byte VXLAN header before an inner Ethernet frame; goes in UDP 4789 (8472 on Linux/flannel). */
export function vxlan(o: VxlanOptions, innerFrame: Buffer): Buffer {
  if (o.vni < 0 || o.vni > 0xffffff) throw new Error(`VNI out of range: ${o.vni}`);
  const b = Buffer.alloc(8 + innerFrame.length);
  b[0] = o.flags ?? 0x08;
  b.writeUIntBE(o.vni, 4, 3);
  innerFrame.copy(b, 8);
  return b;
}

export const GPE_NEXT = { ipv4: 1, ipv6: 2, ethernet: 3, nsh: 4 } as const;

export interface VxlanGpeOptions {
  vni: number;
  next: keyof typeof GPE_NEXT | number;
  /** O bit: the payload is OAM. */
  oam?: boolean;
  /** Version field (2 bits); 0 is the only one defined. */
  version?: number;
}

/** UDP 4790. Unlike VXLAN, the header names its payload (the P bit says so). */
export function vxlanGpe(o: VxlanGpeOptions, payload: Buffer): Buffer {
  if (o.vni < 0 || o.vni > 0xffffff) throw new Error(`VNI out of range: ${o.vni}`);
  const b = Buffer.alloc(8 + payload.length);
  b[0] = 0x08 | 0x04 | ((o.version ?? 0) << 4) | (o.oam ? 0x01 : 0);
  b[3] = typeof o.next === 'number' ? o.next : GPE_NEXT[o.next];
  b.writeUIntBE(o.vni, 4, 3);
  payload.copy(b, 8);
  return b;
}
