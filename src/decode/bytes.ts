/**
 * Byte accessors used by every dissector.
 *
 * The fast versions index the Buffer directly. Dissectors check their bounds against
 * the layer end before reading; the audited versions exist so tests can prove that:
 * with audit on, reads go through Buffer's own range-checked methods, and the
 * property tests hand each record over in a Buffer of exactly its captured length,
 * so any read past the record throws instead of silently returning garbage.
 */

function fastU8(b: Buffer, o: number): number {
  return b[o]!;
}
function fastU16(b: Buffer, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function fastU16le(b: Buffer, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function fastU32(b: Buffer, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}
function fastU32le(b: Buffer, o: number): number {
  return ((b[o + 3]! << 24) >>> 0) + ((b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!);
}
function fastU24(b: Buffer, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}
function fastU48(b: Buffer, o: number): number {
  return fastU16(b, o) * 4294967296 + fastU32(b, o + 2);
}

/** Reads made through the audited accessors: the property tests bound the work per packet with it. */
let auditedCount = 0;

const auditedU8 = (b: Buffer, o: number) => (auditedCount++, b.readUInt8(o));
const auditedU16 = (b: Buffer, o: number) => (auditedCount++, b.readUInt16BE(o));
const auditedU16le = (b: Buffer, o: number) => (auditedCount++, b.readUInt16LE(o));
const auditedU32 = (b: Buffer, o: number) => (auditedCount++, b.readUInt32BE(o));
const auditedU32le = (b: Buffer, o: number) => (auditedCount++, b.readUInt32LE(o));
const auditedU24 = (b: Buffer, o: number) => (auditedCount++, b.readUIntBE(o, 3));
const auditedU48 = (b: Buffer, o: number) => (auditedCount++, b.readUIntBE(o, 6));

/** Audited reads (and checksummed bytes) so far; meaningful only while audit is on. */
export function auditedReads(): number {
  return auditedCount;
}

export let u8 = fastU8;
export let u16 = fastU16;
export let u16le = fastU16le;
export let u32 = fastU32;
export let u32le = fastU32le;
export let u24 = fastU24;
/** 48-bit big-endian value (a MAC address); exact in a double. */
export let u48 = fastU48;

let audit = false;

/** Switch every accessor to its range-checked twin (tests only). */
export function setAuditedReads(on: boolean): void {
  audit = on;
  u8 = on ? auditedU8 : fastU8;
  u16 = on ? auditedU16 : fastU16;
  u16le = on ? auditedU16le : fastU16le;
  u32 = on ? auditedU32 : fastU32;
  u32le = on ? auditedU32le : fastU32le;
  u24 = on ? auditedU24 : fastU24;
  u48 = on ? auditedU48 : fastU48;
}

/** True while the audited accessors are in use: direct Buffer reads then defer to them. */
export function auditing(): boolean {
  return audit;
}

/**
 * For code that indexes a Buffer directly (address formatting, checksums): audited, a
 * range outside the buffer throws instead of reading as zeros.
 */
export function checkRange(b: Buffer, o: number, n: number): void {
  if (audit && !(o >= 0 && n >= 0 && o + n <= b.length)) throw new RangeError(`bytes [${o}, ${o + n}) outside a buffer of ${b.length} bytes`);
}

/** One's-complement sum of 16-bit words over [start, end), folded later by the caller. */
export function onesSum(b: Buffer, start: number, end: number, initial = 0): number {
  if (audit) {
    // The loop below indexes directly (an out-of-range index reads as 0): audited, a
    // checksum over bytes outside the buffer is a bug to report, not a wrong sum.
    if (!(start >= 0 && end <= b.length)) throw new RangeError(`checksum over [${start}, ${end}) outside a buffer of ${b.length} bytes`);
    if (end > start) auditedCount += (end - start) >> 1;
  }
  let sum = initial;
  let i = start;
  // Two words per step: half the loop overhead for the same sum (addition is associative).
  const quads = end - ((end - start) & 3);
  for (; i < quads; i += 4) sum += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!);
  const even = end - ((end - start) & 1);
  for (; i < even; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}
