import { describe, expect, it } from 'vitest';
import { FlowKeys } from '../../src/correlate/flow-keys.js';

describe('flow keys', () => {
  it('numbers flow directions densely in the order first asked, the same number each time after', () => {
    const k = new FlowKeys();
    expect(k.id(1, 2, (80 << 16) | 443, 6)).toBe(0);
    expect(k.id(2, 1, (443 << 16) | 80, 6)).toBe(1);
    expect(k.id(1, 2, (80 << 16) | 443, 17)).toBe(2);
    expect(k.id(1, 2, (80 << 16) | 443, 6)).toBe(0);
    expect(k.find(9, 9, 9, 9)).toBe(-1);
    expect([0, 1, 2, 3].map((w) => k.word(1, w))).toEqual([2, 1, (443 << 16) | 80, 6]);
    expect(k.count).toBe(3);
  });

  it('keeps every number and key through the table growing past its first size', () => {
    const k = new FlowKeys();
    const key = (n: number) => [0x64600000 + n, 0x64600001, (n * 0x10001) >>> 0, 6] as const;
    for (let n = 0; n < 5000; n++) expect(k.id(...key(n))).toBe(n);
    for (let n = 0; n < 5000; n++) expect(k.find(...key(n))).toBe(n);
    expect([0, 1, 2, 3].map((w) => k.word(4321, w))).toEqual([...key(4321)]);
    expect(k.find(0x64600000 + 5000, 0x64600001, (5000 * 0x10001) >>> 0, 6)).toBe(-1);
    expect(k.count).toBe(5000);
  });
});
