/**
 * Every input the fuzzer ever kept (fixtures/crashers/<hash>.pcap) runs clean: reader,
 * decoder in audit mode with every field and packet output, analysis, reports.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditCapture, auditPipeline, PacketAuditor } from '../../fuzz/target.js';
import { ROOT } from './arbitraries.js';

const DIR = join(ROOT, 'fixtures/crashers');
const inputs = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort() : [];
const auditor = new PacketAuditor(undefined, { outputs: true });

describe('kept crashers', () => {
  it('each comes with the signature and stack it was found with', () => {
    expect(existsSync(join(DIR, 'README.md'))).toBe(true);
    for (const f of inputs) expect(existsSync(join(DIR, f.replace(/\.pcap$/, '.txt'))), f).toBe(true);
  });

  it.each(inputs)('%s runs through the whole pipeline without an exception', async (f) => {
    const buf = readFileSync(join(DIR, f));
    auditCapture(buf, f, auditor);
    await auditPipeline(buf, f);
  });
});
