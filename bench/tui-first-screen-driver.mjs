/**
 * The measurement behind bench/tui-first-screen.ts, in a process of its own so that module
 * loading is measured as the command pays it: plain node on the build's bundle
 * (dist/bundle/tui.js, what `netdiag read` runs), on the compiled modules in dist/src with
 * --unbundled (what it runs without a fresh bundle), or the sources through tsx with --src.
 * The first screen comes from runTui, as `netdiag read FILE` on a terminal opens it (the
 * diagnosis starting too); the indexing and drawing figures from a session of their own,
 * from dist/src (the same code; only its loading differs, and that is not measured there).
 *
 *   node bench/tui-first-screen-driver.mjs [--unbundled] [--first-only] FILE
 *   node --import tsx bench/tui-first-screen-driver.mjs --src [--first-only] FILE
 *   NETDIAG_DIST=/path/to/dist node bench/tui-first-screen-driver.mjs FILE   (another build, for before/after)
 *   node --cpu-prof bench/tui-first-screen-driver.mjs --first-only FILE      (what the start costs)
 *
 * Prints one JSON line.
 */
import { PassThrough, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('--')));
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (file === undefined) {
  process.stderr.write('usage: node bench/tui-first-screen-driver.mjs [--src|--unbundled] [--first-only] FILE\n');
  process.exit(2);
}
const dist = process.env.NETDIAG_DIST ? pathToFileURL(process.env.NETDIAG_DIST.replace(/\/?$/, '/')).href : new URL('../dist/', import.meta.url).href;
const from = flags.has('--src') ? new URL('../src/tui/', import.meta.url).href : `${dist}src/tui/`;
const entry = flags.has('--src') || flags.has('--unbundled') ? `${from}index.js` : `${dist}bundle/tui.js`;

/** A writable that looks like an 80×24 terminal to ink and keeps the last output. */
class FakeTerminal extends Writable {
  isTTY = true;
  columns = 80;
  rows = 24;
  output = '';
  onWrite = null;
  _write(chunk, _enc, done) {
    this.output += chunk.toString();
    if (this.output.length > 1 << 20) this.output = this.output.slice(-(1 << 16));
    this.onWrite?.();
    done();
  }
}

const round = (s) => +s.toFixed(3);

// The first screen as `netdiag read FILE` on a terminal gets it: runTui, diagnosis and all.
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const { runTui } = await import(entry);
const term = new FakeTerminal();
// The first packet row: frame number 1 at the start of a line, then its time.
const firstRow = /(^|\n)\s+1 0\.000000 /;
const shown = new Promise((resolve) => {
  term.onWrite = () => {
    if (firstRow.test(term.output)) {
      term.onWrite = null;
      resolve(performance.now());
    }
  };
});
// A terminal's keyboard: ink needs raw mode to listen for keys; it types q once measured.
const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
const exited = runTui({ files: [file] }, { stdin, stdout: term });
const first = await shown;
const cpu = process.cpuUsage(cpu0);
const out = { seconds: round((first - t0) / 1000), cpuSeconds: round((cpu.user + cpu.system) / 1e6) };
stdin.write('q');
await exited;

if (!flags.has('--first-only')) {
  // Indexing and drawing costs, on a session of its own (modules now loaded).
  const { TuiSession } = await import(`${from}session.js`);
  const t1 = performance.now();
  const session = TuiSession.forFiles([file], { analyze: false });
  const store = session.stores[0];
  await session.loaded;
  out.indexAllSeconds = round((performance.now() - t1) / 1000);
  const total = store.count;
  out.packets = total;
  // A screenful of rows (what one redraw decodes) at three places in the capture.
  const screen = 17;
  const cost = (start) => {
    const runs = 50;
    const t = performance.now();
    for (let r = 0; r < runs; r++) for (let n = start; n < start + screen && n <= total; n++) store.row(n);
    return round((performance.now() - t) / runs);
  };
  out.screenOfRowsMs = { top: cost(1), middle: cost(Math.max(1, Math.floor(total / 2))), end: cost(Math.max(1, total - screen + 1)) };
  out.rssMiB = Math.round(process.memoryUsage().rss / 1048576);
  session.close();
}
console.log(JSON.stringify(out));
process.exit(0);
