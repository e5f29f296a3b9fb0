import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built.js';

/**
 * netdiag in a real terminal: tmux at 80×24 runs `netdiag read` on a lab fixture, keys are
 * sent as a user types them, and the screen is read back with capture-pane. Runs the built
 * CLI (dist/): it is built here first when the sources are newer.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURE = 'fixtures/lab/flannel-vxlan-stale-fdb';
const SOCKET = `netdiag-tui-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'ui');
const keys = (...k: string[]) => tmux('send-keys', '-t', 'ui', ...k);

// Generous: CI runs this beside the rest of the suite on two cores, and each wait ends as
// soon as the screen shows what it waits for.
async function waitFor(ok: (s: string) => boolean, what: string, ms = 45_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (ok(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(100);
  }
}

describe.skipIf(!hasTmux)('terminal UI in tmux', () => {
  beforeAll(() => {
    ensureBuilt();
    // CI=true as CI jobs set it: ink draws nothing until exit unless netdiag clears it.
    tmux('new-session', '-d', '-s', 'ui', '-x', '80', '-y', '24', '-c', ROOT, 'env PS1=READY$ TERM=xterm-256color CI=true bash --norc --noprofile');
  });
  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  it('opens the findings, jumps to evidence, filters, opens a packet, and quits leaving the terminal sane', async () => {
    await waitFor((s) => s.includes('READY$'), 'the shell');
    keys(`node bin/netdiag.js read ${FIXTURE}/*.pcap`, 'Enter');
    // The alternate screen is on while the UI runs.
    await waitFor((s) => /1\. ERROR/.test(s), 'the findings', 120_000);
    expect(tmux('display', '-p', '-t', 'ui', '#{alternate_on}').trim()).toBe('1');
    // Mouse reporting is on (1000, and 1006 for SGR reports) while the UI runs.
    expect(tmux('display', '-p', '-t', 'ui', '#{mouse_standard_flag}#{mouse_sgr_flag}').trim()).toBe('11');
    let s = screen();
    expect(s).toMatch(/Stale FDB entry on 198\.18\.0\.1/);
    expect(s).toMatch(/1 Findings/);
    // The wheel as xterm reports it: the selection (its detail under the list) moves down, then back.
    keys('-l', '\u001b[<65;10;5M');
    await waitFor((x) => !/^Stale FDB entry/m.test(x), 'the wheel moving the selection down');
    keys('-l', '\u001b[<64;10;5M');
    await waitFor((x) => /^Stale FDB entry/m.test(x), 'the wheel moving the selection back');

    keys('Enter');
    await sleep(300);
    keys('Enter');
    s = await waitFor((x) => /evidence: \S+ packets/.test(x), 'the evidence packets');
    expect(s).toMatch(/No\. Time\s+Source/);
    // The selected packet's Info in full under the list: the outer path of the misdirected frame.
    expect(s).toMatch(/^3: VXLAN vni 1 198\.18\.0\.1→198\.18\.0\.3 \| ICMP/m);

    keys('/');
    await waitFor((x) => /^\/ █/m.test(x), 'the filter bar');
    keys('-l', 'udp.port == 9000');
    await waitFor((x) => /✓ valid/.test(x), 'the filter validated');
    keys('Enter');
    s = await waitFor((x) => /filter: \d+ match/.test(x) && !/scanning/.test(x), 'the filtered list');
    expect(s).toMatch(/100\.96\.1\.2:\d+ → 100\.96\.2\.2:9000/);

    keys('Enter');
    s = await waitFor((x) => /Frame \d+: \d+ bytes on wire/.test(x), 'the packet detail');
    expect(s).toMatch(/^0000 {2}[0-9a-f]{2} /m);
    expect(s).toMatch(/3 Detail/);

    keys('q');
    s = await waitFor((x) => /READY\$\s*$/m.test(x.trimEnd()) && /netdiag: /.test(x), 'the shell after quitting');
    // Back on the normal screen, cursor shown, the verdict printed for the scrollback.
    expect(tmux('display', '-p', '-t', 'ui', '#{alternate_on}').trim()).toBe('0');
    expect(tmux('display', '-p', '-t', 'ui', '#{cursor_flag}').trim()).toBe('1');
    expect(tmux('display', '-p', '-t', 'ui', '#{mouse_any_flag}#{mouse_standard_flag}#{mouse_sgr_flag}').trim()).toBe('000');
    expect(s).toMatch(/netdiag: Stale FDB entry/);
    // The terminal modes a shell needs are back: canonical input and echo.
    keys(`echo "STTY: $(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | sort | tr '\\n' ' ')"`, 'Enter');
    s = await waitFor((x) => /^STTY: /m.test(x), 'stty');
    expect(s).toMatch(/^STTY: echo icanon\s*$/m);
  }, 400_000);
});
