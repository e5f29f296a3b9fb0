/**
 * fast-check arbitraries for hostile input: packets from the craft library with fields
 * set to 0, their maximum and off by one, cut anywhere, buried in tunnels to any depth,
 * and plain random bytes behind every dispatch entry the registry knows.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { encodePcapHeader, encodePcapRecord } from '../../src/capture/writer.js';
import { ETHERTYPE, ethernet, geneve, gre, ipip, IPPROTO, ipPacket, ipUdp, ipv6, sixInFour, vxlan, vxlanGpe } from '../../src/craft/index.js';
import type { Registry } from '../../src/decode/registry.js';
import { carrier, packetSamples, tcpSyn, type Sample } from '../../fuzz/samples.js';

export { packetSamples, type Sample };

/** A packet as the decoder gets it. */
export interface RawPacket {
  linktype: number;
  bytes: Buffer;
  /** Original length on the wire (>= bytes.length for a snaplen cut). */
  wireLen: number;
}

/** Every key of every dispatch table that leads somewhere: [table, key, protocol name]. */
export function dispatchEntries(reg: Registry): Array<[string, number, string]> {
  const out: Array<[string, number, string]> = [];
  for (const t of reg.tableNames()) {
    reg.table(t).forEach((id, key) => {
      if (id !== 0) out.push([t, key, reg.dissectors[id]!.name]);
    });
  }
  return out;
}

/** Linktypes the registry dissects. */
export function registryLinktypes(reg: Registry): number[] {
  return dispatchEntries(reg)
    .filter(([t]) => t === 'linktype')
    .map(([, k]) => k);
}

export const arbBytes = (maxLength = 1600): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** Random bytes under a linktype the registry knows, or any 16-bit one. */
export function arbRandomPacket(reg: Registry): fc.Arbitrary<RawPacket> {
  const known = registryLinktypes(reg);
  return fc
    .tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }), arbBytes())
    .map(([linktype, bytes]) => ({ linktype, bytes, wireLen: bytes.length }));
}

/** Random bytes as the payload behind each dispatch entry, so every dissector sees garbage. */
export function arbDispatchedGarbage(reg: Registry): fc.Arbitrary<RawPacket & { proto: string }> {
  const entries = dispatchEntries(reg);
  return fc.tuple(fc.constantFrom(...entries), arbBytes(600)).map(([[table, key, proto], payload]) => {
    const c = carrier(table, key, payload)!;
    return { ...c, wireLen: c.bytes.length, proto };
  });
}

export const arbSample = (): fc.Arbitrary<Sample> => fc.constantFrom(...packetSamples());

/**
 * Values a length or count field is worth trying at: 0, 1, the maximum and its
 * neighbours, and the original value off by one either way.
 */
export function interestingValues(width: 1 | 2 | 4, orig: number): number[] {
  const max = width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
  const vals = [0, 1, max, max - 1, (max + 1) / 2, orig - 1, orig + 1, orig === 0 ? 4 : orig * 2];
  return [...new Set(vals.filter((v) => v >= 0 && v <= max && v !== orig))];
}

export function readField(b: Buffer, at: number, width: 1 | 2 | 4): number {
  return width === 1 ? b[at]! : width === 2 ? b.readUInt16BE(at) : b.readUInt32BE(at);
}

export function writeField(b: Buffer, at: number, width: 1 | 2 | 4, v: number): void {
  if (width === 1) b[at] = v;
  else if (width === 2) b.writeUInt16BE(v, at);
  else b.writeUInt32BE(v >>> 0, at);
}

/** One field of a sample (any offset, 1, 2 or 4 bytes) set to one of its interesting values. */
export function arbFieldMutation(): fc.Arbitrary<RawPacket & { what: string }> {
  return fc
    .tuple(arbSample(), fc.nat(), fc.constantFrom<1 | 2 | 4>(1, 2, 4), fc.nat())
    .filter(([s, , w]) => s.bytes.length >= w)
    .map(([s, at0, width, pick]) => {
      const at = at0 % (s.bytes.length - width + 1);
      const b = Buffer.from(s.bytes);
      const vals = interestingValues(width, readField(b, at, width));
      const v = vals[pick % vals.length]!;
      writeField(b, at, width, v);
      return { linktype: s.linktype, bytes: b, wireLen: b.length, what: `${s.name}: u${width * 8}@${at} = ${v}` };
    });
}

type Edit =
  | { kind: 'set'; at: number; width: 1 | 2 | 4; pick: number }
  | { kind: 'byte'; at: number; v: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'cut'; at: number };

const arbEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), width: fc.constantFrom<1 | 2 | 4>(1, 2, 4), pick: fc.nat() }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

export function applyEdit(b: Buffer, e: Edit): Buffer {
  if (b.length === 0) return e.kind === 'insert' ? Buffer.from(e.bytes) : b;
  const at = e.at % b.length;
  switch (e.kind) {
    case 'set': {
      if (b.length < e.width) return b;
      const o = e.at % (b.length - e.width + 1);
      const vals = interestingValues(e.width, readField(b, o, e.width));
      const c = Buffer.from(b);
      writeField(c, o, e.width, vals[e.pick % vals.length]!);
      return c;
    }
    case 'byte': {
      const c = Buffer.from(b);
      c[at] = e.v;
      return c;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
    case 'cut':
      return b.subarray(0, at);
  }
}

/** A sample with several edits at once: fields set to extremes, bytes changed, inserted, deleted, a cut. */
export function arbMutatedSample(): fc.Arbitrary<RawPacket & { what: string }> {
  return fc.tuple(arbSample(), fc.array(arbEdit, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([s, edits, snapped]) => {
    let b = s.bytes;
    for (const e of edits) b = applyEdit(b, e);
    return { linktype: s.linktype, bytes: b, wireLen: snapped ? Math.max(b.length, s.bytes.length) : b.length, what: `${s.name} ${JSON.stringify(edits)}` };
  });
}

// -- nested tunnels --------------------------------------------------------------------

type Kind = 'eth' | 'ip4' | 'ip6';

interface Built {
  kind: Kind;
  bytes: Buffer;
  /** Layer names, outermost first, each with whether crossing it enters a tunnel. */
  layers: Array<[name: string, tunnel: boolean]>;
}

interface Wrapper {
  name: string;
  from: readonly Kind[];
  wrap(x: Built): Built;
}

const V4 = ['198.18.0.1', '198.18.0.2'] as const;
const V6 = ['fd00:198:18::1', 'fd00:198:18::2'] as const;

const ETHERTYPE_OF: Record<Kind, number> = { eth: ETHERTYPE.TEB, ip4: ETHERTYPE.IPV4, ip6: ETHERTYPE.IPV6 };

function udpTunnel(x: Built, dport: number, name: string, payload: Buffer, sport = 50000): Built {
  return {
    kind: 'ip4',
    bytes: ipUdp({ src: V4[0], dst: V4[1], sport, dport, checksum: 'zero' }, payload),
    layers: [['ip', false], ['udp', false], [name, true], ...x.layers],
  };
}

/** An 802.1ad tag directly inside another is one layer with S-VID and C-VID, as tshark shows it. */
const AD_DOUBLE = 'ieee8021ad (double)';

function tag(x: Built, tpid: number, name: string): Built {
  const t = Buffer.alloc(4);
  t.writeUInt16BE(tpid, 0);
  t.writeUInt16BE(100, 2);
  const bytes = Buffer.concat([x.bytes.subarray(0, 12), t, x.bytes.subarray(12)]);
  if (name === 'ieee8021ad' && x.layers[1]?.[0] === 'ieee8021ad') return { kind: 'eth', bytes, layers: [['eth', false], [AD_DOUBLE, false], ...x.layers.slice(2)] };
  return { kind: 'eth', bytes, layers: [['eth', false], [name, false], ...x.layers.slice(1)] };
}

export const WRAPPERS: readonly Wrapper[] = [
  { name: 'vxlan', from: ['eth'], wrap: (x) => udpTunnel(x, 4789, 'vxlan', vxlan({ vni: 42 }, x.bytes)) },
  { name: 'geneve', from: ['eth', 'ip4', 'ip6'], wrap: (x) => udpTunnel(x, 6081, 'geneve', geneve({ vni: 7, protocol: ETHERTYPE_OF[x.kind] }, x.bytes)) },
  { name: 'vxlan-gpe', from: ['eth', 'ip4', 'ip6'], wrap: (x) => udpTunnel(x, 4790, 'vxlan_gpe', vxlanGpe({ vni: 9, next: x.kind === 'eth' ? 'ethernet' : x.kind === 'ip4' ? 'ipv4' : 'ipv6' }, x.bytes)) },
  { name: 'flannel', from: ['ip4', 'ip6'], wrap: (x) => udpTunnel(x, 8285, 'flannel', x.bytes, 8285) },
  {
    name: 'gre',
    from: ['eth', 'ip4', 'ip6'],
    wrap: (x) => ({ kind: 'ip4', bytes: ipPacket({ src: V4[0], dst: V4[1] }, IPPROTO.GRE, gre({ protocol: ETHERTYPE_OF[x.kind], key: 1 }, x.bytes)), layers: [['ip', false], ['gre', true], ...x.layers] }),
  },
  {
    name: 'gre6',
    from: ['eth', 'ip4', 'ip6'],
    wrap: (x) => ({ kind: 'ip6', bytes: ipv6({ src: V6[0], dst: V6[1], next: IPPROTO.GRE }, gre({ protocol: ETHERTYPE_OF[x.kind] }, x.bytes)), layers: [['ipv6', false], ['gre', true], ...x.layers] }),
  },
  { name: 'ipip', from: ['ip4'], wrap: (x) => ({ kind: 'ip4', bytes: ipip({ src: V4[0], dst: V4[1] }, x.bytes), layers: [['ip', true], ...x.layers] }) },
  { name: '6in4', from: ['ip6'], wrap: (x) => ({ kind: 'ip4', bytes: sixInFour({ src: V4[0], dst: V4[1] }, x.bytes), layers: [['ip', true], ...x.layers] }) },
  {
    name: 'in6',
    from: ['ip4', 'ip6'],
    wrap: (x) => ({ kind: 'ip6', bytes: ipv6({ src: V6[0], dst: V6[1], next: x.kind === 'ip4' ? IPPROTO.IPIP : IPPROTO.IPV6 }, x.bytes), layers: [['ipv6', true], ...x.layers] }),
  },
  {
    name: 'ethernet',
    from: ['ip4', 'ip6'],
    wrap: (x) => ({ kind: 'eth', bytes: ethernet({ src: '52:54:00:c6:12:01', dst: '52:54:00:c6:12:02', type: ETHERTYPE_OF[x.kind] }, x.bytes), layers: [['eth', false], ...x.layers] }),
  },
  { name: 'vlan', from: ['eth'], wrap: (x) => tag(x, ETHERTYPE.VLAN, 'vlan') },
  { name: 'qinq', from: ['eth'], wrap: (x) => tag(x, ETHERTYPE.QINQ, 'ieee8021ad') },
];

export interface TunnelStack extends RawPacket {
  wrappers: string[];
  /** Every layer name with whether a tunnel is entered after it, `frame` first. */
  layers: Array<[name: string, tunnel: boolean]>;
}

/** Build the stack named by `choices` (one wrapper per choice among those that fit). */
export function buildTunnelStack(choices: readonly number[]): TunnelStack {
  let x: Built = { kind: 'ip4', bytes: tcpSyn('100.96.1.5', '100.96.2.7'), layers: [['ip', false], ['tcp', false]] };
  const names: string[] = [];
  for (const c of choices) {
    const fits = WRAPPERS.filter((w) => w.from.includes(x.kind));
    const w = fits[c % fits.length]!;
    x = w.wrap(x);
    names.push(w.name);
  }
  const linktype = x.kind === 'eth' ? 1 : x.kind === 'ip4' ? 228 : 229;
  return { linktype, bytes: x.bytes, wireLen: x.bytes.length, wrappers: names.reverse(), layers: [['frame', false], ...x.layers] };
}

/**
 * `depth` encapsulations of one kind, with an Ethernet header or a GRE tunnel in between
 * where that kind cannot carry what the previous one made.
 */
export function buildNamedStack(name: string, depth: number): TunnelStack {
  const choices: number[] = [];
  let kind: Kind = 'ip4';
  const pick = (w: Wrapper) => {
    const fits = WRAPPERS.filter((x) => x.from.includes(kind));
    choices.push(fits.indexOf(w));
    kind = w.wrap({ kind, bytes: Buffer.alloc(60), layers: [] }).kind;
  };
  const w = WRAPPERS.find((x) => x.name === name)!;
  const adapter = (k: Kind) => WRAPPERS.find((x) => x.name === (k === 'eth' ? 'gre' : 'ethernet'))!;
  while (choices.length < depth) pick(w.from.includes(kind) ? w : adapter(kind));
  return buildTunnelStack(choices);
}

/** Encapsulations nested up to `maxDepth` deep, in any order that fits together. */
export const arbTunnelStack = (maxDepth = 20): fc.Arbitrary<TunnelStack> =>
  fc
    .integer({ min: 0, max: maxDepth })
    .chain((n) => fc.array(fc.nat({ max: 1000 }), { minLength: n, maxLength: n }))
    .map(buildTunnelStack);

/**
 * The layers the decoder should show for a stack, simulating its two limits: at most
 * `maxLayers` layers, and dissection stops once more than `maxDepth` tunnels are crossed.
 */
export function expectedLayers(stack: TunnelStack, maxLayers: number, maxDepth: number): { names: string[]; depths: number[]; limit: 'none' | 'tunnel_depth' | 'too_many_layers' } {
  const names: string[] = [];
  const depths: number[] = [];
  let depth = 0;
  for (const [name, tunnel] of stack.layers) {
    if (names.length === maxLayers) return { names, depths, limit: 'too_many_layers' };
    names.push(name === AD_DOUBLE ? 'ieee8021ad' : name);
    depths.push(depth);
    if (tunnel && ++depth > maxDepth) return { names, depths, limit: 'tunnel_depth' };
  }
  return { names, depths, limit: 'none' };
}

/** A classic pcap (Ethernet unless said otherwise) holding the packets, a millisecond apart. */
export function pcapOf(packets: ReadonlyArray<{ bytes: Buffer; wireLen?: number }>, linktype = 1): Buffer {
  const o = { linktype, nanosecond: true };
  const parts = [encodePcapHeader(o)];
  packets.forEach((p, k) => parts.push(encodePcapRecord(o, { sec: 1_700_000_000, nsec: k * 1_000_000 }, p.bytes, Math.max(p.wireLen ?? p.bytes.length, p.bytes.length))));
  return Buffer.concat(parts);
}

// -- capture files ----------------------------------------------------------------------

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS_DIRS = [join(ROOT, '../shared/corpus/tcpdump'), join(ROOT, '../shared/corpus/libpcap')];

export interface CaptureFile {
  name: string;
  path: string;
  /** As stored (possibly gzip-compressed). */
  bytes: Buffer;
}

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/i;

/** Every fixture (recursively) and every capture of the shared corpus, sorted by name. */
export function captureFiles(): CaptureFile[] {
  const out: CaptureFile[] = [];
  const fixtures = join(ROOT, 'fixtures');
  for (const f of (readdirSync(fixtures, { recursive: true }) as string[]).sort()) {
    if (CAPTURE.test(f) && !f.startsWith('crashers')) out.push({ name: `fixtures/${f}`, path: join(fixtures, f), bytes: readFileSync(join(fixtures, f)) });
  }
  for (const dir of CORPUS_DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (CAPTURE.test(f)) out.push({ name: `${basename(dir)}/${f}`, path: join(dir, f), bytes: readFileSync(join(dir, f)) });
    }
  }
  return out;
}

/** The data a reader sees: gzip inflated when it is whole, as stored otherwise. */
export function plainBytes(f: CaptureFile): Buffer {
  if (f.bytes[0] !== 0x1f || f.bytes[1] !== 0x8b) return f.bytes;
  try {
    return gunzipSync(f.bytes);
  } catch {
    return f.bytes;
  }
}

/**
 * Offsets where a record (pcap) or a block (pcapng) starts, walked by the lengths the
 * file gives, plus where the walk ends; the walk stops at the first length that cannot
 * be right. Empty for anything else.
 */
export function recordBoundaries(b: Buffer): number[] {
  const out: number[] = [];
  if (b.length < 24) return out;
  const m = b.readUInt32LE(0);
  if (m === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o + 12 <= b.length; ) {
      if (b.readUInt32LE(o) === 0x0a0d0d0a) le = b.readUInt32LE(o + 8) === 0x1a2b3c4d;
      const L = le ? b.readUInt32LE(o + 4) : b.readUInt32BE(o + 4);
      out.push(o);
      if (L < 12 || L % 4 !== 0 || o + L > b.length) return out;
      o += L;
      if (o === b.length) out.push(o);
    }
    return out;
  }
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const be = b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d;
  if (!le && !be) return out;
  for (let o = 24; o + 16 <= b.length; ) {
    out.push(o);
    const cap = le ? b.readUInt32LE(o + 8) : b.readUInt32BE(o + 8);
    if (cap > 262144 || o + 16 + cap > b.length) return out;
    o += 16 + cap;
    if (o === b.length) out.push(o);
  }
  return out;
}

/** At most `n` items: the first and last few and an even spread between (bounded work). */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const head = Math.floor(n / 4);
  const tail = Math.floor(n / 4);
  const mid = n - head - tail;
  const out = items.slice(0, head);
  for (let k = 0; k < mid; k++) out.push(items[head + Math.floor(((items.length - head - tail) * k) / mid)]!);
  out.push(...items.slice(items.length - tail));
  return out;
}
