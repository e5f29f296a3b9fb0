import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/decode/protocols.js';
import { readInProcess } from '../commands/harness.js';
import { corpusFiles } from './corpus.js';

/**
 * The tcpdump project's malformed captures (fuzzer finds, out-of-bounds reads, bad lengths)
 * through the whole pipeline and every output: they must end in anomalies or reader
 * problems, never in an exception.
 */

/**
 * Captures whose damage lies in a protocol netdiag does not dissect, so it cannot see
 * anything wrong: they must still be read without error, but no anomaly is expected.
 */
export const UNSEEN_DAMAGE: Readonly<Record<string, string>> = {};

const malformed = corpusFiles().filter((f) => f.malformed);

describe('malformed captures', () => {
  it('are there', () => {
    expect(malformed.length).toBeGreaterThan(20);
  });

  it.concurrent.each(malformed.map((f) => [f.name, f.path]))('%s: read through every output without an exception', async (name, path) => {
    let anomalies = 0;
    let problems = 0;
    const reg = createRegistry();
    const fields = ['frame.number', 'ip.src', 'tcp.flags', 'bgp.type', '_ws.col.Info'].filter((f) => f.startsWith('_ws.') || reg.field(f));
    for (const mode of [{ list: true }, { V: true, x: true }, { T: 'json' }, { T: 'fields', e: fields }]) {
      const r = await readInProcess({ files: [path], ...mode });
      if (r.captures.length === 0) {
        // Not readable at all: an open error naming the file, exit 2.
        expect(r.exitCode).toBe(2);
        expect(r.stderr).toContain(name);
        problems++;
        continue;
      }
      expect(r.exitCode, r.stderr).toBe(0);
      for (const c of r.captures) anomalies += c.anomalies;
      problems += r.problems;
    }
    if (!(name in UNSEEN_DAMAGE)) expect(anomalies + problems, `${name}: no anomaly and no reader problem`).toBeGreaterThan(0);
  });
});
