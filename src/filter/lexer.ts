/**
 * Tokens of the display-filter language (a subset of Wireshark 4.0's).
 *
 * Values are lexed as uninterpreted "words" (runs of letters, digits and `_ . : - /`)
 * because whether `10.0.0.0/8`, `aa:bb:cc:dd:ee:ff`, `0x10` or `UDP` is valid depends on
 * the type of the field it is compared with; the compiler interprets them.
 */

/** A filter the language rejects; `column` is 0-based, in UTF-16 units of `filter`. */
export class FilterError extends Error {
  readonly column: number;
  readonly length: number;
  readonly filter: string;

  constructor(filter: string, column: number, length: number, message: string) {
    super(message);
    this.name = 'FilterError';
    this.filter = filter;
    this.column = Math.max(0, Math.min(column, filter.length));
    this.length = Math.max(0, length);
  }

  /**
   * The filter with a caret under the offending column and the message after it.
   * Control characters print as spaces so the caret stays aligned.
   */
  pointer(prefix = 'netdiag: invalid filter: '): string {
    const shown = this.filter.replace(/[\u0000-\u001f\u007f]/g, ' ');
    return `${prefix}${shown}\n${' '.repeat(prefix.length + this.column)}^ ${this.message}`;
  }
}

export enum T {
  EOF,
  WORD,
  STRING,
  CHAR,
  LPAREN,
  RPAREN,
  LBRACE,
  RBRACE,
  COMMA,
  DOTDOT,
  AND,
  OR,
  NOT,
  CMP,
  IN,
  CONTAINS,
  MATCHES,
  BITAND,
}

/** Comparison operators, named after Wireshark's: each has a symbol and a word form. */
export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'all_eq' | 'any_ne';

export interface Token {
  kind: T;
  /** Source text of the token (for error messages). */
  text: string;
  start: number;
  end: number;
  /**
   * Bytes of a STRING token: typed characters in UTF-8, escapes (\xhh, \ooo) as the byte
   * they name, as Wireshark reads strings; `str` is the same bytes decoded as UTF-8.
   */
  bytes?: Buffer;
  str?: string;
  /** True for a raw string (r"..."): backslashes were kept. */
  raw?: boolean;
  /** Numeric value of a CHAR token. */
  num?: number;
  op?: CmpOp;
}

/** Longer than this and a filter is rejected outright: it bounds parse time and memory. */
export const MAX_FILTER_LENGTH = 1 << 20;

const WORD_OPS: Readonly<Record<string, [T, CmpOp?]>> = {
  and: [T.AND],
  or: [T.OR],
  not: [T.NOT],
  in: [T.IN],
  contains: [T.CONTAINS],
  matches: [T.MATCHES],
  bitwise_and: [T.BITAND],
  eq: [T.CMP, 'eq'],
  any_eq: [T.CMP, 'eq'],
  ne: [T.CMP, 'ne'],
  all_ne: [T.CMP, 'ne'],
  all_eq: [T.CMP, 'all_eq'],
  any_ne: [T.CMP, 'any_ne'],
  lt: [T.CMP, 'lt'],
  le: [T.CMP, 'le'],
  gt: [T.CMP, 'gt'],
  ge: [T.CMP, 'ge'],
};

function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || // 0-9
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x3a || // :
    c === 0x2d || // -
    c === 0x2f // /
  );
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

const isOct = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

export function tokenize(src: string): Token[] {
  if (src.length > MAX_FILTER_LENGTH) {
    throw new FilterError(src, MAX_FILTER_LENGTH, 0, `filter longer than ${MAX_FILTER_LENGTH} characters`);
  }
  const out: Token[] = [];
  const n = src.length;
  let i = 0;
  const push = (kind: T, start: number, end: number, extra: Partial<Token> = {}) =>
    out.push({ kind, text: src.slice(start, end), start, end, ...extra });
  const fail = (at: number, len: number, msg: string): never => {
    throw new FilterError(src, at, len, msg);
  };

  /** Read one escape sequence starting at the backslash at `at`; returns [text, next index]. */
  const escape = (at: number): [string, number] => {
    const c = src[at + 1];
    if (c === undefined) fail(at, 1, 'a backslash ends the filter');
    if (c === 'x') {
      let j = at + 2;
      while (j < at + 4 && isHex(src[j])) j++;
      if (j === at + 2) fail(at, 2, '\\x needs one or two hex digits');
      return [String.fromCharCode(parseInt(src.slice(at + 2, j), 16)), j];
    }
    if (isOct(c)) {
      let j = at + 1;
      while (j < at + 4 && isOct(src[j])) j++;
      const v = parseInt(src.slice(at + 1, j), 8);
      if (v > 255) fail(at, j - at, `\\${src.slice(at + 1, j)} is larger than a byte`);
      return [String.fromCharCode(v), j];
    }
    const simple = SIMPLE_ESCAPES[c!];
    if (simple === undefined) fail(at, 2, `\\${c} is not a valid escape sequence`);
    return [simple!, at + 2];
  };

  while (i < n) {
    const ch = src[i]!;
    const c = src.charCodeAt(i);
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    const three = src.slice(i, i + 3);
    if (three === '===' || three === '!==') {
      push(T.CMP, i, i + 3, { op: three === '===' ? 'all_eq' : 'any_ne' });
      i += 3;
      continue;
    }
    switch (two) {
      case '==':
      case '!=':
      case '<=':
      case '>=':
      case '~=': {
        const op: CmpOp = two === '==' ? 'eq' : two === '!=' ? 'ne' : two === '<=' ? 'le' : two === '>=' ? 'ge' : 'any_ne';
        push(T.CMP, i, i + 2, { op });
        i += 2;
        continue;
      }
      case '&&':
        push(T.AND, i, i + 2);
        i += 2;
        continue;
      case '||':
        push(T.OR, i, i + 2);
        i += 2;
        continue;
      case '..':
        push(T.DOTDOT, i, i + 2);
        i += 2;
        continue;
    }
    switch (ch) {
      case '(':
        push(T.LPAREN, i, i + 1);
        i++;
        continue;
      case ')':
        push(T.RPAREN, i, i + 1);
        i++;
        continue;
      case '{':
        push(T.LBRACE, i, i + 1);
        i++;
        continue;
      case '}':
        push(T.RBRACE, i, i + 1);
        i++;
        continue;
      case ',':
        push(T.COMMA, i, i + 1);
        i++;
        continue;
      case '!':
        push(T.NOT, i, i + 1);
        i++;
        continue;
      case '<':
        push(T.CMP, i, i + 1, { op: 'lt' });
        i++;
        continue;
      case '>':
        push(T.CMP, i, i + 1, { op: 'gt' });
        i++;
        continue;
      case '~':
        push(T.MATCHES, i, i + 1);
        i++;
        continue;
      case '&':
        push(T.BITAND, i, i + 1);
        i++;
        continue;
      case '=':
        fail(i, 1, '"=" is not an operator: use "==" to compare');
        break;
      case '|':
        fail(i, 1, '"|" is not an operator: use "||" or "or"');
        break;
      case '[':
        fail(i, 1, 'field slices ([...]) are not supported');
        break;
      case '$':
        fail(i, 1, 'field references ($...) are not supported');
        break;
      case '#':
        fail(i, 1, 'layer selectors (#n) are not supported');
        break;
      case "'": {
        // A character constant: its value is a number ('A' == 65), as in Wireshark.
        let j = i + 1;
        let v: string;
        if (src[j] === '\\') [v, j] = escape(j);
        else if (j < n && src[j] !== "'") v = src[j++]!;
        else v = fail(i, 1, 'empty or unterminated character constant');
        if (src[j] !== "'") fail(i, j - i, 'unterminated character constant');
        push(T.CHAR, i, j + 1, { num: v.charCodeAt(0) });
        i = j + 1;
        continue;
      }
    }
    const rawPrefix = (ch === 'r' || ch === 'R') && src[i + 1] === '"';
    if (ch === '"' || rawPrefix) {
      const start = i;
      let j = rawPrefix ? i + 2 : i + 1;
      const bytes: number[] = [];
      const typed = (text: string) => {
        for (const b of Buffer.from(text, 'utf8')) bytes.push(b);
      };
      for (;;) {
        if (j >= n) fail(start, n - start, 'unterminated string: a closing " is missing');
        const d = src[j]!;
        if (d === '"') break;
        if (d === '\\') {
          if (rawPrefix) {
            // Raw strings keep backslashes (regular expressions) but \" still quotes.
            const nx = src[j + 1];
            if (nx === undefined) fail(j, 1, 'a backslash ends the filter');
            typed('\\' + nx);
            j += 2;
            continue;
          }
          const [e, next] = escape(j);
          bytes.push(e.charCodeAt(0));
          j = next;
          continue;
        }
        const cp = src.codePointAt(j)!;
        const w = cp > 0xffff ? 2 : 1;
        typed(src.slice(j, j + w));
        j += w;
      }
      const b = Buffer.from(bytes);
      push(T.STRING, start, j + 1, { bytes: b, str: b.toString('utf8'), raw: rawPrefix });
      i = j + 1;
      continue;
    }
    if (isWordChar(c)) {
      let j = i;
      // ".." ends a word: it is the range operator of sets ({1..1024}); no literal contains it.
      while (j < n && isWordChar(src.charCodeAt(j)) && !(src[j] === '.' && src[j + 1] === '.')) j++;
      const text = src.slice(i, j);
      const op = WORD_OPS[text];
      if (op) push(op[0], i, j, op[1] ? { op: op[1] } : {});
      else push(T.WORD, i, j);
      i = j;
      continue;
    }
    const cp = src.codePointAt(i)!;
    fail(i, cp > 0xffff ? 2 : 1, `unexpected character ${JSON.stringify(String.fromCodePoint(cp))}`);
  }
  out.push({ kind: T.EOF, text: '', start: n, end: n });
  return out;
}
