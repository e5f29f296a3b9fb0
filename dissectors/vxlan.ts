import type { ProtocolModule } from '../src/decode/dissector.js';
import { fixed } from '../src/decode/define.js';
import { u8, u24 } from '../src/decode/bytes.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * VXLAN (RFC 7348). Linux and flannel use UDP 8472; IANA's port is 4789.
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * The header names no next protocol: the payload is always an Ethernet frame.
 */
let ETH = 0;
let A_NO_I = 0;

export const vxlan: ProtocolModule = {
  dispatch: [
    ['udp.port', 4789],
    ['udp.port', 8472],
  ],
  anomalies: {
    flags_i_unset: ['warning', 'VXLAN I flag not set: the VNI is not valid'],
  },
  dissector: {
    name: 'vxlan',
    label: 'VXLAN',
    tunnel: true,
    fields: [
      fixed('vxlan.flags', 'Flags', 'uint', 0, 2, { base: 'hex' }),
      fixed('vxlan.flag_i', 'VXLAN Network ID (VNI) valid', 'bool', 0, 1, { mask: 0x08 }),
      fixed('vxlan.vni', 'VXLAN Network Identifier (VNI)', 'uint', 4, 3),
      fixed('vxlan.reserved8', 'Reserved', 'uint', 7, 1),
    ],
    init(reg: Registry) {
      ETH = reg.id('eth');
      A_NO_I = reg.anomaly('vxlan.flags_i_unset');
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
      if ((u8(b, s) & 0x08) === 0) p.anomaly(i, A_NO_I);
      if (e > s + 8) p.setNext(ETH, s + 8, e);
    },
    summary(p, i) {
      if (p.hdrEnd[i]! - p.start[i]! < 8) return 'VXLAN (truncated)';
      return `VXLAN vni ${u24(p.layerBuf[i]!, p.start[i]! + 4)}`;
    },
  },
};
