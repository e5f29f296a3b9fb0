/**
 * Terminal UI: time to the first screen of packet rows, and the cost of a screenful of
 * rows at the top, the middle and the end of the capture.
 *
 *   node --import tsx bench/tui-first-screen.ts FILE
 *   node --import tsx bench/tui-first-screen.ts --generate N   (a generated N-packet capture)
 *
 * The UI renders into an 80×24 in-memory terminal; the clock starts before the TUI's
 * modules load and stops when a frame shows the first packet row. The last line printed is
 * JSON with `seconds` (what bench/run.ts reads) and the other figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { generateCapture } from './generate.js';

process.env['NODE_ENV'] ??= 'production';

/** A writable that looks like an 80×24 terminal to ink and keeps the last frame. */
class FakeTerminal extends Writable {
  isTTY = true;
  columns = 80;
  rows = 24;
  output = '';
  onWrite: (() => void) | null = null;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.output += chunk.toString();
    if (this.output.length > 1 << 20) this.output = this.output.slice(-(1 << 16));
    this.onWrite?.();
    done();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let file = args[0];
  let cleanup: string | null = null;
  if (file === undefined || file === '--generate') {
    const n = Number(args[1] ?? 1_000_000);
    cleanup = mkdtempSync(join(tmpdir(), 'netdiag-tui-bench-'));
    file = join(cleanup, 'capture.pcap');
    process.stderr.write(`generating ${n} packets…\n`);
    await generateCapture({ packets: n }, file);
  }
  try {
    const t0 = performance.now();
    const React = (await import('react')).default;
    const { render } = await import('ink');
    const { App } = await import('../src/tui/app.js');
    const { TuiSession } = await import('../src/tui/session.js');
    const loaded = performance.now();
    const session = TuiSession.forFiles([file], { analyze: false });
    const term = new FakeTerminal();
    // The first packet row: frame number 1 at the start of a line, then its time.
    const firstRow = /(^|\n)\s+1 0\.000000 /;
    const shown = new Promise<number>((resolve) => {
      term.onWrite = () => {
        if (firstRow.test(term.output)) {
          term.onWrite = null;
          resolve(performance.now());
        }
      };
    });
    // A terminal's keyboard that never types: ink needs raw mode to listen for keys.
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin }) as unknown as NodeJS.ReadStream;
    const app = render(React.createElement(App, { session }), { stdout: term as unknown as NodeJS.WriteStream, stdin, patchConsole: false, exitOnCtrlC: false });
    const first = await shown;
    const store = session.stores[0]!;
    const indexedAtFirst = store.count;
    await session.loaded;
    const indexed = performance.now();
    const total = store.count;

    // A screenful of rows (what one redraw decodes) at three places in the capture.
    const screen = 17;
    const cost = (from: number): number => {
      const runs = 50;
      const t = performance.now();
      for (let r = 0; r < runs; r++) for (let n = from; n < from + screen && n <= total; n++) store.row(n);
      return (performance.now() - t) / runs;
    };
    const scroll = { topMs: cost(1), middleMs: cost(Math.max(1, Math.floor(total / 2))), endMs: cost(Math.max(1, total - screen + 1)) };
    app.unmount();
    session.close();
    const out = {
      seconds: +((first - t0) / 1000).toFixed(3),
      moduleLoadSeconds: +((loaded - t0) / 1000).toFixed(3),
      packetsIndexedAtFirstScreen: indexedAtFirst,
      indexAllSeconds: +((indexed - t0) / 1000).toFixed(3),
      packets: total,
      screenOfRowsMs: { top: +scroll.topMs.toFixed(3), middle: +scroll.middleMs.toFixed(3), end: +scroll.endMs.toFixed(3) },
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    };
    console.log(JSON.stringify(out));
  } finally {
    if (cleanup) rmSync(cleanup, { recursive: true, force: true });
  }
}

await main();
