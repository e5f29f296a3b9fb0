/**
 * Linux "cooked" capture headers, what `tcpdump -i any` writes: SLL
 * (LINKTYPE_LINUX_SLL, 113) and SLL2 (LINKTYPE_LINUX_SLL2, 276), which adds
 * the interface index.
 */
import { macBytes } from './addr.js';

export const SLL_PACKET_TYPE = {
  host: 0,
  broadcast: 1,
  multicast: 2,
  otherhost: 3,
  outgoing: 4,
} as const;

/** ARPHRD_* values seen in Kubernetes captures. */
export const ARPHRD = {
  ETHER: 1,
  LOOPBACK: 772,
  /** ipip / tunl0 */
  TUNNEL: 768,
  /** 6in4 / sit */
  SIT: 776,
  /** gre0 */
  IPGRE: 778,
  /** TUN devices such as flannel0, and WireGuard */
  NONE: 0xfffe,
} as const;

export interface SllOptions {
  packetType: keyof typeof SLL_PACKET_TYPE | number;
  /** EtherType of the payload (for ARPHRD_ETHER and the IP tunnels). */
  protocol: number;
  hatype?: number;
  /** Link-layer source address; none for tunnels. */
  addr?: string;
}

function pktType(t: SllOptions['packetType']): number {
  return typeof t === 'number' ? t : SLL_PACKET_TYPE[t];
}

export function sll(o: SllOptions, payload: Buffer): Buffer {
  const b = Buffer.alloc(16 + payload.length);
  const addr = o.addr ? macBytes(o.addr) : Buffer.alloc(0);
  b.writeUInt16BE(pktType(o.packetType), 0);
  b.writeUInt16BE(o.hatype ?? ARPHRD.ETHER, 2);
  b.writeUInt16BE(addr.length, 4);
  addr.copy(b, 6);
  b.writeUInt16BE(o.protocol, 14);
  payload.copy(b, 16);
  return b;
}

export function sll2(o: SllOptions & { ifindex: number }, payload: Buffer): Buffer {
  const b = Buffer.alloc(20 + payload.length);
  const addr = o.addr ? macBytes(o.addr) : Buffer.alloc(0);
  b.writeUInt16BE(o.protocol, 0);
  b.writeUInt32BE(o.ifindex >>> 0, 4);
  b.writeUInt16BE(o.hatype ?? ARPHRD.ETHER, 8);
  b[10] = pktType(o.packetType);
  b[11] = addr.length;
  addr.copy(b, 12);
  payload.copy(b, 20);
  return b;
}
