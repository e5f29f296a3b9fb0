import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analysis/diagnose.js';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { analyzeAll } from '../../src/analysis/run.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { PcapWriter } from '../../src/capture/writer.js';

/**
 * A capture's first packet is not when it began taking every packet: echo requests missing
 * from pod-b's capture only in its first half second are its start, not a drop; the same
 * requests missing beside a later one are lost, and counted.
 */
const HEALTHY = resolve('fixtures/lab/flannel-vxlan-healthy');
const work = mkdtempSync(join(tmpdir(), 'netdiag-capstart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The healthy scenario with pod-b's capture missing the given frames. */
async function withoutFrames(name: string, drop: number[]): Promise<string[]> {
  const dir = join(work, name);
  const files: string[] = [];
  mkdirSync(dir);
  for (const f of readdirSync(HEALTHY).filter((n) => n.endsWith('.pcap'))) {
    const to = join(dir, f);
    if (f !== 'pod-b.pcap') symlinkSync(join(HEALTHY, f), to);
    else {
      const r = await CaptureReader.open(join(HEALTHY, f));
      const w = new PcapWriter(to, { linktype: r.interfaces[0]!.linktype, nanosecond: true, byteOrder: 'le' });
      for (;;) {
        while (r.next()) {
          const rec = r.rec;
          if (!drop.includes(rec.number)) w.writePacket({ sec: rec.tsSec, nsec: rec.tsNsec }, rec.buf, rec.off, rec.capLen, rec.wireLen);
        }
        if (!(await r.fill())) break;
      }
      await r.close();
      w.closeSync();
    }
    files.push(to);
  }
  return files.sort();
}

async function podBLosses(files: string[]) {
  const { results } = await analyzeAll(files.map(parseCaptureArg));
  const { model, findings } = diagnose(results, null);
  const groups = model.correlation!.losses.filter((g) => g.firstMissing === 'pod-b.pcap');
  return { lost: groups.reduce((n, g) => n + g.lost, 0), findings: findings.filter((f) => f.id.startsWith('path.')) };
}

describe('losses at the start of a capture', () => {
  // pod-b.pcap: frame 1 at 0 s; echo requests from pod-a at 0.201 s (5), 0.278 s (7) and 0.528 s (11).
  it('are not called a drop when they are all there is', async () => {
    const r = await podBLosses(await withoutFrames('start-only', [5, 7]));
    expect(r.lost).toBe(0);
    expect(r.findings).toEqual([]);
  });

  it('count beside a loss after the first half second', async () => {
    const r = await podBLosses(await withoutFrames('start-and-later', [5, 7, 11]));
    expect(r.lost).toBe(3);
    expect(r.findings.length).toBeGreaterThan(0);
  });
});
