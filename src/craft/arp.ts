/** ARP for IPv4 over Ethernet (RFC 826). */
import { ipv4Bytes, macBytes } from './addr.js';

export interface ArpOptions {
  op: 'request' | 'reply' | number;
  senderMac: string;
  senderIp: string;
  /** Unknown in a request, hence the all-zero default. */
  targetMac?: string;
  targetIp: string;
}

export function arp(o: ArpOptions): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // hardware: Ethernet
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(o.op === 'request' ? 1 : o.op === 'reply' ? 2 : o.op, 6);
  macBytes(o.senderMac).copy(b, 8);
  ipv4Bytes(o.senderIp).copy(b, 14);
  macBytes(o.targetMac ?? '00:00:00:00:00:00').copy(b, 18);
  ipv4Bytes(o.targetIp).copy(b, 24);
  return b;
}
