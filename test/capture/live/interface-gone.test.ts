import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTempFiles, tempPath, tshark } from '../../craft/tshark-oracle.js';
import { capturing, IS_ROOT, netdiagIn, NOT_ROOT_REASON, UDP_PORT, VethLab } from './netns.js';

/** UDP payload sizes of the frames in `file`, read by tshark (which fails on a damaged file). */
function payloads(file: string): number[] {
  return tshark(['-r', file, '-T', 'fields', '-e', 'udp.length'])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(l) - 8);
}

describe.skipIf(!IS_ROOT)(`an interface deleted mid-capture (skipped unless root: ${NOT_ROOT_REASON})`, () => {
  let lab: VethLab;
  beforeEach(() => {
    lab = new VethLab();
  });
  afterEach(() => lab.destroy());
  afterAll(removeTempFiles);

  for (const engine of ['cap', 'tcpdump'] as const) {
    for (const name of ['gone.pcap', 'gone.pcapng']) {
      it(`${engine}: the capture ends saying the interface went away, and the ${name.split('.')[1]} file holds every packet up to then`, async () => {
        const file = tempPath(`${engine}-${name}`);
        const r = netdiagIn(lab.b, ['capture', '-i', 'vb', '-w', file, '--engine', engine, '-f', `udp port ${UDP_PORT}`]);
        await capturing(r);
        // Delivered long before the veth goes: every one must be in the file.
        const settled = Array.from({ length: 40 }, (_, i) => 100 + i);
        await lab.sendUdp(settled);
        await new Promise((res) => setTimeout(res, 1500));
        // Still flowing when it goes: whatever of it made it in is an unbroken run from its start.
        const flowing = Array.from({ length: 2000 }, (_, i) => 200 + (i % 1000));
        const sending = lab.sendUdpStream(flowing, 1, 100);
        await sending.passed;
        lab.deleteVeth();
        await sending.sent.catch(() => undefined);

        expect(await r.exited, r.stderr()).toBe(1);
        expect(r.stderr()).toMatch(/^netdiag: capture ended early: interface vb went away$/m);
        expect(r.stderr()).not.toMatch(/^\s+at |Assertion|core dumped/m);
        const got = payloads(file);
        expect(got.slice(0, settled.length)).toEqual(settled);
        const after = got.slice(settled.length);
        expect(after).toEqual(flowing.slice(0, after.length));
        const counted = Number(/^netdiag: vb: (\d+) packets? captured/m.exec(r.stderr())?.[1]);
        expect(counted).toBe(got.length);
      });
    }
  }
});
