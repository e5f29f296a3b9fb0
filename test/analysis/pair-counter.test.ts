import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVIDENCE_SAMPLE } from '../../src/analysis/finding.js';
import { PAIR_A, PAIR_B, PAIR_C, PAIR_PACKET, PAIR_TIME, PairCounter, pairInput, type PairStat } from '../../src/analysis/pair-counter.js';

/** The counting rules spelled out with a string-keyed map: what PairCounter must agree with. */
function reference(adds: Array<[number, number, number]>, cap: number): { stats: PairStat[]; overflow: number } {
  const byKey = new Map<string, PairStat>();
  let overflow = 0;
  adds.forEach(([a, b, c], i) => {
    const key = `${a}/${b}/${c}`;
    let s = byKey.get(key);
    if (!s) {
      if (byKey.size >= cap) {
        overflow++;
        return;
      }
      byKey.set(key, (s = { a, b, c, count: 0, firstPacket: i + 1, lastPacket: i + 1, firstTime: i / 10, lastTime: i / 10, packets: [] }));
    }
    s.count++;
    s.lastPacket = i + 1;
    s.lastTime = i / 10;
    if (s.packets.length < EVIDENCE_SAMPLE) s.packets.push(i + 1);
  });
  // Grouped by a, then b, each in the order first seen.
  const stats = [...byKey.values()];
  const firstA = new Map<number, number>();
  const firstAB = new Map<string, number>();
  stats.forEach((s, i) => {
    if (!firstA.has(s.a)) firstA.set(s.a, i);
    if (!firstAB.has(`${s.a}/${s.b}`)) firstAB.set(`${s.a}/${s.b}`, i);
  });
  stats.sort((x, y) => firstA.get(x.a)! - firstA.get(y.a)! || firstAB.get(`${x.a}/${x.b}`)! - firstAB.get(`${y.a}/${y.b}`)!);
  return { stats, overflow };
}

function counted(adds: Array<[number, number, number]>, cap: number): { stats: PairStat[]; overflow: number } {
  const pc = new PairCounter(cap);
  adds.forEach(([a, b, c], i) => pc.add(a, b, c, i + 1, i / 10));
  return { stats: pc.all(), overflow: pc.overflow };
}

/** The same adds through a shared input and hint slots, two counters taking turns on it as a collector's do. */
function countedWithHints(adds: Array<[number, number, number, number]>, cap: number): { stats: PairStat[]; overflow: number } {
  const input = pairInput();
  const pc = new PairCounter(cap, input);
  const other = new PairCounter(cap, input);
  adds.forEach(([a, b, c, slot], i) => {
    input[PAIR_PACKET] = i + 1;
    input[PAIR_TIME] = i / 10;
    input[PAIR_A] = a;
    input[PAIR_B] = b;
    input[PAIR_C] = c;
    pc.addInputAt(slot);
    input[PAIR_A] = b;
    other.addInputAt(slot);
  });
  return { stats: pc.all(), overflow: pc.overflow };
}

// Few distinct values so pairs repeat; MAC-sized, address-sized and packed keys as the topology uses them.
const key = fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x0a000001, 2 ** 47 + 5, 0x02420a000002), fc.integer({ min: 0, max: 6 }));
const third = fc.oneof(fc.constant(-1), fc.constantFrom(8472 + 2 ** 40, 65536 + 4789 + 2 ** 40), fc.integer({ min: 0, max: 3 }));

describe('PairCounter', () => {
  it('counts, samples and orders pairs as the plain map does, and stops adding at its cap', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, key, third), { maxLength: 400 }), fc.integer({ min: 1, max: 200 }), (adds, cap) => {
        expect(counted(adds, cap)).toEqual(reference(adds, cap));
      }),
      { numRuns: 300 },
    );
  });

  it('counts the same through hint slots, whichever pairs a slot repeats or changes', () => {
    // Slots stand for flows: a slot usually repeats its pair, sometimes changes it (a MAC moved), -1 has none.
    // Slots 2^15 apart share one hint once a counter has that many.
    const slot = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5000 }), fc.constantFrom(3, 32768 + 3, 65536 + 3, 1_000_000 + 3));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, key, third, slot), { maxLength: 400 }), fc.integer({ min: 1, max: 200 }), (adds, cap) => {
        expect(countedWithHints(adds, cap)).toEqual(reference(adds.map(([a, b, c]) => [a, b, c]), cap));
      }),
      { numRuns: 300 },
    );
  });

  it('counts the same when a caller counts on the entry addInput returned for a pair it saw before', () => {
    // A memo per slot, as a collector keeps per flow direction: the pair and the entry it found, -1 when it did not fit.
    const slot = fc.integer({ min: 0, max: 5 });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, key, third, slot), { maxLength: 400 }), fc.integer({ min: 1, max: 200 }), (adds, cap) => {
        const input = pairInput();
        const pc = new PairCounter(cap, input);
        const memo = new Map<number, { key: string; entry: number }>();
        adds.forEach(([a, b, c, s], i) => {
          input[PAIR_PACKET] = i + 1;
          input[PAIR_TIME] = i / 10;
          const k = `${a}/${b}/${c}`;
          const m = memo.get(s);
          if (m !== undefined && m.key === k && m.entry >= 0) {
            pc.count(m.entry);
            return;
          }
          input[PAIR_A] = a;
          input[PAIR_B] = b;
          input[PAIR_C] = c;
          memo.set(s, { key: k, entry: pc.addInput() });
        });
        expect({ stats: pc.all(), overflow: pc.overflow }).toEqual(reference(adds.map(([a, b, c]) => [a, b, c]), cap));
      }),
      { numRuns: 300 },
    );
  });

  it('returns -1 from addInput for a new pair once full, and the entry of a pair it holds', () => {
    const input = pairInput();
    const pc = new PairCounter(1, input);
    input[PAIR_A] = 1;
    const held = pc.addInput();
    expect(held).toBeGreaterThanOrEqual(0);
    input[PAIR_A] = 2;
    expect(pc.addInput()).toBe(-1);
    input[PAIR_A] = 1;
    expect(pc.addInput()).toBe(held);
    expect(pc.overflow).toBe(1);
  });

  it('keeps counting existing pairs after growing past its first table size', () => {
    const adds: Array<[number, number, number]> = [];
    // 3000 distinct pairs, each seen twice: (i mod 3000, i mod 3000 + 2^40).
    for (let i = 0; i < 6000; i++) adds.push([i % 3000, 2 ** 40 + (i % 3000), -1]);
    const { stats, overflow } = counted(adds, 20000);
    expect(overflow).toBe(0);
    expect(stats).toHaveLength(3000);
    expect(stats.every((s) => s.count === 2 && s.packets.length === 2 && s.lastPacket === s.firstPacket + 3000)).toBe(true);
    expect(stats).toEqual(reference(adds, 20000).stats);
  });
});
