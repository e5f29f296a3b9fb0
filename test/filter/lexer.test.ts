import { describe, expect, it } from 'vitest';
import { T, tokenize } from '../../src/filter/lexer.js';

describe('lexer', () => {
  it('splits symbols, word operators and values', () => {
    const toks = tokenize('a.b==1&&!c||d ne 0x10 in{1..2,3}');
    expect(toks.map((t) => t.text)).toEqual(['a.b', '==', '1', '&&', '!', 'c', '||', 'd', 'ne', '0x10', 'in', '{', '1', '..', '2', ',', '3', '}', '']);
    expect(toks.map((t) => t.start)).toEqual([0, 3, 5, 6, 8, 9, 10, 12, 14, 17, 22, 24, 25, 26, 28, 29, 30, 31, 32]);
  });

  it('keeps addresses and prefixes in one word but stops at the range operator', () => {
    expect(tokenize('10.0.0.0/8 fe80::1/64 aa-bb-cc-dd-ee-ff 1..5').map((t) => t.text)).toEqual([
      '10.0.0.0/8',
      'fe80::1/64',
      'aa-bb-cc-dd-ee-ff',
      '1',
      '..',
      '5',
      '',
    ]);
  });

  it('maps every comparison spelling to its operator', () => {
    const ops = tokenize('== eq any_eq != ne all_ne === all_eq !== any_ne ~= < lt <= le > gt >= ge').filter((t) => t.kind === T.CMP);
    expect(ops.map((t) => t.op)).toEqual(['eq', 'eq', 'eq', 'ne', 'ne', 'ne', 'all_eq', 'all_eq', 'any_ne', 'any_ne', 'any_ne', 'lt', 'lt', 'le', 'le', 'gt', 'gt', 'ge', 'ge']);
  });

  it('decodes string escapes and keeps backslashes in raw strings', () => {
    const [s] = tokenize(String.raw`"a\"b\\c\n\t\x41\101\0"`);
    expect(s!.str).toBe('a"b\\c\n\tAA\0');
    const [u] = tokenize(String.raw`"é\xc3\xa9\377"`);
    expect(u!.bytes).toEqual(Buffer.from([0xc3, 0xa9, 0xc3, 0xa9, 0xff]));
    expect(u!.str).toBe('éé\ufffd');
    const [r] = tokenize(String.raw`r"\d+\"x"`);
    expect(r!.str).toBe(String.raw`\d+\"x`);
  });

  it('gives character constants their code', () => {
    expect(tokenize(String.raw`'A' '\n' '\x7f' '\101'`).filter((t) => t.kind === T.CHAR).map((t) => t.num)).toEqual([65, 10, 127, 65]);
  });

  it('only knows lowercase word operators', () => {
    expect(tokenize('AND').map((t) => t.kind)).toEqual([T.WORD, T.EOF]);
  });
});
