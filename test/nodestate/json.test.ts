import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonEntries, looksLikeJson, scanJson } from '../../src/nodestate/json.js';

// Every ASCII character, the control characters included.
const ASCII = fc.mapToConstant({ num: 128, build: (v) => String.fromCharCode(v) });

describe('scanJson', () => {
  it('reads iproute2 JSON carrying raw control characters in strings', () => {
    // What `ip -j link` prints for an alias with ESC in it: the ESC is not escaped.
    const text = '[{"ifname":"eth0","ifalias":"up\x1b[31m\\tx"}]';
    expect(() => JSON.parse(text) as unknown).toThrow();
    const scan = scanJson(text);
    expect(scan.error).toBeNull();
    expect(jsonEntries(scan)).toEqual([{ entry: { ifname: 'eth0', ifalias: 'up\x1b[31m\tx' }, line: 0 }]);
  });

  it('keeps any string through the control-character repair', () => {
    fc.assert(
      fc.property(fc.string({ unit: ASCII }), fc.string(), (a, b) => {
        // Build the JSON the way iproute2 does: only \\ " \n \t \r \b \f escaped.
        const esc = (s: string): string =>
          s.replace(/[\\"\n\t\r\b\f]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b', '\f': '\\f' })[c] as string);
        const scan = scanJson(`[{"k":"${esc(a)}","v":"${esc(b)}"}]`);
        const e = jsonEntries(scan)[0]?.entry as { k: string; v: string } | undefined;
        return scan.error === null && e?.k === a && e.v === b;
      }),
    );
  });

  it('reads several top-level values and pretty-printed output with element lines', () => {
    const text = '[ {\n  "a": 1\n},{\n  "a": 2\n} ]\n[{"a":3}]\n{"a":4}\n';
    const scan = scanJson(text);
    expect(scan.error).toBeNull();
    expect(jsonEntries(scan)).toEqual([
      { entry: { a: 1 }, line: 0 },
      { entry: { a: 2 }, line: 2 },
      { entry: { a: 3 }, line: 5 },
      { entry: { a: 4 }, line: 6 },
    ]);
  });

  it('does not count commas or brackets inside strings', () => {
    const scan = scanJson('[{"a":"x,]}[{"},\n{"a":"y"}]');
    expect(jsonEntries(scan)).toEqual([
      { entry: { a: 'x,]}[{' }, line: 0 },
      { entry: { a: 'y' }, line: 1 },
    ]);
  });

  it('reports cut-short, invalid and trailing text with a line', () => {
    expect(scanJson('[{"a":1},\n{"a":').error).toEqual({ line: 0, message: 'unterminated JSON (file cut short?)' });
    expect(scanJson('[1]\n[1,,2]').error?.line).toBe(1);
    expect(scanJson('[1]\n\nError: nope').error).toEqual({ line: 2, message: 'unexpected text outside JSON: "Error: nope"' });
    expect(scanJson('[1]\n\nError: nope').values).toHaveLength(1);
  });

  it('knows JSON from text by its first character', () => {
    expect(looksLikeJson('  \n[{}]')).toBe(true);
    expect(looksLikeJson('{"a":1}')).toBe(true);
    expect(looksLikeJson('1: lo: <LOOPBACK>')).toBe(false);
    expect(looksLikeJson('')).toBe(false);
  });
});
