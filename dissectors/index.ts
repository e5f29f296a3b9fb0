import type { ProtocolModule } from '../src/decode/dissector.js';
import { frame } from './frame.js';
import { sll } from './sll.js';
import { nullLink } from './null.js';
import { raw } from './raw.js';
import { eth, llc } from './eth.js';
import { vlan, ieee8021ad } from './vlan.js';
import { arp } from './arp.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';
import { icmp } from './icmp.js';
import { icmpv6 } from './icmpv6.js';
import { udp } from './udp.js';
import { tcp } from './tcp.js';
import { vxlan } from './vxlan.js';
import { vxlanGpe } from './vxlan-gpe.js';
import { geneve } from './geneve.js';
import { gre, erspan } from './gre.js';
import { flannelUdp } from './flannel-udp.js';
import { wireguard } from './wireguard.js';
import { bgp } from './bgp.js';

/** Every protocol netdiag dissects. A new protocol is one file plus one line here. */
export const protocolModules: readonly ProtocolModule[] = [
  frame,
  sll,
  nullLink,
  raw,
  eth,
  llc,
  vlan,
  ieee8021ad,
  arp,
  ipv4,
  ipv6,
  icmp,
  icmpv6,
  udp,
  tcp,
  vxlan,
  vxlanGpe,
  geneve,
  gre,
  erspan,
  flannelUdp,
  wireguard,
  bgp,
];
