import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_CIDR, type ClusterSpec, type NodeSpec } from './cluster.js';
import type { Lab, Proc } from './lab.js';
import { sleep } from './exec.js';

/** Short timers so a lost peer is noticed within seconds instead of Calico's 90 s hold time. */
export const BGP_HOLD_TIME = 9;
export const BGP_KEEPALIVE_TIME = 3;

export interface BirdOverrides {
  /** AS this node's BIRD claims for itself (wrong-AS fault). */
  localAs?: number;
  /** Leave the node's IPAM block out of its static protocol (nothing to announce). */
  omitBlock?: boolean;
}

export interface BirdDaemon {
  node: NodeSpec;
  socket: string;
  pidFile: string;
  proc: Proc;
}

function peersOf(spec: ClusterSpec, n: NodeSpec): { peer: NodeSpec; rrClient: boolean }[] {
  if (spec.bgpTopology === 'mesh') return spec.nodes.filter((x) => x !== n).map((peer) => ({ peer, rrClient: false }));
  if (n.routeReflector) return spec.nodes.filter((x) => x !== n).map((peer) => ({ peer, rrClient: true }));
  return spec.nodes.filter((x) => x.routeReflector).map((peer) => ({ peer, rrClient: false }));
}

const ipNum = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

export const protocolName = (peer: NodeSpec, rr: boolean) =>
  `${rr ? 'RR' : 'Mesh'}_${peer.ip.replace(/\./g, '_')}`;

/** Modelled on the bird.cfg calico/node's confd renders (filters, kernel protocol, per-peer sessions). */
export function birdConfig(spec: ClusterSpec, n: NodeSpec, o: BirdOverrides = {}): string {
  const localAs = o.localAs ?? n.asn;
  const peers = peersOf(spec, n)
    .map(({ peer, rrClient }) => {
      const rrPeer = !rrClient && spec.bgpTopology === 'route-reflector';
      return [
        `protocol bgp ${protocolName(peer, rrPeer)} from bgp_template {`,
        `  neighbor ${peer.ip} as ${peer.asn};`,
        `  source address ${n.ip};`,
        // As calico/node does it: one connection per pair, opened by the lower address.
        ...(ipNum(peer.ip) < ipNum(n.ip) ? ['  passive on;'] : []),
        ...(rrClient ? ['  rr client;', `  rr cluster id ${n.ip};`] : []),
        `}`,
      ].join('\n');
    })
    .join('\n\n');
  return `# BIRD for ${n.name}, Calico style (confd's bird.cfg, trimmed to IPv4 without IP-in-IP).
# Graceful restart (on in calico/node) is left off: with it, the routes of a
# peer that vanishes may be kept as stale for its restart time (120 s), past
# the end of a capture.
router id ${n.ip};
log stderr all;

function calico_aggr() {
  # This node's IPAM block is announced; the /32s of its workloads are not.
  if ( net = ${n.block} ) then { accept; }
  if ( net ~ ${n.block} ) then { reject; }
}

filter calico_export_to_bgp_peers {
  calico_aggr();
  if ( net ~ ${CLUSTER_CIDR} ) then { accept; }
  reject;
}

filter calico_kernel_programming {
  accept;
}

protocol kernel {
  learn;             # learn alien routes from the kernel (Felix's /32s)
  persist;           # don't remove routes on bird shutdown
  scan time 2;
  merge paths on;
  ipv4 {
    import all;
    export filter calico_kernel_programming;
  };
}

protocol device {
  scan time 2;
}

protocol direct {
  ipv4;
  interface -"cali*", "*";
}

protocol static {
  ipv4;
${o.omitBlock ? '  # IP blocks for this host: none rendered' : `  # IP blocks for this host.\n  route ${n.block} blackhole;`}
}

template bgp bgp_template {
  description "Connection to BGP peer";
  local as ${localAs};
  hold time ${BGP_HOLD_TIME};
  keepalive time ${BGP_KEEPALIVE_TIME};
  connect delay time 1;
  connect retry time 3;
  error wait time 5, 60;
  ipv4 {
    gateway recursive;
    import all;
    export filter calico_export_to_bgp_peers;
    add paths on;
  };
}

${peers}
`;
}

export function startBird(lab: Lab, spec: ClusterSpec, n: NodeSpec, o: BirdOverrides = {}): BirdDaemon {
  const conf = join(lab.runDir, `bird-${n.name}.conf`);
  const socket = join(lab.runDir, `bird-${n.name}.ctl`);
  const pidFile = join(lab.runDir, `bird-${n.name}.pid`);
  writeFileSync(conf, birdConfig(spec, n, o));
  const proc = lab.spawn(n.name, `bird-${n.name}`, ['bird', '-f', '-c', conf, '-s', socket, '-P', pidFile], { ttlSeconds: 300 });
  return { node: n, socket, pidFile, proc };
}

export function birdc(lab: Lab, d: BirdDaemon, ...cmd: string[]): string {
  const r = lab.query(d.node.name, ['birdc', '-s', d.socket, ...cmd], { timeoutMs: 3000 });
  if (r.code === 124) return `birdc ${cmd.join(' ')}: no answer from BIRD within 3 s (daemon not responding)\n`;
  return r.stdout + (r.code !== 0 ? r.stderr : '');
}

export function birdPid(d: BirdDaemon): number {
  return Number(readFileSync(d.pidFile, 'utf8').trim());
}

/** Waits until every node's kernel has a BGP route for each remote block that is announced. */
export async function waitForRoutes(lab: Lab, spec: ClusterSpec, expected: Map<string, string[]>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let ok = true;
    for (const n of spec.nodes) {
      const want = expected.get(n.name) ?? [];
      const routes = lab.query(n.name, ['ip', 'route', 'show', 'proto', 'bird']).stdout;
      if (!want.every((b) => routes.includes(`${b} via`))) ok = false;
    }
    if (ok) return true;
    await sleep(250);
  }
  return false;
}

/** Waits until BIRD has opened its control socket (it is ready to talk BGP). */
export async function waitForSocket(lab: Lab, d: BirdDaemon, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (lab.query(d.node.name, ['birdc', '-s', d.socket, 'show', 'status'], { timeoutMs: 2000 }).code === 0) return;
    await sleep(100);
  }
  throw new Error(`BIRD on ${d.node.name} did not open ${d.socket}: ${d.proc.output}`);
}
