/** UDP (RFC 768); the checksum covers the IPv4 or IPv6 pseudo-header. */
import { foldChecksum, pseudoHeaderSum, resolveChecksum, sum16, type ChecksumMode, type PseudoHeader } from './checksum.js';
import { IPPROTO } from './constants.js';

export interface UdpOptions {
  sport: number;
  dport: number;
  /**
   * 'zero' means "no checksum", legal over IPv4 only; Linux VXLAN and Geneve
   * tunnels send it by default.
   */
  checksum?: ChecksumMode;
  /** Overrides the length field. */
  length?: number;
}

export function udp(o: UdpOptions, payload: Buffer, pseudo: PseudoHeader): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b.writeUInt16BE(o.sport, 0);
  b.writeUInt16BE(o.dport, 2);
  b.writeUInt16BE(o.length ?? b.length, 4);
  payload.copy(b, 8);
  b.writeUInt16BE(
    resolveChecksum(o.checksum, () => {
      const c = foldChecksum(sum16(b, 0, b.length, pseudoHeaderSum(pseudo, IPPROTO.UDP, b.length)));
      // A computed zero goes on the wire as all ones: zero means "not computed".
      return c === 0 ? 0xffff : c;
    }),
    6,
  );
  return b;
}
