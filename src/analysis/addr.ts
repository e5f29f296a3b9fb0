/** Addresses as four uint32 words (IPv4 mapped as ::ffff:a.b.c.d), and their text forms. */

export function isV4Mapped(w: ArrayLike<number>, at: number): boolean {
  return w[at] === 0 && w[at + 1] === 0 && w[at + 2] === 0xffff;
}

export function v4String(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function addrString(w: ArrayLike<number>, at: number): string {
  if (isV4Mapped(w, at)) return v4String(w[at + 3]!);
  const b = Buffer.alloc(16);
  for (let k = 0; k < 4; k++) b.writeUInt32BE(w[at + k]! >>> 0, 4 * k);
  const g: string[] = [];
  for (let k = 0; k < 8; k++) g.push(b.readUInt16BE(2 * k).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== '0') {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === '0') e++;
    if (e - k > bestLen) {
      best = k;
      bestLen = e - k;
    }
    k = e;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

export function parseV4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function macString(v: number): string {
  const hex = v.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?=.)/g, '$1:');
}

export function parseMac(s: string): number | null {
  const h = s.trim().toLowerCase().replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(h)) return null;
  return parseInt(h, 16);
}

/** The /24 (IPv4) containing an address: how flannel and host-gw carve pod CIDRs per node. */
export function v4Prefix(v: number, len: number): number {
  if (len === 0) return 0;
  return (v & ((0xffffffff << (32 - len)) >>> 0)) >>> 0;
}

export function cidrString(base: number, len: number): string {
  return `${v4String(base)}/${len}`;
}

export function parseCidr(s: string): { base: number; len: number } | null {
  const [a, l] = s.trim().split('/');
  const base = parseV4(a ?? '');
  const len = l === undefined ? 32 : Number(l);
  if (base === null || !Number.isInteger(len) || len < 0 || len > 32) return null;
  return { base: v4Prefix(base, len), len };
}

export function inCidr(v: number, base: number, len: number): boolean {
  return v4Prefix(v, len) === base;
}
