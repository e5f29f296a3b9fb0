import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/report.js';
import { writeEvidence } from '../../src/report/evidence.js';
import { tshark } from '../craft/tshark-oracle.js';
import { labReport, reportOf } from './build.js';

const dir = mkdtempSync(join(tmpdir(), 'netdiag-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every (capture, frame) the findings cite, straight from the report's evidence. */
function citedPairs(r: Report): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  r.findings.forEach((f) => {
    for (const e of f.evidence) {
      if (e.capture.startsWith('node-state:')) continue;
      for (const n of e.packets) {
        const k = `${e.capture}#${n}`;
        if (!out.has(k)) out.set(k, new Set());
        out.get(k)!.add(f.id);
      }
    }
  });
  return out;
}

interface TsharkFrame {
  number: number;
  raw: string;
  iface: string;
  comment: string;
}

/** tshark's view of frames: number, bytes, interface name and packet comment. */
function tsharkFrames(file: string, filter?: string): TsharkFrame[] {
  const json = JSON.parse(tshark(['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'json', '-x'])) as Array<{ _source: { layers: Record<string, unknown> } }>;
  const fields = tshark(['-r', file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.number', '-e', 'frame.interface_name', '-e', 'frame.comment'])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
  return json.map((p, k) => {
    const raw = p._source.layers['frame_raw'] as [string, ...unknown[]];
    const [number, iface, comment] = fields[k]!;
    return { number: Number(number), raw: raw[0], iface: iface ?? '', comment: comment ?? '' };
  });
}

async function check(r: Report, cited: Awaited<ReturnType<typeof labReport>>['cited'], name: string): Promise<void> {
  const file = join(dir, `${name}.pcapng`);
  await writeEvidence(file, r, cited.packets);
  const want = citedPairs(r);
  const got = tsharkFrames(file); // throws on any tshark warning
  expect(got.length).toBe(want.size);
  const seen = new Set<string>();
  for (const g of got) {
    const m = /^netdiag: (.+) frame (\d+), cited by (.+)$/.exec(g.comment);
    expect(m, g.comment).not.toBeNull();
    const key = `${m![1]}#${m![2]}`;
    expect(want.has(key), key).toBe(true);
    expect(g.iface).toBe(m![1]);
    for (const id of want.get(key)!) expect(g.comment).toContain(id);
    seen.add(key);
  }
  expect(seen.size).toBe(want.size);
  // Bytes: each evidence packet equals its frame in the original capture, as tshark reads both.
  for (const c of r.captures) {
    const mine = got.filter((g) => g.iface === c.name);
    if (!mine.length) continue;
    const numbers = mine.map((g) => Number(/ frame (\d+),/.exec(g.comment)![1]));
    const orig = new Map(tsharkFrames(c.file, `frame.number in {${numbers.join(',')}}`).map((f) => [f.number, f.raw]));
    mine.forEach((g, k) => expect(g.raw, `${c.name} frame ${numbers[k]}`).toBe(orig.get(numbers[k]!)));
  }
}

describe('--evidence pcapng', () => {
  for (const scenario of ['flannel-vxlan-mtu', 'flannel-vxlan-stale-fdb', 'bgp-daemon-stop']) {
    it(`${scenario}: tshark reads exactly the cited packets, byte for byte, one interface per capture point, each commented with its findings`, async () => {
      const { report, cited } = await labReport(scenario);
      expect(cited.problems).toEqual([]);
      await check(report, cited, scenario);
    });
  }

  it('the hostile capture: comments hold no control characters, and tshark still reads the file cleanly', async () => {
    const { report, cited } = await reportOf([{ name: 'hostile', path: 'fixtures/hostile-report/hostile.pcapng' }]);
    await check(report, cited, 'hostile');
    const comments = tshark(['-r', join(dir, 'hostile.pcapng'), '-T', 'fields', '-e', 'frame.comment']);
    expect(comments).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('a report citing nothing writes a valid empty capture', async () => {
    const { report, cited } = await labReport('flannel-vxlan-healthy');
    expect(citedPairs(report).size).toBe(0);
    const file = join(dir, 'healthy.pcapng');
    const w = await writeEvidence(file, report, cited.packets);
    expect(w.packets).toBe(citedPairs(report).size);
    expect(tsharkFrames(file).length).toBe(w.packets);
  });
});
