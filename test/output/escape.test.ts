import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown } from '../../src/output/escape.js';

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
