import { v4String } from '../analysis/addr.js';
import { TUNNEL_NAMES } from '../analysis/facts.js';
import type { SightingTable } from './sightings.js';
import { SIGHTING_FLAG_V6 } from './sightings.js';
import type { EncapKind, Encapsulation, FlowKey } from './types.js';

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 58: 'icmpv6', 132: 'sctp' };

export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? `proto ${p}`;
}

/** An inner address as text; IPv6 rows keep only a fold of the address. */
function addr(t: SightingTable, i: number, v: number): string {
  return (t.flags[i]! & SIGHTING_FLAG_V6) !== 0 ? `ipv6#${v.toString(16)}` : v4String(v);
}

export function flowKeyOf(t: SightingTable, i: number): FlowKey {
  const ports = t.ports[i]!;
  return { src: addr(t, i, t.src[i]!), dst: addr(t, i, t.dst[i]!), proto: t.proto[i]!, sport: ports >>> 16, dport: ports & 0xffff };
}

export function flowLabel(f: FlowKey): string {
  const ports = f.sport || f.dport;
  return ports ? `${f.src}:${f.sport} → ${f.dst}:${f.dport} ${protoName(f.proto)}` : `${f.src} → ${f.dst} ${protoName(f.proto)}`;
}

export function encapOf(t: SightingTable, i: number): Encapsulation {
  const k = t.tunnel[i]!;
  if (k === 0) return { kind: 'none', outerSrc: null, outerDst: null, vni: null };
  const kind = (TUNNEL_NAMES[k] ?? 'none') as EncapKind;
  const vni = t.vni[i]!;
  return { kind, outerSrc: v4String(t.outerSrc[i]!), outerDst: v4String(t.outerDst[i]!), vni: vni >= 0 ? vni : null };
}

export function encapLabel(e: Encapsulation): string {
  if (e.kind === 'none') return 'bare';
  return `${e.kind}${e.vni !== null ? ` ${e.kind === 'gre' ? 'key' : 'vni'} ${e.vni}` : ''} ${e.outerSrc} → ${e.outerDst}`;
}

const TCP_FLAG_NAMES: Array<[number, string]> = [
  [0x02, 'SYN'],
  [0x10, 'ACK'],
  [0x08, 'PSH'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
];

/** What distinguishes this packet within its flow: ICMP id/seq, TCP seq/ack/flags, size. */
export function packetLabel(t: SightingTable, i: number): string {
  const proto = t.proto[i]!;
  if (proto === 1 || proto === 58) {
    const a = t.aux1[i]!;
    const type = t.aux2[i]! >>> 8;
    const name = proto === 1 ? (type === 8 ? 'echo' : type === 0 ? 'echo reply' : `type ${type}`) : type === 128 ? 'echo' : type === 129 ? 'echo reply' : `type ${type}`;
    return `${protoName(proto)} ${name} id ${a >>> 16} seq ${a & 0xffff} len ${t.size[i]}`;
  }
  if (proto === 6) {
    const fl = t.tcpFlags[i]!;
    const names = TCP_FLAG_NAMES.filter(([b]) => (fl & b) !== 0).map(([, n]) => n);
    return `tcp seq ${t.aux1[i]} ack ${t.aux2[i]} [${names.join(' ')}] len ${t.size[i]}`;
  }
  return `${protoName(proto)} len ${t.size[i]}`;
}
