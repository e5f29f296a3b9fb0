import type { ProtocolModule } from '../src/decode/dissector.js';
import { u8, u16 } from '../src/decode/bytes.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * Raw IP link types (LINKTYPE_RAW 101, and DLT_RAW's platform values 12 and 14): no
 * link-layer header, the packet starts with an IPv4 or IPv6 header.
 * |Version|  ...
 * Wireshark's `raw` protocol has no fields. It first looks for leftovers of Linux PPP
 * and ISDN drivers (an ff 03 PPP header at offset 0, 6 or 1, not dissected here; ten
 * zero bytes in front of an IPv4 header), then picks IPv4 or IPv6 by the version
 * nibble. Those probes read bytes 6-7, so a record shorter than 8 bytes is malformed.
 */
let IP = 0;
let IPV6 = 0;
let A_VERSION = 0;

export const raw: ProtocolModule = {
  dispatch: [
    ['linktype', 101],
    ['linktype', 12],
    ['linktype', 14],
  ],
  anomalies: {
    version_unknown: ['warning', 'Raw IP packet with a version other than 4 or 6'],
  },
  dissector: {
    name: 'raw',
    label: 'Raw packet data',
    fields: [],
    init(reg: Registry) {
      IP = reg.id('ip');
      IPV6 = reg.id('ipv6');
      A_VERSION = reg.anomaly('raw.version_unknown');
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
      if (u16(b, s) === 0xff03) return;
      if (e - s < 8) {
        p.truncated(i);
        return;
      }
      if (u16(b, s + 6) === 0xff03 || u16(b, s + 1) === 0xff03) return;
      if (e - s >= 10 && u16(b, s) === 0 && u16(b, s + 2) === 0 && u16(b, s + 4) === 0 && u16(b, s + 6) === 0 && u16(b, s + 8) === 0) {
        p.setNext(IP, s + 10, e);
        return;
      }
      const version = u8(b, s) >> 4;
      if (version === 4) p.setNext(IP, s, e);
      else if (version === 6) p.setNext(IPV6, s, e);
      else p.anomaly(i, A_VERSION);
    },
    summary() {
      return 'Raw IP';
    },
  },
};
