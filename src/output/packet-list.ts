import type { FieldRef, Registry } from '../decode/registry.js';
import { FieldSink } from '../decode/field-sink.js';
import type { PacketView } from '../decode/packet-view.js';
import { formatValue } from './field-format.js';
import { escapeControl } from './escape.js';

/** The columns of one packet-list row (tshark's default columns). */
export interface PacketColumns {
  number: number;
  /** Seconds since the capture's first packet, six decimals. */
  time: string;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
}

/**
 * Builds packet-list rows: number, relative time, source, destination, protocol, length,
 * info. Source and destination are the innermost network addresses (link addresses when
 * there is no network layer), the protocol is the innermost layer's, as in tshark's
 * columns. The info column shows each encapsulation with its outer addresses, then the
 * innermost packet:
 *
 *   VXLAN vni 1 198.18.0.1→198.18.0.2 | TCP 100.96.1.2:43210 → 100.96.2.3:80 [SYN] seq=0 len=0
 *
 * Headers quoted inside an ICMP error are not the packet's own: they never feed the
 * columns and appear in the info as "[quoted: …]".
 *
 * Only what is printed is turned into strings, and every string passes through
 * escapeControl: no control character from a packet reaches the terminal.
 */
export class PacketLister {
  private readonly reg: Registry;
  private readonly sink = new FieldSink();
  /** Per protocol id: the `<proto>.src` / `<proto>.dst` fields giving the column addresses. */
  private readonly srcField: (FieldRef | undefined)[];
  private readonly dstField: (FieldRef | undefined)[];
  private readonly isNetwork: Uint8Array;
  private readonly isIcmp: Uint8Array;
  /** Per protocol id: its source/destination port fields (transport layers). */
  private readonly sportField: (FieldRef | undefined)[];
  private readonly dportField: (FieldRef | undefined)[];
  private readonly idIp: number;
  private readonly idIpv6: number;

  /** `names` turns a Source/Destination address into the cluster's name for it (--cluster-state). */
  constructor(
    reg: Registry,
    private readonly names?: (address: string) => string | undefined,
  ) {
    this.reg = reg;
    const n = reg.dissectors.length;
    this.srcField = new Array(n);
    this.dstField = new Array(n);
    this.sportField = new Array(n);
    this.dportField = new Array(n);
    this.isNetwork = new Uint8Array(n);
    this.isIcmp = new Uint8Array(n);
    this.idIp = reg.has('ip') ? reg.id('ip') : -1;
    this.idIpv6 = reg.has('ipv6') ? reg.id('ipv6') : -1;
    for (let id = 1; id < n; id++) {
      const name = reg.dissectors[id]!.name;
      const src = reg.field(`${name}.src`);
      const dst = reg.field(`${name}.dst`);
      if (src && dst && src.proto === id && dst.proto === id) {
        this.srcField[id] = src;
        this.dstField[id] = dst;
      }
      const sp = reg.field(`${name}.srcport`);
      const dp = reg.field(`${name}.dstport`);
      if (sp && dp && sp.proto === id && dp.proto === id) {
        this.sportField[id] = sp;
        this.dportField[id] = dp;
      }
      if (id === this.idIp || id === this.idIpv6) this.isNetwork[id] = 1;
      if (name === 'icmp' || name === 'icmpv6') this.isIcmp[id] = 1;
    }
  }

  /** The last layer that is the packet's own (before any header quoted by ICMP). */
  private ownEnd(p: PacketView): number {
    for (let i = 0; i < p.nLayers; i++) if (this.isIcmp[p.proto[i]!]) return i + 1;
    return p.nLayers;
  }

  private first(ref: FieldRef | undefined, p: PacketView, i: number): string {
    if (!ref) return '';
    const s = this.sink;
    s.reset();
    ref.def.get(p, i, s);
    return s.n > 0 ? formatValue(ref.def, s, 0) : '';
  }

  private label(p: PacketView, i: number): string {
    return this.reg.dissectors[p.proto[i]!]!.label;
  }

  private summary(p: PacketView, i: number): string {
    const d = this.reg.dissectors[p.proto[i]!]!;
    return d.summary ? d.summary(p, i) : d.label;
  }

  /** Innermost layer in [from, to) with source/destination addresses, or -1. */
  private addressLayer(p: PacketView, from: number, to: number, networkOnly: boolean): number {
    for (let i = to - 1; i >= from; i--) {
      const id = p.proto[i]!;
      if (networkOnly ? this.isNetwork[id] : this.srcField[id]) return i;
    }
    return -1;
  }

  private addresses(p: PacketView, own: number): [string, string] {
    let i = this.addressLayer(p, 0, own, true);
    if (i < 0) i = this.addressLayer(p, 0, own, false);
    if (i < 0) return ['', ''];
    const id = p.proto[i]!;
    return [this.first(this.srcField[id], p, i), this.first(this.dstField[id], p, i)];
  }

  columns(p: PacketView): PacketColumns {
    const own = this.ownEnd(p);
    let [source, destination] = this.addresses(p, own);
    if (this.names) {
      source = this.names(source) ?? source;
      destination = this.names(destination) ?? destination;
    }
    return {
      number: p.number,
      time: p.relativeTime().toFixed(6),
      source: escapeControl(source),
      destination: escapeControl(destination),
      protocol: own > 0 ? escapeControl(this.label(p, own - 1)) : '',
      length: p.wireLen,
      info: escapeControl(this.info(p, own)),
    };
  }

  /** One line, as `tshark` prints its packet list (prefixed with the capture name when given). */
  line(p: PacketView, captureLabel?: string): string {
    const c = this.columns(p);
    const head = captureLabel === undefined ? '' : escapeControl(captureLabel) + ' ';
    const addr = c.source || c.destination ? `${c.source} → ${c.destination} ` : '';
    return `${head}${String(c.number).padStart(5)} ${c.time.padStart(10)} ${addr}${c.protocol} ${c.length} ${c.info}`;
  }

  /** The info column: encapsulations outer first, then the innermost packet, then anomalies. */
  info(p: PacketView, own = this.ownEnd(p)): string {
    let out = '';
    let segStart = 0;
    for (let k = 1; k < own; k++) {
      if (p.depth[k]! <= p.depth[k - 1]!) continue;
      // Layer k starts an encapsulated packet; layer k-1 is the encapsulation.
      out += this.encapsulation(p, segStart, k) + ' | ';
      segStart = k;
    }
    out += this.innermost(p, segStart, own, segStart > 0);
    if (own < p.nLayers) out += ` [quoted: ${this.quoted(p, own)}]`;
    for (let a = 0; a < p.nAnomalies; a++) {
      const info = this.reg.anomalies.info(p.anomalyCode[a]!);
      if (info.severity !== 'note') out += ` [${info.id}]`;
    }
    return out;
  }

  private encapsulation(p: PacketView, segStart: number, k: number): string {
    const t = k - 1;
    const d = this.reg.dissectors[p.proto[t]!]!;
    let name: string;
    if (d.tunnel) name = this.summary(p, t);
    else name = ipInIpName(d.name, this.reg.dissectors[p.proto[k]!]!.name, d.label);
    // For IP-in-IP the encapsulating header is itself the network layer found here.
    const net = this.addressLayer(p, segStart, k, true);
    if (net < 0) return name;
    const id = p.proto[net]!;
    return `${name} ${this.first(this.srcField[id], p, net)}→${this.first(this.dstField[id], p, net)}`;
  }

  private innermost(p: PacketView, from: number, to: number, tunnelled: boolean): string {
    if (to <= from) return '';
    let transport = -1;
    for (let i = from; i < to; i++) {
      if (this.sportField[p.proto[i]!]) {
        transport = i;
        break;
      }
    }
    if (transport < 0) return this.summary(p, to - 1);
    let s = this.summary(p, transport);
    if (tunnelled) s = this.withAddresses(p, from, transport, s);
    const apps: string[] = [];
    for (let i = transport + 1; i < to; i++) apps.push(this.summary(p, i));
    return apps.length ? `${s} · ${apps.join(', ')}` : s;
  }

  /** `TCP 43210 → 80 …` becomes `TCP 100.96.1.2:43210 → 100.96.2.3:80 …`. */
  private withAddresses(p: PacketView, from: number, transport: number, s: string): string {
    const net = this.addressLayer(p, from, transport, true);
    if (net < 0) return s;
    const nid = p.proto[net]!;
    const src = this.first(this.srcField[nid], p, net);
    const dst = this.first(this.dstField[nid], p, net);
    const tid = p.proto[transport]!;
    const sport = this.first(this.sportField[tid], p, transport);
    const dport = this.first(this.dportField[tid], p, transport);
    const label = this.label(p, transport);
    const prefix = `${label} ${sport} → ${dport}`;
    const v6 = nid === this.idIpv6;
    const hostPort = (a: string, port: string) => (v6 ? `[${a}]:${port}` : `${a}:${port}`);
    if (sport !== '' && s.startsWith(prefix)) {
      return `${label} ${hostPort(src, sport)} → ${hostPort(dst, dport)}${s.slice(prefix.length)}`;
    }
    return `${src} → ${dst} ${s}`;
  }

  private quoted(p: PacketView, from: number): string {
    const parts: string[] = [];
    for (let i = from; i < p.nLayers && parts.length < 2; i++) parts.push(this.summary(p, i));
    const net = this.addressLayer(p, from, p.nLayers, true);
    const first = p.proto[from]!;
    // "IPv4 a → b" reads better than the bare "a → b" that network summaries give.
    if (net === from && this.isNetwork[first]) parts[0] = `${this.label(p, from)} ${parts[0]}`;
    return parts.join(' ');
  }
}

function ipInIpName(outer: string, inner: string, outerLabel: string): string {
  if (outer === 'ip' && inner === 'ip') return 'IPIP';
  if (outer === 'ip' && inner === 'ipv6') return '6in4';
  if (outer === 'ipv6' && inner === 'ip') return '4in6';
  if (outer === 'ipv6' && inner === 'ipv6') return 'IPv6-in-IPv6';
  return outerLabel;
}

/** Text output of `--list`: one line per packet. */
export class ListOutput {
  private readonly lister: PacketLister;

  constructor(
    reg: Registry,
    private readonly out: { write(s: string): boolean },
    private readonly prefixCapture: boolean,
  ) {
    this.lister = new PacketLister(reg);
  }

  packet(p: PacketView, captureLabel: string): boolean {
    return this.out.write(this.lister.line(p, this.prefixCapture ? captureLabel : undefined) + '\n');
  }
}
