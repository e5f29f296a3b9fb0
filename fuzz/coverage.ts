/**
 * V8 block coverage as the fuzzer's guide: precise coverage with call counts (each take
 * reports the compiled functions of every script that ran, so the innermost range around
 * a byte says whether it ran), accumulated per script as a bitmap over the compiled
 * source. Counts are reset by each take, so one take after an execution says what that
 * execution ran.
 */
import { Session } from 'node:inspector';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: Array<{ functionName: string; ranges: Range[] }>;
}

/**
 * Ranges that span code they did not run: a module's top-level function and a class's
 * field initializer cover every function declared inside them, and V8 leaves functions
 * that were never compiled out of its report, so painting these would count those as run.
 * Without them the figure errs low (module-level statements never count), never high.
 */
function spansOthers(f: { functionName: string; ranges: Range[] }): boolean {
  return (f.functionName === '' && f.ranges[0]!.startOffset === 0) || f.functionName.startsWith('<');
}

export class Coverage {
  private readonly session = new Session();
  private readonly maps = new Map<string, Uint8Array>();
  private scratch = new Uint8Array(0);
  private readonly ids = new Map<string, string>();
  /** Every function V8 has reported (key url:offset) and whether it ever ran. */
  private readonly functions = new Map<string, boolean>();
  /** Bytes of netdiag's compiled source executed at least once. */
  covered = 0;

  constructor(private readonly include: (url: string) => boolean) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  private post<T>(method: string, params: object = {}): T {
    let result: T | undefined;
    let error: Error | null = null;
    // In-process inspector sessions answer synchronously.
    this.session.post(method, params, (e, r) => {
      error = e;
      result = r as T;
    });
    if (error) throw error;
    return result!;
  }

  /** Compiled code bytes of each script, without the inline source map the loader appends. */
  private readonly codeLength = new Map<string, number>();

  private lengthOf(url: string, m: Uint8Array): number {
    return this.codeLength.get(url) ?? m.length;
  }

  /**
   * Learn each script's code length (its source up to the source map comment). Needs the
   * debugger, so it is done once, for the final figures, not while fuzzing.
   */
  measure(): void {
    this.post('Debugger.enable');
    try {
      for (const [url, id] of this.ids) {
        const { scriptSource } = this.post<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId: id });
        const at = scriptSource.lastIndexOf('\n//# sourceMappingURL=');
        this.codeLength.set(url, at >= 0 ? at : scriptSource.length);
      }
    } finally {
      this.post('Debugger.disable');
    }
  }

  /** Code bytes of the scripts seen so far (the denominator of the coverage figure). */
  get total(): number {
    let n = 0;
    for (const [url, m] of this.maps) n += this.lengthOf(url, m);
    return n;
  }

  /** Functions that ran at least once, and all V8 reported. */
  get functionCounts(): [entered: number, known: number] {
    let entered = 0;
    for (const ran of this.functions.values()) if (ran) entered++;
    return [entered, this.functions.size];
  }

  get scripts(): number {
    return this.maps.size;
  }

  /**
   * Fold in what ran since the last call; returns the number of newly covered bytes
   * (0: nothing new). `commit` false only looks.
   */
  take(commit = true): number {
    const { result } = this.post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const sc of result) {
      if (!this.include(sc.url)) continue;
      this.ids.set(sc.url, sc.scriptId);
      const ranges: Range[] = [];
      let size = 0;
      for (const f of sc.functions) if (f.ranges[0]!.endOffset > size) size = f.ranges[0]!.endOffset;
      for (const f of sc.functions) {
        if (spansOthers(f)) continue;
        const key = `${sc.url}:${f.ranges[0]!.startOffset}`;
        if (commit && !this.functions.get(key)) this.functions.set(key, f.ranges[0]!.count > 0);
        for (const r of f.ranges) {
          ranges.push(r);
          if (r.endOffset > size) size = r.endOffset;
        }
      }
      let map = this.maps.get(sc.url);
      if (!map || map.length < size) {
        const m = new Uint8Array(size);
        if (map) m.set(map);
        map = m;
        this.maps.set(sc.url, map);
      }
      if (this.scratch.length < size) this.scratch = new Uint8Array(size);
      const cur = this.scratch;
      cur.fill(0, 0, size);
      // Outer ranges first, inner ones over them: each byte ends up with its innermost count.
      ranges.sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset);
      for (const r of ranges) cur.fill(r.count > 0 ? 1 : 0, r.startOffset, r.endOffset);
      for (let k = 0; k < size; k++) {
        if (cur[k] === 1 && map[k] === 0) {
          fresh++;
          if (commit) map[k] = 1;
        }
      }
    }
    if (commit) this.covered += fresh;
    return fresh;
  }

  /** Per-directory covered and total bytes (src/decode, dissectors, ...). */
  byArea(): Array<[area: string, covered: number, total: number]> {
    const out = new Map<string, [number, number]>();
    for (const [url, m] of this.maps) {
      const rel = url.replace(/^.*?\/(src|dissectors)\//, '$1/');
      const area = rel.startsWith('dissectors/') ? 'dissectors' : rel.split('/').slice(0, 2).join('/');
      const a = out.get(area) ?? [0, 0];
      const n = this.lengthOf(url, m);
      for (let k = 0; k < n; k++) a[0] += m[k]!;
      a[1] += n;
      out.set(area, a);
    }
    return [...out.entries()].map(([k, [c, t]]) => [k, c, t] as [string, number, number]).sort((x, y) => x[0].localeCompare(y[0]));
  }

  stop(): void {
    try {
      this.post('Profiler.stopPreciseCoverage');
    } finally {
      this.session.disconnect();
    }
  }
}
