/**
 * Deterministic captures of a busy Kubernetes node for the benchmarks: what
 * node1's underlay NIC (eth0) sees in the lab's address plan (nodes
 * 198.18.0.N, router 198.18.0.254, pods 100.96.N.0/24), at any length.
 *
 *   node --import tsx bench/generate.ts [--packets N] [--format pcap-us|pcap-ns|pcapng]
 *        [--seed S] [--flows N] [--scan] --out FILE
 *
 * The mix: pod-to-pod TCP over flannel VXLAN (UDP 8472) for most packets, the
 * same over VXLAN 4789 with several VNIs, Calico IPIP, GRE (with and without
 * key, carrying IP or bridged Ethernet), node-to-node TCP (kubelet to the API
 * server, metrics scrapes) and DNS, BGP sessions to every peer (OPEN,
 * KEEPALIVE, UPDATE, several messages per segment), ARP, ping and ICMP
 * fragmentation-needed. Connections open, exchange HTTP/1.1 requests and
 * responses (opaque bytes on TLS ports) of a heavy-tailed size mix with delayed
 * ACKs, lose a segment now and then (duplicate ACKs, then the retransmission),
 * and close with FIN or RST; some are refused. The capture starts mid-stream:
 * most connections are already established. `--flows` is the number of
 * connections open at once; closed ones are replaced, so a long capture holds
 * many thousands. `--scan` writes a SYN scan instead: one new flow per packet.
 *
 * Same options and seed, same bytes: all randomness comes from one seeded
 * PRNG and the clock is synthetic. Bulk TCP is written from per-connection
 * header templates into one scratch frame, patching lengths, sequence numbers,
 * timestamps and checksums (the payload's checksum comes from prefix sums), so
 * a million packets take seconds; rare packets are built with src/craft.
 */
import { statSync } from 'node:fs';
import { Prng } from '../src/craft/prng.js';
import { pathToFileURL } from 'node:url';
import { LINKTYPE, NANOSECONDS, PcapngWriter, PcapWriter, type SinkTarget, type Timestamp } from '../src/capture/writer.js';
import * as c from '../src/craft/index.js';

export type GenFormat = 'pcap-us' | 'pcap-ns' | 'pcapng';
export const GEN_FORMATS: readonly GenFormat[] = ['pcap-us', 'pcap-ns', 'pcapng'];

export interface GenOptions {
  packets: number;
  format: GenFormat;
  seed: string;
  /** Connections open at once (normal mode). */
  flows: number;
  scan: boolean;
}

export const GEN_DEFAULTS: GenOptions = { packets: 1_000_000, format: 'pcap-us', seed: '1', flows: 2000, scan: false };

export interface GenStats {
  packets: number;
  /** Bytes of packet data (sum of frame lengths). */
  frameBytes: number;
  /** Connections and DNS exchanges started (scan: SYNs sent). */
  flows: number;
  /** Packets per traffic class. */
  classes: Record<string, number>;
  firstTime: number;
  lastTime: number;
}

// ------------------------------------------------------------------ randomness

export { Prng };

// ------------------------------------------------------------------ address plan

const NODES = 8;
const LOCAL = 1;
const nodeIp = (n: number): string => `198.18.0.${n}`;
const nodeMac = (n: number): string => `52:54:00:c6:12:${n.toString(16).padStart(2, '0')}`;
const vtepMac = (n: number): string => `e6:1f:5b:${n.toString(16).padStart(2, '0')}:0a:${n.toString(16).padStart(2, '0')}`;
const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
const vniVtepMac = (vni: number, n: number): string => `66:${hex2(vni >> 8)}:${hex2(vni)}:00:0b:${hex2(n)}`;
const ROUTER = { ip: '198.18.0.254', mac: '52:54:00:c6:12:fe' };
const API_SERVER = 10;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';
/** CNI bridges derive a pod's MAC from its IPv4 address. */
function podMac(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

function ipNum(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

// ------------------------------------------------------------------ checksums

function sumWords(b: Buffer, from: number, to: number): number {
  let s = 0;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

// ------------------------------------------------------------------ bulk payload

/** The body bytes every bulk segment carries (after the HTTP head in a message's first segment). */
const PAYLOAD_MAX = 1500;
function makePayload(): { buf: Buffer; prefix: Float64Array } {
  const unit = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","items":[{"name":"pod-7f9c","ready":true}]},';
  const buf = Buffer.from(unit.repeat(Math.ceil(PAYLOAD_MAX / unit.length)).slice(0, PAYLOAD_MAX), 'latin1');
  // prefix[k]: sum of the first k big-endian words.
  const prefix = new Float64Array(PAYLOAD_MAX / 2 + 1);
  for (let k = 0; k < PAYLOAD_MAX / 2; k++) prefix[k + 1] = prefix[k]! + ((buf[2 * k]! << 8) | buf[2 * k + 1]!);
  return { buf, prefix };
}

// ------------------------------------------------------------------ encapsulations

type EncapKind = 'flannel' | 'vxlan' | 'ipip' | 'gre' | 'gre-key' | 'gretap' | 'gretap-key' | 'plain';

interface Encap {
  kind: EncapKind;
  /** Inner MTU: what TCP's MSS derives from. */
  mtu: number;
}

const ENCAPS: Record<EncapKind, Encap> = {
  flannel: { kind: 'flannel', mtu: 1450 },
  vxlan: { kind: 'vxlan', mtu: 1450 },
  ipip: { kind: 'ipip', mtu: 1480 },
  gre: { kind: 'gre', mtu: 1476 },
  'gre-key': { kind: 'gre-key', mtu: 1472 },
  gretap: { kind: 'gretap', mtu: 1462 },
  'gretap-key': { kind: 'gretap-key', mtu: 1458 },
  plain: { kind: 'plain', mtu: 1500 },
};

/** Pod subnets per overlay, so each looks like its own cluster network. */
function podIp(kind: EncapKind, vni: number, node: number, host: number): string {
  switch (kind) {
    case 'flannel':
      return `100.96.${node}.${host}`;
    case 'vxlan':
      return `10.${vni % 250}.${node}.${host}`;
    case 'ipip':
      return `10.233.${64 + node}.${host}`;
    default:
      return `172.20.${node}.${host}`;
  }
}

const VNIS = [100, 200, 300, 4096];
const GRE_KEYS = [1, 42, 0x10001];

/**
 * Everything before the transport's IPv4 header, for one direction. Lengths,
 * IDs and the outer IP checksum are patched per packet.
 */
interface Prefix {
  bytes: Buffer;
  /** Outer IPv4 header (tunnels), else -1. */
  outerIp: number;
  /** Outer UDP header (VXLAN), else -1. */
  udp: number;
}

function buildPrefix(kind: EncapKind, vni: number, key: number, from: number, to: number, innerSrc: string, innerDst: string, udpSport: number): Prefix {
  const E = c.ETHERTYPE;
  const empty = Buffer.alloc(0);
  const outerEth = (payload: Buffer): Buffer => c.ethernet({ dst: nodeMac(to), src: nodeMac(from), type: E.IPV4 }, payload);
  const outerIp = (proto: number, payload: Buffer, df: boolean): Buffer =>
    c.ipv4({ src: nodeIp(from), dst: nodeIp(to), proto, ttl: 64, df }, payload);
  // VXLAN devices route: inner frames go VTEP MAC to VTEP MAC (one VTEP per node and VNI).
  // gretap bridges, so the pods' own MACs travel inside.
  const innerEth = (): Buffer =>
    kind === 'flannel'
      ? c.ethernet({ dst: vtepMac(to), src: vtepMac(from), type: E.IPV4 }, empty)
      : kind === 'vxlan'
        ? c.ethernet({ dst: vniVtepMac(vni, to), src: vniVtepMac(vni, from), type: E.IPV4 }, empty)
        : c.ethernet({ dst: podMac(innerDst), src: podMac(innerSrc), type: E.IPV4 }, empty);
  switch (kind) {
    case 'flannel':
    case 'vxlan': {
      // Linux VXLAN devices send no outer UDP checksum and leave DF clear.
      const udp = Buffer.alloc(8);
      udp.writeUInt16BE(udpSport, 0);
      udp.writeUInt16BE(kind === 'flannel' ? 8472 : 4789, 2);
      const bytes = outerEth(outerIp(c.IPPROTO.UDP, Buffer.concat([udp, c.vxlan({ vni: kind === 'flannel' ? 1 : vni }, innerEth())]), false));
      return { bytes, outerIp: 14, udp: 34 };
    }
    case 'ipip':
      return { bytes: outerEth(outerIp(c.IPPROTO.IPIP, empty, true)), outerIp: 14, udp: -1 };
    case 'gre':
    case 'gre-key':
    case 'gretap':
    case 'gretap-key': {
      const tap = kind.startsWith('gretap');
      const g = c.gre({ protocol: tap ? E.TEB : E.IPV4, ...(kind.endsWith('-key') ? { key } : {}) }, tap ? innerEth() : empty);
      return { bytes: outerEth(outerIp(c.IPPROTO.GRE, g, true)), outerIp: 14, udp: -1 };
    }
    case 'plain':
      return { bytes: c.ethernet({ dst: nodeMac(to), src: nodeMac(from), type: E.IPV4 }, empty), outerIp: -1, udp: -1 };
  }
}

// ------------------------------------------------------------------ TCP connections

const P_SYN = 0;
const P_SYNACK = 1;
const P_HSACK = 2;
const P_DATA = 3;
const P_FIN1 = 4;
const P_FIN2 = 5;
const P_LASTACK = 6;
const P_REFUSED = 7;
const P_RST = 8;
const P_DONE = 9;

const F_FIN = 0x01;
const F_SYN = 0x02;
const F_RST = 0x04;
const F_PSH = 0x08;
const F_ACK = 0x10;

/** Server ports of pod services (and what the node itself talks to). */
const POD_PORTS = [80, 8080, 9090, 3000, 5000, 8000, 50051, 443];

class Conn {
  cls = '';
  prefix: [Prefix, Prefix] = [null!, null!];
  ip: [number, number] = [0, 0];
  /** The server's address as text, for HTTP Host headers. */
  ipText = '';
  port: [number, number] = [0, 0];
  ttl = 63;
  mss: [number, number] = [0, 0];
  nxt: [number, number] = [0, 0];
  ipId: [number, number] = [0, 0];
  outerId: [number, number] = [0, 0];
  win: [number, number] = [0, 0];
  tsBase: [number, number] = [0, 0];
  tsLast: [number, number] = [0, 0];
  phase = P_DONE;
  /** Who sends the current data leg (0 client, 1 server). */
  sender = 0;
  left = 0;
  unacked = 0;
  /** Legs still to come after this one (request, response, request, ...). */
  legs = 0;
  finBy = 0;
  udp = false;
  /** Pending retransmission: sender side, seq, length, steps to wait (-1: none). */
  rtxSide = 0;
  rtxSeq = 0;
  rtxLen = 0;
  rtxWait = -1;
  /** The server speaks HTTP/1.1 in clear (else TLS-like opaque bytes). */
  http = false;
  /** The HTTP head the current leg starts with, until its first segment is sent. */
  head: Buffer | null = null;
}

/** Ports whose traffic is TLS: their bytes stay opaque. */
const TLS_PORTS = new Set([443, 6443, 10250]);

// ------------------------------------------------------------------ the generator

interface Sink {
  write(data: Buffer, len: number): void;
}

export class CaptureGenerator {
  private readonly rnd: Prng;
  private readonly S = Buffer.alloc(2048);
  private readonly payload = makePayload();
  private readonly ts: Timestamp = { sec: 0, nsec: 0 };
  /** Synthetic clock: seconds since the epoch and nanoseconds, from the lab's epoch (1700000000). */
  private clockSec = 1_700_000_000;
  private clockNs = 0;
  /** Mean gap between packets (ns): about 50k packets/s. */
  private readonly meanGap = 20_000;
  readonly stats: GenStats;
  private readonly conns: Conn[] = [];
  private readonly bgp: BgpSession[] = [];
  private nextBgp = Infinity;

  constructor(
    private readonly o: GenOptions,
    private readonly sink: Sink,
  ) {
    this.rnd = new Prng(`${o.seed}`);
    this.stats = { packets: 0, frameBytes: 0, flows: 0, classes: {}, firstTime: 0, lastTime: 0 };
  }

  // ---------------------------------------------------------------- output

  private tick(): void {
    const u = this.rnd.float();
    const gap = Math.floor(-Math.log(1 - u) * this.meanGap) + 1;
    this.clockNs += gap;
    if (this.clockNs >= 1e9) {
      this.clockSec += Math.floor(this.clockNs / 1e9);
      this.clockNs %= 1e9;
    }
  }

  private now(): number {
    return this.clockSec + this.clockNs / 1e9;
  }

  private emit(buf: Buffer, len: number, cls: string): void {
    this.ts.sec = this.clockSec;
    this.ts.nsec = this.clockNs;
    this.sink.write(buf, len);
    const st = this.stats;
    if (st.packets === 0) st.firstTime = this.now();
    st.lastTime = this.now();
    st.packets++;
    st.frameBytes += len;
    st.classes[cls] = (st.classes[cls] ?? 0) + 1;
  }

  get timestamp(): Timestamp {
    return this.ts;
  }

  // ---------------------------------------------------------------- TCP fast path

  /** One TCP segment of `k` from side `d`, written into the scratch frame from the template. */
  private tcp(k: Conn, d: number, flags: number, seq: number, len: number, head: Buffer | null = null): void {
    const S = this.S;
    const pre = k.prefix[d];
    pre.bytes.copy(S, 0);
    const o = pre.bytes.length;
    const syn = (flags & F_SYN) !== 0;
    const hl = syn ? 40 : 32;
    const t = o + 20;
    const end = t + hl + len;
    const src = k.ip[d];
    const dst = k.ip[1 - d];
    // IPv4
    S[o] = 0x45;
    S[o + 1] = 0;
    S.writeUInt16BE(20 + hl + len, o + 2);
    S.writeUInt16BE(k.ipId[d], o + 4);
    k.ipId[d] = (k.ipId[d] + 1) & 0xffff;
    S[o + 6] = 0x40;
    S[o + 7] = 0;
    S[o + 8] = k.ttl;
    S[o + 9] = 6;
    S[o + 10] = 0;
    S[o + 11] = 0;
    S.writeUInt32BE(src, o + 12);
    S.writeUInt32BE(dst, o + 16);
    S.writeUInt16BE(fold(sumWords(S, o, o + 20)), o + 10);
    // TCP
    S.writeUInt16BE(k.port[d], t);
    S.writeUInt16BE(k.port[1 - d], t + 2);
    S.writeUInt32BE(seq >>> 0, t + 4);
    // While a segment is lost downstream, its receiver keeps acknowledging only up to it (duplicate ACKs).
    const ack = k.rtxWait >= 0 && d !== k.rtxSide ? k.rtxSeq : k.nxt[1 - d];
    S.writeUInt32BE(flags & F_ACK ? ack >>> 0 : 0, t + 8);
    S[t + 12] = (hl / 4) << 4;
    S[t + 13] = flags;
    S.writeUInt16BE(syn ? 64240 : k.win[d], t + 14);
    S[t + 16] = 0;
    S[t + 17] = 0;
    S[t + 18] = 0;
    S[t + 19] = 0;
    const tsval = (k.tsBase[d] + Math.floor((this.clockSec - 1_700_000_000) * 1000 + this.clockNs / 1e6)) >>> 0;
    const tsecr = flags & F_ACK ? k.tsLast[1 - d] : 0;
    k.tsLast[d] = tsval;
    let op = t + 20;
    if (syn) {
      // Linux's SYN options: MSS, SACK permitted, timestamps, NOP, window scale 7.
      S[op] = 2;
      S[op + 1] = 4;
      S.writeUInt16BE(k.mss[d], op + 2);
      S[op + 4] = 4;
      S[op + 5] = 2;
      op += 6;
    } else {
      S[op] = 1;
      S[op + 1] = 1;
      op += 2;
    }
    S[op] = 8;
    S[op + 1] = 10;
    S.writeUInt32BE(tsval, op + 2);
    S.writeUInt32BE(tsecr >>> 0, op + 6);
    if (syn) {
      S[op + 10] = 1;
      S[op + 11] = 3;
      S[op + 12] = 3;
      S[op + 13] = 7;
    }
    let sum: number;
    if (head !== null) {
      // A leg's first segment: the HTTP head, then the body bytes.
      const hn = Math.min(head.length, len);
      head.copy(S, t + hl, 0, hn);
      if (len > hn) this.payload.buf.copy(S, t + hl + hn, 0, len - hn);
      sum = sumWords(S, t, end);
    } else if (len > 0) {
      sum = sumWords(S, t, t + hl);
      const p = this.payload;
      p.buf.copy(S, t + hl, 0, len);
      sum += p.prefix[len >> 1]!;
      if (len & 1) sum += p.buf[len - 1]! << 8;
    } else {
      sum = sumWords(S, t, t + hl);
    }
    sum += (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + hl + len;
    S.writeUInt16BE(fold(sum), t + 16);
    this.outer(k, d, pre, end);
    this.emit(S, end, k.cls);
  }

  private outer(k: Conn, d: number, pre: Prefix, end: number): void {
    const S = this.S;
    if (pre.outerIp >= 0) {
      const oi = pre.outerIp;
      S.writeUInt16BE(end - oi, oi + 2);
      S.writeUInt16BE(k.outerId[d], oi + 4);
      k.outerId[d] = (k.outerId[d] + 1) & 0xffff;
      S[oi + 10] = 0;
      S[oi + 11] = 0;
      S.writeUInt16BE(fold(sumWords(S, oi, oi + 20)), oi + 10);
    }
    if (pre.udp >= 0) S.writeUInt16BE(end - pre.udp, pre.udp + 4);
  }

  /** A UDP datagram of `k` from side `d` carrying `body` (small: DNS). */
  private udp(k: Conn, d: number, body: Buffer): void {
    const S = this.S;
    const pre = k.prefix[d];
    pre.bytes.copy(S, 0);
    const o = pre.bytes.length;
    const u = o + 20;
    const end = u + 8 + body.length;
    const src = k.ip[d];
    const dst = k.ip[1 - d];
    S[o] = 0x45;
    S[o + 1] = 0;
    S.writeUInt16BE(end - o, o + 2);
    S.writeUInt16BE(k.ipId[d], o + 4);
    k.ipId[d] = (k.ipId[d] + 1) & 0xffff;
    S[o + 6] = 0;
    S[o + 7] = 0;
    S[o + 8] = k.ttl;
    S[o + 9] = 17;
    S[o + 10] = 0;
    S[o + 11] = 0;
    S.writeUInt32BE(src, o + 12);
    S.writeUInt32BE(dst, o + 16);
    S.writeUInt16BE(fold(sumWords(S, o, o + 20)), o + 10);
    S.writeUInt16BE(k.port[d], u);
    S.writeUInt16BE(k.port[1 - d], u + 2);
    S.writeUInt16BE(8 + body.length, u + 4);
    S[u + 6] = 0;
    S[u + 7] = 0;
    body.copy(S, u + 8);
    const sum = sumWords(S, u, end) + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + 8 + body.length;
    const cs = fold(sum);
    S.writeUInt16BE(cs === 0 ? 0xffff : cs, u + 6);
    this.outer(k, d, pre, end);
    this.emit(S, end, k.cls);
  }

  // ---------------------------------------------------------------- connections

  private newConn(k: Conn): void {
    const r = this.rnd;
    const x = r.float();
    let kind: EncapKind;
    if (x < 0.6) kind = 'flannel';
    else if (x < 0.7) kind = 'vxlan';
    else if (x < 0.82) kind = 'ipip';
    else if (x < 0.835) kind = 'gre';
    else if (x < 0.85) kind = 'gre-key';
    else if (x < 0.865) kind = 'gretap';
    else if (x < 0.88) kind = 'gretap-key';
    else kind = 'plain';
    const dns = r.float() < (kind === 'plain' ? 0.2 : 0.06);
    const vni = r.pick(VNIS);
    const key = r.pick(GRE_KEYS);
    const peer = r.int(2, NODES);
    let cIp: string;
    let sIp: string;
    let cNode: number;
    let sNode: number;
    let sPort: number;
    if (kind === 'plain') {
      if (dns) {
        [cNode, sNode, cIp, sIp, sPort] = [LOCAL, 0, nodeIp(LOCAL), ROUTER.ip, 53];
      } else if (r.float() < 0.6) {
        [cNode, sNode, cIp, sIp, sPort] = [LOCAL, API_SERVER, nodeIp(LOCAL), nodeIp(API_SERVER), 6443];
      } else {
        // Metrics scrapes of this node's exporter and kubelet.
        [cNode, sNode, cIp, sIp, sPort] = [peer, LOCAL, nodeIp(peer), nodeIp(LOCAL), r.pick([9100, 10250])];
      }
    } else {
      const localClient = r.float() < 0.5;
      cNode = localClient ? LOCAL : peer;
      sNode = localClient ? peer : LOCAL;
      cIp = podIp(kind, vni, cNode, r.int(2, 250));
      sIp = podIp(kind, vni, sNode, dns ? 10 : r.int(2, 40));
      sPort = dns ? 53 : r.pick(POD_PORTS);
    }
    k.cls = dns ? `${kind}-dns` : kind;
    const sportOuter = [r.int(32768, 60999), r.int(32768, 60999)];
    // The plain DNS server is the router: frames to it go to its MAC.
    if (kind === 'plain' && dns) {
      k.prefix = [
        { bytes: c.ethernet({ dst: ROUTER.mac, src: nodeMac(LOCAL), type: c.ETHERTYPE.IPV4 }, Buffer.alloc(0)), outerIp: -1, udp: -1 },
        { bytes: c.ethernet({ dst: nodeMac(LOCAL), src: ROUTER.mac, type: c.ETHERTYPE.IPV4 }, Buffer.alloc(0)), outerIp: -1, udp: -1 },
      ];
    } else {
      k.prefix = [
        buildPrefix(kind, vni, key, cNode, sNode, cIp, sIp, sportOuter[0]!),
        buildPrefix(kind, vni, key, sNode, cNode, sIp, cIp, sportOuter[1]!),
      ];
    }
    k.ip = [ipNum(cIp), ipNum(sIp)];
    k.ipText = sIp;
    k.port = [r.int(32768, 60999), sPort];
    k.http = !TLS_PORTS.has(sPort);
    k.head = null;
    k.ttl = kind === 'plain' ? 64 : 63;
    const mss = ENCAPS[kind].mtu - 40;
    k.mss = [mss, mss];
    k.nxt = [r.u32(), r.u32()];
    k.ipId = [r.int(0, 0xffff), r.int(0, 0xffff)];
    k.outerId = [r.int(0, 0xffff), r.int(0, 0xffff)];
    k.win = [r.int(250, 3000), r.int(250, 3000)];
    k.tsBase = [r.u32(), r.u32()];
    k.tsLast = [0, 0];
    k.rtxWait = -1;
    k.udp = dns;
    k.phase = dns ? P_SYN : r.float() < 0.01 ? P_REFUSED : P_SYN;
    k.legs = 2 * r.int(1, 4);
    k.unacked = 0;
    this.stats.flows++;
  }

  /** Request and response sizes: mostly small, a heavy tail of bulk transfers. */
  private legSize(server: boolean): number {
    const r = this.rnd;
    const x = r.float();
    if (!server) return x < 0.9 ? r.int(80, 900) : r.int(2000, 60000);
    if (x < 0.55) return r.int(100, 2000);
    if (x < 0.85) return r.int(2000, 30000);
    if (x < 0.97) return r.int(30000, 300000);
    return r.int(300000, 3000000);
  }

  /** The next request (client) or response (server) of `k`: its size and, over HTTP, its head. */
  private startLeg(k: Conn): void {
    const server = k.sender === 1;
    let size = this.legSize(server);
    if (!k.http) {
      k.left = size;
      k.head = null;
      return;
    }
    const head = (n: number): string =>
      server
        ? `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n`
        : `POST /api/v1/items HTTP/1.1\r\nHost: ${k.ipText}:${k.port[1]}\r\nUser-Agent: Go-http-client/1.1\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n`;
    // The head's length depends on the digits of the body length it announces.
    let n = Math.max(0, size - head(size).length);
    if (n + head(n).length !== size) n = Math.max(0, size - head(n).length);
    const text = head(n);
    size = text.length + n;
    k.head = Buffer.from(text, 'latin1');
    k.left = size;
  }

  /** Emit the next packet of `k`; false when it has finished. */
  private step(k: Conn): boolean {
    const r = this.rnd;
    if (k.udp) {
      if (k.phase === P_SYN) {
        this.udp(k, 0, this.dnsQuery(k));
        k.phase = P_SYNACK;
        return true;
      }
      if (k.phase === P_SYNACK) {
        this.udp(k, 1, this.dnsResponse(k));
        k.phase = P_DONE;
        return true;
      }
      return false;
    }
    for (;;) {
      switch (k.phase) {
        case P_SYN:
          this.tcp(k, 0, F_SYN, k.nxt[0], 0);
          k.nxt[0] = (k.nxt[0] + 1) >>> 0;
          k.phase = P_SYNACK;
          return true;
        case P_REFUSED:
          this.tcp(k, 0, F_SYN, k.nxt[0], 0);
          k.nxt[0] = (k.nxt[0] + 1) >>> 0;
          k.phase = P_RST;
          return true;
        case P_RST:
          this.tcp(k, 1, F_RST | F_ACK, 0, 0);
          k.phase = P_DONE;
          return true;
        case P_SYNACK:
          this.tcp(k, 1, F_SYN | F_ACK, k.nxt[1], 0);
          k.nxt[1] = (k.nxt[1] + 1) >>> 0;
          k.phase = P_HSACK;
          return true;
        case P_HSACK:
          this.tcp(k, 0, F_ACK, k.nxt[0], 0);
          k.phase = P_DATA;
          k.sender = 0;
          this.startLeg(k);
          k.legs--;
          return true;
        case P_DATA: {
          if (k.rtxWait === 0) {
            k.rtxWait = -1;
            this.tcp(k, k.rtxSide, F_ACK | F_PSH, k.rtxSeq, k.rtxLen);
            return true;
          }
          if (k.rtxWait > 0) k.rtxWait--;
          const recv = 1 - k.sender;
          // Delayed ACK: every second full segment, and at the end of a leg.
          if (k.unacked >= 2 || (k.left === 0 && k.unacked > 0)) {
            this.tcp(k, recv, F_ACK, k.nxt[recv], 0);
            k.unacked = 0;
            return true;
          }
          if (k.left > 0) {
            const s = k.sender;
            const len = Math.min(k.mss[s] - 12, k.left);
            const seq = k.nxt[s];
            const flags = len === k.left ? F_ACK | F_PSH : F_ACK;
            k.nxt[s] = (seq + len) >>> 0;
            const head = k.head;
            k.head = null;
            this.tcp(k, s, flags, seq, len, head);
            k.left -= len;
            k.unacked++;
            if (head === null && k.rtxWait < 0 && r.float() < 0.004) {
              k.rtxSide = s;
              k.rtxSeq = seq;
              k.rtxLen = len;
              k.rtxWait = r.int(1, 3);
            }
            return true;
          }
          if (k.rtxWait >= 0) {
            k.rtxWait = 0;
            continue;
          }
          if (k.legs > 0) {
            k.legs--;
            k.sender = 1 - k.sender;
            this.startLeg(k);
            continue;
          }
          k.finBy = r.float() < 0.8 ? 0 : 1;
          k.phase = r.float() < 0.03 ? P_RST : P_FIN1;
          if (k.phase === P_RST) {
            this.tcp(k, k.finBy, F_RST | F_ACK, k.nxt[k.finBy], 0);
            k.phase = P_DONE;
            return true;
          }
          continue;
        }
        case P_FIN1: {
          const s = k.finBy;
          this.tcp(k, s, F_FIN | F_ACK, k.nxt[s], 0);
          k.nxt[s] = (k.nxt[s] + 1) >>> 0;
          k.phase = P_FIN2;
          return true;
        }
        case P_FIN2: {
          const s = 1 - k.finBy;
          this.tcp(k, s, F_FIN | F_ACK, k.nxt[s], 0);
          k.nxt[s] = (k.nxt[s] + 1) >>> 0;
          k.phase = P_LASTACK;
          return true;
        }
        case P_LASTACK:
          this.tcp(k, k.finBy, F_ACK, k.nxt[k.finBy], 0);
          k.phase = P_DONE;
          return true;
        default:
          return false;
      }
    }
  }

  // ---------------------------------------------------------------- DNS

  private static readonly NAMES = [
    'kubernetes.default.svc.cluster.local',
    'web.shop.svc.cluster.local',
    'redis-master.cache.svc.cluster.local',
    'api.github.com',
    'registry-1.docker.io',
  ];
  private readonly dnsMsgs = CaptureGenerator.NAMES.map((n, i) => ({ q: dnsMessage(n, null), a: dnsMessage(n, `10.96.${i}.${10 + i}`) }));

  private dnsQuery(k: Conn): Buffer {
    const m = this.dnsMsgs[k.port[0] % this.dnsMsgs.length]!.q;
    m.writeUInt16BE(k.port[0] ^ 0x5a5a, 0);
    return m;
  }

  private dnsResponse(k: Conn): Buffer {
    const m = this.dnsMsgs[k.port[0] % this.dnsMsgs.length]!.a;
    m.writeUInt16BE(k.port[0] ^ 0x5a5a, 0);
    return m;
  }

  // ---------------------------------------------------------------- rare packets

  /** The peer whose ARP reply is due next (-1: none): requests are answered. */
  private arpPeer = -1;

  private arp(): void {
    const r = this.rnd;
    let f: Buffer;
    if (this.arpPeer < 0) {
      const peer = r.float() < 0.2 ? 254 : r.int(2, NODES);
      this.arpPeer = peer;
      f = c.ethernet(
        { dst: BROADCAST, src: nodeMac(LOCAL), type: c.ETHERTYPE.ARP },
        c.arp({ op: 'request', senderMac: nodeMac(LOCAL), senderIp: nodeIp(LOCAL), targetIp: peer === 254 ? ROUTER.ip : nodeIp(peer) }),
      );
    } else {
      const peer = this.arpPeer;
      this.arpPeer = -1;
      const peerMac = peer === 254 ? ROUTER.mac : nodeMac(peer);
      const peerIp = peer === 254 ? ROUTER.ip : nodeIp(peer);
      // Received frames carry the NIC's padding to 60 bytes.
      f = c.ethernet(
        { dst: nodeMac(LOCAL), src: peerMac, type: c.ETHERTYPE.ARP, pad: true },
        c.arp({ op: 'reply', senderMac: peerMac, senderIp: peerIp, targetMac: nodeMac(LOCAL), targetIp: nodeIp(LOCAL) }),
      );
    }
    this.emit(f, f.length, 'arp');
  }

  private pingSeq = 0;
  private pingPeer = 2;

  private icmpCount = 0;

  private icmp(): void {
    const r = this.rnd;
    let f: Buffer;
    // One ICMP message in ten (the third first) is a frag-needed; the rest are pings.
    if (this.icmpCount++ % 10 !== 2) {
      // Node-to-node health pings: each request answered by the peer it went to.
      const reply = (this.pingSeq & 1) === 1;
      if (!reply) this.pingPeer = r.int(2, NODES);
      const peer = this.pingPeer;
      const seq = this.pingSeq++ >> 1;
      const [a, b] = reply ? [peer, LOCAL] : [LOCAL, peer];
      const data = Buffer.alloc(56);
      data.writeUInt32BE(this.clockSec, 0);
      data.writeUInt32BE(Math.floor(this.clockNs / 1000), 4);
      for (let i = 8; i < 56; i++) data[i] = i;
      f = c.ethernet(
        { dst: nodeMac(b), src: nodeMac(a), type: c.ETHERTYPE.IPV4 },
        c.ipv4({ src: nodeIp(a), dst: nodeIp(b), proto: c.IPPROTO.ICMP, ttl: 64, id: r.int(0, 0xffff), df: true }, c.icmpEcho({ reply, id: 0x4e44, seq }, data)),
      );
    } else {
      // The path to node 5 crosses a link with a smaller MTU: the router refuses full-size VXLAN frames.
      const peer = 5;
      const inner = c.ethernet({ dst: vtepMac(peer), src: vtepMac(LOCAL), type: c.ETHERTYPE.IPV4 }, Buffer.alloc(1450 - 14));
      const original = c.ipUdp({ src: nodeIp(LOCAL), dst: nodeIp(peer), id: r.int(0, 0xffff), sport: r.int(32768, 60999), dport: 8472, checksum: 'zero' }, c.vxlan({ vni: 1 }, inner));
      f = c.ethernet(
        { dst: nodeMac(LOCAL), src: ROUTER.mac, type: c.ETHERTYPE.IPV4 },
        c.ipv4({ src: ROUTER.ip, dst: nodeIp(LOCAL), proto: c.IPPROTO.ICMP, ttl: 255, id: r.int(0, 0xffff) }, c.icmpFragNeeded(1400, original)),
      );
    }
    this.emit(f, f.length, 'icmp');
  }

  // ---------------------------------------------------------------- BGP

  private startBgp(): void {
    const t0 = this.now();
    for (let peer = 2; peer <= NODES; peer++) {
      const s = new BgpSession(this.rnd, peer, t0 + 0.0005 * (peer - 1));
      this.bgp.push(s);
    }
    this.nextBgp = Math.min(...this.bgp.map((s) => s.due));
  }

  private bgpPacket(): void {
    let best: BgpSession | null = null;
    for (const s of this.bgp) if (best === null || s.due < best.due) best = s;
    const f = best!.next(this.now());
    this.emit(f, f.length, 'bgp');
    this.nextBgp = Math.min(...this.bgp.map((s) => s.due));
  }

  // ---------------------------------------------------------------- main loops

  run(): GenStats {
    if (this.o.scan) return this.runScan();
    const n = this.o.packets;
    const nconn = Math.max(1, this.o.flows);
    for (let i = 0; i < nconn; i++) {
      const k = new Conn();
      this.newConn(k);
      // A capture starts in the middle of things: most connections are already established
      // (idle between requests, so the first bytes seen of each are the start of a message).
      if (!k.udp && k.phase === P_SYN && this.rnd.float() < 0.75) {
        k.phase = P_DATA;
        k.sender = this.rnd.int(0, 1);
        this.startLeg(k);
        k.legs = this.rnd.int(0, 5);
      }
      this.conns.push(k);
    }
    this.startBgp();
    const r = this.rnd;
    while (this.stats.packets < n) {
      this.tick();
      if (this.now() >= this.nextBgp) {
        this.bgpPacket();
        continue;
      }
      const x = r.float();
      if (x < 0.003) {
        this.arp();
        continue;
      }
      if (x < 0.006) {
        this.icmp();
        continue;
      }
      const k = this.conns[r.u32() % nconn]!;
      while (!this.step(k)) this.newConn(k);
    }
    return this.stats;
  }

  /** A SYN scan from a pod on node 2 through flannel: every packet a new destination port or host. */
  private runScan(): GenStats {
    const n = this.o.packets;
    const r = this.rnd;
    const k = new Conn();
    const scanner = '100.96.2.66';
    k.cls = 'scan';
    k.ttl = 63;
    k.mss = [1410, 1410];
    k.win = [1024, 1024];
    k.tsBase = [r.u32(), 0];
    const PORTS = 1000;
    for (let i = 0; i < n; i++) {
      this.tick();
      const host = Math.floor(i / PORTS);
      const target = `100.96.${1 + (Math.floor(host / 254) % 250)}.${1 + (host % 254)}`;
      if (i % PORTS === 0) {
        k.prefix = [buildPrefix('flannel', 1, 0, 2, LOCAL, scanner, target, r.int(32768, 60999)), k.prefix[1]];
        k.ip = [ipNum(scanner), ipNum(target)];
      }
      k.port = [r.int(32768, 60999), 1 + (i % PORTS)];
      k.ipId[0] = r.int(0, 0xffff);
      this.tcp(k, 0, F_SYN, r.u32(), 0);
      this.stats.flows++;
    }
    return this.stats;
  }
}

// ------------------------------------------------------------------ BGP sessions

const BGP_AS = 64512;

/** A Calico BIRD session from node1 to a peer: handshake, OPENs, routes, keepalives, churn. */
class BgpSession {
  due: number;
  private readonly script: Array<{ side: number; msgs: Buffer | null; flags: number; gap: number }> = [];
  private pos = 0;
  private readonly nxt: [number, number];
  private readonly port: number;
  private readonly id: [number, number];
  private readonly tsBase: [number, number];
  private readonly tsLast: [number, number] = [0, 0];
  private churn = 0;

  constructor(
    private readonly rnd: Prng,
    private readonly peer: number,
    start: number,
  ) {
    this.due = start;
    this.nxt = [rnd.u32(), rnd.u32()];
    this.port = rnd.int(32768, 60999);
    this.id = [rnd.int(0, 0xffff), rnd.int(0, 0xffff)];
    this.tsBase = [rnd.u32(), rnd.u32()];
    const open = (id: string): Buffer =>
      c.bgpOpen({
        asn: BGP_AS,
        holdTime: 240,
        bgpId: id,
        capabilities: [{ code: 'multiprotocol', afi: c.AFI.IPV4, safi: c.SAFI.UNICAST }, { code: 'route-refresh' }, { code: 'as4', asn: BGP_AS }, { code: 'add-path', entries: [{ afi: 1, safi: 1, sendReceive: 3 }] }],
      });
    const ka = c.bgpKeepalive();
    const routes = (node: number, n: number): Buffer =>
      c.bgpUpdate({
        attributes: [
          { type: 'origin', value: 'igp' },
          { type: 'as-path', segments: [] },
          { type: 'next-hop', addr: nodeIp(node) },
          { type: 'local-pref', value: 100 },
        ],
        nlri: Array.from({ length: n }, (_, i) => ({ prefix: `100.96.${node}.${i * 64}/26`, pathId: 1 })),
      });
    const eor = c.bgpUpdate({});
    const S = F_ACK | F_PSH;
    this.script.push(
      { side: 0, msgs: null, flags: F_SYN, gap: 0.0002 },
      { side: 1, msgs: null, flags: F_SYN | F_ACK, gap: 0.00005 },
      { side: 0, msgs: null, flags: F_ACK, gap: 0.0001 },
      { side: 0, msgs: open(nodeIp(LOCAL)), flags: S, gap: 0.0003 },
      { side: 1, msgs: Buffer.concat([open(nodeIp(peer)), ka]), flags: S, gap: 0.0002 },
      { side: 0, msgs: ka, flags: S, gap: 0.0004 },
      // Several UPDATEs and the End-of-RIB marker in one segment each way.
      { side: 1, msgs: Buffer.concat([routes(peer, 4), routes(API_SERVER, 2), eor]), flags: S, gap: 0.0001 },
      { side: 0, msgs: Buffer.concat([routes(LOCAL, 4), eor, ka]), flags: S, gap: 0.04 },
      { side: 1, msgs: null, flags: F_ACK, gap: 0 },
    );
    this.keepalive = ka;
  }

  private readonly keepalive: Buffer;

  /** The next segment of the session; `due` moves to the one after. */
  next(now: number): Buffer {
    if (this.pos >= this.script.length) {
      // Steady state: keepalives every 80 s (a third of the hold time) each way, and route churn.
      this.pos = 0;
      this.script.length = 0;
      const ka = this.keepalive;
      if (this.churn++ % 4 === 3) {
        const upd = c.bgpUpdate({
          withdrawn: [`100.96.${this.peer}.192/26`],
          attributes: [
            { type: 'origin', value: 'igp' },
            { type: 'as-path', segments: [] },
            { type: 'next-hop', addr: nodeIp(this.peer) },
          ],
          nlri: [{ prefix: `100.96.${this.peer}.${(this.churn * 64) & 0xff}/26`, pathId: 1 }],
        });
        this.script.push({ side: 1, msgs: Buffer.concat([upd, upd, ka]), flags: F_ACK | F_PSH, gap: 0.0002 }, { side: 0, msgs: null, flags: F_ACK, gap: 20 });
      } else {
        this.script.push({ side: 0, msgs: ka, flags: F_ACK | F_PSH, gap: 0.0003 }, { side: 1, msgs: ka, flags: F_ACK | F_PSH, gap: 0.04 }, { side: 0, msgs: null, flags: F_ACK, gap: 20 });
      }
    }
    const st = this.script[this.pos++]!;
    const d = st.side;
    const ips = [nodeIp(LOCAL), nodeIp(this.peer)];
    const ports = [this.port, 179];
    const payload = st.msgs ?? Buffer.alloc(0);
    const syn = (st.flags & F_SYN) !== 0;
    const ms = Math.floor(now * 1000) >>> 0;
    const tsval = (this.tsBase[d] + ms) >>> 0;
    const tsecr = st.flags & F_ACK ? this.tsLast[1 - d] : 0;
    this.tsLast[d] = tsval;
    const opts: c.TcpOption[] = syn
      ? [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsval, tsecr }, { kind: 'nop' }, { kind: 'wscale', shift: 7 }]
      : [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval, tsecr }];
    const seg = c.ipTcp(
      {
        src: ips[d]!,
        dst: ips[1 - d]!,
        ttl: 64,
        id: this.id[d],
        df: true,
        tos: 0xc0,
        sport: ports[d]!,
        dport: ports[1 - d]!,
        seq: this.nxt[d],
        ack: st.flags & F_ACK ? this.nxt[1 - d] : 0,
        flags: st.flags,
        window: syn ? 64240 : 502,
        options: opts,
      },
      payload,
    );
    this.id[d] = (this.id[d] + 1) & 0xffff;
    this.nxt[d] = (this.nxt[d] + payload.length + (st.flags & (F_SYN | F_FIN) ? 1 : 0)) >>> 0;
    this.due = now + st.gap + this.rnd.float() * st.gap * 0.1;
    return c.ethernet({ dst: nodeMac(d === 0 ? this.peer : LOCAL), src: nodeMac(d === 0 ? LOCAL : this.peer), type: c.ETHERTYPE.IPV4 }, seg);
  }
}

// ------------------------------------------------------------------ DNS messages

function dnsName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** A recursive A query for `name`, or its answer when `answer` is given. */
function dnsMessage(name: string, answer: string | null): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(answer ? 0x8180 : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(answer ? 1 : 0, 6);
  const q = Buffer.concat([dnsName(name), Buffer.from([0, 1, 0, 1])]);
  if (!answer) return Buffer.concat([h, q]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(1, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(30, 6);
  rr.writeUInt16BE(4, 10);
  c.ipv4Bytes(answer).copy(rr, 12);
  return Buffer.concat([h, q, rr]);
}

// ------------------------------------------------------------------ entry points

/** Write a generated capture to `target` (a path, fd or stream); returns what was written. */
export async function generateCapture(opts: Partial<GenOptions>, target: SinkTarget): Promise<GenStats> {
  const o: GenOptions = { ...GEN_DEFAULTS, ...opts };
  if (!GEN_FORMATS.includes(o.format)) throw new Error(`unknown format ${o.format} (${GEN_FORMATS.join(', ')})`);
  if (!(Number.isInteger(o.packets) && o.packets >= 0)) throw new Error(`--packets: expected a whole number, got ${o.packets}`);
  let gen: CaptureGenerator;
  let close: () => Promise<void>;
  const chunkSize = 8 << 20;
  if (o.format === 'pcapng') {
    const w = new PcapngWriter(target, { chunkSize, section: { userAppl: 'netdiag bench/generate.ts', hardware: 'synthetic', os: 'Linux' } });
    const ifId = w.addInterface({ linktype: LINKTYPE.ETHERNET, snaplen: 262144, name: 'eth0', tsresol: NANOSECONDS });
    gen = new CaptureGenerator(o, { write: (b, len) => void w.writePacket(ifId, gen.timestamp, b, 0, len) });
    close = () => w.close();
  } else {
    const w = new PcapWriter(target, { chunkSize, linktype: LINKTYPE.ETHERNET, nanosecond: o.format === 'pcap-ns' });
    gen = new CaptureGenerator(o, { write: (b, len) => void w.writePacket(gen.timestamp, b, 0, len) });
    close = () => w.close();
  }
  const stats = gen.run();
  await close();
  return stats;
}

function usage(msg?: string): never {
  if (msg) process.stderr.write(`generate: ${msg}\n`);
  process.stderr.write('usage: bench/generate.ts [--packets N] [--format pcap-us|pcap-ns|pcapng] [--seed S] [--flows N] [--scan] --out FILE\n');
  process.exit(2);
}

/** `--packets 1M`, `--packets 250k` and plain numbers. */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (!m) return NaN;
  const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

async function main(argv: string[]): Promise<void> {
  const o: Partial<GenOptions> = {};
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--packets') o.packets = parseCount(val());
    else if (a === '--format') o.format = val() as GenFormat;
    else if (a === '--seed') o.seed = val();
    else if (a === '--flows') o.flows = parseCount(val());
    else if (a === '--scan') o.scan = true;
    else if (a === '--out' || a === '-o') out = val();
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (out === undefined) usage('name the output file with --out');
  const t0 = process.hrtime.bigint();
  const st = await generateCapture(o, out);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const size = statSync(out).size;
  process.stdout.write(
    `${out}: ${st.packets} packets, ${(size / 1e6).toFixed(1)} MB, ${st.flows} flows, ${(st.lastTime - st.firstTime).toFixed(1)} s of traffic; written in ${s.toFixed(2)} s\n` +
      Object.entries(st.classes)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `  ${k.padEnd(16)} ${String(v).padStart(9)}  ${((100 * v) / st.packets).toFixed(2)}%`)
        .join('\n') +
      '\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
