/** GRE (RFC 2784) with the key and sequence extensions (RFC 2890). IP protocol 47. */
import { inetChecksum, resolveChecksum } from './checksum.js';

export interface GreOptions {
  /** EtherType of the payload: 0x0800, 0x86DD, or 0x6558 for a bridged frame (gretap, NVGRE). */
  protocol: number;
  /** C bit: the checksum field is present; 'bad' fills it with a wrong value. */
  checksum?: boolean | 'bad';
  /** K bit when given. */
  key?: number;
  /** S bit when given. */
  sequence?: number;
}

export function gre(o: GreOptions, payload: Buffer): Buffer {
  const hasCsum = o.checksum !== undefined && o.checksum !== false;
  const hlen = 4 + (hasCsum ? 4 : 0) + (o.key !== undefined ? 4 : 0) + (o.sequence !== undefined ? 4 : 0);
  const b = Buffer.alloc(hlen + payload.length);
  b[0] = (hasCsum ? 0x80 : 0) | (o.key !== undefined ? 0x20 : 0) | (o.sequence !== undefined ? 0x10 : 0);
  b.writeUInt16BE(o.protocol, 2);
  let off = 4;
  const csumAt = off;
  if (hasCsum) off += 4;
  if (o.key !== undefined) {
    b.writeUInt32BE(o.key >>> 0, off);
    off += 4;
  }
  if (o.sequence !== undefined) {
    b.writeUInt32BE(o.sequence >>> 0, off);
    off += 4;
  }
  payload.copy(b, off);
  if (hasCsum) b.writeUInt16BE(resolveChecksum(o.checksum === 'bad' ? 'bad' : 'auto', () => inetChecksum(b)), csumAt);
  return b;
}
