import './force-color.js';
import { render } from 'ink-testing-library';
import { App, type AppProps } from '../../src/tui/app.js';
import { TuiSession, type SessionOptions } from '../../src/tui/session.js';

export const LAB = new URL('../../fixtures/lab/', import.meta.url).pathname;
export const STALE_FDB = `${LAB}flannel-vxlan-stale-fdb/`;

/** What a terminal sends for the keys the UI knows. */
export const KEY = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  pageDown: '\u001b[6~',
  pageUp: '\u001b[5~',
  enter: '\r',
  esc: '\u001b',
  tab: '\t',
  backspace: '\u007f',
} as const;

/** A session over capture files, once their packets are indexed (and diagnosed, unless analyze is false). */
export async function openSession(files: string[], opts: SessionOptions = {}): Promise<TuiSession> {
  const s = TuiSession.forFiles(files, opts);
  await s.loaded;
  await s.analyzed;
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;

/** A frame without its colours. */
export const plain = (s: string): string => s.replace(SGR, '');

/** The view's lines drawn in reverse video (the selection), without colours; the status line and key bar are left out. */
export function selectedLines(raw: string): string[] {
  const lines = raw.split('\n');
  return lines
    .slice(1, lines.length - 1)
    .filter((l) => /\u001b\[7m/.test(l))
    .map(plain);
}

export interface Mounted {
  /** The last frame, colours removed. */
  frame(): string;
  /** The last frame as written, with colour sequences. */
  raw(): string;
  /** Send keys one at a time, letting the UI settle after each. */
  press(...keys: string[]): Promise<void>;
  /** Poll the frame until it satisfies `ok` (bounded; throws with the last frame). */
  waitFor(ok: (frame: string) => boolean, what: string, ms?: number): Promise<string>;
  frames(): string[];
  unmount(): void;
}

export async function mount(session: TuiSession, props: Partial<AppProps> = {}): Promise<Mounted> {
  const r = render(<App session={session} width={80} height={24} outDir={props.outDir ?? '/tmp'} {...props} />);
  const raw = () => r.lastFrame() ?? '';
  const frame = () => plain(raw());
  const m: Mounted = {
    frame,
    raw,
    frames: () => r.frames,
    press: async (...keys) => {
      for (const k of keys) {
        const drawn = r.frames.length;
        r.stdin.write(k);
        // Settle: at least a short pause, then until a redraw has landed (bounded; some keys draw nothing).
        await sleep(k === KEY.esc ? 120 : 30);
        for (let t = 0; t < 20 && r.frames.length === drawn; t++) await sleep(15);
      }
    },
    waitFor: async (ok, what, ms = 5000) => {
      const until = Date.now() + ms;
      for (;;) {
        const f = frame();
        if (ok(f)) return f;
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
        await sleep(30);
      }
    },
    unmount: () => {
      r.unmount();
      session.close();
    },
  };
  await sleep(60);
  return m;
}

/** The packet-list rows of a frame: their frame numbers, in order. */
export function listedNumbers(frame: string): number[] {
  const lines = frame.split('\n');
  const head = lines.findIndex((l) => /^\s*No\. Time/.test(l));
  if (head < 0) return [];
  const out: number[] = [];
  for (const l of lines.slice(head + 1)) {
    const m = /^\s*(\d+) \S/.exec(l);
    if (!m) break;
    out.push(Number(m[1]));
  }
  return out;
}
