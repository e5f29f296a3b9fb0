import { escapeControl } from '../output/escape.js';

/**
 * Text fitting for fixed-width terminal cells. Columns are counted in UTF-16 code units,
 * which is what escaped packet text and netdiag's own labels are made of.
 */

/** Exactly `w` columns: cut with an ellipsis, or padded with spaces. */
export function fit(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? '…' : s.slice(0, w - 1) + '…';
  return s.padEnd(w);
}

/** Right-aligned in `w` columns. */
export function fitRight(s: string, w: number): string {
  if (s.length > w) return s.slice(s.length - w);
  return s.padStart(w);
}

/** Word-wrapped lines of at most `w` columns (long words are cut). */
export function wrap(s: string, w: number): string[] {
  const out: string[] = [];
  for (const text of s.split('\n')) {
    // A paragraph's indentation is kept on each of its lines.
    const indent = /^ */.exec(text)![0].slice(0, Math.max(0, w - 8));
    const para = text.slice(indent.length);
    const lines: string[] = [];
    wrapWords(para, w - indent.length, lines);
    for (const l of lines) out.push(indent + l);
  }
  return out;
}

function wrapWords(para: string, w: number, out: string[]): void {
  let line = '';
  for (const word of para.split(' ')) {
    let rest = word;
    while (rest.length > w) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ' ' + rest;
    else {
      out.push(line);
      line = rest;
    }
  }
  out.push(line);
}

/** Text that may hold packet bytes (report strings quote addresses, names, notes) made terminal-safe. */
export const safe = (s: string | number | null | undefined): string => (s === null || s === undefined ? '' : escapeControl(String(s)));

/** The first row of a window of `height` rows that keeps `cursor` visible, moving as little as possible. */
export function scrollTop(top: number, cursor: number, height: number, length: number): number {
  if (height <= 0) return 0;
  let t = top;
  if (cursor < t) t = cursor;
  if (cursor >= t + height) t = cursor - height + 1;
  return Math.max(0, Math.min(t, Math.max(0, length - height)));
}
