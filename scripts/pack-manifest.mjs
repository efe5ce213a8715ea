// The published manifest has no `prepare`: npm 11 warns about it on every install of the tarball,
// while the repository keeps it (it builds the wasm and dist/ on `npm install`). `prepack` runs
// `strip`, `postpack` runs `restore`: only the one script moves, so other edits to package.json
// between the two are kept, and each write is atomic (a reader never sees half a file).
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const MANIFEST = path.join(ROOT, 'package.json');
// Outside the package's `files` and ignored by git; survives a pack that failed before postpack.
const SAVED = path.join(ROOT, 'node_modules', '.kmeans-seg-prepare.json');
// What a tarball without them could not run: a pack must follow a build.
const BUILT = ['dist/index.js', 'dist/browser.js', 'dist/browser/worker.js', 'build/kmeans.wasm', 'build/kmeans-single.wasm'];

const read = () => JSON.parse(readFileSync(MANIFEST, 'utf8'));
function write(manifest) {
  const tmp = `${MANIFEST}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, MANIFEST);
}

function strip() {
  const missing = BUILT.filter((f) => !existsSync(path.join(ROOT, f)));
  if (missing.length > 0) throw new Error(`cannot pack: ${missing.join(', ')} missing; run npm run build first`);
  const manifest = read();
  const scripts = manifest.scripts ?? {};
  if (scripts.prepare === undefined) {
    if (existsSync(SAVED)) return; // a pack that failed before postpack: the saved script is still there
    throw new Error('package.json has no prepare script to hold back from the tarball');
  }
  const keys = Object.keys(scripts);
  const after = keys[keys.indexOf('prepare') - 1] ?? null;
  writeFileSync(SAVED, JSON.stringify({ prepare: scripts.prepare, after }));
  delete scripts.prepare;
  write(manifest);
}

function restore() {
  if (!existsSync(SAVED)) return;
  const { prepare, after } = JSON.parse(readFileSync(SAVED, 'utf8'));
  const manifest = read();
  const scripts = manifest.scripts ?? {};
  if (scripts.prepare === undefined) {
    // Back in its place among the scripts, so the file reads as it did.
    const entries = Object.entries(scripts);
    const i = after === null ? -1 : entries.findIndex(([k]) => k === after);
    entries.splice(after === null ? 0 : i < 0 ? entries.length : i + 1, 0, ['prepare', prepare]);
    manifest.scripts = Object.fromEntries(entries);
    write(manifest);
  }
  rmSync(SAVED, { force: true });
}

const mode = process.argv[2];
if (mode === 'strip') strip();
else if (mode === 'restore') restore();
else throw new Error(`usage: node scripts/pack-manifest.mjs strip|restore (got ${mode})`);
