/**
 * Bundles the compiled CLI (dist/src, dist/dissectors) into dist/bundle/ with esbuild, so
 * start-up loads a few files instead of about 180 modules: resolving, reading and
 * compiling each ES module separately is most of what `netdiag --help` and a small
 * `netdiag read` cost. bin/netdiag.js runs the bundle when it is at least as new as
 * dist/src/cli.js, else dist/src directly; without esbuild installed this script removes
 * any old bundle and says so, and the CLI simply runs unbundled.
 *
 *   node scripts/bundle.mjs          (after tsc; `npm run build` runs both)
 *
 * Code splitting keeps what only some commands need (the TUI, HTML reports, live
 * capture) in chunks loaded on demand. ink, react, yaml and the native `cap` module stay
 * in node_modules. The analysis worker is a second entry point: every
 * `new URL('<relative path>', import.meta.url)` is rewritten for the bundle's flat
 * directory, to the bundled worker or to the file under dist/ it named.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const staging = join(dist, 'bundle.tmp');
const entries = { cli: join(dist, 'src/cli.js'), worker: join(dist, 'src/analysis/worker.js') };

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  rmSync(out, { recursive: true, force: true });
  process.stderr.write('bundle: esbuild is not installed; netdiag runs from dist/src unbundled\n');
  process.exit(0);
}
for (const file of Object.values(entries)) {
  if (!existsSync(file)) {
    process.stderr.write(`bundle: ${relative(root, file)} is missing: run tsc first\n`);
    process.exit(1);
  }
}

const byTarget = new Map(Object.entries(entries).map(([name, file]) => [file, `./${name}.js`]));
const relativeUrl = /new URL\((['"])(\.{1,2}\/[^'"]+)\1,\s*import\.meta\.url\)/g;

/** Module-relative URLs, re-pointed from the bundle's directory. */
const relativeUrls = {
  name: 'relative-urls',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + '/')) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const contents = text.replace(relativeUrl, (_m, q, rel) => {
        const target = resolve(dirname(args.path), rel);
        const fromBundle = byTarget.get(target) ?? `./${relative(out, target)}`;
        return `new URL(${q}${fromBundle}${q}, import.meta.url)`;
      });
      return { contents, loader: 'js' };
    });
  },
};

/**
 * string-width compiles large Unicode-property regular expressions and an
 * Intl.Segmenter when its module is evaluated: about 45 ms that every run paid although
 * only help and usage errors measure text. Each import of it becomes a stub that loads
 * the real module on the first call (esbuild evaluates a `require`d module lazily).
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'real' });
      if (real.errors.length) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-string-width' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      contents: `let width;\nexport default function stringWidth(text, options) {\n  width ??= require(${JSON.stringify(args.path)}).default;\n  return width(text, options);\n}\n`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
await esbuild.build({
  entryPoints: entries,
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['cap', 'ink', 'ink/*', 'react', 'react/*', 'react-devtools-core', 'yaml'],
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  // Less text to parse at every start; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [relativeUrls, lazyStringWidth],
});
rmSync(out, { recursive: true, force: true });
renameSync(staging, out);
