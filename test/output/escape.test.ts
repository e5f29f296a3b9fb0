import { describe, expect, it } from 'vitest';
import { escapeControl, escapeHtml, escapeMarkdown } from '../../src/output/escape.js';

describe('escapeMarkdown', () => {
  it('keeps an apostrophe readable: the entity is not itself backslash-escaped', () => {
    const s = escapeMarkdown("nodes' interfaces");
    expect(s).toBe('nodes&#39; interfaces');
    expect(s).not.toContain('\\#');
  });

  it('disarms links, emphasis, pipes and HTML in one pass', () => {
    const s = escapeMarkdown('[x](javascript:alert(1)) *b* a|b <script>');
    expect(s).not.toMatch(/(^|[^\\])\[/);
    expect(s).not.toMatch(/(^|[^\\])\|/);
    expect(s).not.toContain('<');
    expect(s).toContain('&#60;script&#62;');
  });

  it('leaves no raw control character', () => {
    expect(escapeMarkdown('a\u001b[31mb')).not.toContain('\u001b');
    expect(escapeHtml('\u0007')).not.toContain('\u0007');
  });
});

describe('escapeControl', () => {
  /** C0, DEL, C1, and the bidi marks, embeddings, overrides and isolates. */
  const isControl = (c: number): boolean => c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);

  // Its quick test decides whether the replace runs at all: a character it missed would
  // reach the terminal raw.
  it('escapes exactly the control and bidi characters, for every UTF-16 code unit', () => {
    const wrong: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      if ((escapeControl(s) !== s) !== isControl(c)) wrong.push(c);
    }
    expect(wrong).toEqual([]);
  });

  it('returns a line without control characters as it is', () => {
    const line = 'VXLAN vni 1 198.18.0.4→198.18.0.1 | TCP 100.96.4.12:9090 → 100.96.1.217:35931 [PSH, ACK]';
    expect(escapeControl(line)).toBe(line);
    expect(escapeControl('x\u202ey\u2066z\n')).toBe('x\\u202ey\\u2066z\\n');
  });
});
