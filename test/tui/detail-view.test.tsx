import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { udpPacket, writePcapng } from '../commands/harness.js';
import { KEY, mount, openSession, plain, selectedLines, STALE_FDB, type Mounted } from './tui-harness.js';

const UNDERLAY = `${STALE_FDB}node1-underlay.pcap`;
let ui: Mounted | null = null;
afterEach(() => ui?.unmount());

/** tshark's PDML position, size and shown value of the first occurrence of a field in one frame. */
function pdmlField(file: string, frame: number, field: string): { pos: number; size: number; show: string } {
  const r = spawnSync('tshark', ['-n', '-r', file, '-d', 'udp.port==8472,vxlan', '-Y', `frame.number == ${frame}`, '-T', 'pdml'], { encoding: 'utf8' });
  const el = new RegExp(`<(?:field|proto) name="${field.replace('.', '\\.')}"[^>]*>`).exec(r.stdout)?.[0];
  if (!el) throw new Error(`no ${field} in tshark's PDML of frame ${frame}`);
  const attr = (a: string) => new RegExp(` ${a}="([^"]*)"`).exec(el)?.[1] ?? '';
  return { show: attr('show'), size: Number(attr('size')), pos: Number(attr('pos')) };
}

/** Byte offsets drawn in reverse video in the hex pane of a raw frame. */
function highlightedBytes(raw: string): number[] {
  const out: number[] = [];
  for (const line of raw.split('\n')) {
    const text = plain(line);
    const m = /^([0-9a-f]{4})  /.exec(text);
    if (!m) continue;
    // Per column of the plain text: was it drawn in reverse video?
    const inverse: boolean[] = [];
    let on = false;
    for (const part of line.split(/(\u001b\[[0-9;]*m)/)) {
      const sgr = /^\u001b\[([0-9;]*)m$/.exec(part);
      if (sgr) {
        const codes = sgr[1]!.split(';');
        if (codes.includes('7')) on = true;
        if (codes.includes('27') || codes.includes('0') || sgr[1] === '') on = false;
        continue;
      }
      for (let k = 0; k < part.length; k++) inverse.push(on);
    }
    const base = parseInt(m[1]!, 16);
    for (let j = 0; j < 16; j++) {
      const col = 6 + j * 3 + (j >= 8 ? 1 : 0);
      if (/[0-9a-f]{2}/.test(text.slice(col, col + 2)) && inverse[col]) out.push(base + j);
    }
  }
  return out;
}

describe('Packet detail', () => {
  it('unfolds a layer and highlights the selected field where tshark places it', async () => {
    ui = await mount(await openSession([UNDERLAY], { analyze: false }));
    await ui.press('j', 'j', KEY.enter);
    let f = ui.frame();
    expect(f).toMatch(/^▸ Frame 3: /m);
    expect(f).toMatch(/^▸ VXLAN/m);
    // Outer IPv4 is the third line of the tree; unfold it and walk to its TTL.
    await ui.press(KEY.down, KEY.down, KEY.enter);
    expect(ui.frame()).toMatch(/^▾ IPv4/m);
    for (let k = 0; k < 20 && !/Time to Live/.test(selectedLines(ui.raw())[0] ?? ''); k++) await ui.press(KEY.down);
    const ttl = pdmlField(UNDERLAY, 3, 'ip.ttl');
    expect(selectedLines(ui.raw())[0]).toMatch(new RegExp(`Time to Live: ${ttl.show}\\b`));
    // The TTL byte where tshark places it is among those highlighted: exactly it where the
    // decoder records field positions, else the IPv4 header holding it (and the pane says so).
    const ip = pdmlField(UNDERLAY, 3, 'ip');
    const marked = highlightedBytes(ui.raw());
    for (let k = 0; k < ttl.size; k++) expect(marked).toContain(ttl.pos + k);
    if (marked.length > ttl.size) {
      expect(marked).toEqual(Array.from({ length: ip.size }, (_, k) => ip.pos + k));
      expect(ui.frame()).toMatch(/field position unknown/);
    }
    await ui.press('g', KEY.down, KEY.down);
    expect(highlightedBytes(ui.raw())).toEqual(Array.from({ length: ip.size }, (_, k) => ip.pos + k));
    expect(ui.frame()).not.toMatch(/field position unknown/);
    // ← folds it again.
    await ui.press(KEY.left);
    f = ui.frame();
    expect(f).toMatch(/^▸ IPv4/m);
    expect(f).not.toMatch(/Time to Live/);
  });

  it('highlights exactly the bytes tshark gives a fixed-offset field, in the outer and the encapsulated layers', async () => {
    ui = await mount(await openSession([UNDERLAY], { analyze: false }), { height: 40 });
    await ui.press('j', 'j', KEY.enter);
    const cases: Array<{ field: string; layer: RegExp; label: RegExp }> = [
      { field: 'ip.ttl', layer: /^▸ IPv4/, label: /^\s+Time to Live: / },
      { field: 'udp.dstport', layer: /^▸ User Datagram Protocol|^▸ UDP/, label: /^\s+Destination Port: / },
      { field: 'vxlan.vni', layer: /^▸ VXLAN/, label: /^\s+VXLAN Network Identifier \(VNI\): / },
    ];
    for (const c of cases) {
      const want = pdmlField(UNDERLAY, 3, c.field);
      expect(want.size).toBeGreaterThan(0);
      await ui.press('g');
      for (let k = 0; k < 30 && !c.layer.test(selectedLines(ui.raw())[0] ?? ''); k++) await ui.press(KEY.down);
      expect(selectedLines(ui.raw())[0]).toMatch(c.layer);
      await ui.press(KEY.enter);
      for (let k = 0; k < 30 && !c.label.test(selectedLines(ui.raw())[0] ?? ''); k++) await ui.press(KEY.down);
      expect(selectedLines(ui.raw())[0]).toMatch(c.label);
      expect(highlightedBytes(ui.raw())).toEqual(Array.from({ length: want.size }, (_, k) => want.pos + k));
      expect(ui.frame()).not.toMatch(/field position unknown/);
      await ui.press(KEY.left);
    }
  });

  it('n and p step through the listed packets; Esc goes back to the list on the same packet', async () => {
    ui = await mount(await openSession([UNDERLAY], { analyze: false }));
    await ui.press(KEY.enter);
    expect(ui.frame()).toMatch(/Frame 1: /);
    await ui.press('n', 'n');
    expect(ui.frame()).toMatch(/Frame 3: /);
    await ui.press('p');
    expect(ui.frame()).toMatch(/Frame 2: /);
    await ui.press(KEY.esc);
    expect(selectedLines(ui.raw())[0]).toMatch(/^\s+2 /);
  });

  it('shows hostile packet text escaped: no control character reaches the terminal', async () => {
    const HOSTILE = '\x1b[2J\x1b]0;owned\x07\x9b31m\u202etxt.exe\x00\r\n';
    const file = writePcapng([{ data: udpPacket(Buffer.from(HOSTILE, 'latin1')), comment: HOSTILE }]);
    ui = await mount(await openSession([`evil${HOSTILE}=${file}`], { analyze: false }));
    await ui.press(KEY.enter, KEY.enter);
    const raw = ui.raw();
    // Only the UI's own colour sequences remain once SGR codes are taken out.
    const bare = raw.replace(/\u001b\[[0-9;]*m/g, '');
    expect(bare).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    // Shown, escaped, not dropped: the comment in the frame layer and the capture name in the status line.
    expect(bare).toContain('\\x1b[2J');
    expect(bare.split('\n')[0]).toContain('evil\\x1b[2J');
  });
});
