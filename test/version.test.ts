import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { version } from '../src/version.js';

describe('version', () => {
  it('is the version in package.json, found from the module wherever it runs', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version()).toBe(pkg.version);
    expect(version()).not.toBe('0.0.0');
  });
});
