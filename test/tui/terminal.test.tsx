import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runTerminal } from '../../src/tui/terminal.js';

// As a CI job sets it. ink reads it once as it loads, which here is inside runTerminal (this
// file imports nothing that loads ink), so the UI must clear it for anything to be drawn.
process.env['CI'] = 'true';

const STALE_FDB = new URL('../../fixtures/lab/flannel-vxlan-stale-fdb/', import.meta.url).pathname;
// eslint-disable-next-line no-control-regex
const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

const files = ['pod-a.pcap', 'node1-underlay.pcap', 'node3-underlay.pcap'].map((f) => STALE_FDB + f);

/** An 80×24 terminal in memory: everything written to it, in order. */
class Screen extends Writable {
  isTTY = true;
  columns = 80;
  rows = 24;
  written = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.written += chunk.toString();
    done();
  }
}

function terminal() {
  const stdout = new Screen();
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin }) as unknown as NodeJS.ReadStream;
  return { stdin, stdout, term: { stdin, stdout: stdout as unknown as NodeJS.WriteStream } };
}

async function until(ok: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const MOUSE_ON = ['\u001b[?1000h', '\u001b[?1006h'];
const MOUSE_OFF = ['\u001b[?1006l', '\u001b[?1000l'];
const last = (s: string, seqs: string[]) => Math.max(...seqs.map((q) => s.lastIndexOf(q)));

describe('the terminal UI on a terminal', () => {
  it('turns mouse reporting on with the alternate screen, shows the packets and then the findings, and turns it off when q quits', async () => {
    const { stdin, stdout, term } = terminal();
    const exited = runTerminal({ files }, term);
    await until(() => /(^|\n)\s+1 0\.000000 /.test(plain(stdout.written)), 'the first packet row');
    const enter = stdout.written.indexOf('\u001b[?1049h');
    expect(enter).toBeGreaterThanOrEqual(0);
    for (const q of MOUSE_ON) expect(stdout.written.indexOf(q)).toBeGreaterThan(enter);
    // The first screen is the packet list; the findings take over once the diagnosis is in.
    await until(() => /1\. ERROR/.test(plain(stdout.written)), 'the findings');
    const text = plain(stdout.written);
    expect(text.search(/(^|\n)\s+1 0\.000000 /)).toBeLessThan(text.indexOf('1. ERROR'));
    stdin.write('q');
    expect(await exited).toBe(0);
    const leave = stdout.written.lastIndexOf('\u001b[?1049l');
    expect(leave).toBeGreaterThan(enter);
    for (const q of MOUSE_OFF) expect(stdout.written.lastIndexOf(q)).toBeGreaterThan(last(stdout.written, MOUSE_ON));
    expect(plain(stdout.written.slice(leave))).toMatch(/netdiag: Stale FDB entry/);
  });

  it('turns mouse reporting off when a signal ends it', async () => {
    const { stdout, term } = terminal();
    const exited = runTerminal({ files }, term);
    await until(() => /(^|\n)\s+1 0\.000000 /.test(plain(stdout.written)), 'the first packet row');
    process.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(0);
    for (const q of MOUSE_OFF) expect(stdout.written.lastIndexOf(q)).toBeGreaterThan(last(stdout.written, MOUSE_ON));
    expect(stdout.written.lastIndexOf('\u001b[?1049l')).toBeGreaterThan(stdout.written.lastIndexOf('\u001b[?1049h'));
  });
});
