import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed } from '../src/decode/define.js';
import { checkRange, u16 } from '../src/decode/bytes.js';
import type { PacketView } from '../src/decode/packet-view.js';
import { OCCUPANCY_SHIFT, type Registry } from '../src/decode/registry.js';
import { udpChecksumStatusField } from './l4-checksum.js';

/*
 * UDP (RFC 768)
 * |          Source Port          |       Destination Port        |
 * |            Length             |           Checksum            |
 */
let ports: Uint16Array = new Uint16Array(0);
let portsUsed: Uint8Array = new Uint8Array(0);
let A_LEN = 0;

const whole = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]! >= 8;

export const udp: ProtocolModule = {
  dispatch: [['ip.proto', 17]],
  anomalies: {
    length_bad: ['error', 'UDP length field below 8 bytes'],
    length_exceeds: ['warning', 'UDP length runs past the IP payload'],
  },
  dissector: {
    name: 'udp',
    label: 'UDP',
    fields: [
      fixed('udp.srcport', 'Source Port', 'uint', 0, 2),
      fixed('udp.dstport', 'Destination Port', 'uint', 2, 2),
      field('udp.port', 'Source or Destination Port', 'uint', (p, i, out) => {
        if (!whole(p, i)) return;
        out.pushNum(u16(p.layerBuf[i]!, p.start[i]!));
        out.pushNum(u16(p.layerBuf[i]!, p.start[i]! + 2));
      }),
      fixed('udp.length', 'Length', 'uint', 4, 2),
      fixed('udp.checksum', 'Checksum', 'uint', 6, 2, { base: 'hex' }),
      udpChecksumStatusField,
    ],
    init(reg: Registry) {
      ports = reg.table('udp.port');
      portsUsed = reg.occupied('udp.port');
      A_LEN = reg.anomaly('udp.length_bad');
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
      // The 8 header bytes are captured (checked above): indexed directly, as in IPv4.
      checkRange(b, s, 8);
      const len = (b[s + 4]! << 8) | b[s + 5]!;
      if (len < 8) {
        p.anomaly(i, A_LEN);
        return;
      }
      const end = Math.min(e, s + len);
      p.end[i] = end;
      const sport = (b[s]! << 8) | b[s + 1]!;
      const dport = (b[s + 2]! << 8) | b[s + 3]!;
      // Lower port first, as Wireshark does: well-known ports win over ephemeral ones,
      // and both directions of a conversation pick the same protocol.
      const lo = sport < dport ? sport : dport;
      const hi = sport < dport ? dport : sport;
      const next = (lo !== 0 && portsUsed[lo >> OCCUPANCY_SHIFT] !== 0 ? ports[lo]! : 0) || (portsUsed[hi >> OCCUPANCY_SHIFT] !== 0 ? ports[hi]! : 0);
      if (next !== 0 && end > s + 8) p.setNext(next, s + 8, end);
    },
    summary(p, i) {
      if (!whole(p, i)) return 'UDP (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      return `UDP ${u16(b, s)} → ${u16(b, s + 2)} len=${u16(b, s + 4) - 8}`;
    },
  },
};
