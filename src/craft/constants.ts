/** Numbers from the IANA registries that crafted packets name. */

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  IPV6: 0x86dd,
  /** Transparent Ethernet Bridging: what GRE and Geneve carry when the payload is a frame. */
  TEB: 0x6558,
} as const;

export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;
