import { isIPv4 as netIsIPv4, isIPv6 as netIsIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isHwAddr, isIPv4, isIPv6, isPrefix, normalizeDst, ProblemSink, splitLines } from '../../src/nodestate/text.js';

describe('address recognisers agree with node:net', () => {
  it('IPv4', () => {
    fc.assert(fc.property(fc.ipV4(), (a) => isIPv4(a)));
    fc.assert(fc.property(fc.string(), (s) => isIPv4(s) === netIsIPv4(s)));
    for (const s of ['1.2.3', '01.2.3.4', '256.1.1.1', '1.2.3.4 ', '']) expect([s, isIPv4(s)]).toEqual([s, netIsIPv4(s)]);
  });

  it('IPv6', () => {
    fc.assert(fc.property(fc.ipV6(), (a) => isIPv6(a)));
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.g') }), (s) => isIPv6(s) === netIsIPv6(s)));
    for (const s of ['::', '::1', 'fe80::1', '1::2::3', '1:2:3:4:5:6:7:8:9', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '12345::']) {
      expect([s, isIPv6(s)]).toEqual([s, netIsIPv6(s)]);
    }
  });
});

describe('prefixes', () => {
  it('accepts lengths up to the family size only', () => {
    expect(isPrefix('10.0.0.0/8')).toBe(true);
    expect(isPrefix('10.0.0.0/33')).toBe(false);
    expect(isPrefix('fd00::/128')).toBe(true);
    expect(isPrefix('fd00::/129')).toBe(false);
    expect(isPrefix('default')).toBe(false);
    expect(isPrefix('10.0.0.0/')).toBe(false);
  });

  it('writes host routes as CIDR', () => {
    expect(normalizeDst('10.0.0.1')).toBe('10.0.0.1/32');
    expect(normalizeDst('::1')).toBe('::1/128');
    expect(normalizeDst('default')).toBe('default');
    expect(normalizeDst('10.0.0.0/8')).toBe('10.0.0.0/8');
  });

  it('recognises hardware addresses of any usual length', () => {
    expect(isHwAddr('0a:6e:1c:00:00:01')).toBe(true);
    expect(isHwAddr('0A:6E:1C:00:00:01')).toBe(true);
    expect(isHwAddr('0a:6e:1c:00:00')).toBe(false);
    expect(isHwAddr('80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:0b:0c')).toBe(true);
  });
});

describe('splitLines', () => {
  it('drops CRs of pasted Windows text and counts what it leaves behind', () => {
    expect(splitLines('a\r\nb\r\nc')).toEqual({ lines: ['a', 'b', 'c'], dropped: 0 });
    expect(splitLines('a\nb\nc\nd', 2)).toEqual({ lines: ['a', 'b'], dropped: 2 });
    expect(splitLines('a\nb\nc\nd\n', 2)).toEqual({ lines: ['a', 'b'], dropped: 2 });
    expect(splitLines('')).toEqual({ lines: [], dropped: 0 });
  });
});

describe('ProblemSink', () => {
  it('numbers lines from the section start', () => {
    const s = new ProblemSink('n.txt', 40);
    s.add(0, 'first');
    s.add(null, 'whole');
    expect(s.done()).toEqual(['n.txt:40: first', 'n.txt: whole']);
  });
});
