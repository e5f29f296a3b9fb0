import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCaptureArg } from '../../src/analysis/pass.js';
import { liveSpillDirs } from '../../src/correlate/spill.js';
import { runAnalysis } from '../../src/tui/analysis-job.js';

const LAB = 'fixtures/lab/flannel-vxlan-nft-drop';

/** This process's spill folders in the temporary folder. */
function ownSpillDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith(`netdiag-sightings-${process.pid}-`));
}

describe('the analysis behind the terminal UI', () => {
  it('deletes the spilled sightings once the report is built, while the UI stays open', async () => {
    const before = new Set(ownSpillDirs());
    const files = readdirSync(LAB)
      .filter((f) => f.endsWith('.pcap'))
      .sort()
      .map((f) => join(LAB, f));
    const out = await runAnalysis({ inputs: files.map(parseCaptureArg), command: ['netdiag', 'read', ...files] });
    // The correlation was built from the sightings...
    expect(out.report!.correlation!.losses.length).toBeGreaterThan(0);
    // ...and nothing of them is left on disk or registered for removal at exit.
    expect(ownSpillDirs().filter((d) => !before.has(d))).toEqual([]);
    expect(liveSpillDirs().filter((d) => !before.has(d.split('/').pop()!))).toEqual([]);
  });
});
