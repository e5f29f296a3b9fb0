/** Words of a flow direction's key: inner source, destination, sport << 16 | dport, protocol. */
const WORDS = 4;

/**
 * Flow directions numbered densely in the order they are first asked for. Open addressing
 * on a hash of the key, half full at most; each flow's words are kept by its number, so a
 * probe compares against a few words of its own instead of reaching back into the rows the
 * key came from.
 */
export class FlowKeys {
  private words = new Uint32Array(WORDS * 1024);
  /** Flow number + 1 per slot, 0 empty. */
  private slots = new Int32Array(2048);
  /** Flows numbered so far. */
  count = 0;

  /** The flow's number, given the next one if it is new. */
  id(src: number, dst: number, ports: number, proto: number): number {
    const found = this.find(src, dst, ports, proto);
    return found >= 0 ? found : this.add(src, dst, ports, proto);
  }

  /** The flow's number, or -1 when it was never asked for. */
  find(src: number, dst: number, ports: number, proto: number): number {
    const mask = this.slots.length - 1;
    const w = this.words;
    for (let s = hash(src, dst, ports, proto) & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s]!;
      if (v === 0) return -1;
      const o = (v - 1) * WORDS;
      if (w[o] === src && w[o + 1] === dst && w[o + 2] === ports && w[o + 3] === proto) return v - 1;
    }
  }

  /** Word `k` (0-3, in the order of `id`'s arguments) of flow `id`'s key. */
  word(id: number, k: number): number {
    return this.words[id * WORDS + k]!;
  }

  private add(src: number, dst: number, ports: number, proto: number): number {
    const id = this.count++;
    if (this.count * WORDS > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    const o = id * WORDS;
    this.words[o] = src;
    this.words[o + 1] = dst;
    this.words[o + 2] = ports;
    this.words[o + 3] = proto;
    if (this.count * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2);
      for (let x = 0; x < this.count; x++) this.place(x);
    } else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    const w = this.words;
    const o = id * WORDS;
    let s = hash(w[o]!, w[o + 1]!, w[o + 2]!, w[o + 3]!) & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }
}

function hash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15) ^ d, 0x165667b1);
  return (h ^ (h >>> 16)) >>> 0;
}
