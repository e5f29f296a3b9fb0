/** Text forms of addresses and values, as Wireshark prints them (output paths only). */
import { checkRange } from './bytes.js';

export function ipv4String(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

const HEX = '0123456789abcdef';

function hex2(b: number): string {
  return HEX[(b >> 4) & 15]! + HEX[b & 15]!;
}

export function macString(v: number): string {
  const hi = Math.floor(v / 4294967296);
  const lo = v >>> 0;
  return `${hex2(hi >> 8)}:${hex2(hi)}:${hex2(lo >>> 24)}:${hex2(lo >>> 16)}:${hex2(lo >>> 8)}:${hex2(lo)}`;
}

export function macFromBytes(b: Buffer, o: number): string {
  checkRange(b, o, 6);
  return `${hex2(b[o]!)}:${hex2(b[o + 1]!)}:${hex2(b[o + 2]!)}:${hex2(b[o + 3]!)}:${hex2(b[o + 4]!)}:${hex2(b[o + 5]!)}`;
}

/** RFC 5952 text form: lowercase, longest run of two or more zero groups compressed, IPv4-mapped kept. */
export function ipv6String(b: Buffer, o: number): string {
  checkRange(b, o, 16);
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((b[o + 2 * k]! << 8) | b[o + 2 * k + 1]!);
  // ::ffff:a.b.c.d and ::a.b.c.d (deprecated compatible form) print as Wireshark does.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen && e - k >= 2) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  const parts = g.map((x) => x.toString(16));
  if (bestStart < 0) return parts.join(':');
  const head = parts.slice(0, bestStart).join(':');
  const tail = parts.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

export function hexPadded(v: number, bits: number): string {
  const digits = Math.max(1, Math.ceil(bits / 4));
  return '0x' + v.toString(16).padStart(digits, '0');
}

/** Seconds and nanoseconds as tshark prints epoch and relative times: nine decimals. */
export function secondsString(sec: number, nsec: number): string {
  let s = sec;
  let n = nsec;
  if (n < 0 && s > 0) {
    s -= 1;
    n += 1e9;
  }
  const neg = s < 0 || (s === 0 && n < 0);
  if (neg) {
    s = -s;
    n = -n;
    if (n < 0) {
      s -= 1;
      n += 1e9;
    }
  }
  return `${neg ? '-' : ''}${s}.${String(Math.round(n)).padStart(9, '0')}`;
}

export function bytesHex(b: Buffer, o: number, len: number, sep = ''): string {
  checkRange(b, o, len);
  let s = '';
  for (let k = 0; k < len; k++) s += (k && sep ? sep : '') + hex2(b[o + k]!);
  return s;
}
