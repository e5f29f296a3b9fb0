import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLiveCapture } from '../../../src/capture/live/source.js';
import { IS_ROOT, NOT_ROOT_REASON, UDP_PORT, VethLab } from './netns.js';

interface DriverOutput {
  ready?: Array<{ index: number; name: string; linktype: number; engine: string }>;
  error?: string;
  message?: string;
  end?: { reason: string; stats: Array<{ interface: string; delivered: number; dropped: number | null }> };
  seen?: Array<[number, number, number, number]>;
  firstThree?: number[];
  decoded?: Array<[number, string]>;
}

/** Run the API driver in namespace `ns`; `started` resolves once it printed its ready line. */
function driver(ns: string, args: string[]): { started: Promise<DriverOutput>; finished: Promise<DriverOutput[]> } {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/capture/live/api-driver.ts', ...args], {
    cwd: new URL('../../../', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
  let out = '';
  let err = '';
  let onLine: ((o: DriverOutput) => void) | null = null;
  const started = new Promise<DriverOutput>((resolve) => (onLine = resolve));
  p.stdout.setEncoding('utf8').on('data', (t: string) => {
    out += t;
    const first = out.split('\n')[0];
    if (out.includes('\n') && onLine) {
      onLine(JSON.parse(first!) as DriverOutput);
      onLine = null;
    }
  });
  p.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
  const finished = new Promise<DriverOutput[]>((resolve, reject) =>
    p.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`driver exited ${code}: ${err}`));
      else resolve(out.trim().split('\n').map((l) => JSON.parse(l) as DriverOutput));
    }),
  );
  return { started, finished };
}

describe('startLiveCapture', () => {
  it('rejects `ready` with the interfaces that exist when one is missing', async () => {
    const live = startLiveCapture({ interfaces: ['nosuch0'] });
    await expect(live.ready).rejects.toMatchObject({ kind: 'no-interface', message: expect.stringMatching(/"nosuch0".*interfaces: .*\blo\b.*\bany\b/) });
  });

  it('rejects `ready` when no interface is named', async () => {
    await expect(startLiveCapture({ interfaces: [] }).ready).rejects.toMatchObject({ kind: 'usage' });
  });
});

describe.skipIf(!IS_ROOT)(`startLiveCapture in a network namespace (skipped unless root: ${NOT_ROOT_REASON})`, () => {
  let lab: VethLab;
  beforeEach(() => {
    lab = new VethLab();
  });
  afterEach(() => lab.destroy());

  for (const engine of ['cap', 'tcpdump']) {
    it(`${engine}: every subscriber gets each packet, numbered, with its interface, link type and lengths, ready for the decoder; -c ends it with the counters`, async () => {
      const sizes = [10, 200, 30, 1400, 50, 600];
      const d = driver(lab.b, [engine, String(sizes.length), `udp port ${UDP_PORT}`, 'vb', 'lo']);
      const ready = await d.started;
      expect(ready.ready?.map((i) => [i.index, i.name, i.linktype, i.engine])).toEqual([
        [0, 'vb', 1, engine],
        [1, 'lo', 1, engine],
      ]);
      await lab.sendUdp(sizes);
      const [, last] = await d.finished;
      const frames = sizes.map((n) => n + 42);
      expect(last!.seen).toEqual(frames.map((f) => [0, 1, f, f]));
      expect(last!.firstThree).toEqual(frames.slice(0, 3));
      expect(last!.decoded).toEqual(sizes.map((n, k) => [k + 1, String(n + 8)]));
      expect(last!.end!.reason).toBe('count');
      expect(last!.end!.stats.map((s) => [s.interface, s.delivered])).toEqual([
        ['vb', sizes.length],
        ['lo', 0],
      ]);
    });

    it(`${engine}: a filter libpcap cannot compile is a usage error naming the filter`, async () => {
      const d = driver(lab.b, [engine, '1', 'udp port nonsense-port', 'vb']);
      const out = await d.started;
      expect(out.error).toBe('usage');
      expect(out.message).toMatch(/-f "udp port nonsense-port"/);
    });
  }
});
