import { defineAnalyzer } from '../analyzer.js';
import { type PacketFacts, TUNNEL_GENEVE, TUNNEL_NONE, TUNNEL_VXLAN, TUNNEL_VXLAN_GPE } from '../facts.js';
import { PAIR_A, PAIR_B, PAIR_C, PAIR_PACKET, PAIR_TIME, PairCounter, pairInput, type PairStat } from '../pair-counter.js';

/**
 * Per-capture collection of the associations the topology is built from. IPv4 only: the
 * pod networks this tool diagnoses are IPv4 underlays in practice; IPv6 flows are still
 * counted by the flow table.
 */
export interface TopologyObservations {
  capture: string;
  /** VTEP identity: a=outer src IP, b=inner src MAC, c=VNI*65536+UDP port, kind in tunnelKinds. */
  vtepSrc: PairStat[];
  /** What senders' FDBs say: a=outer dst IP, b=inner dst MAC, c=VNI*65536+UDP port. */
  vtepDst: PairStat[];
  /** Pod /24 behind a tunnel source: a=outer src IP, b=inner src /24 base, c=tunnel kind. */
  podBehindSrc: PairStat[];
  /** Pod /24 a sender tunnels to a node: a=outer dst IP, b=inner dst /24 base, c=outer src IP (the sender). */
  podToDst: PairStat[];
  /** What a sender's FDB did: a=outer dst IP, b=inner dst MAC, c=outer src IP (the sender). */
  fdbUse: PairStat[];
  /** Each inner source address and the node it was tunnelled from: a=inner src IP, b=outer src IP. */
  podIpBehind: PairStat[];
  /** Link-layer source of IP packets: a=MAC, b=IP src (outermost headers). */
  l2Src: PairStat[];
  /** Link-layer destination of IP packets: a=MAC, b=IP dst (outermost headers), unencapsulated only. */
  l2Dst: PairStat[];
  arpRequests: PairStat[]; // a=target IP, b=sender IP, c=-1
  arpReplies: PairStat[]; // a=sender IP, b=sender MAC
  arpGratuitous: PairStat[]; // a=IP, b=MAC
  /** ARP sent by the capturing host itself (direction known): a=sender MAC, b=sender IP. */
  arpOutgoing: PairStat[];
  tunnelKinds: number[];
  overflow: number;
}

interface State {
  /** The input every counter below reads (see pairInput). */
  input: Float64Array;
  vtepSrc: PairCounter;
  vtepDst: PairCounter;
  podBehindSrc: PairCounter;
  podToDst: PairCounter;
  fdbUse: PairCounter;
  podIpBehind: PairCounter;
  l2Src: PairCounter;
  l2Dst: PairCounter;
  arpRequests: PairCounter;
  arpReplies: PairCounter;
  arpGratuitous: PairCounter;
  arpOutgoing: PairCounter;
  tunnelKinds: Set<number>;
  /** The kind last added: a Set insert per tunnelled packet costs more than the rest of the hook. */
  lastTunnelKind: number;
  /**
   * The first kinds added, looked through before the Set: captures mix a few kinds packet
   * by packet (VXLAN, IPIP, GRE between the same nodes; 42% of the packets of the bench
   * capture change kind), so the last kind alone misses often, and a Set lookup costs more
   * than scanning a handful of words.
   */
  firstKinds: Int32Array;
  firstKindCount: number;
  /**
   * Per flow direction (flow row × 2 + direction), the keys of its last IPv4 packet and the
   * counter entries they found. A flow's packets repeat their associations, and packets of
   * different flows interleave: checking the keys once against this row and counting on the
   * remembered entries replaces a lookup per counter. The keys are compared in full, so a
   * flow row the flow table reuses for another flow only misses once. Grown with the slots
   * used, up to MEMO_MAX_SLOTS; beyond that, flow directions share slots (row number modulo
   * the slots): the memo holds the flows of the moment, not every row of a full flow table,
   * and one that finds another's keys in its slot only looks its own up again.
   */
  memoKeys: Float64Array;
  memoEntries: Int32Array;
  memoSlots: number;
  /**
   * The same rows by the keys' hash (KEYED_SLOTS of them), tried when the flow's own row
   * misses: a flow's first packet usually repeats the associations of packets before it
   * (a new connection between the same pods or nodes; every probe of a scan), so even a
   * capture of a million short flows counts most packets without looking anything up.
   */
  keyedKeys: Float64Array;
  keyedEntries: Int32Array;
  /** The current packet's keys, laid out as a memo row. */
  now: Float64Array;
  /** The counters again, by their entry's place in a memo row (E_*). */
  byEntry: PairCounter[];
}

/** IPv4 addresses' words in PacketFacts.addr (the last of each four). */
const OUTER_SRC = 3;
const OUTER_DST = 7;
const INNER_SRC = 11;
const INNER_DST = 15;

/** Above every VNI × 65536 + UDP port: the tunnel kind's place in a VTEP key's third word. */
const KIND_SHIFT = 2 ** 40;

/** Memo row of keys: which branches the packet took (0: none kept), then each key they read. */
const M_SHAPE = 0;
const M_OUTER_SRC = 1;
const M_OUTER_DST = 2;
const M_ETH_SRC = 3;
const M_ETH_DST = 4;
const M_INNER_ETH_SRC = 5;
const M_INNER_ETH_DST = 6;
const M_VTEP = 7;
const M_INNER_SRC = 8;
const M_INNER_DST = 9;
const MEMO_KEYS = 10;
/**
 * A flow direction's memo row (memoKeys) also holds, after its keys: whether every entry it
 * counts on has its sample of packet numbers full, and then the packets counted on the row
 * since but not yet added to the entries (how many, the last and its time). Once sampled,
 * an entry's count and last packet are all a packet changes, so a flow's packets add up in
 * its own row and reach the eight counters when the row's keys change or the pass ends:
 * one cache line per packet instead of one per counter.
 */
const M_SAMPLED = 10;
const M_PENDING = 11;
const M_PENDING_PACKET = 12;
const M_PENDING_TIME = 13;
const MEMO_STRIDE = 14;
/** Memo row of entries, one per counter an IPv4 packet can touch. */
const E_L2_SRC = 0;
const E_L2_DST = 1;
const E_VTEP_SRC = 2;
const E_VTEP_DST = 3;
const E_FDB_USE = 4;
const E_POD_BEHIND_SRC = 5;
const E_POD_TO_DST = 6;
const E_POD_IP_BEHIND = 7;
const MEMO_ENTRIES = 8;
/** Shape bits: nonzero for a kept row, then the branches taken and the tunnel kind. */
const SHAPE_VALID = 1;
const SHAPE_OUTER_ETH = 2;
const SHAPE_VTEP = 4;
const SHAPE_INNER = 8;
const SHAPE_TUNNEL = 16;
const SHAPE_KIND_SHIFT = 5;

/** The shape's bits below the tunnel kind: which branches the packet took. */
const BRANCH_MASK = (1 << SHAPE_KIND_SHIFT) - 1;
/** The entries (E_*) a packet counts on, by its shape's branch bits: the one place the branches' counters are listed. */
const ENTRIES_OF_SHAPE: Int8Array[] = Array.from({ length: BRANCH_MASK + 1 }, (_, shape) => {
  const out: number[] = [];
  if (shape & SHAPE_OUTER_ETH) out.push(E_L2_SRC, ...(shape & SHAPE_TUNNEL ? [] : [E_L2_DST]));
  if (shape & SHAPE_VTEP) out.push(E_VTEP_SRC, E_VTEP_DST, E_FDB_USE);
  if (shape & SHAPE_INNER) out.push(E_POD_BEHIND_SRC, E_POD_TO_DST, E_POD_IP_BEHIND);
  return Int8Array.from(out);
});
/**
 * Both directions of 16384 flow rows (4.7 MB): more than the flows a node has going at once.
 * One slot per direction of every row of the flow table's default 131072 would grow to
 * 30 MB as the table fills, and with it the memory of a long capture.
 */
const MEMO_MAX_SLOTS = 1 << 15;
/** Rows of the keyed memo (112 KiB). */
const KEYED_SLOTS = 1024;

/** Tunnel kinds kept in firstKinds (more are rare: each is a tunnel type and port). */
const FIRST_KINDS = 8;

function noteTunnelKind(s: State, kind: number): void {
  const first = s.firstKinds;
  for (let i = 0; i < s.firstKindCount; i++) if (first[i] === kind) return;
  if (s.firstKindCount < FIRST_KINDS) first[s.firstKindCount++] = kind;
  s.tunnelKinds.add(kind);
}

function sameKeys(keys: Float64Array, m: number, now: Float64Array): boolean {
  return (
    keys[m + M_SHAPE] === now[M_SHAPE] &&
    keys[m + M_OUTER_SRC] === now[M_OUTER_SRC] &&
    keys[m + M_OUTER_DST] === now[M_OUTER_DST] &&
    keys[m + M_ETH_SRC] === now[M_ETH_SRC] &&
    keys[m + M_ETH_DST] === now[M_ETH_DST] &&
    keys[m + M_INNER_ETH_SRC] === now[M_INNER_ETH_SRC] &&
    keys[m + M_INNER_ETH_DST] === now[M_INNER_ETH_DST] &&
    keys[m + M_VTEP] === now[M_VTEP] &&
    keys[m + M_INNER_SRC] === now[M_INNER_SRC] &&
    keys[m + M_INNER_DST] === now[M_INNER_DST]
  );
}

/** The keyed memo row for the keys in `now`. */
function keyedSlot(now: Float64Array): number {
  // `| 0` keeps a key's low 32 bits (MACs and VTEP keys are wider): enough to spread rows.
  let h = Math.imul(now[M_SHAPE]! ^ (now[M_OUTER_SRC]! | 0), 0x9e3779b1);
  h = Math.imul(h ^ (now[M_OUTER_DST]! | 0), 0x85ebca77);
  h = Math.imul(h ^ (now[M_INNER_SRC]! | 0), 0xc2b2ae3d);
  h = Math.imul(h ^ (now[M_INNER_DST]! | 0), 0x27d4eb2d);
  h = Math.imul(h ^ (now[M_ETH_SRC]! | 0) ^ (now[M_INNER_ETH_DST]! | 0), 0x165667b1);
  return (h ^ (h >>> 15)) & (KEYED_SLOTS - 1);
}

function growMemo(s: State, slot: number): void {
  let slots = Math.max(256, s.memoSlots * 2);
  while (slots <= slot) slots *= 2;
  slots = Math.min(slots, MEMO_MAX_SLOTS);
  const keys = new Float64Array(slots * MEMO_STRIDE);
  keys.set(s.memoKeys);
  const entries = new Int32Array(slots * MEMO_ENTRIES);
  entries.set(s.memoEntries);
  s.memoKeys = keys;
  s.memoEntries = entries;
  s.memoSlots = slots;
}

function createState(): State {
  const input = pairInput();
  const counter = () => new PairCounter(undefined, input);
  const [l2Src, l2Dst, vtepSrc, vtepDst, fdbUse, podBehindSrc, podToDst, podIpBehind] = Array.from({ length: MEMO_ENTRIES }, counter) as [PairCounter, PairCounter, PairCounter, PairCounter, PairCounter, PairCounter, PairCounter, PairCounter];
  return {
    input,
    vtepSrc,
    vtepDst,
    podBehindSrc,
    podToDst,
    fdbUse,
    podIpBehind,
    l2Src,
    l2Dst,
    arpRequests: counter(),
    arpReplies: counter(),
    arpGratuitous: counter(),
    arpOutgoing: counter(),
    tunnelKinds: new Set(),
    lastTunnelKind: -1,
    firstKinds: new Int32Array(FIRST_KINDS),
    firstKindCount: 0,
    memoKeys: new Float64Array(0),
    memoEntries: new Int32Array(0),
    memoSlots: 0,
    keyedKeys: new Float64Array(KEYED_SLOTS * MEMO_KEYS),
    keyedEntries: new Int32Array(KEYED_SLOTS * MEMO_ENTRIES),
    now: new Float64Array(MEMO_KEYS),
    // In E_* order: E_L2_SRC, E_L2_DST, E_VTEP_SRC, E_VTEP_DST, E_FDB_USE, E_POD_BEHIND_SRC, E_POD_TO_DST, E_POD_IP_BEHIND.
    byEntry: [l2Src, l2Dst, vtepSrc, vtepDst, fdbUse, podBehindSrc, podToDst, podIpBehind],
  };
}

/** ARP associations: rare next to IPv4, so out of the hook's common path. */
function countArp(s: State, f: PacketFacts): void {
  const k = s.input;
  if (f.arpSpa === f.arpTpa && f.arpSpa !== 0) {
    k[PAIR_A] = f.arpSpa;
    k[PAIR_B] = f.arpSha;
    k[PAIR_C] = -1;
    s.arpGratuitous.addInput();
  } else if (f.arpOp === 1) {
    k[PAIR_A] = f.arpTpa;
    k[PAIR_B] = f.arpSpa;
    k[PAIR_C] = -1;
    s.arpRequests.addInput();
  }
  if (f.arpOp === 2) {
    k[PAIR_A] = f.arpSpa;
    k[PAIR_B] = f.arpSha;
    k[PAIR_C] = -1;
    s.arpReplies.addInput();
  }
  if (f.direction === 2) {
    k[PAIR_A] = f.arpSha;
    k[PAIR_B] = f.arpSpa;
    k[PAIR_C] = -1;
    s.arpOutgoing.addInput();
  }
}

/**
 * The IPv4 packet's associations from its keys in `s.now`, counted on the entries of the
 * keyed memo row when it holds these keys, else each looked up (and the keyed row then
 * takes the keys and the entries found, unless a counter was full). `slot`'s memo (when
 * it has one, slot >= 0) takes the same. Out of the packet hook: a flow direction's first
 * packet or a changed one only.
 */
function countUnremembered(s: State, slot: number): void {
  if (slot >= 0) {
    flushSlot(s, slot);
    s.memoKeys[slot * MEMO_STRIDE + M_SAMPLED] = 0;
  }
  const now = s.now;
  const kslot = keyedSlot(now);
  const km = kslot * MEMO_KEYS;
  const ke = kslot * MEMO_ENTRIES;
  const keyedEntries = s.keyedEntries;
  if (sameKeys(s.keyedKeys, km, now)) countRemembered(s, keyedEntries, ke);
  else if (countLookedUp(s, ke) < 0) {
    // A counter was full: nothing is remembered, so the pair is looked up (and counted as missed) again next time.
    s.keyedKeys[km + M_SHAPE] = 0;
    if (slot >= 0) s.memoKeys[slot * MEMO_STRIDE + M_SHAPE] = 0;
    return;
  } else s.keyedKeys.set(now, km);
  if (slot < 0) return;
  s.memoKeys.set(now, slot * MEMO_STRIDE);
  const entries = s.memoEntries;
  const e = slot * MEMO_ENTRIES;
  for (let k = 0; k < MEMO_ENTRIES; k++) entries[e + k] = keyedEntries[ke + k]!;
}

/**
 * Count the packet on its flow direction's memo row: added up in the row once every entry
 * it counts on is sampled, else counted on each (and the row then marked when they all are).
 */
function countOnSlot(s: State, slot: number): void {
  const keys = s.memoKeys;
  const m = slot * MEMO_STRIDE;
  if (keys[m + M_SAMPLED] === 1) {
    keys[m + M_PENDING]!++;
    keys[m + M_PENDING_PACKET] = s.input[PAIR_PACKET]!;
    keys[m + M_PENDING_TIME] = s.input[PAIR_TIME]!;
    return;
  }
  const e = slot * MEMO_ENTRIES;
  countRemembered(s, s.memoEntries, e);
  if (allSampled(s, keys[m + M_SHAPE]!, s.memoEntries, e)) keys[m + M_SAMPLED] = 1;
}

/** Whether every entry of row `e` that a packet of this shape counts on is sampled. */
function allSampled(s: State, shape: number, entries: Int32Array, e: number): boolean {
  const list = ENTRIES_OF_SHAPE[shape & BRANCH_MASK]!;
  for (let x = 0; x < list.length; x++) if (!s.byEntry[list[x]!]!.sampled(entries[e + list[x]!]!)) return false;
  return true;
}

/** Add the packets a memo row has added up to its entries. */
function flushSlot(s: State, slot: number): void {
  const keys = s.memoKeys;
  const m = slot * MEMO_STRIDE;
  const n = keys[m + M_PENDING]!;
  if (n === 0) return;
  keys[m + M_PENDING] = 0;
  const packet = keys[m + M_PENDING_PACKET]!;
  const time = keys[m + M_PENDING_TIME]!;
  const entries = s.memoEntries;
  const e = slot * MEMO_ENTRIES;
  const list = ENTRIES_OF_SHAPE[keys[m + M_SHAPE]! & BRANCH_MASK]!;
  for (let x = 0; x < list.length; x++) s.byEntry[list[x]!]!.countLater(entries[e + list[x]!]!, n, packet, time);
}

/** Count the packet on remembered entries (row `e` of `entries`) for the branches its shape in `s.now` took. */
function countRemembered(s: State, entries: Int32Array, e: number): void {
  const list = ENTRIES_OF_SHAPE[s.now[M_SHAPE]! & BRANCH_MASK]!;
  for (let x = 0; x < list.length; x++) s.byEntry[list[x]!]!.count(entries[e + list[x]!]!);
}

/** Look up and count each association of the keys in `s.now`, noting the entries in row `e` of the keyed memo; negative when a counter was full and a pair new. */
function countLookedUp(s: State, e: number): number {
  const k = s.input;
  const now = s.now;
  const shape = now[M_SHAPE]!;
  const outerSrc = now[M_OUTER_SRC]!;
  const outerDst = now[M_OUTER_DST]!;
  const entries = s.keyedEntries;
  let missed = 0;
  if (shape & SHAPE_OUTER_ETH) {
    k[PAIR_A] = now[M_ETH_SRC]!;
    k[PAIR_B] = outerSrc;
    k[PAIR_C] = -1;
    missed |= entries[e + E_L2_SRC] = s.l2Src.addInput();
    if (!(shape & SHAPE_TUNNEL)) {
      k[PAIR_A] = now[M_ETH_DST]!;
      k[PAIR_B] = outerDst;
      missed |= entries[e + E_L2_DST] = s.l2Dst.addInput();
    }
  }
  if (shape & SHAPE_VTEP) {
    k[PAIR_A] = outerSrc;
    k[PAIR_B] = now[M_INNER_ETH_SRC]!;
    k[PAIR_C] = now[M_VTEP]!;
    missed |= entries[e + E_VTEP_SRC] = s.vtepSrc.addInput();
    k[PAIR_A] = outerDst;
    k[PAIR_B] = now[M_INNER_ETH_DST]!;
    missed |= entries[e + E_VTEP_DST] = s.vtepDst.addInput();
    k[PAIR_C] = outerSrc;
    missed |= entries[e + E_FDB_USE] = s.fdbUse.addInput();
  }
  if (shape & SHAPE_INNER) {
    const innerSrc = now[M_INNER_SRC]!;
    k[PAIR_A] = outerSrc;
    k[PAIR_B] = (innerSrc & 0xffffff00) >>> 0;
    k[PAIR_C] = shape >>> SHAPE_KIND_SHIFT;
    missed |= entries[e + E_POD_BEHIND_SRC] = s.podBehindSrc.addInput();
    k[PAIR_A] = outerDst;
    k[PAIR_B] = (now[M_INNER_DST]! & 0xffffff00) >>> 0;
    k[PAIR_C] = outerSrc;
    missed |= entries[e + E_POD_TO_DST] = s.podToDst.addInput();
    k[PAIR_A] = innerSrc;
    k[PAIR_B] = outerSrc;
    k[PAIR_C] = -1;
    missed |= entries[e + E_POD_IP_BEHIND] = s.podIpBehind.addInput();
  }
  return missed;
}

export const topologyCollector = defineAnalyzer<State, TopologyObservations>({
  name: 'topology',
  create: createState,
  packet(s, f, p, ctx) {
    // Keys go into the shared input, never through arguments (see pairInput).
    const k = s.input;
    k[PAIR_PACKET] = p.number;
    k[PAIR_TIME] = ctx.time;
    if (f.arp >= 0) {
      countArp(s, f);
      return;
    }
    if (f.outerIp < 0 || !f.outerV4) return;
    const addr = f.addr;
    const kind = f.tunnelKind;
    const tunnelled = kind !== TUNNEL_NONE;
    if (tunnelled) {
      const tunnelKind = kind * 65536 + (f.tunnelUdpDport || f.outerProto);
      if (tunnelKind !== s.lastTunnelKind) {
        noteTunnelKind(s, tunnelKind);
        s.lastTunnelKind = tunnelKind;
      }
    }
    // The keys, written once into s.now (doubles in a typed array are not boxed); those of a branch not taken are 0.
    const outerEth = f.outerEth >= 0;
    const vtepPath = tunnelled && f.innerEth >= 0 && f.innerEth !== f.outerEth && (kind === TUNNEL_VXLAN || kind === TUNNEL_GENEVE || kind === TUNNEL_VXLAN_GPE);
    const innerPath = tunnelled && f.innerIp !== f.outerIp && f.innerV4;
    const shape = SHAPE_VALID | (outerEth ? SHAPE_OUTER_ETH : 0) | (tunnelled ? SHAPE_TUNNEL : 0) | (vtepPath ? SHAPE_VTEP : 0) | (innerPath ? SHAPE_INNER : 0) | (kind << SHAPE_KIND_SHIFT);
    const now = s.now;
    now[M_SHAPE] = shape;
    now[M_OUTER_SRC] = addr[OUTER_SRC]!;
    now[M_OUTER_DST] = addr[OUTER_DST]!;
    now[M_ETH_SRC] = outerEth ? f.outerEthSrc : 0;
    now[M_ETH_DST] = outerEth && !tunnelled ? f.outerEthDst : 0;
    now[M_INNER_ETH_SRC] = vtepPath ? f.innerEthSrc : 0;
    now[M_INNER_ETH_DST] = vtepPath ? f.innerEthDst : 0;
    now[M_VTEP] = vtepPath ? Math.max(0, f.tunnelId) * 65536 + f.tunnelUdpDport + kind * KIND_SHIFT : 0;
    now[M_INNER_SRC] = innerPath ? addr[INNER_SRC]! : 0;
    now[M_INNER_DST] = innerPath ? addr[INNER_DST]! : 0;

    let slot = ctx.flowRow >= 0 ? ctx.flowRow * 2 + ctx.flowDir : -1;
    if (slot >= s.memoSlots) {
      if (s.memoSlots < MEMO_MAX_SLOTS) growMemo(s, slot);
      slot &= s.memoSlots - 1;
    }
    // Same associations as this flow direction's last packet: counted on the entries found then.
    if (slot >= 0 && sameKeys(s.memoKeys, slot * MEMO_STRIDE, now)) countOnSlot(s, slot);
    else countUnremembered(s, slot);
  },
  finish(s, ctx) {
    for (let slot = 0; slot < s.memoSlots; slot++) flushSlot(s, slot);
    const counters = [s.vtepSrc, s.vtepDst, s.podBehindSrc, s.podToDst, s.fdbUse, s.podIpBehind, s.l2Src, s.l2Dst, s.arpRequests, s.arpReplies, s.arpGratuitous, s.arpOutgoing];
    return {
      capture: ctx.capture,
      vtepSrc: s.vtepSrc.all(),
      vtepDst: s.vtepDst.all(),
      podBehindSrc: s.podBehindSrc.all(),
      podToDst: s.podToDst.all(),
      fdbUse: s.fdbUse.all(),
      podIpBehind: s.podIpBehind.all(),
      l2Src: s.l2Src.all(),
      l2Dst: s.l2Dst.all(),
      arpRequests: s.arpRequests.all(),
      arpReplies: s.arpReplies.all(),
      arpGratuitous: s.arpGratuitous.all(),
      arpOutgoing: s.arpOutgoing.all(),
      tunnelKinds: [...s.tunnelKinds],
      overflow: counters.reduce((a, c) => a + c.overflow, 0),
    };
  },
});
