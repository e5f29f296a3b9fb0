import { readFileSync } from 'node:fs';

/**
 * netdiag's version from package.json, found by walking up from this module: sources run
 * from src/, the build from dist/src/, the bundle from dist/bundle/.
 */
export function version(): string {
  let dir = new URL('./', import.meta.url);
  for (let up = 0; up < 4; up++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'netdiag' && pkg.version) return pkg.version;
    } catch {
      // not here: try the folder above
    }
    dir = new URL('../', dir);
  }
  return '0.0.0';
}
