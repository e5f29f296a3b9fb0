/**
 * Escaping for text that came from packets. Bytes on the wire are attacker-controlled:
 * none of them may reach a terminal as a control sequence, nor a Markdown or HTML
 * document as markup.
 */

/** C0/C1 control characters, DEL and bidi overrides: what escapeControl replaces. */
const CONTROL = '[\\u0000-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]';
/** Without /g: a test keeps no state between calls. */
const HAS_CONTROL = new RegExp(CONTROL);
const EVERY_CONTROL = new RegExp(CONTROL, 'g');

/**
 * Replace C0/C1 control characters, DEL and bidi overrides with visible escapes. Most text
 * has none: one regex test returns it as it is, without setting up the replace.
 */
export function escapeControl(s: string): string {
  if (!HAS_CONTROL.test(s)) return s;
  return s.replace(EVERY_CONTROL, (c) => {
    const n = c.charCodeAt(0);
    if (n === 0x0a) return '\\n';
    if (n === 0x0d) return '\\r';
    if (n === 0x09) return '\\t';
    return n < 0x100 ? '\\x' + n.toString(16).padStart(2, '0') : '\\u' + n.toString(16).padStart(4, '0');
  });
}

/** Bytes as printable ASCII, '.' for everything else (hex dump column). */
export function printableAscii(b: Buffer, start: number, end: number): string {
  let s = '';
  for (let k = start; k < end; k++) {
    const c = b[k]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return s;
}

export function escapeHtml(s: string): string {
  return escapeControl(s).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escape text for a Markdown paragraph or table cell: no markup, links, HTML or pipes survive. */
export function escapeMarkdown(s: string): string {
  // Markdown first, entities second: the other order backslash-escapes the `#` of `&#39;`
  // (and `>` is left to its entity: a backslash before `&#62;` would print the entity).
  return escapeHtml(s.replace(/[\\[\]()*_~#+\-!|{}.]/g, (c) => '\\' + c));
}
