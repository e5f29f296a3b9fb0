/**
 * BSD loopback encapsulations: a 4-byte address family before the IP packet.
 * LINKTYPE_NULL (0) stores it in the byte order of the host that wrote the
 * capture; LINKTYPE_LOOP (108, OpenBSD) always big-endian.
 */

/** IPv6's AF value differs per BSD; readers accept all three. */
export const BSD_AF = {
  INET: 2,
  INET6_NETBSD_OPENBSD: 24,
  INET6_FREEBSD: 28,
  INET6_DARWIN: 30,
} as const;

export function nullLoopback(o: { af: number; byteOrder?: 'le' | 'be' }, payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  if ((o.byteOrder ?? 'le') === 'le') b.writeUInt32LE(o.af >>> 0, 0);
  else b.writeUInt32BE(o.af >>> 0, 0);
  payload.copy(b, 4);
  return b;
}

export function loop(o: { af: number }, payload: Buffer): Buffer {
  return nullLoopback({ af: o.af, byteOrder: 'be' }, payload);
}
