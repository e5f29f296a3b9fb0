/**
 * A reusable collector of field values for one field of one packet.
 *
 * Field getters push into it instead of returning arrays, so evaluating a display
 * filter over millions of packets allocates nothing: numbers (integers, booleans,
 * IPv4 addresses as uint32, MAC addresses as 48-bit integers, times) stay numbers;
 * byte strings (IPv6 addresses, payloads) stay offsets into the packet's buffer;
 * only genuinely textual fields carry strings.
 */
export const V_NUM = 0;
export const V_BYTES = 1;
export const V_STR = 2;
/** A time as whole seconds (num) plus nanoseconds (off): a double alone would lose the nanoseconds. */
export const V_TIME = 3;

const EMPTY = Buffer.alloc(0);

export class FieldSink {
  n = 0;
  private cap: number;
  kind: Uint8Array;
  num: Float64Array;
  off: Int32Array;
  len: Int32Array;
  buf: Buffer[];
  str: string[];

  constructor(capacity = 16) {
    this.cap = capacity;
    this.kind = new Uint8Array(capacity);
    this.num = new Float64Array(capacity);
    this.off = new Int32Array(capacity);
    this.len = new Int32Array(capacity);
    this.buf = new Array<Buffer>(capacity).fill(EMPTY);
    this.str = new Array<string>(capacity).fill('');
  }

  reset(): void {
    this.n = 0;
  }

  private slot(): number {
    if (this.n === this.cap) this.grow();
    return this.n++;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const kind = new Uint8Array(cap);
    kind.set(this.kind);
    const num = new Float64Array(cap);
    num.set(this.num);
    const off = new Int32Array(cap);
    off.set(this.off);
    const len = new Int32Array(cap);
    len.set(this.len);
    this.kind = kind;
    this.num = num;
    this.off = off;
    this.len = len;
    this.buf.length = cap;
    this.buf.fill(EMPTY, this.cap);
    this.str.length = cap;
    this.str.fill('', this.cap);
    this.cap = cap;
  }

  pushNum(v: number): void {
    const i = this.slot();
    this.kind[i] = V_NUM;
    this.num[i] = v;
  }

  pushBytes(b: Buffer, off: number, len: number): void {
    const i = this.slot();
    this.kind[i] = V_BYTES;
    this.buf[i] = b;
    this.off[i] = off;
    this.len[i] = len;
  }

  pushTime(sec: number, nsec: number): void {
    const i = this.slot();
    this.kind[i] = V_TIME;
    this.num[i] = sec;
    this.off[i] = nsec;
  }

  /** The numeric value of slot k (times as fractional seconds), for comparisons. */
  numberAt(k: number): number {
    return this.kind[k] === V_TIME ? this.num[k]! + this.off[k]! / 1e9 : this.num[k]!;
  }

  pushStr(s: string): void {
    const i = this.slot();
    this.kind[i] = V_STR;
    this.str[i] = s;
  }
}
