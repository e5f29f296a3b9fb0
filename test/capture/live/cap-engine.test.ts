import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linktypeOfCapName } from '../../../src/capture/live/cap-engine.js';
import { linktypeByName } from '../../../src/capture/linktypes.js';
import { removeTempFiles, tempPath, tshark } from '../../craft/tshark-oracle.js';
import { capturing, IS_ROOT, netdiagIn, NOT_ROOT_REASON, UDP_PORT, VethLab } from './netns.js';

describe('cap engine link types', () => {
  it('maps the names cap gives to the linktypes files carry', () => {
    expect(linktypeOfCapName('ETHERNET')).toBe(linktypeByName('EN10MB'));
    expect(linktypeOfCapName('LINKTYPE_LINUX_SLL')).toBe(linktypeByName('LINUX_SLL'));
    // Linux's DLT_RAW (12) is LINKTYPE_RAW (101) in a file.
    expect(linktypeOfCapName('RAW')).toBe(101);
    expect(linktypeOfCapName('Unknown linktype 12')).toBe(101);
    expect(linktypeOfCapName('Unknown linktype 276')).toBe(linktypeByName('LINUX_SLL2'));
    expect(linktypeOfCapName('something else')).toBeNull();
  });
});

/** The pids of `pid`'s child processes. */
function childrenOf(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

describe.skipIf(!IS_ROOT)(`the cap engine's capture process (skipped unless root: ${NOT_ROOT_REASON})`, () => {
  let lab: VethLab;
  beforeEach(() => {
    lab = new VethLab();
  });
  afterEach(() => lab.destroy());
  afterAll(removeTempFiles);

  it('libpcap runs in a process of its own: killing it ends the capture with the signal, and the file keeps every packet it handed over', async () => {
    const file = tempPath('killed.pcap');
    const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-w', file, '--engine', 'cap', '-f', `udp port ${UDP_PORT}`]);
    await capturing(r);
    const sizes = Array.from({ length: 30 }, (_, i) => 300 + i);
    await lab.sendUdp(sizes);
    await new Promise((res) => setTimeout(res, 1000));
    // `ip netns exec` execs netdiag in place: its pid is netdiag's.
    const kids = childrenOf(r.child.pid!);
    expect(kids).toHaveLength(1);
    process.kill(kids[0]!, 'SIGKILL');
    expect(await r.exited, r.stderr()).toBe(1);
    expect(r.stderr()).toMatch(/^netdiag: capture ended early: the capture process for vb was killed by SIGKILL$/m);
    const udp = tshark(['-r', file, '-T', 'fields', '-e', 'udp.length']).split('\n').filter((l) => l !== '').map(Number);
    expect(udp).toEqual(sizes.map((n) => n + 8));
  });
});
