import { arp, ethernet, ETHERTYPE, geneve, ipTcp, ipUdp, vxlan, type GeneveOption } from '../../src/craft/index.js';
import type { Node } from './scenario.js';

/** Pod → pod TCP SYN inside an Ethernet frame, as a VTEP puts it in a tunnel. */
function innerSyn(from: Node, to: Node, sport: number): Buffer {
  return ethernet({ src: from.vtepMac, dst: to.vtepMac, type: ETHERTYPE.IPV4 }, ipTcp({ src: `${from.pods}.10`, dst: `${to.pods}.10`, ttl: 63, df: true, sport, dport: 80, seq: 1, flags: 'S' }));
}

/** A pod frame in Geneve (UDP 6081) with the given options; OVN puts class 0x0102 on every packet. */
export function geneveFrame(from: Node, to: Node, vni: number, options: GeneveOption[] = [], sport = 43000): Buffer {
  return ethernet({ src: from.mac, dst: to.mac, type: ETHERTYPE.IPV4 }, ipUdp({ src: from.ip, dst: to.ip, sport: 50000 + (sport % 1000), dport: 6081, checksum: 'zero' }, geneve({ vni, options }, innerSyn(from, to, sport))));
}

/** OVN's logical port option: class 0x0102, type 0x80, 4 bytes (ingress and egress port keys). */
export const OVN_OPTION: GeneveOption = { optClass: 0x0102, type: 0x80, data: Buffer.from([0, 1, 0, 2]) };

/** VXLAN-format frame on any UDP port: Weave fast datapath sends on 6784. */
export function vxlanOnPort(from: Node, to: Node, port: number, vni: number, sport = 43000): Buffer {
  return ethernet({ src: from.mac, dst: to.mac, type: ETHERTYPE.IPV4 }, ipUdp({ src: from.ip, dst: to.ip, sport: 50000 + (sport % 1000), dport: port, checksum: 'zero' }, vxlan({ vni }, innerSyn(from, to, sport))));
}

/** A plain TCP segment between two underlay addresses (control and health connections). */
export function nodeTcp(from: Node, to: Node, sport: number, dport: number, flags: string): Buffer {
  return ethernet({ src: from.mac, dst: to.mac, type: ETHERTYPE.IPV4 }, ipTcp({ src: from.ip, dst: to.ip, sport, dport, seq: 1, ack: flags.includes('.') ? 1 : 0, flags }));
}

/** A plain UDP datagram between two underlay addresses. */
export function nodeUdp(from: Node, to: Node, sport: number, dport: number, size = 64): Buffer {
  return ethernet({ src: from.mac, dst: to.mac, type: ETHERTYPE.IPV4 }, ipUdp({ src: from.ip, dst: to.ip, sport, dport }, Buffer.alloc(size, 0x5a)));
}

/** An IPv4 UDP datagram framed with explicit MACs, for stations that are not nodes. */
export function stationUdp(srcMac: string, dstMac: string, src: string, dst: string, size = 64): Buffer {
  return ethernet({ src: srcMac, dst: dstMac, type: ETHERTYPE.IPV4 }, ipUdp({ src, dst, sport: 5000, dport: 5001 }, Buffer.alloc(size, 0x5a)));
}

/** An ARP reply "ip is-at mac" to the given requester. */
export function arpReplyFrom(mac: string, ip: string, toMac: string, toIp: string): Buffer {
  return ethernet({ src: mac, dst: toMac, type: ETHERTYPE.ARP, pad: true }, arp({ op: 'reply', senderMac: mac, senderIp: ip, targetMac: toMac, targetIp: toIp }));
}
