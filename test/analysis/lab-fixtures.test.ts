import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { diagnoseScenario, expectDiagnosis } from '../helpers/lab-diagnosis.js';

// Real kernel captures from the lab (test/lab), committed so this runs without root.
// NETDIAG_LAB_DIR points it at a fresh `npm run lab -- all DIR` instead.
const LAB = process.env['NETDIAG_LAB_DIR'] ?? join(import.meta.dirname, '../../fixtures/lab');

describe('diagnosis of the committed lab scenarios', () => {
  for (const name of readdirSync(LAB, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    it(`${name}: names the fault the lab injected`, async () => {
      const { truth, findings } = await diagnoseScenario(join(LAB, name));
      expectDiagnosis(truth, findings);
    });
  }
});
