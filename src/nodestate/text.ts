/**
 * Shared pieces of the node-state parsers: bounded line splitting, problem collection with
 * file:line positions, and address recognisers.
 */

/** Lines read per file before the rest is dropped (and reported). */
export const DEFAULT_MAX_LINES = 200_000;
/** Problems kept per file: a garbage file must not turn into 200k report lines. */
export const MAX_PROBLEMS_PER_FILE = 50;

export interface ParseOptions {
  /** Line number of the first line of `text` inside its file (sections of a combined file). */
  firstLine?: number;
  maxLines?: number;
}

/** Collects problems as `file:line: message`, capped per file. */
export class ProblemSink {
  readonly list: string[] = [];
  private dropped = 0;
  constructor(
    readonly file: string,
    readonly firstLine = 1,
  ) {}

  /** `index` is the 0-based line index inside the parsed text, or null for the whole file. */
  add(index: number | null, message: string): void {
    if (this.list.length >= MAX_PROBLEMS_PER_FILE) {
      this.dropped++;
      return;
    }
    this.list.push(index === null ? `${this.file}: ${message}` : `${this.file}:${this.firstLine + index}: ${message}`);
  }

  /** Problems plus, when some were dropped, one line saying how many. */
  done(): string[] {
    if (this.dropped > 0) this.list.push(`${this.file}: ${this.dropped} more problem(s) not listed`);
    return this.list;
  }
}

export interface SplitLines {
  lines: string[];
  /** Lines present in the text beyond the cap. */
  dropped: number;
}

/** Splits on \n (dropping a \r before it), keeping at most `max` lines. */
export function splitLines(text: string, max = DEFAULT_MAX_LINES): SplitLines {
  const lines: string[] = [];
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    if (lines.length >= max) {
      let dropped = 0;
      for (let i = start; i < n; i++) if (text.charCodeAt(i) === 10) dropped++;
      if (n > 0 && text.charCodeAt(n - 1) !== 10) dropped++;
      return { lines, dropped };
    }
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    lines.push(line);
    start = end + 1;
  }
  return { lines, dropped: 0 };
}

/** Short excerpt of an offending line for a problem message (kept raw: escaping is the output's job). */
export function excerpt(s: string, max = 80): string {
  const t = s.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

export function tokens(line: string): string[] {
  const t = line.trim();
  return t === '' ? [] : t.split(/\s+/);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45 || !s.includes(':')) return false;
  let body = s;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  let groupsNeeded = 8;
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    body = s.slice(0, lastColon + 1) + '0';
    groupsNeeded = 7;
  }
  const dbl = body.indexOf('::');
  if (dbl >= 0 && body.indexOf('::', dbl + 1) >= 0) return false;
  const parts = dbl >= 0 ? [body.slice(0, dbl), body.slice(dbl + 2)] : [body];
  let count = 0;
  for (const part of parts) {
    if (part === '') continue;
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      count++;
    }
  }
  return dbl >= 0 ? count < groupsNeeded : count === groupsNeeded;
}

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** `a.b.c.d/len`, `x::/len` or a bare address. */
export function isPrefix(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return isIP(s);
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return false;
  const n = Number(len);
  return isIPv4(addr) ? n <= 32 : isIPv6(addr) ? n <= 128 : false;
}

/** Route destinations as CIDR: `ip` prints host routes without their /32 or /128. */
export function normalizeDst(s: string): string {
  if (s === 'default' || s.includes('/')) return s;
  if (isIPv4(s)) return `${s}/32`;
  if (isIPv6(s)) return `${s}/128`;
  return s;
}

/** Colon-separated hardware address (Ethernet and longer link-layer addresses alike). */
export function isHwAddr(s: string): boolean {
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5,19}$/.test(s);
}

export function toInt(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** Output of a command that failed instead of printing its table. */
export function errorLine(line: string): boolean {
  return /^(Error:|RTNETLINK answers:|Cannot |Command line is not complete|Option ".*" is unknown|Object ".*" is unknown|Unable to connect to server control socket|Access denied|.*: (command )?not found$|.*: not found$)/.test(
    line.trim(),
  );
}
