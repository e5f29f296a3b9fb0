import type { ProtocolModule } from '../src/decode/dissector.js';
import { u8 } from '../src/decode/bytes.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * flannel's UDP backend (UDP port 8285): no header at all, the UDP payload is the pod's
 * IP packet as it left the node's flannel0 TUN device:
 * |Version|  ...  rest of an IPv4 or IPv6 header, then its payload  ...
 * Wireshark has no dissector for it; the layer is named `flannel` so filters and
 * statistics can tell encapsulated traffic from the node's own.
 */
let IP = 0;
let IPV6 = 0;
let A_NOT_IP = 0;

export const flannelUdp: ProtocolModule = {
  dispatch: [['udp.port', 8285]],
  anomalies: {
    not_ip: ['warning', 'flannel UDP payload is not an IPv4 or IPv6 packet'],
  },
  dissector: {
    name: 'flannel',
    label: 'flannel',
    tunnel: true,
    fields: [],
    init(reg: Registry) {
      IP = reg.id('ip');
      IPV6 = reg.has('ipv6') ? reg.id('ipv6') : 0;
      A_NOT_IP = reg.anomaly('flannel.not_ip');
    },
    decode(p, i) {
      const s = p.start[i]!;
      const e = p.end[i]!;
      p.hdrEnd[i] = s;
      if (e <= s) {
        p.truncated(i);
        return;
      }
      const version = u8(p.layerBuf[i]!, s) >> 4;
      const next = version === 4 ? IP : version === 6 ? IPV6 : 0;
      if (next === 0) p.anomaly(i, A_NOT_IP);
      else p.setNext(next, s, e);
    },
    summary(p, i) {
      const s = p.start[i]!;
      if (p.end[i]! <= s) return 'flannel (empty)';
      return `flannel IPv${u8(p.layerBuf[i]!, s) >> 4}`;
    },
  },
};
