/**
 * Packet crafting: pure functions from options + payload to Buffers, one
 * module per protocol, composed inside-out:
 *
 *   ethernet({dst, src, type: ETHERTYPE.IPV4},
 *     ipUdp({src, dst, sport, dport: 4789, checksum: 'zero'},
 *       vxlan({vni: 1}, innerFrame)))
 */
export * from './addr.js';
export * from './arp.js';
export * from './bgp.js';
export * from './checksum.js';
export * from './constants.js';
export * from './ethernet.js';
export * from './geneve.js';
export * from './gre.js';
export * from './icmp.js';
export * from './icmpv6.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './linux-sll.js';
export * from './loopback.js';
export * from './stack.js';
export * from './tcp.js';
export * from './tcp-stream.js';
export * from './udp.js';
export * from './vxlan.js';
