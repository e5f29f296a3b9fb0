/**
 * Typed arrays reused from one slice of the correlation to the next, one buffer per name,
 * grown when a slice needs more. Allocating the join's tens of megabytes afresh for every
 * slice leaves the allocator's heap fragmented: the process's resident memory then creeps
 * up with capture length although the live data does not. A view handed out is valid until
 * the same name is asked for again; its contents are whatever the last user left, unless
 * the caller fills it.
 */
export class ArrayPool {
  private readonly buffers = new Map<string, ArrayBufferLike>();

  /** `shared`: the buffers are SharedArrayBuffers, so views posted to another thread see the same memory. */
  constructor(private readonly shared = false) {}

  /** Let every buffer go (views handed out stay valid; the pool starts empty). */
  clear(): void {
    this.buffers.clear();
  }

  /** At least `bytes` bytes under `name` (a multiple of 8 long). */
  buffer(name: string, bytes: number): ArrayBufferLike {
    let b = this.buffers.get(name);
    if (!b || b.byteLength < bytes) {
      // A quarter more than asked: slices vary in size, growing by little each time would reallocate often.
      const size = Math.max(bytes + (bytes >>> 2), 1024) & ~7;
      b = this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
      this.buffers.set(name, b);
    }
    return b;
  }

  int32(name: string, n: number): Int32Array {
    return new Int32Array(this.buffer(name, n * 4), 0, n);
  }

  uint32(name: string, n: number): Uint32Array {
    return new Uint32Array(this.buffer(name, n * 4), 0, n);
  }

  uint16(name: string, n: number): Uint16Array {
    return new Uint16Array(this.buffer(name, n * 2), 0, n);
  }

  uint8(name: string, n: number): Uint8Array {
    return new Uint8Array(this.buffer(name, n), 0, n);
  }

  float64(name: string, n: number): Float64Array {
    return new Float64Array(this.buffer(name, n * 8), 0, n);
  }
}

/**
 * Arrays by name from one of two pools: the names `keep` says yes to from `kept`, the rest
 * from `scratch`. A producer that hands its results to another thread keeps those in
 * shared buffers and its working arrays, which nobody else reads, in one set of its own.
 */
export class SplitPool extends ArrayPool {
  constructor(
    private readonly kept: ArrayPool,
    private readonly scratch: ArrayPool,
    private readonly keep: (name: string) => boolean,
  ) {
    super();
  }

  override buffer(name: string, bytes: number): ArrayBufferLike {
    return (this.keep(name) ? this.kept : this.scratch).buffer(name, bytes);
  }
}

/** Fresh arrays every time: for callers that keep what they get (tests, one-off joins). */
export const FRESH = {
  int32: (_: string, n: number) => new Int32Array(n),
  uint32: (_: string, n: number) => new Uint32Array(n),
  uint16: (_: string, n: number) => new Uint16Array(n),
  uint8: (_: string, n: number) => new Uint8Array(n),
  float64: (_: string, n: number) => new Float64Array(n),
};

export type Arrays = Pick<ArrayPool, 'int32' | 'uint32' | 'uint16' | 'uint8' | 'float64'>;
