import { flowKeyOf } from './describe.js';
import { FlowKeys } from './flow-keys.js';
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

/**
 * Flow directions by their inner addresses, ports and protocol, numbered once for the
 * whole run. A flow's number stays for the run (about 24 bytes of typed arrays each), while
 * its description (addresses as text, ends, expected chain) is held only while something
 * follows the flow: a released flow that shows up again is described afresh.
 */
export class FlowRegistry {
  /** Descriptions by flow id; undefined once released. */
  readonly list: Array<FlowChain | undefined> = [];
  private readonly keys = new FlowKeys();
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
    const id = this.keys.id(t.src[i]!, t.dst[i]!, t.ports[i]!, t.proto[i]!);
    if (id === this.list.length) this.list.push(undefined);
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
    const k = this.keys;
    const ports = k.word(id, 2);
    return k.find(k.word(id, 1), k.word(id, 0), ((ports << 16) | (ports >>> 16)) >>> 0, k.word(id, 3));
  }
}
