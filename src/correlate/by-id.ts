/**
 * State kept per run-wide flow id. Ids are dense from 0, so arrays indexed by id beat
 * hashing on every packet.
 */

/** `list[i] = v`, the gap before `i` filled with undefined: a hole would turn the array into a slow dictionary. */
export function putAt<T>(list: Array<T | undefined>, i: number, v: T | undefined): void {
  while (list.length < i) list.push(undefined);
  list[i] = v;
}

/** A set of ids: one bit each, grown by doubling. */
export class IdSet {
  private bits = new Uint8Array(128);

  has(id: number): boolean {
    const byte = id >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (id & 7))) !== 0;
  }

  /** Adds `id`; returns whether it was new. */
  add(id: number): boolean {
    const byte = id >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    const bit = 1 << (id & 7);
    if ((this.bits[byte]! & bit) !== 0) return false;
    this.bits[byte]! |= bit;
    return true;
  }
}
