// Build step (npm run build:ts, after tsc): three entries of dist/, each with its ~100 modules as one ES
// module, which Node imports in about a third of the time:
//   dist/cli/bundle.js        the main command (bin/kmeans-seg.js, when not older than dist/cli/main.js)
//   dist/cli/batch-bundle.js  `kmeans-seg batch` (bin/kmeans-seg.js, when not older than dist/cli/batch.js)
//   dist/batch/worker-bundle.js  a batch worker (src/batch/worker-url.ts, when not older than worker.js)
// Invariant: a bundle runs the same code as its entry; every module's own URL stays its dist/ file's,
// so workers, the wasm and package.json resolve as before.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DIST = path.join(ROOT, 'dist');
const BUNDLES = [
  ['cli/main.js', 'cli/bundle.js'],
  ['cli/batch.js', 'cli/batch-bundle.js'],
  ['batch/worker.js', 'batch/worker-bundle.js'],
].map(([entry, out]) => ({ entry: path.join(DIST, entry), out: path.join(DIST, out) }));

/**
 * Each module's `import.meta.url`, inside the bundle, is rewritten to its own file's URL, relative
 * to the bundle's: `new URL('./job-worker.js', import.meta.url)` in dist/node/job-pool.js still
 * names dist/node/job-worker.js, wherever the package is installed.
 */
const ownUrls = (out) => ({
  name: 'own-module-urls',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(DIST + path.sep)) return undefined;
      const text = await fs.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      let rel = path.relative(path.dirname(out), args.path).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
});

const removeAll = () => Promise.all(BUNDLES.map((b) => fs.rm(b.out, { force: true })));
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Not an error: bin/kmeans-seg.js and the batch run their unbundled entries when there is no bundle.
  console.warn('bundle-cli: esbuild is not installed, so no bundle is made (the CLI runs dist/cli/main.js)');
  await removeAll();
  process.exit(0);
}
await removeAll(); // a failed build leaves none rather than a stale one
for (const { entry, out } of BUNDLES) {
  await esbuild.build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external', // sharp, tinyglobby, ...: resolved from the package as before
    plugins: [ownUrls(out)],
    logLevel: 'error',
    // main.js's import(SUBCOMMANDS[name]) is not followed: bin/kmeans-seg.js never runs a subcommand from bundle.js.
    logOverride: { 'unsupported-dynamic-import': 'silent' },
  });
  console.log(`bundle-cli: ${path.relative(ROOT, out)} (${(await fs.stat(out)).size} bytes)`);
}
