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
 * capture, cluster state) in chunks loaded on demand, their packages with them: ink,
 * react and the rest of the terminal UI's dependency tree (about 530 files when loaded
 * from node_modules) are bundled into the UI's chunks, yaml into the cluster-state chunk.
 * Only the native `cap` module stays in node_modules. The analysis worker and the correlation's
 * slice worker are further entry points, the terminal UI another (dist/bundle/tui.js, which the benchmark loads):
 * every `new URL('<relative path>', import.meta.url)` is rewritten for the bundle's flat
 * directory, to the bundled entry or to the file under dist/ it named.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const staging = join(dist, 'bundle.tmp');
const entries = { cli: join(dist, 'src/cli.js'), worker: join(dist, 'src/analysis/worker.js'), slices: join(dist, 'src/correlate/slice-worker.js'), tui: join(dist, 'src/tui/index.js') };

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

/**
 * ink turns on React DevTools when the environment has DEV=true (a common name for other
 * purposes): it imports react-devtools-core, which netdiag does not ship, and reads its
 * package.json by a path that means nothing inside a bundle. In the bundle that mode is
 * off: `isDev()` is false and the devtools module is empty.
 */
const inkWithoutDevtools = {
  name: 'ink-without-devtools',
  setup(build) {
    const inkBuild = /[\\/]node_modules[\\/]ink[\\/]build$/;
    build.onResolve({ filter: /^\.\/(utils|devtools)\.js$/ }, (args) => {
      if (!inkBuild.test(args.resolveDir)) return undefined;
      return { path: args.path, namespace: 'ink-without-devtools' };
    });
    build.onLoad({ filter: /.*/, namespace: 'ink-without-devtools' }, (args) => ({
      contents: args.path === './utils.js' ? 'export const isDev = () => false;\n' : 'export {};\n',
      loader: 'js',
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
  external: ['cap'],
  // React's packages pick their production or development build by NODE_ENV when first
  // loaded; fixed here, the development builds are not even in the bundle, whatever the
  // environment says at run time.
  define: { 'process.env.NODE_ENV': '"production"' },
  chunkNames: '[name]-[hash]',
  // Bundled CommonJS (yaml, react) may require Node's built-in modules, which an ES module
  // does not have a `require` for.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  // The UI module sets NODE_ENV at run time for the unbundled build; here it is fixed above.
  logOverride: { 'assign-to-define': 'silent' },
  sourcemap: 'linked',
  // Less text to parse at every start; names stay, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [relativeUrls, lazyStringWidth, inkWithoutDevtools],
});
rmSync(out, { recursive: true, force: true });
renameSync(staging, out);
