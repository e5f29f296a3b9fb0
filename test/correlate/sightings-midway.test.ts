import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketFacts } from '../../src/analysis/facts.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { SightingCollector, type SightingStore, type SightingTable } from '../../src/correlate/sightings.js';
import { readPrefix } from '../../src/correlate/stream.js';
import { Decoder } from '../../src/decode/decoder.js';
import { createRegistry } from '../../src/decode/protocols.js';

// Many IP packets, so that chunks of 8 rows fill and spill many times.
const CAPTURE = 'fixtures/lab/bgp-daemon-stop/node2-any.pcap';
const dir = mkdtempSync(join(tmpdir(), 'netdiag-sightings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Collect the capture's sightings in chunks of 8 rows, reading the store out after each packet number in `at`. */
async function collect(file: string | null, at: ReadonlySet<number>): Promise<{ final: SightingStore; midway: Array<[number, SightingTable]> }> {
  const reg = createRegistry();
  const dec = new Decoder(reg);
  const facts = new PacketFacts(reg);
  const c = new SightingCollector('x', undefined, file, 8);
  const r = await CaptureReader.open(CAPTURE);
  const midway: Array<[number, SightingTable]> = [];
  for (;;) {
    while (r.next()) {
      const p = dec.decode(r.rec, 0);
      facts.extract(p);
      c.add(facts, p, r.rec.tsSec + r.rec.tsNsec / 1e9);
      if (at.has(p.number)) {
        const store = c.finish();
        midway.push([store.count, readPrefix(store, Infinity)]);
      }
    }
    if (!(await r.fill())) break;
  }
  return { final: c.finish(), midway };
}

function rows(t: SightingTable): unknown {
  return { count: t.count, frame: Array.from(t.frame), keyHi: Array.from(t.keyHi), time: Array.from(t.time), size: Array.from(t.size) };
}

describe('sightings read out midway', () => {
  for (const mode of ['memory', 'spill file'] as const) {
    it(`${mode}: each read-out holds the rows so far, and collecting goes on as if none had happened`, async () => {
      const every = new Set(Array.from({ length: 200 }, (_, k) => k + 1).filter((k) => k % 3 === 0));
      const plain = await collect(mode === 'memory' ? null : join(dir, 'plain'), new Set());
      const read = await collect(mode === 'memory' ? null : join(dir, 'read'), every);
      const whole = readPrefix(plain.final, Infinity);
      expect(whole.count).toBeGreaterThan(40);
      expect(rows(readPrefix(read.final, Infinity))).toEqual(rows(whole));
      expect(read.midway.length).toBeGreaterThan(10);
      for (const [count, t] of read.midway) expect(rows(t)).toEqual(rows(readPrefix(plain.final, count)));
    });
  }
});
