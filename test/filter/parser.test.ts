import { describe, expect, it } from 'vitest';
import { FilterError } from '../../src/filter/lexer.js';
import { MAX_DEPTH, parse, type Expr } from '../../src/filter/parser.js';
import { compileFilter, validateFilter } from '../../src/filter/index.js';
import { tstRegistry } from './tst-protocol.js';

/** Parse or compile `filter` and return the FilterError it raises. */
function errorOf(filter: string): FilterError {
  const e = validateFilter(tstRegistry(), filter);
  if (!e) throw new Error(`${filter} compiled`);
  return e;
}

/** The tree in a compact prefix form, to pin precedence. */
function shape(e: Expr): string {
  switch (e.kind) {
    case 'or':
    case 'and':
      return `(${e.kind} ${e.items.map(shape).join(' ')})`;
    case 'not':
      return `(not ${shape(e.expr)})`;
    case 'test':
      return e.value.kind === 'mask' ? `(& ${e.value.base.text} ${e.value.mask.text})` : e.value.text;
    case 'cmp':
      return `(${e.op} ${e.left.kind === 'mask' ? `(& ${e.left.base.text} ${e.left.mask.text})` : e.left.text} ${e.right.kind === 'mask' ? '?' : e.right.text})`;
    case 'in':
      return `(${e.negated ? 'not_in' : 'in'} ${e.left.kind === 'mask' ? '?' : e.left.text} ${e.set.map((s) => (s.hi ? `${s.lo.text}..${s.hi.text}` : s.lo.text)).join(',')})`;
    case 'contains':
    case 'matches':
      return `(${e.kind} ${e.left.kind === 'mask' ? '?' : e.left.text} ${e.right.kind === 'mask' ? '?' : e.right.text})`;
  }
}

describe('precedence', () => {
  it.each([
    ['not a and b or c', '(or (and (not a) b) c)'],
    ['a or b and c', '(or a (and b c))'],
    ['a || b && c || d', '(or a (and b c) d)'],
    ['!a && !!b', '(and (not a) b)'],
    ['not (a or b)', '(not (or a b))'],
    ['(a or b) and c', '(and (or a b) c)'],
    ['a and b and c and d', '(and a b c d)'],
    ['a.b & 0x2 == 2', '(eq (& a.b 0x2) 2)'],
    ['a.b & 4', '(& a.b 4)'],
    ['a not in {1, 2..3} or b in {4 5}', '(or (not_in a 1,2..3) (in b 4,5))'],
    ['a contains "x" and b matches "y" and c ~ "z"', '(and (contains a "x") (matches b "y") (matches c "z"))'],
    ['a.b==1', '(eq a.b 1)'],
    ['x ~= 1 or x !== 1 or x === 1', '(or (any_ne x 1) (any_ne x 1) (all_eq x 1))'],
  ])('%s', (filter, expected) => {
    expect(shape(parse(filter))).toBe(expected);
  });
});

/**
 * Each case: the filter, a caret under the column the error must point at, and what
 * the message must say.
 */
const ERRORS: Array<[string, string, RegExp]> = [
  ['tst.u8 = 1', '       ^', /"=" is not an operator/],
  ['tst.u8 == ', '          ^', /unexpected end of filter: expected a value after "=="/],
  ['tst.u8 == 1 and', '               ^', /unexpected end/],
  ['tst.u8 == 1 or ()', '                ^', /"\)" was unexpected/],
  ['(tst.u8 == 1', '^', /unclosed "\("/],
  ['tst.u8 == 1)', '           ^', /unmatched "\)"/],
  ['tst.u8 == 1 tst', '            ^', /"tst" was unexpected here: expected "and", "or"/],
  ['tst.u8 1', '       ^', /comparison operator such as "==" is missing/],
  ['tst.u8 AND tst', '       ^', /"AND" was unexpected/],
  ['tst.u8 | tst', '       ^', /use "\|\|"/],
  ['tst.str == "abc', '           ^', /unterminated string/],
  ['tst.str == "a\\qb"', '             ^', /\\q is not a valid escape/],
  ["tst.u8 == 'ab'", '          ^', /unterminated character constant/],
  ['tst.mac[0:3] == 00:11:22', '       ^', /slices/],
  ['tst.u8 == 1 @', '            ^', /unexpected character "@"/],
  ['tst.u8 in 1', '          ^', /expected "\{"/],
  ['tst.u8 in {}', '          ^', /empty set/],
  ['tst.u8 in {1,}', '             ^', /expected a value after ","/],
  ['tst.u8 in {1..}', '              ^', /end of the range/],
  ['tst.u8 in {1, 2', '          ^', /unclosed "\{"/],
  ['tst.u8 & ', '         ^', /bit mask/],
  ['', '^', /./],
];

describe('syntax errors', () => {
  it.each(ERRORS.filter(([f]) => f !== ''))('%s', (filter, caret, message) => {
    const e = errorOf(filter);
    expect(e).toBeInstanceOf(FilterError);
    expect(e.filter).toBe(filter);
    expect(e.message).toMatch(message);
    expect(e.column).toBe(caret.indexOf('^'));
  });

  it('accepts an empty or blank filter as "everything"', () => {
    expect(validateFilter(tstRegistry(), '')).toBeNull();
    expect(validateFilter(tstRegistry(), '   ')).toBeNull();
  });

  it('shows the filter with a caret under the column', () => {
    const e = errorOf('tst.v4 == 10.0.0.0/33');
    expect(e.pointer()).toBe(
      'netdiag: invalid filter: tst.v4 == 10.0.0.0/33\n' + '                                   ^ prefix length 33 is longer than 32 bits',
    );
    expect(e.pointer('')).toBe('tst.v4 == 10.0.0.0/33\n          ^ prefix length 33 is longer than 32 bits');
  });

  it('keeps the caret aligned when the filter holds tabs or newlines', () => {
    const e = errorOf('tst.u8 ==\t\n');
    const [line, caret] = e.pointer('').split('\n');
    expect(line).toBe('tst.u8 ==  ');
    expect(caret!.indexOf('^')).toBe(11);
  });

  it('points at the end of the filter when it ends too early', () => {
    const e = errorOf('tst.u8 ==');
    expect(e.column).toBe(9);
    expect(e.length).toBe(0);
  });
});

describe('limits', () => {
  it('refuses 100k nested parentheses with a FilterError, not a stack overflow', () => {
    const deep = '('.repeat(100_000) + 'tst' + ')'.repeat(100_000);
    const e = errorOf(deep);
    expect(e.message).toMatch(/nested deeper than/);
    expect(e.column).toBe(MAX_DEPTH);
  });

  it('accepts nesting up to the limit', () => {
    const ok = '('.repeat(MAX_DEPTH) + 'tst' + ')'.repeat(MAX_DEPTH);
    expect(validateFilter(tstRegistry(), ok)).toBeNull();
  });

  it('handles long runs of not without recursion', () => {
    expect(shape(parse('! '.repeat(20_001) + 'a'))).toBe('(not a)');
    expect(shape(parse('not '.repeat(20_000) + 'a'))).toBe('a');
  });

  it('compiles and evaluates long and/or chains iteratively', () => {
    const reg = tstRegistry();
    const chain = Array.from({ length: 5000 }, (_, k) => `tst.u16 == ${k}`).join(' or ');
    const f = compileFilter(reg, chain);
    expect(f.protocols).toEqual(new Set(['tst']));
  });

  it('refuses filters longer than the length limit', () => {
    const e = errorOf('tst or '.repeat(200_000) + 'tst');
    expect(e.message).toMatch(/longer than/);
  });
});
