import { flowKeyOf } from './describe.js';
import { expectedChain, flowEnds, type ChainStep, type FlowEnds, type NodeLocator } from './expect.js';
import type { JoinedFlows } from './match.js';
import type { PointGuess } from './points.js';
import type { FlowKey } from './types.js';

export interface FlowChain {
  flow: FlowKey;
  ends: FlowEnds;
  /** The points the flow's packets should cross, in order. */
  chain: ChainStep[];
}

/** Words of a flow's key: inner source, destination, sport << 16 | dport, protocol. */
const WORDS = 4;

/**
 * Flow directions by their inner addresses, ports and protocol, numbered once for the
 * whole run. A flow's number stays for the run (about 24 bytes of typed arrays each), while
 * its description (addresses as text, ends, expected chain) is held only while something
 * follows the flow: a released flow that shows up again is described afresh.
 */
export class FlowRegistry {
  /** Descriptions by flow id; undefined once released. */
  readonly list: Array<FlowChain | undefined> = [];
  private words = new Uint32Array(WORDS * 1024);
  /** Open addressing: flow id + 1 per slot, 0 empty. */
  private slots = new Int32Array(2048);
  private readonly chains = new Map<string, ChainStep[]>();

  constructor(
    private readonly locator: NodeLocator,
    private readonly points: PointGuess[],
  ) {}

  /** The run-wide id of flow `f` of a joined slice; registered (with its expected chain) on first sight. */
  id(j: JoinedFlows, f: number, tunnelled: boolean): number {
    const g = j.flowHead[f]!;
    const c = j.capOf[g]!;
    const t = j.tables[c]!;
    const i = g - j.base[c]!;
    let id = this.find(t.src[i]!, t.dst[i]!, t.ports[i]!, t.proto[i]!);
    if (id < 0) id = this.add(t.src[i]!, t.dst[i]!, t.ports[i]!, t.proto[i]!);
    if (this.list[id] === undefined) {
      const flow = flowKeyOf(t, i);
      const ends = flowEnds(flow, this.locator);
      // The chain depends on the addresses only: flows between two pods share it.
      const ck = `${flow.src}|${flow.dst}|${tunnelled ? 1 : 0}`;
      let chain = this.chains.get(ck);
      if (!chain) this.chains.set(ck, (chain = expectedChain(flow, ends, this.points, tunnelled)));
      this.list[id] = { flow, ends, chain };
    }
    return id;
  }

  /** Let go of a flow's description (its id stays). */
  release(id: number): void {
    this.list[id] = undefined;
  }

  /** The id of the opposite direction of flow `id`, or -1 when it was never seen. */
  reverse(id: number): number {
    const w = this.words;
    const o = id * WORDS;
    const ports = w[o + 2]!;
    return this.find(w[o + 1]!, w[o]!, ((ports << 16) | (ports >>> 16)) >>> 0, w[o + 3]!);
  }

  private find(src: number, dst: number, ports: number, proto: number): number {
    const mask = this.slots.length - 1;
    const w = this.words;
    for (let s = hash(src, dst, ports, proto) & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s]!;
      if (v === 0) return -1;
      const o = (v - 1) * WORDS;
      if (w[o] === src && w[o + 1] === dst && w[o + 2] === ports && w[o + 3] === proto) return v - 1;
    }
  }

  private add(src: number, dst: number, ports: number, proto: number): number {
    const id = this.list.length;
    this.list.push(undefined);
    if ((id + 1) * WORDS > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    const o = id * WORDS;
    this.words[o] = src;
    this.words[o + 1] = dst;
    this.words[o + 2] = ports;
    this.words[o + 3] = proto;
    // Half full at most: probes stay short.
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2, id);
    this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    const w = this.words;
    const o = id * WORDS;
    let s = hash(w[o]!, w[o + 1]!, w[o + 2]!, w[o + 3]!) & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }

  private rehash(size: number, count: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < count; id++) this.place(id);
  }
}

function hash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15) ^ d, 0x165667b1);
  return (h ^ (h >>> 16)) >>> 0;
}
