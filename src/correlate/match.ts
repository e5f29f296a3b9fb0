import { FRESH, type Arrays } from './array-pool.js';
import { FlowKeys } from './flow-keys.js';
import type { SightingTable } from './sightings.js';

/**
 * Sightings of all captures joined into packets. Three levels, all typed arrays indexed
 * by a global sighting number g (capture-major, so `base[c] + i` is row i of capture c):
 *  - group: sightings sharing the header identity;
 *  - instance: one capture's sightings of one group close in time on distinct interfaces
 *    (an `any` capture sees one packet on the veth, the bridge, the VTEP and the NIC);
 *  - packet: instances of one group in different captures, close in corrected time.
 * A retransmission with identical bytes becomes a second instance (same interface again)
 * and so a second packet.
 */
export interface Joined {
  tables: SightingTable[];
  base: Int32Array;
  total: number;
  capOf: Uint16Array;
  groupOf: Int32Array;
  groups: number;
  /** Members of group k: members[groupStart[k] .. groupStart[k+1]), capture-major, time order. */
  groupStart: Int32Array;
  members: Int32Array;
  instOf: Int32Array;
  instances: number;
  instCap: Uint16Array;
  instGroup: Int32Array;
  /** First and last raw (uncorrected) time of the instance; its first sighting. */
  instT0: Float64Array;
  instT1: Float64Array;
  instHead: Int32Array;
  /** Flow direction id of each group (inner src, dst, proto, ports). */
  groupFlow: Int32Array;
  flows: number;
  /** One representative sighting per flow id. */
  flowHead: Int32Array;
}

/** What following a packet reads of a join: the sighting columns, by global sighting number. */
export type JoinedRows = Pick<Joined, 'tables' | 'base' | 'capOf'>;
/** ... and the join's flows, for numbering them run-wide. */
export type JoinedFlows = JoinedRows & Pick<Joined, 'flowHead' | 'flows'>;

/** An `any` capture's sightings of one packet come within this of each other. */
export const INSTANCE_SPAN = 0.5;

function pow2(n: number): number {
  let m = 1024;
  while (m < n) m *= 2;
  return m;
}

/**
 * Group sightings by identity, split groups into per-capture instances, number the flows.
 * With a pool for `arrays`, the result is valid until the pool's next join.
 */
export function join(tables: SightingTable[], arrays: Arrays = FRESH): Joined {
  const C = tables.length;
  const base = new Int32Array(C + 1);
  for (let c = 0; c < C; c++) base[c + 1] = base[c]! + tables[c]!.count;
  const total = base[C]!;
  const capOf = arrays.uint16('j.capOf', total);
  for (let c = 0; c < C; c++) capOf.fill(c, base[c]!, base[c + 1]!);

  // Open addressing on the 64-bit identity. A slot's words sit together (hi, lo, group + 1,
  // unused) so a probe touches one cache line: the table is larger than the cache and every
  // sighting probes it.
  const m = pow2(total * 2);
  const slots = arrays.uint32('j.slots', m * 4).fill(0);
  const groupOf = arrays.int32('j.groupOf', total);
  let groups = 0;
  for (let c = 0; c < C; c++) {
    const t = tables[c]!;
    for (let i = 0; i < t.count; i++) {
      const hi = t.keyHi[i]!;
      const lo = t.keyLo[i]!;
      let s = (hi ^ Math.imul(lo, 0x9e3779b1)) & (m - 1);
      for (;;) {
        const at = s << 2;
        const gi = slots[at + 2]!;
        if (gi === 0) {
          slots[at] = hi;
          slots[at + 1] = lo;
          slots[at + 2] = ++groups;
          groupOf[base[c]! + i] = groups - 1;
          break;
        }
        if (slots[at] === hi && slots[at + 1] === lo) {
          groupOf[base[c]! + i] = gi - 1;
          break;
        }
        s = (s + 1) & (m - 1);
      }
    }
  }
  const groupStart = arrays.int32('j.groupStart', groups + 1).fill(0);
  for (let g = 0; g < total; g++) groupStart[groupOf[g]! + 1]!++;
  for (let k = 0; k < groups; k++) groupStart[k + 1]! += groupStart[k]!;
  const fill = arrays.int32('j.fill', groups);
  fill.set(groupStart.subarray(0, groups));
  const members = arrays.int32('j.members', total);
  for (let g = 0; g < total; g++) members[fill[groupOf[g]!]!++] = g;

  // Instances.
  const instOf = arrays.int32('j.instOf', total);
  const instCap = arrays.uint16('j.instCap', total);
  const instGroup = arrays.int32('j.instGroup', total);
  const instT0 = arrays.float64('j.instT0', total);
  const instT1 = arrays.float64('j.instT1', total);
  const instHead = arrays.int32('j.instHead', total);
  let instances = 0;
  for (let k = 0; k < groups; k++) {
    let cur = -1;
    let curStart = groupStart[k]!;
    for (let q = groupStart[k]!; q < groupStart[k + 1]!; q++) {
      const g = members[q]!;
      const c = capOf[g]!;
      const t = tables[c]!;
      const i = g - base[c]!;
      let fresh = cur < 0 || instCap[cur] !== c || t.time[i]! - instT0[cur]! > INSTANCE_SPAN;
      if (!fresh) {
        // The same interface twice is the packet sent again, not seen further along.
        for (let r = curStart; r < q; r++) {
          const h = members[r]!;
          if (t.iface[h - base[c]!] === t.iface[i]) {
            fresh = true;
            break;
          }
        }
      }
      if (fresh) {
        cur = instances++;
        curStart = q;
        instCap[cur] = c;
        instGroup[cur] = k;
        instT0[cur] = t.time[i]!;
        instHead[cur] = g;
      }
      instT1[cur] = t.time[i]!;
      instOf[g] = cur;
    }
  }

  // Flow directions, numbered in the order of the groups.
  const groupFlow = arrays.int32('j.groupFlow', groups);
  const flowKeys = new FlowKeys();
  const flowHead: number[] = [];
  for (let k = 0; k < groups; k++) {
    const g = members[groupStart[k]!]!;
    const c = capOf[g]!;
    const t = tables[c]!;
    const i = g - base[c]!;
    const f = flowKeys.id(t.src[i]!, t.dst[i]!, t.ports[i]!, t.proto[i]!);
    if (f === flowHead.length) flowHead.push(g);
    groupFlow[k] = f;
  }
  return {
    tables,
    base,
    total,
    capOf,
    groupOf,
    groups,
    groupStart,
    members,
    instOf,
    instances,
    instCap: instCap.subarray(0, instances),
    instGroup: instGroup.subarray(0, instances),
    instT0: instT0.subarray(0, instances),
    instT1: instT1.subarray(0, instances),
    instHead: instHead.subarray(0, instances),
    groupFlow,
    flows: flowHead.length,
    flowHead: Int32Array.from(flowHead),
  };
}
