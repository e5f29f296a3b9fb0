import type { ProtocolModule } from '../src/decode/dissector.js';
import { fixed } from '../src/decode/define.js';
import { u8, u24 } from '../src/decode/bytes.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * VXLAN Generic Protocol Extension (draft-ietf-nvo3-vxlan-gpe), UDP port 4790:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |R|R|Ver|I|P|R|O|       Reserved                |Next Protocol  |
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * Next protocol: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS (the last two are not dissected).
 *
 * Wireshark registers the protocol as `vxlan_gpe` but fills in the fields of `vxlan`
 * (tshark's `vxlan` filter matches these packets). Fields whose names VXLAN's own module
 * already owns (vxlan.flags, vxlan.vni, ...) cannot be declared twice here: the VNI is
 * available from vxlanGpeVni() and the summary.
 */
export const GPE_IPV4 = 1;
export const GPE_IPV6 = 2;
export const GPE_ETHERNET = 3;
export const GPE_NSH = 4;
export const GPE_MPLS = 5;

let IP = 0;
let IPV6 = 0;
let ETH = 0;

const whole = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]! >= 8;

/** The VNI of a VXLAN-GPE layer, or -1 when its header was cut short. */
export function vxlanGpeVni(p: PacketView, i: number): number {
  return whole(p, i) ? u24(p.layerBuf[i]!, p.start[i]! + 4) : -1;
}

export const vxlanGpe: ProtocolModule = {
  dispatch: [['udp.port', 4790]],
  dissector: {
    name: 'vxlan_gpe',
    label: 'VXLAN-GPE',
    tunnel: true,
    fields: [
      fixed('vxlan.ver', 'Version', 'uint', 0, 1, { mask: 0x30 }),
      fixed('vxlan.i_bit', 'Instance', 'uint', 0, 1, { mask: 0x08 }),
      fixed('vxlan.p_bit', 'Next Protocol Bit', 'uint', 0, 1, { mask: 0x04 }),
      fixed('vxlan.o_bit', 'OAM bit', 'uint', 0, 1, { mask: 0x01 }),
      fixed('vxlan.reserved_16', 'Reserved', 'uint', 1, 2),
      // Wireshark fills the same field as plain VXLAN, so filters on vxlan.vni see both.
      fixed('vxlan.vni', 'VXLAN Network Identifier (VNI)', 'uint', 4, 3),
      fixed('vxlan.next_proto', 'Next Protocol', 'uint', 3, 1, {
        names: { 1: 'IPv4', 2: 'IPv6', 3: 'Ethernet', 4: 'Network Service Header', 5: 'MPLS' },
      }),
    ],
    init(reg: Registry) {
      IP = reg.id('ip');
      IPV6 = reg.has('ipv6') ? reg.id('ipv6') : 0;
      ETH = reg.id('eth');
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
      p.hdrEnd[i] = s + 8;
      // Like Wireshark, follow the next-protocol field whatever the P bit says.
      const np = u8(b, s + 3);
      const next = np === GPE_IPV4 ? IP : np === GPE_IPV6 ? IPV6 : np === GPE_ETHERNET ? ETH : 0;
      if (next !== 0 && e > s + 8) p.setNext(next, s + 8, e);
    },
    summary(p, i) {
      if (!whole(p, i)) return 'VXLAN-GPE (truncated)';
      const np = u8(p.layerBuf[i]!, p.start[i]! + 3);
      const names: Record<number, string> = { 1: 'IPv4', 2: 'IPv6', 3: 'Ethernet', 4: 'NSH', 5: 'MPLS' };
      return `VXLAN-GPE vni ${vxlanGpeVni(p, i)} next ${names[np] ?? np}`;
    },
  },
};
