import type { ProtocolModule } from '../src/decode/dissector.js';
import { field, fixed } from '../src/decode/define.js';
import { auditing, checkRange, foldChecksum, onesSum, u8, u16, u32 } from '../src/decode/bytes.js';
import { ipv4String } from '../src/decode/format.js';
import type { PacketView } from '../src/decode/packet-view.js';
import type { Registry } from '../src/decode/registry.js';

/*
 * IPv4 (RFC 791)
 *  0                   1                   2                   3
 * |Version|  IHL  |    DSCP/ECN   |          Total Length         |
 * |         Identification        |Flags|     Fragment Offset     |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * |                    Options (IHL > 5)                          |
 */

/** aux bit: this IP header is the one quoted inside an ICMP error, not a live packet. */
export const AUX_QUOTED = 1;

let ipProtos: Uint16Array = new Uint16Array(0);
let A_VERSION = 0;
let A_HDRLEN = 0;
let A_LEN = 0;
let A_CHECKSUM = 0;
let A_BEYOND = 0;

const hasHeader = (p: PacketView, i: number) => p.hdrEnd[i]! - p.start[i]! >= 20;

function addr(p: PacketView, i: number, at: number, out: { pushNum(v: number): void }): void {
  if (hasHeader(p, i)) out.pushNum(u32(p.layerBuf[i]!, p.start[i]! + at));
}

export function ipv4HeaderChecksumOk(p: PacketView, i: number): boolean {
  const b = p.layerBuf[i]!;
  return foldChecksum(onesSum(b, p.start[i]!, p.hdrEnd[i]!)) === 0xffff;
}

/**
 * The header checksum check of decode(). A 20-byte header (almost every one) is summed
 * as ten words read straight from the Buffer, its bytes already known to be captured; the
 * sum stays below 2^20, so folding needs no loop. Audited, the generic sum runs instead,
 * so its range check still guards the bytes read.
 */
function headerChecksumOk(b: Buffer, s: number, hlen: number): boolean {
  if (hlen !== 20 || auditing()) return foldChecksum(onesSum(b, s, s + hlen)) === 0xffff;
  const sum =
    ((b[s]! << 8) | b[s + 1]!) + ((b[s + 2]! << 8) | b[s + 3]!) + ((b[s + 4]! << 8) | b[s + 5]!) + ((b[s + 6]! << 8) | b[s + 7]!) +
    ((b[s + 8]! << 8) | b[s + 9]!) + ((b[s + 10]! << 8) | b[s + 11]!) + ((b[s + 12]! << 8) | b[s + 13]!) + ((b[s + 14]! << 8) | b[s + 15]!) +
    ((b[s + 16]! << 8) | b[s + 17]!) + ((b[s + 18]! << 8) | b[s + 19]!);
  const once = (sum & 0xffff) + (sum >>> 16);
  return (once & 0xffff) + (once >>> 16) === 0xffff;
}

export const ipv4: ProtocolModule = {
  dispatch: [
    ['ethertype', 0x0800],
    ['linktype', 228],
    ['ip.proto', 4],
    ['gre.proto', 0x0800],
  ],
  anomalies: {
    version_bad: ['error', 'IP version is not 4'],
    hdr_len_bad: ['error', 'IPv4 header length below 20 bytes'],
    len_bad: ['error', 'IPv4 total length smaller than its header'],
    checksum_bad: ['warning', 'IPv4 header checksum is wrong'],
    len_exceeds_frame: ['warning', 'IPv4 total length runs past the end of the frame'],
  },
  dissector: {
    name: 'ip',
    label: 'IPv4',
    fields: [
      fixed('ip.version', 'Version', 'uint', 0, 1, { mask: 0xf0 }),
      field('ip.hdr_len', 'Header Length', 'uint', (p, i, out) => {
        if (p.end[i]! > p.start[i]!) out.pushNum((u8(p.layerBuf[i]!, p.start[i]!) & 15) * 4);
      }),
      fixed('ip.dsfield', 'Differentiated Services Field', 'uint', 1, 1, { base: 'hex' }),
      fixed('ip.dsfield.dscp', 'DSCP', 'uint', 1, 1, { mask: 0xfc }),
      fixed('ip.dsfield.ecn', 'ECN', 'uint', 1, 1, { mask: 0x03 }),
      field('ip.len', 'Total Length', 'uint', (p, i, out) => {
        if (p.hdrEnd[i]! - p.start[i]! < 4) return;
        const v = u16(p.layerBuf[i]!, p.start[i]! + 2);
        // Zero: a TSO/BIG TCP super-packet whose real length only the frame knows, as tshark reports it.
        out.pushNum(v === 0 && (p.aux[i]! & AUX_QUOTED) === 0 && p.layerBuf[i] === p.buf ? p.wireLen - (p.start[i]! - p.base) : v);
      }),
      fixed('ip.id', 'Identification', 'uint', 4, 2, { base: 'hex_dec' }),
      fixed('ip.flags', 'Flags', 'uint', 6, 1, { base: 'hex', mask: 0xe0, bits: 8 }),
      fixed('ip.flags.rb', 'Reserved bit', 'bool', 6, 1, { mask: 0x80 }),
      fixed('ip.flags.df', "Don't fragment", 'bool', 6, 1, { mask: 0x40 }),
      fixed('ip.flags.mf', 'More fragments', 'bool', 6, 1, { mask: 0x20 }),
      fixed('ip.frag_offset', 'Fragment Offset', 'uint', 6, 2, { mask: 0x1fff }),
      fixed('ip.ttl', 'Time to Live', 'uint', 8, 1),
      fixed('ip.proto', 'Protocol', 'uint', 9, 1, {
        names: { 1: 'ICMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 58: 'ICMPv6', 132: 'SCTP' },
      }),
      fixed('ip.checksum', 'Header Checksum', 'uint', 10, 2, { base: 'hex' }),
      field('ip.checksum.status', 'Header checksum status', 'uint', (p, i, out) => {
        if (hasHeader(p, i)) out.pushNum(ipv4HeaderChecksumOk(p, i) ? 1 : 0);
      }, { names: { 0: 'Bad', 1: 'Good' } }),
      fixed('ip.src', 'Source Address', 'ipv4', 12, 4),
      fixed('ip.dst', 'Destination Address', 'ipv4', 16, 4),
      field('ip.addr', 'Source or Destination Address', 'ipv4', (p, i, out) => {
        addr(p, i, 12, out);
        addr(p, i, 16, out);
      }),
    ],
    init(reg: Registry) {
      ipProtos = reg.table('ip.proto');
      A_VERSION = reg.anomaly('ip.version_bad');
      A_HDRLEN = reg.anomaly('ip.hdr_len_bad');
      A_LEN = reg.anomaly('ip.len_bad');
      A_CHECKSUM = reg.anomaly('ip.checksum_bad');
      A_BEYOND = reg.anomaly('ip.len_exceeds_frame');
    },
    decode(p, i) {
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      const e = p.end[i]!;
      if (e - s < 20) {
        p.hdrEnd[i] = e;
        // A bare version nibble that is wrong says more than "truncated".
        if (e > s && u8(b, s) >> 4 !== 4) p.anomaly(i, A_VERSION);
        else p.truncated(i);
        return;
      }
      // The 20 bytes read below are captured (checked above), so the Buffer is indexed
      // directly: a call through the swappable accessors costs a module-cell load each.
      // Audited, checkRange proves the span lies inside the record instead.
      checkRange(b, s, 20);
      const vihl = b[s]!;
      if (vihl >> 4 !== 4) {
        p.hdrEnd[i] = s + 1;
        p.anomaly(i, A_VERSION);
        return;
      }
      const hlen = (vihl & 15) * 4;
      if (hlen < 20) {
        p.hdrEnd[i] = s + 20;
        p.anomaly(i, A_HDRLEN);
        return;
      }
      if (s + hlen > e) {
        p.hdrEnd[i] = e;
        p.truncated(i);
        return;
      }
      p.hdrEnd[i] = s + hlen;
      const quoted = (p.aux[i]! & AUX_QUOTED) !== 0;
      let total = (b[s + 2]! << 8) | b[s + 3]!;
      let end = e;
      if (total === 0) {
        // Zero total length: TCP segmentation offload on the capturing host; the frame is the datagram.
        total = e - s;
      } else if (total < hlen) {
        p.anomaly(i, A_LEN);
        return;
      } else if (s + total <= e) {
        end = s + total;
      } else if (!quoted && p.capLen >= p.wireLen) {
        p.anomaly(i, A_BEYOND);
      }
      p.end[i] = end;
      if (!quoted && !headerChecksumOk(b, s, hlen)) p.anomaly(i, A_CHECKSUM);
      const fragWord = (b[s + 6]! << 8) | b[s + 7]!;
      // Fragments carry a piece of the upper layer: only a whole datagram is dissected further.
      if ((fragWord & 0x3fff) !== 0) return;
      const proto = b[s + 9]!;
      const next = ipProtos[proto]!;
      if (next === 0) return;
      if (proto === 4 || proto === 41) p.nextTunnel = true;
      p.setNext(next, s + hlen, end);
    },
    summary(p, i) {
      if (!hasHeader(p, i)) return 'IPv4 (truncated)';
      const b = p.layerBuf[i]!;
      const s = p.start[i]!;
      return `${ipv4String(u32(b, s + 12))} → ${ipv4String(u32(b, s + 16))}`;
    },
  },
};
