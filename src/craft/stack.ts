/**
 * IP + transport in one call. The transport checksum needs the IP addresses,
 * so building both together keeps the pseudo-header and the IP header from
 * disagreeing. The address family follows the addresses.
 */
import { isIpv6 } from './addr.js';
import type { PseudoHeader } from './checksum.js';
import { IPPROTO } from './constants.js';
import { ipv4 } from './ipv4.js';
import { ipv6, type Ipv6Extension } from './ipv6.js';
import { tcp, type TcpOptions } from './tcp.js';
import { udp, type UdpOptions } from './udp.js';

export interface IpHeaderOptions {
  src: string;
  dst: string;
  /** TTL, or hop limit for IPv6. */
  ttl?: number;
  /** IPv4 TOS byte, or IPv6 traffic class. */
  tos?: number;
  /** IPv4 only. */
  id?: number;
  /** IPv4 only. */
  df?: boolean;
  /** IPv4 only. */
  ipChecksum?: number | 'bad';
  /** IPv6 only. */
  flowLabel?: number;
  /** IPv6 only. */
  ext?: Ipv6Extension[];
}

export function ipPacket(o: IpHeaderOptions, proto: number, payload: Buffer): Buffer {
  if (isIpv6(o.src)) {
    return ipv6(
      { src: o.src, dst: o.dst, next: proto, hopLimit: o.ttl, trafficClass: o.tos, flowLabel: o.flowLabel, ext: o.ext },
      payload,
    );
  }
  return ipv4({ src: o.src, dst: o.dst, proto, ttl: o.ttl, tos: o.tos, id: o.id, df: o.df, checksum: o.ipChecksum }, payload);
}

export function ipUdp(o: IpHeaderOptions & UdpOptions, payload: Buffer): Buffer {
  return ipPacket(o, IPPROTO.UDP, udp(o, payload, o));
}

export function ipTcp(o: IpHeaderOptions & TcpOptions, payload: Buffer = Buffer.alloc(0)): Buffer {
  return ipPacket(o, IPPROTO.TCP, tcp(o, payload, o));
}

/** For protocols whose checksum takes the pseudo-header (ICMPv6): `build` receives it. */
export function ipWith(o: IpHeaderOptions, proto: number, build: (pseudo: PseudoHeader) => Buffer): Buffer {
  return ipPacket(o, proto, build({ src: o.src, dst: o.dst }));
}
