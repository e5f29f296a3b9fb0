/**
 * Interpretation of unquoted filter values once the field's type is known. Each parser
 * returns the value or a message saying what is wrong; the compiler adds the position.
 */

export type Parsed<V> = { ok: true; v: V } | { ok: false; msg: string };

const ok = <V>(v: V): Parsed<V> => ({ ok: true, v });
const bad = <V>(msg: string): Parsed<V> => ({ ok: false, msg });

/**
 * An integer as Wireshark (strtoll with base 0) reads it: decimal, 0x hex, 0b binary,
 * a leading 0 for octal, an optional minus sign.
 */
export function parseInteger(text: string): Parsed<number> {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) {
    if (/^-?0[0-7]*[89]/.test(text)) return bad(`"${text}" is not a valid number (a leading 0 means octal)`);
    return bad(`"${text}" is not a valid number`);
  }
  const body = m[2]!;
  let v: number;
  if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) v = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body[0] === '0') v = parseInt(body.slice(1), 8);
  else v = parseInt(body, 10);
  if (!Number.isSafeInteger(v)) return bad(`"${text}" is too large: integers are limited to 2^53 - 1`);
  return ok(m[1] ? -v : v);
}

export function parseFloatLiteral(text: string): Parsed<number> {
  if (!/^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) return bad(`"${text}" is not a valid number`);
  return ok(Number(text));
}

/** Seconds with up to nine decimals, kept exact as whole seconds plus nanoseconds. */
export function parseSeconds(text: string): Parsed<{ sec: number; nsec: number }> {
  const m = /^(-?)([0-9]+)(?:\.([0-9]*))?$|^(-?)\.([0-9]+)$/.exec(text);
  if (!m) return bad(`"${text}" is not a valid time: give seconds, e.g. 1.5`);
  const neg = (m[1] ?? m[4]) === '-';
  const whole = m[2] ?? '0';
  const frac = m[3] ?? m[5] ?? '';
  if (frac.length > 9) return bad(`"${text}" has more than nine decimals`);
  let sec = Number(whole);
  let nsec = Number(frac.padEnd(9, '0'));
  if (!Number.isSafeInteger(sec)) return bad(`"${text}" is too large`);
  if (neg) {
    sec = -sec;
    nsec = -nsec;
  }
  // Normalized so that 0 <= nsec < 1e9, as field times are compared.
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  return ok({ sec, nsec });
}

/** Split off a "/N" prefix length, checking it against the address width. */
function splitPrefix(text: string, bits: number): Parsed<{ addr: string; prefix: number }> {
  const slash = text.indexOf('/');
  if (slash < 0) return ok({ addr: text, prefix: bits });
  const p = text.slice(slash + 1);
  if (!/^[0-9]+$/.test(p)) return bad(`"${p}" is not a valid prefix length: expected 0 to ${bits}`);
  const prefix = Number(p);
  if (prefix > bits) return bad(`prefix length ${prefix} is longer than ${bits} bits`);
  return ok({ addr: text.slice(0, slash), prefix });
}

export function parseIPv4Address(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const part of parts) {
    // Leading zeros are refused (as by inet_pton): 010 would be octal to some tools.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const b = Number(part);
    if (b > 255) return null;
    v = v * 256 + b;
  }
  return v;
}

/** An IPv4 address with an optional CIDR prefix; `addr` is already masked to the prefix. */
export function parseIPv4(text: string): Parsed<{ addr: number; mask: number; prefix: number }> {
  const sp = splitPrefix(text, 32);
  if (!sp.ok) return sp;
  const a = parseIPv4Address(sp.v.addr);
  if (a === null) {
    return bad(`"${sp.v.addr}" is not a valid IPv4 address${/[a-zA-Z]/.test(sp.v.addr) && !/:/.test(sp.v.addr) ? ' (host names are not resolved)' : ''}`);
  }
  const prefix = sp.v.prefix;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ok({ addr: (a & mask) >>> 0, mask, prefix });
}

/** The 16 bytes of an IPv6 address in RFC 4291 text form (with "::" and a dotted IPv4 tail). */
export function parseIPv6Address(text: string): Buffer | null {
  if (text.length === 0) return null;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k]!;
      if (k === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4Address(part);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
      out.push(parseInt(part, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = groupsOf(text.slice(0, dbl));
    const tail = groupsOf(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    // A dotted tail is only allowed at the very end; groupsOf enforces it per side.
    if (text.slice(0, dbl).includes('.')) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groupsOf(text);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const b = Buffer.alloc(16);
  for (let k = 0; k < 8; k++) b.writeUInt16BE(groups[k]!, 2 * k);
  return b;
}

export function parseIPv6(text: string): Parsed<{ addr: Buffer; prefix: number }> {
  const sp = splitPrefix(text, 128);
  if (!sp.ok) return sp;
  const a = parseIPv6Address(sp.v.addr);
  if (!a) return bad(`"${sp.v.addr}" is not a valid IPv6 address`);
  return ok({ addr: a, prefix: sp.v.prefix });
}

/**
 * A byte string as Wireshark writes them: hex groups separated by ':', '-' or '.'
 * (aa:bb:cc, aa-bb-cc, aabb.ccdd, aabbcc). A group has one digit or an even number.
 */
export function parseHexBytes(text: string): Buffer | null {
  if (text.length === 0) return null;
  const groups = text.split(/[:.-]/);
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]+$/.test(g)) return null;
    if (g.length === 1) {
      out.push(parseInt(g, 16));
      continue;
    }
    if (g.length % 2 !== 0) return null;
    for (let k = 0; k < g.length; k += 2) out.push(parseInt(g.slice(k, k + 2), 16));
  }
  return Buffer.from(out);
}

/** A MAC address (6 bytes) as a 48-bit integer, the form Ethernet fields push. */
export function parseMac(text: string): Parsed<number> {
  const b = parseHexBytes(text);
  if (!b) return bad(`"${text}" is not a valid MAC address (e.g. aa:bb:cc:dd:ee:ff)`);
  if (b.length !== 6) return bad(`"${text}" has ${b.length} bytes: a MAC address has 6`);
  return ok(b.readUIntBE(0, 6));
}
