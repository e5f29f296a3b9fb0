import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FLANNEL_UDP_PORT,
  MACVLAN_CIDR,
  UNDERLAY_CIDR,
  UNDERLAY_GW,
  CLUSTER_CIDR,
  buildMode,
  buildUnderlay,
  makeCluster,
  nodeOf,
  podOf,
  type ClusterSpec,
  type Mode,
  type NodeSpec,
  type PodSpec,
} from './cluster.js';
import { birdPid, startBird, waitForRoutes, waitForSocket, type BirdDaemon, type BirdOverrides } from './bird.js';
import { startCaptures, stopCaptures, type CapturePoint } from './capture.js';
import { sleep } from './exec.js';
import { Lab, type Proc } from './lab.js';
import { dumpNodeState, dumpPodState } from './state.js';
import { writeKubectlJson } from './kubectl-json.js';

export type Component =
  | 'mtu' | 'fdb' | 'neighbor' | 'vni' | 'firewall' | 'l2-nexthop' | 'route' | 'bgp-session' | 'bgp-routes'
  | 'arp' | 'checksum' | 'tcp' | 'icmp' | 'capture';

export interface Scenario {
  name: string;
  mode: Mode;
  nodes: number;
  /** Short name of the fault; null for a healthy run. */
  fault: string | null;
  component: Component | null;
  /** Node (by name) where the fault lives; truth.json carries its underlay IP. */
  faultNode: string | null;
  /** One line: what is built and what is broken (README, `lab list`). */
  summary: string;
  /** What the captures and node state show (README table, truth.json notes). */
  evidence: string;
  /** Traffic source and destination pods. */
  src?: string;
  dst?: string;
  /** Pods that run the TCP/UDP server; default the destination. */
  servers?: string[];
  /** Changes to the cluster before it is built (MTUs, VNIs, addresses, segments). */
  tweak?(spec: ClusterSpec): void;
  /** Changes to the running kernel state before captures start. */
  inject?(ctx: ScenarioContext): void;
  /** Per-node BIRD configuration faults. */
  bird?: Record<string, BirdOverrides>;
  /** Replaces the standard traffic plan. */
  traffic?(ctx: ScenarioContext): Promise<void>;
}

export interface TrafficRecord {
  /** Milliseconds since the captures started. */
  t: number;
  what: string;
  ok: boolean;
  detail: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const AGENT = resolve(here, '..', 'agent.ts');
const UDP_TUNNEL = resolve(here, '..', 'udp-tunnel.py');

/**
 * The traffic agent runs several times per scenario inside pods; loading it
 * through a TypeScript loader each time costs more than the traffic itself,
 * so it is transpiled once per run.
 */
function agentScript(lab: Lab): string {
  const out = join(lab.runDir, 'agent.mjs');
  if (!existsSync(out)) {
    const js = ts.transpileModule(readFileSync(AGENT, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(out, js);
  }
  return out;
}

export const TCP_PORT = 8080;
export const UDP_PORT = 9000;
/** Two full-size segments and a short one: enough to show segment sizes, small enough to keep captures small. */
export const TCP_BYTES = 4 * 1024;

export class ScenarioContext {
  readonly records: TrafficRecord[] = [];
  birds: BirdDaemon[] = [];
  t0 = Date.now();
  private seq = 0;

  constructor(
    readonly lab: Lab,
    readonly spec: ClusterSpec,
    readonly dir: string,
    readonly src: PodSpec,
    readonly dst: PodSpec,
  ) {}

  node(name: string): NodeSpec {
    return nodeOf(this.spec, name);
  }

  pod(name: string): PodSpec {
    return podOf(this.spec, name);
  }

  /** Largest ICMP payload that fits the pod interface with DF set. */
  podPayloadMax(pod: PodSpec): number {
    const n = this.node(pod.node);
    return (this.spec.mode === 'flannel-vxlan' || this.spec.mode === 'flannel-udp' ? n.overlayMTU : 1500) - 28;
  }

  record(what: string, ok: boolean, detail: string): void {
    this.records.push({ t: Date.now() - this.t0, what, ok, detail });
  }

  mark(what: string): void {
    this.record(what, true, 'event');
  }

  private async fg(role: string, argv: string[], ttl: number): Promise<Proc> {
    const p = this.lab.spawn(role, `traffic-${++this.seq}`, argv, { ttlSeconds: ttl }, 'fg');
    await p.exited;
    return p;
  }

  /** DF set (`-M do`): a packet too big for some hop must be dropped or answered, never fragmented. */
  async ping(from: PodSpec, to: string, size: number, count = 2): Promise<boolean> {
    const p = await this.fg(from.name, ['ping', '-n', '-M', 'do', '-c', String(count), '-i', '0.2', '-W', '1', '-s', String(size), to], count + 5);
    const stats = /(\d+) packets transmitted, (\d+) received/.exec(p.output);
    const errors = [...new Set(p.output.split('\n').filter((l) => /^From |unreachable|Message too long|Frag needed/i.test(l)).map((l) => l.replace(/icmp_seq=\d+ /, '')))];
    const ok = !!stats && stats[1] === stats[2];
    this.record(`ping ${from.name} -> ${to} size ${size} DF`, ok, [stats ? `${stats[2]}/${stats[1]} replies` : p.output.trim(), ...errors].join('; '));
    return ok;
  }

  pingBackground(from: PodSpec, to: string, size: number, count: number, intervalS: number): Proc {
    return this.lab.spawn(from.name, `traffic-${++this.seq}`, ['ping', '-n', '-M', 'do', '-c', String(count), '-i', String(intervalS), '-W', '1', '-s', String(size), to], { ttlSeconds: Math.ceil(count * intervalS) + 5 });
  }

  async tcp(from: PodSpec, to: string, bytes = TCP_BYTES, timeoutMs = 3000): Promise<boolean> {
    const p = await this.fg(from.name, [process.execPath, agentScript(this.lab), 'tcp', to, String(TCP_PORT), String(bytes), String(timeoutMs)], Math.ceil(timeoutMs / 1000) + 5);
    const line = p.output.trim().split('\n').pop() ?? '';
    let ok = false;
    let detail = line;
    try {
      const r = JSON.parse(line) as { outcome: string; connected: boolean; error?: string; ms: number };
      ok = r.outcome === 'ok';
      detail = `${r.outcome}${r.connected ? '' : ', never connected'}${r.error ? `, ${r.error}` : ''}, ${r.ms} ms`;
    } catch {
      /* agent output kept verbatim */
    }
    this.record(`tcp ${from.name} -> ${to}:${TCP_PORT} ${bytes} bytes`, ok, detail);
    return ok;
  }

  async udp(from: PodSpec, to: string, sizes = [64, 512, 1200], timeoutMs = 1000): Promise<boolean> {
    const p = await this.fg(from.name, [process.execPath, agentScript(this.lab), 'udp', to, String(UDP_PORT), sizes.join(','), String(timeoutMs)], Math.ceil(timeoutMs / 1000) + 5);
    const line = p.output.trim().split('\n').pop() ?? '';
    let ok = false;
    let detail = line;
    try {
      const r = JSON.parse(line) as { sent: number[]; echoed: number[] };
      ok = r.echoed.length === r.sent.length;
      detail = `${r.echoed.length}/${r.sent.length} echoed`;
    } catch {
      /* kept verbatim */
    }
    this.record(`udp ${from.name} -> ${to}:${UDP_PORT} sizes ${sizes.join(',')}`, ok, detail);
    return ok;
  }

  /** Pings of several sizes with DF, a UDP exchange, a TCP transfer of known size, and a ping back. */
  async standardTraffic(src = this.src, dst = this.dst): Promise<void> {
    for (const size of [56, 1000, this.podPayloadMax(src)]) await this.ping(src, dst.ip, size);
    await this.udp(src, dst.ip);
    await this.tcp(src, dst.ip);
    await this.ping(dst, src.ip, 56);
  }
}

let current: Lab | null = null;

/** Called from signal and exit handlers: whatever is half built goes away. */
export function teardownCurrent(): void {
  current?.teardown();
  current = null;
}

export interface ScenarioResult {
  name: string;
  dir: string;
  seconds: number;
  records: TrafficRecord[];
}

export async function runScenario(sc: Scenario, outRoot: string): Promise<ScenarioResult> {
  const started = Date.now();
  const dir = resolve(outRoot, sc.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const lab = new Lab();
  current = lab;
  try {
    const spec = makeCluster(sc.mode, sc.nodes);
    sc.tweak?.(spec);
    const src = podOf(spec, sc.src ?? 'pod-a');
    const dst = podOf(spec, sc.dst ?? 'pod-b');
    buildUnderlay(lab, spec);
    buildMode(lab, spec);
    const ctx = new ScenarioContext(lab, spec, dir, src, dst);
    if (spec.mode === 'flannel-udp') await startUdpTunnels(lab, spec);
    if (sc.inject) {
      lab.note(`fault: ${sc.fault}`);
      sc.inject(ctx);
    }

    const servers = (sc.servers ?? [dst.name]).map((n) => podOf(spec, n));
    const serverProcs = servers.map((p) =>
      lab.spawn(p.name, `server-${p.name}`, [process.execPath, agentScript(lab), 'serve', '--tcp', String(TCP_PORT), '--udp', String(UDP_PORT), '--ttl', '120'], { ttlSeconds: 125 }),
    );
    await Promise.all(serverProcs.map((p) => p.waitForOutput(/^ready/m, 15_000)));

    const points = capturePoints(sc, spec, src, dst);
    const caps = await startCaptures(lab, dir, points, 120);
    ctx.t0 = Date.now();

    if (spec.mode === 'calico-bgp') {
      // BIRD starts under capture so the OPEN/UPDATE exchange is in the files.
      ctx.birds = spec.nodes.map((n) => startBird(lab, spec, n, sc.bird?.[n.name]));
      for (const b of ctx.birds) await waitForSocket(lab, b);
      ctx.mark('bird started on every node');
      const ok = await waitForRoutes(lab, spec, expectedBgpRoutes(spec, sc.bird ?? {}), 20_000);
      ctx.record('bgp routes installed', ok, ok ? 'every expected block is in every kernel' : 'timed out waiting for routes');
    }

    if (sc.traffic) await sc.traffic(ctx);
    else await ctx.standardTraffic();

    await sleep(300);
    await stopCaptures(caps);
    dumpNodeState(lab, spec, dir, ctx.birds);
    dumpPodState(lab, spec, dir, (pod) => lab.hasNamespace(pod));
    // A frozen BIRD would otherwise sit out the teardown's grace period.
    for (const b of ctx.birds) {
      try {
        process.kill(birdPid(b), 'SIGCONT');
      } catch {
        /* not running */
      }
    }

    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truthOf(sc, spec, points), null, 2) + '\n');
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify(clusterOf(sc, spec), null, 2) + '\n');
    writeFileSync(join(dir, 'traffic.json'), JSON.stringify(ctx.records, null, 2) + '\n');
    // What `kubectl get ... -o json` would print for this cluster: for --cluster-state.
    writeKubectlJson(dir);
    writeFileSync(join(dir, 'commands.txt'), lab.commands);
    return { name: sc.name, dir, seconds: (Date.now() - started) / 1000, records: ctx.records };
  } finally {
    await lab.stopAll();
    lab.teardown();
    current = null;
  }
}

function expectedBgpRoutes(spec: ClusterSpec, overrides: Record<string, BirdOverrides>): Map<string, string[]> {
  const broken = (n: NodeSpec) => overrides[n.name]?.localAs !== undefined && overrides[n.name]?.localAs !== n.asn;
  const silent = (n: NodeSpec) => !!overrides[n.name]?.omitBlock;
  const m = new Map<string, string[]>();
  for (const n of spec.nodes) {
    m.set(n.name, broken(n) ? [] : spec.nodes.filter((x) => x !== n && !broken(x) && !silent(x)).map((x) => x.block));
  }
  return m;
}

async function startUdpTunnels(lab: Lab, spec: ClusterSpec): Promise<void> {
  const procs = spec.nodes.map((n) => {
    const subnets = spec.nodes.filter((r) => r !== n).flatMap((r) => ['--subnet', `${r.podCIDR}=${r.ip}`]);
    return lab.spawn(n.name, `flanneld-udp-${n.name}`, ['python3', '-u', UDP_TUNNEL, '--dev', 'flannel0', '--local', n.ip, '--port', String(FLANNEL_UDP_PORT), '--ttl', '120', ...subnets], { ttlSeconds: 125 });
  });
  await Promise.all(procs.map((p) => p.waitForOutput(/^ready/m, 10_000)));
}

/**
 * Where an SRE would capture: both pods, every node's underlay NIC, and
 * `-i any` on one node: the faulty one, or the source pod's node in a healthy
 * run (an any capture sees each packet once per interface it crosses, so one
 * per scenario keeps the files small).
 */
function capturePoints(sc: Scenario, spec: ClusterSpec, src: PodSpec, dst: PodSpec): CapturePoint[] {
  const pts: CapturePoint[] = [{ file: `${src.name}.pcap`, role: src.name, iface: 'eth0', kind: 'pod-eth0', node: src.node, pod: src.name }];
  for (const n of spec.nodes) pts.push({ file: `${n.name}-underlay.pcap`, role: n.name, iface: 'eth0', kind: 'node-underlay', node: n.name });
  if (!dst.late) pts.push({ file: `${dst.name}.pcap`, role: dst.name, iface: 'eth0', kind: 'pod-eth0', node: dst.node, pod: dst.name });
  const anyNode = sc.faultNode ?? src.node;
  pts.push({ file: `${anyNode}-any.pcap`, role: anyNode, iface: 'any', kind: 'node-any', node: anyNode });
  return pts;
}

function truthOf(sc: Scenario, spec: ClusterSpec, points: CapturePoint[]) {
  const ipOf = (name: string) => nodeOf(spec, name).ip;
  return {
    scenario: sc.name,
    mode: sc.mode,
    fault: sc.fault,
    component: sc.component,
    node: sc.faultNode ? ipOf(sc.faultNode) : null,
    nodeName: sc.faultNode,
    traffic: { src: flowEnd(spec, sc.src ?? 'pod-a'), dst: flowEnd(spec, sc.dst ?? 'pod-b') },
    captures: Object.fromEntries(
      points.map((p) => [
        p.file,
        { node: ipOf(p.node), nodeName: p.node, point: p.kind, interface: p.iface, ...(p.pod ? { pod: p.pod } : {}) },
      ]),
    ),
    notes: `${sc.summary} ${sc.evidence}`,
  };
}

function flowEnd(spec: ClusterSpec, pod: string) {
  const p = podOf(spec, pod);
  return { pod: p.name, ip: p.ip, node: p.node, nodeIP: nodeOf(spec, p.node).ip };
}

function clusterOf(sc: Scenario, spec: ClusterSpec) {
  const flannelBackend = { 'flannel-vxlan': 'vxlan', 'flannel-udp': 'udp', 'host-gw': 'host-gw' } as Record<Mode, string | undefined>;
  return {
    scenario: sc.name,
    mode: spec.mode,
    clusterCIDR: CLUSTER_CIDR,
    underlay: { cidr: UNDERLAY_CIDR, gateway: UNDERLAY_GW },
    nodes: spec.nodes.map((n) => {
      const backend = flannelBackend[spec.mode];
      const annotations: Record<string, string> = {};
      if (backend) {
        annotations['flannel.alpha.coreos.com/backend-type'] = backend;
        annotations['flannel.alpha.coreos.com/backend-data'] =
          backend === 'vxlan' ? JSON.stringify({ VNI: n.vni, VtepMAC: n.vtepMAC }) : 'null';
        annotations['flannel.alpha.coreos.com/public-ip'] = n.ip;
        annotations['flannel.alpha.coreos.com/kube-subnet-manager'] = 'true';
      }
      if (spec.mode === 'calico-bgp') {
        annotations['projectcalico.org/IPv4Address'] = `${n.ip}/24`;
        annotations['projectcalico.org/ASNumber'] = String(n.asn);
      }
      return {
        name: n.name,
        internalIP: n.ip,
        podCIDR: n.podCIDR,
        underlayInterface: 'eth0',
        annotations,
        ...(spec.mode === 'flannel-vxlan' ? { vtepMAC: n.vtepMAC, vni: n.vni, vtepInterface: 'flannel.1' } : {}),
        ...(spec.mode === 'flannel-udp' ? { tunInterface: 'flannel0' } : {}),
        ...(spec.mode === 'calico-bgp'
          ? { bgp: { asn: n.asn, blocks: [n.block], routeReflector: n.routeReflector, topology: spec.bgpTopology } }
          : {}),
      };
    }),
    pods: spec.pods.map((p) => ({
      name: p.name,
      namespace: p.namespace,
      node: p.node,
      hostIP: nodeOf(spec, p.node).ip,
      podIP: p.ip,
      mac: p.mac,
      interface: 'eth0',
      ...(spec.mode === 'macvlan' ? { network: 'macvlan-underlay', networkCIDR: MACVLAN_CIDR } : { hostInterface: p.hostVeth }),
      creationTimestamp: p.createdAt,
    })),
  };
}
