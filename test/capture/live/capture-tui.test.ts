import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tshark } from '../../craft/tshark-oracle.js';
import { A_ADDR, B_ADDR, IS_ROOT, NOT_ROOT_REASON, UDP_PORT, VethLab } from './netns.js';

/**
 * `netdiag capture` in a real terminal: tmux at 80×24 runs it inside the capturing
 * namespace, a bounded ping crosses the veth, and the screen is read back with
 * capture-pane. Runs the sources through tsx, from a scratch directory where `w` writes.
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const SOCKET = `netdiag-live-tui-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const PINGS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', 'ui');
/** The screen and the scrollback above it. */
const history = () => tmux('capture-pane', '-p', '-J', '-t', 'ui', '-S', '-500');
const keys = (...k: string[]) => tmux('send-keys', '-t', 'ui', ...k);
const paneFlag = (name: string) => tmux('display', '-p', '-t', 'ui', `#{${name}}`).trim();

// Generous: the machine is shared; each wait ends as soon as the screen shows what it waits for.
async function waitFor(ok: (s: string) => boolean, what: string, ms = 60_000, failed?: RegExp): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (ok(s)) return s;
    if (Date.now() > until || failed?.test(s)) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(100);
  }
}

/** Start a shell in tmux at 80×24 in `cwd`, and `netdiag capture ARGS` in it inside namespace `ns`; resolves once the UI is up. */
async function startCapture(ns: string, cwd: string, args: string, env = ''): Promise<void> {
  // CI=true as CI jobs set it: ink draws nothing until exit unless netdiag clears it.
  tmux('new-session', '-d', '-s', 'ui', '-x', '80', '-y', '24', '-c', cwd, 'env PS1=READY$ TERM=xterm-256color NO_COLOR=1 CI=true bash --norc --noprofile');
  await waitFor((s) => s.includes('READY$'), 'the shell');
  keys(`${env} TSX_TSCONFIG_PATH=${ROOT}tsconfig.json ip netns exec ${ns} ${process.execPath} --import ${TSX} ${ROOT}src/cli.ts capture ${args}`, 'Enter');
  await waitFor((x) => /live \d+:\d\d · vb (cap|tcpdump) · 0 captured/.test(x), 'the live UI', 90_000, /Error|\nREADY\$\s*$/);
  expect(paneFlag('alternate_on')).toBe('1');
}

/** A bounded ping from a to b: `count` requests, each answered. */
function ping(lab: VethLab, count: number): void {
  const r = spawnSync('ip', ['netns', 'exec', lab.a, 'ping', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', B_ADDR], { encoding: 'utf8', timeout: 15_000 });
  expect(r.status, r.stderr).toBe(0);
}

/** After q: the normal screen is back with its cursor, and the shell has canonical input and echo. */
async function expectSaneShell(): Promise<void> {
  await waitFor((x) => /READY\$\s*$/.test(x.trimEnd()) && paneFlag('alternate_on') === '0', 'the shell after quitting');
  expect(paneFlag('alternate_on')).toBe('0');
  expect(paneFlag('cursor_flag')).toBe('1');
  keys(`echo "STTY: $(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | sort | tr '\\n' ' ')"`, 'Enter');
  const s = await waitFor((x) => /^STTY: /m.test(x), 'stty');
  expect(s).toMatch(/^STTY: echo icanon\s*$/m);
}

const dots = (address: string) => address.replace(/\./g, '\\.');
/** A packet-list row: number, source, destination, ICMP. */
const ICMP_ROW = (n: number, from: string, to: string) => new RegExp(`^\\s*${n} .*${dots(from)}\\s+${dots(to)}\\s+ICMP`, 'm');

describe.skipIf(!IS_ROOT || !hasTmux)(`netdiag capture opens the terminal UI (skipped without tmux, or unless root: ${NOT_ROOT_REASON})`, () => {
  let lab: VethLab;
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'netdiag-live-tui-'));
    lab = new VethLab();
  });
  afterEach(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    lab.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the packets as they cross, shows a finding as the live diagnosis makes it, writes the packets in view, and q leaves a sane shell with the end-of-capture lines', async () => {
    // --duration bounds the capture should the UI never see its q.
    await startCapture(lab.b, work, '-i vb --duration 120 --analyze-interval 1');
    ping(lab, PINGS);
    const total = 2 * PINGS;
    let s = await waitFor((x) => new RegExp(`· ${total} pkts .*${total} captured`).test(x.split('\n')[0]!), `${total} packets listed`);
    // The list followed the tail: the last reply is on screen, requests and replies alternate.
    const rows = s.split('\n').filter((l) => /^\s*\d+ .*ICMP/.test(l));
    expect(rows).toHaveLength(total);
    rows.forEach((row, i) => expect(row).toMatch(i % 2 === 0 ? ICMP_ROW(i + 1, A_ADDR, B_ADDR) : ICMP_ROW(i + 1, B_ADDR, A_ADDR)));

    // Datagrams to a port nobody listens on: b answers port unreachable, which the live
    // diagnosis reports; the UI turns to the findings while the user has pressed nothing.
    await lab.sendUdp(Array.from({ length: 10 }, () => 100), 20);
    s = await waitFor((x) => /icmp\.3\.3/.test(x), 'the live finding');
    expect(s).toMatch(/^\s*1\. (ERROR|WARN)/m);
    expect(s.split('\n')[0]).toMatch(/\b1 problem\b/);

    // Its evidence names packets of this list: the UI's spool and the analysis numbered the same packets.
    keys('Enter');
    await sleep(300);
    keys('Enter');
    s = await waitFor((x) => /evidence: \S+ packets [\d, ]+/.test(x), 'the evidence packets');
    const cited = /evidence: \S+ packets ([\d, ]+)/.exec(s)![1]!.split(',').map(Number);
    const shown = s.split('\n').filter((l) => /^\s*\d+ \d/.test(l));
    expect(shown.map((l) => Number(/^\s*(\d+)/.exec(l)![1]))).toEqual(cited);
    shown.forEach((row, i) => expect(row).toMatch(ICMP_ROW(cited[i]!, B_ADDR, A_ADDR)));
    keys('Escape');

    keys('2');
    s = await waitFor((x) => /No\. Time/.test(x) && !/evidence: /.test(x), 'the packet list');
    const listed = Number(/· (\d+) pkts/.exec(s.split('\n')[0]!)![1]);
    expect(listed).toBeGreaterThan(total + 10);
    keys('w');
    s = await waitFor((x) => /wrote \d+ packets?[\s\S]*?\.pcap/.test(x), 'the packets written');
    const written = readdirSync(work).filter((f) => f.endsWith('.pcap'));
    expect(written).toHaveLength(1);
    const types = tshark(['-r', join(work, written[0]!), '-T', 'fields', '-e', 'icmp.type', '-e', 'udp.dstport']).trim().split('\n');
    expect(types).toHaveLength(listed);
    expect(types.slice(0, total)).toEqual(Array.from({ length: total }, (_, i) => (i % 2 === 0 ? '8\t' : '0\t')));
    expect(types.slice(total).filter((t) => t === `\t${UDP_PORT}`)).toHaveLength(10);

    keys('q');
    await expectSaneShell();
    // The lines a capture without the UI ends with: the counters, then the report over every packet.
    const out = history();
    expect(out).toMatch(new RegExp(`^netdiag: vb: ${listed} packets captured`, 'm'));
    expect(out).toMatch(new RegExp(`^\\s+\\S+: ${listed} packets, live capture`, 'm'));
    expect(out.slice(out.lastIndexOf('Findings'))).toMatch(/icmp\.3\.3|port unreachable/i);
  }, 240_000);

  it('with -w FILE.pcap and --tui follows the file being written (tcpdump engine), and says when -c has stopped the capture; Ctrl-C quits', async () => {
    const file = join(work, 'node.pcap');
    const count = 6;
    await startCapture(lab.b, work, `-i vb -w ${file} --tui -c ${count} --engine tcpdump icmp`);
    ping(lab, PINGS);
    const s = await waitFor((x) => /capture stopped \(packet count reached\)/.test(x), 'the capture stopped');
    expect(s.split('\n')[0]).toMatch(new RegExp(`· ${count} pkts \\(stopped \\d+:\\d\\d · vb \\w+ · ${count} captured`));
    expect(s).toMatch(ICMP_ROW(count, B_ADDR, A_ADDR));
    // No diagnosis was asked for with -w.
    expect(s.split('\n')[0]).not.toMatch(/diagnosing/);
    // Ctrl-C quits like q: the terminal is in raw mode, so it is a key, not a signal.
    keys('C-c');
    await expectSaneShell();
    expect(history()).toMatch(new RegExp(`^netdiag: vb: ${count} packets captured`, 'm'));
    expect(tshark(['-r', file, '-T', 'fields', '-e', 'frame.number']).trim().split('\n')).toHaveLength(count);
  }, 240_000);

  it('a terminal that hangs up ends the capture and removes the spool file', async () => {
    const temp = join(work, 'tmp');
    mkdirSync(temp);
    const spools = () => readdirSync(temp).filter((f) => f.startsWith('netdiag-ui-'));
    await startCapture(lab.b, work, '-i vb --duration 120 icmp', `TMPDIR=${temp}`);
    ping(lab, 2);
    await waitFor((x) => /· 4 pkts/.test(x), 'the packets listed');
    expect(spools()).toHaveLength(1);
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    const until = Date.now() + 30_000;
    while (spools().length > 0 && Date.now() < until) await sleep(100);
    expect(spools()).toEqual([]);
  }, 240_000);
});
