import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/decode/protocols.js';
import { corpusFiles, fixtureFiles, ROOT } from './corpus.js';
import { compareFile, describeDifferences, FIELDS } from './compare.js';
import { EXCEPTIONS, used } from './exceptions.js';

/**
 * The conformance proof: for every fixture and every well-formed tcpdump test capture,
 * `netdiag read F -T fields -e …` prints what `tshark -r F -T fields -e …` prints.
 * Allowed differences are listed, with their reasons, in ./exceptions.ts.
 */

const files = [...fixtureFiles().map((f) => join(ROOT, f)), ...corpusFiles().filter((f) => !f.malformed).map((f) => f.path)];

let compared = 0;

describe('conformance with tshark 4.0 -T fields', () => {
  afterAll(() => {
    // Only a full run can tell that an exception no longer matches anything.
    if (compared < files.length) return;
    const stale = EXCEPTIONS.filter((e) => !used.has(e)).map((e) => `${e.file} ${e.field}`);
    expect(stale, 'exceptions that no longer match a difference: remove them').toEqual([]);
  });

  it('knows every conformance field', () => {
    const reg = createRegistry();
    expect(FIELDS.filter((f) => !reg.field(f))).toEqual([]);
  });

  it('has captures to compare', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('keeps every exception about a capture that exists', () => {
    const names = new Set(files.map((f) => f.split('/').pop()));
    expect(EXCEPTIONS.filter((e) => !names.has(e.file)).map((e) => e.file)).toEqual([]);
  });

  it.concurrent.each(files.map((f) => [f.slice(ROOT.length + 1).startsWith('fixtures') ? f.slice(ROOT.length + 1) : f.split('/').pop()!, f]))(
    '%s',
    async (_name, path) => {
      const c = await compareFile(path);
      compared++;
      expect(c.frames.netdiag, describeDifferences(c)).toBe(c.frames.tshark);
      expect(c.differences.length, describeDifferences(c)).toBe(0);
    },
  );
});
