import { describe, expect, it } from 'vitest';
import { Capture, healthyExchange, node } from '../../helpers/scenario.js';
import { analyzeFiles, pcapAbsolute } from '../../helpers/capture-files.js';

const n1 = node(1);
const n2 = node(2);

/** A healthy exchange's frames, re-timed: `at(k)` gives frame k's absolute time. */
function frames(at: (k: number) => number): Array<{ t: number; data: Buffer }> {
  const c = new Capture();
  healthyExchange(c, n1, n2, 0);
  return c.packets.map((p, k) => ({ t: at(k), data: p.data }));
}

async function clockFindings(packets: Array<{ t: number; data: Buffer }>) {
  const { findings } = await analyzeFiles([{ name: 'node1.pcap', bytes: pcapAbsolute(packets) }]);
  return findings.filter((f) => f.id.startsWith('capture.clock-'));
}

describe('capture clock oddities', () => {
  it('warns when timestamps are zero (the capturing clock was never set) and names the packets', async () => {
    const found = await clockFindings(frames((k) => k * 0.01));
    const unset = found.find((f) => f.id === 'capture.clock-unset');
    expect(unset?.severity).toBe('warning');
    expect(unset?.evidence[0]?.count).toBe(frames(() => 0).length);
    expect(unset?.evidence[0]?.packets.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('says nothing about the clock of the same exchange captured at a plausible time', async () => {
    expect(await clockFindings(frames((k) => 1_763_000_000 + k * 0.01))).toEqual([]);
  });

  it('warns about timestamps far in the future, only for the packets that have them', async () => {
    const year2090 = Date.UTC(2090, 0, 1) / 1000;
    const found = await clockFindings(frames((k) => (k >= 5 ? year2090 + k : 1_763_000_000 + k)));
    const future = found.find((f) => f.id === 'capture.clock-future');
    expect(future?.severity).toBe('warning');
    expect(future?.evidence[0]?.packets[0]).toBe(6);
    expect(future?.evidence[0]?.count).toBe(frames(() => 0).length - 5);
    expect(found.some((f) => f.id === 'capture.clock-gap')).toBe(false);
  });

  it('notes a silence that is most of the capture, between the packets around it', async () => {
    const found = await clockFindings(frames((k) => 1_763_000_000 + (k < 4 ? k : 600 + k)));
    const gap = found.find((f) => f.id === 'capture.clock-gap');
    expect(gap?.severity).toBe('info');
    expect(gap?.evidence[0]?.packets).toEqual([4, 5]);
    expect(gap?.title).toContain('601 s');
  });

  it('does not call steady traffic with short pauses a gap', async () => {
    // 20 s between packets for several minutes: quiet, but no silence stands out.
    expect(await clockFindings(frames((k) => 1_763_000_000 + k * 20))).toEqual([]);
  });
});
