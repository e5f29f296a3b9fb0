/**
 * Tolerant reader for `ip -j` / `bridge -j` output.
 *
 * iproute2 writes interface names and aliases into JSON strings without escaping control
 * characters other than \b \f \n \r \t " \\ (an ESC in an alias comes out raw), which strict
 * JSON.parse rejects; such characters are escaped before parsing so they survive as data.
 * Several top-level values in one file (`ip -j -4 addr; ip -j -6 addr`), pretty-printed output
 * (`-p`) and one value per line are all accepted. Each array element keeps the line it starts
 * on, so problems can point at it.
 */

export interface JsonValueAt {
  value: unknown;
  /** 0-based line index (inside the scanned text) where the value starts. */
  line: number;
  /** For a top-level array: the 0-based line index where each element starts. */
  elementLines: number[];
}

export interface JsonScan {
  values: JsonValueAt[];
  error: { line: number; message: string } | null;
}

export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 91 /* [ */ || c === 123 /* { */;
  }
  return false;
}

export function scanJson(text: string): JsonScan {
  const values: JsonValueAt[] = [];
  const n = text.length;
  let i = 0;
  let line = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    if (c !== 91 && c !== 123) {
      return { values, error: { line, message: `unexpected text outside JSON: ${JSON.stringify(text.slice(i, i + 40))}` } };
    }
    const start = i;
    const startLine = line;
    const elementLines: number[] = [];
    let depth = 0;
    let inString = false;
    let escaped = false;
    let needsSanitize = false;
    let expectElement = false;
    let end = -1;
    for (; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === 92) escaped = true;
        else if (ch === 34) inString = false;
        else if (ch < 32) needsSanitize = true;
        continue;
      }
      if (expectElement && ch !== 32 && ch !== 9 && ch !== 10 && ch !== 13) {
        expectElement = false;
        if (ch !== 93) elementLines.push(line);
      }
      if (ch === 34) inString = true;
      else if (ch === 91 || ch === 123) {
        depth++;
        if (depth === 1 && ch === 91) expectElement = true;
      } else if (ch === 93 || ch === 125) {
        depth--;
        if (depth === 0) {
          end = i + 1;
          i++;
          break;
        }
      } else if (ch === 44 && depth === 1 && text.charCodeAt(start) === 91) expectElement = true;
    }
    if (end < 0) return { values, error: { line: startLine, message: 'unterminated JSON (file cut short?)' } };
    let slice = text.slice(start, end);
    if (needsSanitize) slice = escapeControlsInStrings(slice);
    try {
      values.push({ value: JSON.parse(slice) as unknown, line: startLine, elementLines });
    } catch (e) {
      return { values, error: { line: startLine, message: `invalid JSON: ${(e as Error).message}` } };
    }
  }
  return { values, error: null };
}

function escapeControlsInStrings(s: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (!inString) {
      if (ch === 34) inString = true;
      continue;
    }
    if (escaped) {
      escaped = false;
      continue;
    }
    if (ch === 92) escaped = true;
    else if (ch === 34) inString = false;
    else if (ch < 32) {
      out += s.slice(from, i) + '\\u' + ch.toString(16).padStart(4, '0');
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

/** Array elements of every top-level value (a lone object counts as one element). */
export function jsonEntries(scan: JsonScan): { entry: unknown; line: number }[] {
  const out: { entry: unknown; line: number }[] = [];
  for (const v of scan.values) {
    if (Array.isArray(v.value)) {
      v.value.forEach((entry, k) => out.push({ entry, line: v.elementLines[k] ?? v.line }));
    } else {
      out.push({ entry: v.value, line: v.line });
    }
  }
  return out;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(o: Obj, k: string): string | null {
  const v = Object.hasOwn(o, k) ? o[k] : undefined;
  return typeof v === 'string' ? v : null;
}

export function num(o: Obj, k: string): number | null {
  const v = Object.hasOwn(o, k) ? o[k] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function obj(o: Obj, k: string): Obj | null {
  const v = Object.hasOwn(o, k) ? o[k] : undefined;
  return isObj(v) ? v : null;
}

export function strArray(o: Obj, k: string): string[] {
  const v = Object.hasOwn(o, k) ? o[k] : undefined;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function has(o: Obj, k: string): boolean {
  return Object.hasOwn(o, k);
}
