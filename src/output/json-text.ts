/**
 * JSON.stringify escapes only C0 controls. A JSON document printed to a terminal must not
 * carry C1 controls (0x80–0x9f, which some terminals obey), DEL or bidi overrides from
 * packets either: they are written as \uXXXX escapes, which parse back to the same text.
 */
const UNSAFE = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
