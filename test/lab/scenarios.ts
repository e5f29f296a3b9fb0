import { FLANNEL_VXLAN_PORT, addMacvlanPod } from './lib/cluster.js';
import { birdPid } from './lib/bird.js';
import { sleep } from './lib/exec.js';
import type { Scenario, ScenarioContext } from './lib/runner.js';

/** node2's VTEP MAC after its flannel.1 is recreated: flannel derives none from the node, so a reboot picks a new one. */
const NEW_VTEP_MAC = '2e:7d:a4:c6:99:02';

function remoteVtep(ctx: ScenarioContext, local: string, remote: string) {
  return { local: ctx.node(local), remote: ctx.node(remote) };
}

async function bgpDaemonStop(ctx: ScenarioContext): Promise<void> {
  const node1 = ctx.node('node1');
  const node2 = ctx.node('node2');
  const background = ctx.pingBackground(ctx.src, ctx.dst.ip, 56, 40, 0.5);
  await sleep(2500);
  const bird2 = ctx.birds.find((b) => b.node === node2);
  if (!bird2) throw new Error('no BIRD on node2');
  // SIGSTOP, not SIGKILL: a killed daemon's sockets are closed by the kernel
  // (FIN/RST, the peer notices at once); a hung one keeps the TCP session
  // open and simply stops talking, so only the hold timer can notice.
  process.kill(birdPid(bird2), 'SIGSTOP');
  ctx.mark('BIRD on node2 frozen (SIGSTOP)');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const routes = ctx.lab.query('node1', ['ip', 'route', 'show', 'proto', 'bird']).stdout;
    if (!routes.includes(node2.block)) break;
    await sleep(200);
  }
  const gone = !ctx.lab.query('node1', ['ip', 'route', 'show', 'proto', 'bird']).stdout.includes(node2.block);
  ctx.record(`node1 withdrew ${node2.block} from its kernel`, gone, gone ? 'hold timer expired' : 'route still present after 20 s');
  await sleep(1500);
  await ctx.tcp(ctx.src, ctx.dst.ip, undefined, 2000);
  await background.stop('SIGINT');
  const stats = /(\d+) packets transmitted, (\d+) received/.exec(background.output);
  const unreachable = background.output.split('\n').find((l) => /Unreachable/i.test(l));
  ctx.record(`ping ${ctx.src.name} -> ${ctx.dst.ip} every 0.5 s across the stop`, false, `${stats ? `${stats[2]}/${stats[1]} replies` : 'no summary'}${unreachable ? `; ${unreachable.replace(/icmp_seq=\d+ /, '')}` : ''}; node1 ${node1.ip}`);
}

async function macvlanDuplicate(ctx: ScenarioContext): Promise<void> {
  const a = ctx.pod('pod-a');
  const b = ctx.pod('pod-b');
  const c = ctx.pod('pod-c');
  await ctx.ping(a, b.ip, 56);
  await ctx.udp(a, b.ip);
  ctx.mark(`pod-c starts on node3 with ${c.ip}, the address pod-b already has, and announces it (gratuitous ARP)`);
  addMacvlanPod(ctx.lab, ctx.spec, c);
  await sleep(500);
  await ctx.ping(a, b.ip, 56);
  await ctx.ping(a, b.ip, 1000);
  await ctx.tcp(a, b.ip, undefined, 2000);
  await ctx.ping(b, a.ip, 56);
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'flannel-vxlan-healthy',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: null,
    component: null,
    faultNode: null,
    summary: 'flannel VXLAN (flannel.1, VNI 1, UDP 8472, MTU 1450) across three nodes; nothing broken.',
    evidence: 'Every packet from pod-a is seen at node1 underlay as VXLAN VNI 1 to 198.18.0.2 and again at node2 underlay and pod-b; all pings, UDP echoes and the TCP transfer complete.',
  },
  {
    name: 'flannel-vxlan-stale-fdb',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'stale-fdb',
    component: 'fdb',
    faultNode: 'node1',
    summary: "node1's FDB entry for node2's VTEP MAC points at 198.18.0.3 (node3) instead of 198.18.0.2.",
    evidence: "node1 underlay: VXLAN frames whose inner destination is pod-b (100.96.2.2, inner dst MAC = node2's VTEP MAC) go to outer 198.18.0.3; node3 underlay receives them and drops them (VTEP MAC is not its own); node2 underlay and pod-b see nothing; node1 `bridge fdb` shows the wrong dst.",
    inject(ctx) {
      const { local, remote } = remoteVtep(ctx, 'node1', 'node2');
      ctx.lab.sh(local.name, ['bridge', 'fdb', 'del', remote.vtepMAC, 'dev', 'flannel.1', 'dst', remote.ip, 'self']);
      ctx.lab.sh(local.name, ['bridge', 'fdb', 'append', remote.vtepMAC, 'dev', 'flannel.1', 'dst', ctx.node('node3').ip, 'self', 'permanent']);
    },
  },
  {
    name: 'flannel-vxlan-dead-fdb',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'dead-fdb',
    component: 'fdb',
    faultNode: 'node1',
    summary: "node1's FDB entry for node2's VTEP MAC points at 198.18.0.9, an address no node has (a deleted node).",
    evidence: "node1 underlay: repeated ARP requests for 198.18.0.9, never answered, and no VXLAN toward pod-b at all; node1 any: the kernel's own ICMP host unreachable for 198.18.0.9 on lo; pod-a's pings get no reply; node1 `bridge fdb` shows dst 198.18.0.9 and `ip neigh` 198.18.0.9 FAILED.",
    inject(ctx) {
      const { local, remote } = remoteVtep(ctx, 'node1', 'node2');
      ctx.lab.sh(local.name, ['bridge', 'fdb', 'del', remote.vtepMAC, 'dev', 'flannel.1', 'dst', remote.ip, 'self']);
      ctx.lab.sh(local.name, ['bridge', 'fdb', 'append', remote.vtepMAC, 'dev', 'flannel.1', 'dst', '198.18.0.9', 'self', 'permanent']);
    },
  },
  {
    name: 'flannel-vxlan-missing-neigh',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'missing-neighbor',
    component: 'neighbor',
    faultNode: 'node1',
    summary: "node1 lacks the permanent neighbour entry 100.96.2.0 -> node2's VTEP MAC on flannel.1 (route and FDB are there).",
    evidence: 'node1 any: ARP requests for 100.96.2.0 on flannel.1 that never leave the node (nothing on node1 underlay: with nolearning and no all-zero FDB entry there is nowhere to send a broadcast); pod-a gets ICMP host unreachable from 100.96.1.1; node1 `ip neigh`: 100.96.2.0 dev flannel.1 FAILED instead of PERMANENT.',
    inject(ctx) {
      ctx.lab.sh('node1', ['ip', 'neigh', 'del', '100.96.2.0', 'dev', 'flannel.1']);
    },
  },
  {
    name: 'flannel-vxlan-vtep-mac-changed',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'stale-vtep-mac',
    component: 'neighbor',
    faultNode: 'node1',
    summary: `node2's flannel.1 comes back with a new MAC (${NEW_VTEP_MAC}, as after a reboot) and its backend-data annotation says so; node3 follows it, but node1's neighbour and FDB entries still name the old MAC.`,
    evidence: "node1 underlay: VXLAN frames toward pod-b go to 198.18.0.2 as before, with the old VTEP MAC as inner destination; node2 underlay receives them and flannel.1 drops them (not its MAC), so pod-b sees nothing from pod-a; pod-b's own pings reach pod-a (inner source MAC the new one) but the replies die the same way; node1 `ip neigh` and `bridge fdb` show the old MAC, the node2 annotation's VtepMAC the new one.",
    inject(ctx) {
      const node2 = ctx.node('node2');
      const old = node2.vtepMAC;
      ctx.lab.sh('node2', ['ip', 'link', 'set', 'flannel.1', 'address', NEW_VTEP_MAC]);
      // The API and cluster.json carry what node2's flanneld publishes after its restart.
      node2.vtepMAC = NEW_VTEP_MAC;
      // A new MAC flushes the device's neighbour table, permanent entries too: node2's flanneld programs them again.
      for (const peer of ctx.spec.nodes.filter((n) => n !== node2)) {
        ctx.lab.sh('node2', ['ip', 'neigh', 'replace', peer.podCIDR.replace(/\/\d+$/, ''), 'lladdr', peer.vtepMAC, 'dev', 'flannel.1', 'nud', 'permanent']);
      }
      // node3's flanneld reacted to the new annotation; node1's did not.
      const node3 = ctx.node('node3');
      ctx.lab.sh(node3.name, ['bridge', 'fdb', 'del', old, 'dev', 'flannel.1', 'dst', node2.ip, 'self']);
      ctx.lab.sh(node3.name, ['bridge', 'fdb', 'append', NEW_VTEP_MAC, 'dev', 'flannel.1', 'dst', node2.ip, 'self', 'permanent']);
      ctx.lab.sh(node3.name, ['ip', 'neigh', 'replace', node2.podCIDR.replace(/\/\d+$/, ''), 'lladdr', NEW_VTEP_MAC, 'dev', 'flannel.1', 'nud', 'permanent']);
    },
  },
  {
    name: 'flannel-vxlan-mtu',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'vtep-mtu-too-large',
    component: 'mtu',
    faultNode: 'node2',
    summary: "The underlay link to node2 (its switch port) carries at most 1400 bytes while node2's NIC says 1500, so every VTEP keeps MTU 1450, which needs 1500 on the path.",
    evidence: "Pings of 56 and 1000 bytes pass; 1422-byte DF pings and full-size TCP segments (outer IP 1500) leave node1 underlay and never reach node2 underlay; the TCP handshake and the short last segment get through (pod-b SACKs it), the first full segment is retransmitted until the client gives up; no ICMP fragmentation-needed anywhere (a black hole); node state looks healthy (eth0 mtu 1500, flannel.1 mtu 1450): only the captures show the limit.",
    tweak(spec) {
      const n2 = spec.nodes[1];
      if (n2) n2.linkMTU = 1400;
    },
  },
  {
    name: 'flannel-vxlan-nft-drop',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'tunnel-port-blocked',
    component: 'firewall',
    faultNode: 'node2',
    summary: `node2's host firewall (nftables input hook) drops UDP ${FLANNEL_VXLAN_PORT}.`,
    evidence: "VXLAN from node1 leaves node1 underlay and arrives on node2 underlay (the capture taps before netfilter) but nothing comes out of flannel.1 on node2 and pod-b sees nothing; pod-b's own pings do reach pod-a, and pod-a's replies die the same way; node2 `nft list ruleset` shows the drop rule with a non-zero counter.",
    inject(ctx) {
      ctx.lab.sh('node2', ['nft', '-f', '-'], {
        input: `table inet host-firewall {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "eth0" udp dport ${FLANNEL_VXLAN_PORT} counter drop
  }
}
`,
      });
    },
  },
  {
    name: 'flannel-vxlan-vni-mismatch',
    mode: 'flannel-vxlan',
    nodes: 3,
    fault: 'vni-mismatch',
    component: 'vni',
    faultNode: 'node2',
    summary: "node2's flannel.1 was created with VNI 2; node1 and node3 use VNI 1.",
    evidence: 'node1 underlay: VXLAN with VNI 1 to 198.18.0.2, which arrives on node2 underlay and is dropped (no VTEP for VNI 1 there); the ping back from pod-b leaves node2 as VNI 2 and is dropped on node1; node2 `ip -d link` shows `vxlan id 2`.',
    tweak(spec) {
      const n2 = spec.nodes[1];
      if (n2) n2.vni = 2;
    },
  },
  {
    name: 'flannel-udp-healthy',
    mode: 'flannel-udp',
    nodes: 2,
    fault: null,
    component: null,
    faultNode: null,
    summary: "flannel's UDP backend: TUN device flannel0 (MTU 1472) and a user-space forwarder per node sending raw IP packets in UDP 8285.",
    evidence: 'node1 underlay: UDP 8285 between 198.18.0.1 and 198.18.0.2 whose payload is the bare inner IPv4 packet (no Ethernet header, no VXLAN header); node1 any shows the same packets on flannel0 with no link layer; everything completes.',
  },
  {
    name: 'host-gw-healthy',
    mode: 'host-gw',
    nodes: 3,
    fault: null,
    component: null,
    faultNode: null,
    summary: 'flannel host-gw: routes `100.96.N.0/24 via 198.18.0.N dev eth0`, no encapsulation, MTU 1500.',
    evidence: "node1 underlay carries pod-a's packets unencapsulated, destination MAC node2's eth0; everything completes.",
  },
  {
    name: 'host-gw-offsegment',
    mode: 'host-gw',
    nodes: 3,
    fault: 'next-hop-off-segment',
    component: 'l2-nexthop',
    faultNode: 'node3',
    dst: 'pod-c',
    summary: 'node3 was moved to a second L2 segment behind the underlay router (198.18.0.254) keeping its address; node IPs still reach each other through host routes via the router, but the host-gw route `100.96.3.0/24 via 198.18.0.3 dev eth0` still treats 198.18.0.3 as on-link.',
    evidence: 'node1 underlay: ARP requests for 198.18.0.3 with no reply, and no pod-a packets leaving node1; pod-a gets ICMP host unreachable from 100.96.1.1; node3 underlay sees none of it; node1 `ip neigh` 198.18.0.3 FAILED and `ip route` shows both `198.18.0.3 via 198.18.0.254` and `100.96.3.0/24 via 198.18.0.3 dev eth0`.',
    tweak(spec) {
      const n3 = spec.nodes[2];
      if (n3) n3.segment = 'b';
    },
  },
  {
    name: 'host-gw-missing-route',
    mode: 'host-gw',
    nodes: 3,
    fault: 'missing-route',
    component: 'route',
    faultNode: 'node1',
    summary: 'node1 lacks the host-gw route to 100.96.2.0/24, so pod traffic for node2 follows the default route to the underlay router, which knows no pod networks.',
    evidence: "node1 underlay: pod-a's packets to 100.96.2.2 leave with the router's MAC (198.18.0.254) as destination and are never seen again (the router has no route to pod networks, not even back to pod-a, so it cannot even say so); node2 underlay and pod-b see nothing from pod-a; node1 `ip route` has no 100.96.2.0/24.",
    inject(ctx) {
      ctx.lab.sh('node1', ['ip', 'route', 'del', '100.96.2.0/24']);
    },
  },
  {
    name: 'bgp-healthy',
    mode: 'calico-bgp',
    nodes: 3,
    fault: null,
    component: null,
    faultNode: null,
    summary: 'Calico-style BGP: a full iBGP mesh (AS 64512, hold 9 s) of BIRD on three nodes, each announcing its /26 block; cali* veths with proxy ARP.',
    evidence: 'Underlay captures hold each session from OPEN to UPDATE (one /26 per node, NEXT_HOP the node IP) and KEEPALIVEs every 3 s; pod traffic goes unencapsulated via the BGP routes; everything completes.',
  },
  {
    name: 'bgp-rr-healthy',
    mode: 'calico-bgp',
    nodes: 3,
    fault: null,
    component: null,
    faultNode: null,
    summary: 'Calico-style BGP with node3 as route reflector: node1 and node2 peer only with node3, which reflects their blocks.',
    evidence: "node1 underlay: one BGP session, with 198.18.0.3; the UPDATE for node2's block 100.96.2.0/26 arrives from 198.18.0.3 with NEXT_HOP 198.18.0.2, ORIGINATOR_ID and CLUSTER_LIST; pod traffic goes straight from node1 to node2.",
    tweak(spec) {
      spec.bgpTopology = 'route-reflector';
      const n3 = spec.nodes[2];
      if (n3) n3.routeReflector = true;
    },
  },
  {
    name: 'bgp-wrong-as',
    mode: 'calico-bgp',
    nodes: 3,
    fault: 'peer-wrong-as',
    component: 'bgp-session',
    faultNode: 'node2',
    bird: { node2: { localAs: 64513 } },
    summary: "node2's BIRD runs with `local as 64513`; its peers expect 64512.",
    evidence: "Underlay: node2's OPEN says My AS 64513; node1 and node3 answer with NOTIFICATION OPEN Message Error / Bad Peer AS and close; the session retries and fails again; node1 and node3 have no route to 100.96.2.0/26, so pod-a's packets follow the default route to 198.18.0.254 and vanish; `birdc show protocols` on node1 shows Mesh_198_18_0_2 not Established, with the error.",
  },
  {
    name: 'bgp-daemon-stop',
    mode: 'calico-bgp',
    nodes: 3,
    fault: 'bgp-daemon-hung',
    component: 'bgp-session',
    faultNode: 'node2',
    traffic: bgpDaemonStop,
    summary: "Mid-capture, node2's BIRD is frozen (SIGSTOP): its sessions stay open at TCP level but it sends nothing.",
    evidence: "Pings flow until node1 gives up on node2: node2 sends no more KEEPALIVEs while node1 and node3 keep sending theirs (node2's kernel still ACKs them); 7-10 s after node2's last KEEPALIVE (hold time 9 s, less BIRD's random jitter of up to a quarter) node1 sends NOTIFICATION Hold Timer Expired and removes 100.96.2.0/26; pod-a's pings then follow the default route to 198.18.0.254 and get no reply; `birdc` on node2 does not answer.",
  },
  {
    name: 'bgp-no-export',
    mode: 'calico-bgp',
    nodes: 3,
    fault: 'block-not-announced',
    component: 'bgp-routes',
    faultNode: 'node2',
    bird: { node2: { omitBlock: true } },
    summary: "node2's BIRD configuration has no IPAM block to announce (confd rendered none): sessions come up, but nobody learns 100.96.2.0/26.",
    evidence: "All BGP sessions Established and KEEPALIVEs flowing; node2's only UPDATE is an empty End-of-RIB while node1 and node3 announce their blocks; node1 has no route for 100.96.2.0/26, so pod-a's packets follow the default route to 198.18.0.254 and vanish, while pod-b's pings reach pod-a and only the replies are lost (one-way); node2 `ip route` has no blackhole for its block.",
  },
  {
    name: 'macvlan-healthy',
    mode: 'macvlan',
    nodes: 2,
    fault: null,
    component: null,
    faultNode: null,
    summary: 'MACVLAN (bridge mode) pods directly on the underlay L2, addresses from 100.96.100.0/24, each with its own MAC.',
    evidence: 'Underlay captures show pod MACs and pod IPs directly (no node MAC, no encapsulation); everything completes.',
  },
  {
    name: 'macvlan-duplicate-ip',
    mode: 'macvlan',
    nodes: 3,
    fault: 'duplicate-pod-ip',
    component: 'arp',
    faultNode: 'node3',
    servers: ['pod-b'],
    traffic: macvlanDuplicate,
    summary: 'Mid-capture, pod-c starts on node3 with 100.96.100.12, the address pod-b (node2) already has (IPAM handed it out twice), and announces it with a gratuitous ARP.',
    evidence: "ARP for 100.96.100.12 is answered first by pod-b's MAC 0a:58:64:60:02:02, then claimed by pod-c's 0a:58:64:60:03:02 (gratuitous ARP from node3); pod-a's later pings are answered by pod-c, its TCP connection is refused by pod-c (RST), and pod-b's own ping to pod-a gets no reply.",
    tweak(spec) {
      const b = spec.pods[1];
      const c = spec.pods[2];
      if (b && c) {
        c.ip = b.ip;
        c.late = true;
      }
    },
  },
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

const UNDERLAY_IP = (node: string) => `198.18.0.${node.replace(/^node/, '')}`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's scenario table; a test keeps the README equal to this. */
export function scenarioTable(): string {
  const lines = [
    '| Scenario | Mode | Nodes | Fault | Expected component | Expected node | What the captures and node state show |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of SCENARIOS) {
    lines.push(
      `| \`${s.name}\` | ${s.mode} | ${s.nodes} | ${s.fault ?? 'none (healthy)'} | ${s.component ? `\`${s.component}\`` : 'none'} | ${
        s.faultNode ? `${UNDERLAY_IP(s.faultNode)} (${s.faultNode})` : 'none'
      } | ${cell(s.evidence)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
