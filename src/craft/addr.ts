/**
 * Address text → bytes. Crafted packets take addresses as the strings people
 * read in `ip addr` and tshark output; parsing is strict so a typo in a fixture
 * fails loudly instead of producing a plausible-looking wrong packet.
 */

export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

export function ipv4Bytes(addr: string): Buffer {
  const parts = addr.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 address: ${addr}`);
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`bad IPv4 address: ${addr}`);
    out[i] = Number(p);
  }
  return out;
}

export function ipv6Bytes(addr: string): Buffer {
  const bad = (): never => {
    throw new Error(`bad IPv6 address: ${addr}`);
  };
  let text = addr;
  const words: number[] = [];
  // A dotted-quad tail (::ffff:192.0.2.1) stands for the last two words.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const parseGroup = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) bad();
          return parseInt(g, 16);
        });
  const head = parseGroup(halves[0]!);
  const rest = halves.length === 2 ? parseGroup(halves[1]!) : [];
  const total = head.length + rest.length;
  if (halves.length === 2) {
    if (total > 7) bad();
    words.push(...head, ...new Array<number>(8 - total).fill(0), ...rest);
  } else {
    if (total !== 8) bad();
    words.push(...head);
  }
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

export function ipBytes(addr: string): Buffer {
  return isIpv6(addr) ? ipv6Bytes(addr) : ipv4Bytes(addr);
}

export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new Error(`bad MAC address: ${mac}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export interface Prefix {
  /** Address bytes (4 or 16), host bits as given. */
  addr: Buffer;
  length: number;
  family: 4 | 6;
}

/** '100.96.1.0/26' or '2001:db8::/48'. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`prefix without length: ${text}`);
  const a = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const family = isIpv6(a) ? 6 : 4;
  const length = Number(lenText);
  if (!/^\d+$/.test(lenText) || length > (family === 6 ? 128 : 32)) {
    throw new Error(`bad prefix length: ${text}`);
  }
  return { addr: ipBytes(a), length, family };
}

/**
 * The solicited-node multicast group a Neighbour Solicitation for `addr` is
 * sent to (RFC 4291 §2.7.1): ff02::1:ff00:0/104 plus the low 24 bits.
 */
export function solicitedNodeMulticast(addr: string): string {
  const b = ipv6Bytes(addr);
  return `ff02::1:ff${b[13]!.toString(16).padStart(2, '0')}:${b.readUInt16BE(14).toString(16)}`;
}

/** Ethernet destination for an IPv6 multicast group (RFC 2464 §7): 33:33 + low 32 bits. */
export function ipv6MulticastMac(group: string): string {
  const b = ipv6Bytes(group);
  return ['33', '33', ...[12, 13, 14, 15].map((i) => b[i]!.toString(16).padStart(2, '0'))].join(':');
}
