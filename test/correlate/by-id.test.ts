import { describe, expect, it } from 'vitest';
import { IdSet, putAt } from '../../src/correlate/by-id.js';

describe('per-flow-id state', () => {
  it('an IdSet says once that an id is new, across growth', () => {
    const s = new IdSet();
    const ids = [0, 7, 8, 1023, 1024, 5000, 123456];
    for (const id of ids) expect(s.add(id)).toBe(true);
    for (const id of ids) expect(s.add(id)).toBe(false);
    for (const id of ids) expect(s.has(id)).toBe(true);
    for (const id of [1, 9, 1025, 4999, 123455, 10_000_000]) expect(s.has(id)).toBe(false);
  });

  it('putAt leaves no holes before the id it sets', () => {
    const list: Array<string | undefined> = [];
    putAt(list, 3, 'c');
    putAt(list, 1, 'a');
    expect(list).toEqual([undefined, 'a', undefined, 'c']);
    expect([0, 1, 2, 3].every((i) => i in list)).toBe(true);
  });
});
