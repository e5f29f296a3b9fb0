import { FilterError, T, tokenize, type CmpOp, type Token } from './lexer.js';

/**
 * Display-filter syntax tree. Grammar, loosest binding first:
 *
 *   expr     := and_expr (("or" | "||") and_expr)*
 *   and_expr := unary (("and" | "&&") unary)*
 *   unary    := ("not" | "!")* primary
 *   primary  := "(" expr ")" | relation
 *   relation := value [ CMP value | ["not"] "in" set | "contains" value | ("matches" | "~") value ]
 *   value    := atom [("&" | "bitwise_and") atom]
 *   set      := "{" element ([","] element)* "}"
 *   element  := atom [".." atom]
 *   atom     := WORD | STRING | CHAR
 *
 * and/or chains are n-ary nodes and runs of "not" collapse to their parity, so the tree's
 * depth is bounded by the parenthesis depth, itself bounded by MAX_DEPTH: compiling and
 * evaluating recurse over the tree without any risk to the stack.
 */

export const MAX_DEPTH = 256;

interface Span {
  start: number;
  end: number;
}

export type Atom =
  | (Span & { kind: 'word'; text: string })
  | (Span & { kind: 'string'; value: string; bytes: Buffer; raw: boolean; text: string })
  | (Span & { kind: 'char'; value: number; text: string });

/** A value: an atom, or `field & mask` (a bitwise test / masked comparison). */
export type Value = Atom | (Span & { kind: 'mask'; base: Atom; mask: Atom });

export interface SetElement {
  lo: Atom;
  hi?: Atom;
}

export type Expr =
  | (Span & { kind: 'or'; items: Expr[] })
  | (Span & { kind: 'and'; items: Expr[] })
  | (Span & { kind: 'not'; expr: Expr })
  /** A bare value: protocol or field presence, or a non-zero `field & mask`. */
  | (Span & { kind: 'test'; value: Value })
  | (Span & { kind: 'cmp'; op: CmpOp; opText: string; opStart: number; left: Value; right: Value })
  | (Span & { kind: 'in'; negated: boolean; left: Value; set: SetElement[] })
  | (Span & { kind: 'contains'; left: Value; right: Value; opStart: number })
  | (Span & { kind: 'matches'; left: Value; right: Value; opStart: number });

const describe = (t: Token): string => (t.kind === T.EOF ? 'the end of the filter' : JSON.stringify(t.text));

export function parse(src: string): Expr {
  const toks = tokenize(src);
  let pos = 0;
  let depth = 0;

  const peek = (k = 0): Token => toks[Math.min(pos + k, toks.length - 1)]!;
  const next = (): Token => toks[pos < toks.length - 1 ? pos++ : pos]!;
  const fail = (at: number, len: number, msg: string): never => {
    throw new FilterError(src, at, len, msg);
  };
  const unexpected = (t: Token, expected: string): never =>
    t.kind === T.EOF
      ? fail(t.start, 0, `unexpected end of filter: expected ${expected}`)
      : fail(t.start, t.end - t.start, `${describe(t)} was unexpected here: expected ${expected}`);

  const atom = (what: string): Atom => {
    const t = next();
    switch (t.kind) {
      case T.WORD:
        return { kind: 'word', text: t.text, start: t.start, end: t.end };
      case T.STRING:
        return { kind: 'string', value: t.str!, bytes: t.bytes!, raw: t.raw === true, text: t.text, start: t.start, end: t.end };
      case T.CHAR:
        return { kind: 'char', value: t.num!, text: t.text, start: t.start, end: t.end };
      default:
        return unexpected(t, what);
    }
  };

  const value = (what: string): Value => {
    const a = atom(what);
    if (peek().kind !== T.BITAND) return a;
    const op = next();
    const m = atom(`a bit mask after ${JSON.stringify(op.text)}`);
    return { kind: 'mask', base: a, mask: m, start: a.start, end: m.end };
  };

  const set = (): SetElement[] => {
    const open = next();
    if (open.kind !== T.LBRACE) unexpected(open, '"{" to start the set (e.g. {80, 443, 8000..8080})');
    const items: SetElement[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === T.RBRACE) {
        if (items.length === 0) fail(open.start, t.end - open.start, 'empty set');
        next();
        return items;
      }
      if (t.kind === T.EOF) fail(open.start, 1, 'unclosed "{": expected "}"');
      if (items.length > 0 && t.kind === T.COMMA) {
        next();
        if (peek().kind === T.RBRACE) unexpected(peek(), 'a value after ","');
      }
      const lo = atom('a value or "}"');
      if (peek().kind === T.DOTDOT) {
        const dd = next();
        const hi = atom(`the end of the range after ${JSON.stringify(dd.text)}`);
        items.push({ lo, hi });
      } else items.push({ lo });
    }
  };

  const relation = (): Expr => {
    const left = value('a protocol, a field or "("');
    const t = peek();
    switch (t.kind) {
      case T.CMP: {
        next();
        const right = value(`a value after ${JSON.stringify(t.text)}`);
        return { kind: 'cmp', op: t.op!, opText: t.text, opStart: t.start, left, right, start: left.start, end: right.end };
      }
      case T.IN:
      case T.NOT: {
        if (t.kind === T.NOT && peek(1).kind !== T.IN) break;
        const negated = t.kind === T.NOT;
        if (negated) next();
        next();
        const items = set();
        return { kind: 'in', negated, left, set: items, start: left.start, end: toks[pos - 1]!.end };
      }
      case T.CONTAINS:
      case T.MATCHES: {
        next();
        const right = value(`a value after ${JSON.stringify(t.text)}`);
        const kind = t.kind === T.CONTAINS ? 'contains' : 'matches';
        return { kind, left, right, opStart: t.start, start: left.start, end: right.end };
      }
    }
    return { kind: 'test', value: left, start: left.start, end: left.end };
  };

  const primary = (): Expr => {
    const t = peek();
    if (t.kind !== T.LPAREN) return relation();
    if (++depth > MAX_DEPTH) fail(t.start, 1, `parentheses nested deeper than ${MAX_DEPTH} levels`);
    next();
    const e = or();
    const close = next();
    if (close.kind !== T.RPAREN) {
      if (close.kind === T.EOF) fail(t.start, 1, 'unclosed "(": expected ")"');
      unexpected(close, '")", "and" or "or"');
    }
    depth--;
    // The span covers the parentheses so errors about the group point at them.
    return { ...e, start: t.start, end: close.end };
  };

  const unary = (): Expr => {
    let negations = 0;
    const first = peek();
    while (peek().kind === T.NOT) {
      next();
      negations++;
    }
    const e = primary();
    return negations % 2 === 1 ? { kind: 'not', expr: e, start: first.start, end: e.end } : e;
  };

  const and = (): Expr => {
    const first = unary();
    if (peek().kind !== T.AND) return first;
    const items = [first];
    while (peek().kind === T.AND) {
      next();
      items.push(unary());
    }
    return { kind: 'and', items, start: first.start, end: items[items.length - 1]!.end };
  };

  const or = (): Expr => {
    const first = and();
    if (peek().kind !== T.OR) return first;
    const items = [first];
    while (peek().kind === T.OR) {
      next();
      items.push(and());
    }
    return { kind: 'or', items, start: first.start, end: items[items.length - 1]!.end };
  };

  if (peek().kind === T.EOF) fail(0, 0, 'empty filter');
  const e = or();
  const rest = peek();
  if (rest.kind !== T.EOF) {
    if (rest.kind === T.RPAREN) fail(rest.start, 1, 'unmatched ")"');
    const hint = e.kind === 'test' && (rest.kind === T.WORD || rest.kind === T.STRING) ? ' (a comparison operator such as "==" is missing?)' : '';
    unexpected(rest, `"and", "or" or the end of the filter${hint}`);
  }
  return e;
}
