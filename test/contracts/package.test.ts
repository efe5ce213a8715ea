/**
 * What the published package holds and promises, checked statically (fast, no install): the licence,
 * engines true to sharp's, no source maps, every export present, a manifest without `prepare`
 * (scripts/pack-manifest.mjs, round trip on a copy), and no bundler-hostile URL in the browser graph.
 * test/contracts/package-install.test.ts installs the real tarball (opt-in).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

const sh = (cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
  execFile(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
    resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
  });
});

/** Every file an `exports`, `main`, `types` or `bin` entry names. */
function entryFiles(): string[] {
  const out: string[] = [pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  return [...new Set(out.map((f) => f.replace(/^\.\//, '')))];
}

let tmp = '';
afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

describe('the package manifest', () => {
  it('ships an MIT LICENSE for "kmeans-seg contributors", and keywords', () => {
    expect(pkg.license).toBe('MIT');
    const licence = readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) 2026 kmeans-seg contributors\n/);
    expect(pkg.files).toContain('LICENSE');
    expect(pkg.keywords).toEqual(expect.arrayContaining(['kmeans', 'image-segmentation', 'webassembly']));
  });

  it("requires the Node versions sharp itself requires", () => {
    const sharpPkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'sharp', 'package.json'), 'utf8'));
    expect(pkg.engines.node).toBe(sharpPkg.engines.node);
  });

  it('keeps `prepare` in the repository (it builds on npm install) and holds it back from the tarball', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.scripts.prepack).toBe('node scripts/pack-manifest.mjs strip');
    expect(pkg.scripts.postpack).toBe('node scripts/pack-manifest.mjs restore');
    expect(existsSync(path.join(ROOT, 'node_modules', '.kmeans-seg-prepare.json')), 'a pack that never restored').toBe(false);
  });

  it('packs every entry file, the LICENSE and both kernels, and no source map', async () => {
    const missing = ['dist/index.js', 'build/kmeans.wasm'].filter((f) => !existsSync(path.join(ROOT, f)));
    if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run npm run build first (npm test does)`);
    const packed = await sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const files: string[] = JSON.parse(packed.stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const f of [...entryFiles(), 'LICENSE', 'build/kmeans.wasm', 'build/kmeans-single.wasm', 'dist/browser/pool-worker.js']) expect(files, f).toContain(f);
    // A shipped file that names a map would send bundlers (Vite dev) looking for it.
    const named = files.filter((f) => f.endsWith('.js') && /\/\/# sourceMappingURL=/.test(readFileSync(path.join(ROOT, f), 'utf8')));
    expect(named).toEqual([]);
  });

  it('pack-manifest.mjs strips `prepare` alone, and restores the file byte for byte', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-manifest-'));
    await mkdir(path.join(tmp, 'scripts'));
    await copyFile(path.join(ROOT, 'scripts', 'pack-manifest.mjs'), path.join(tmp, 'scripts', 'pack-manifest.mjs'));
    for (const f of ['dist/index.js', 'dist/browser.js', 'dist/browser/worker.js', 'build/kmeans.wasm', 'build/kmeans-single.wasm', 'node_modules/.keep']) {
      await mkdir(path.dirname(path.join(tmp, f)), { recursive: true });
      await writeFile(path.join(tmp, f), '');
    }
    const original = await readFile(path.join(ROOT, 'package.json'), 'utf8');
    await writeFile(path.join(tmp, 'package.json'), original);
    const script = path.join(tmp, 'scripts', 'pack-manifest.mjs');
    expect((await sh(process.execPath, [script, 'strip'], tmp)).code).toBe(0);
    const stripped = JSON.parse(await readFile(path.join(tmp, 'package.json'), 'utf8'));
    expect(stripped.scripts.prepare).toBeUndefined();
    expect({ ...stripped, scripts: { ...stripped.scripts, prepare: pkg.scripts.prepare } }).toEqual(pkg);
    expect((await sh(process.execPath, [script, 'restore'], tmp)).code).toBe(0);
    expect(await readFile(path.join(tmp, 'package.json'), 'utf8')).toBe(original);
    // Packing before building is refused, rather than shipping a package without its kernel.
    await rm(path.join(tmp, 'build', 'kmeans.wasm'));
    const early = await sh(process.execPath, [script, 'strip'], tmp);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/build\/kmeans\.wasm missing; run npm run build first/);
  });
});

describe('bundlers', () => {
  // webpack takes `new URL(expr, import.meta.url)` with a non-literal first argument for an asset
  // reference and warns "Critical dependency: the request of a dependency is an expression".
  it('the browser graph has no new URL(<expression>, import.meta.url)', () => {
    const SRC = path.join(ROOT, 'src');
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => f.split(path.sep).join('/'))
      .filter((f) => /^(core|kernel|browser)\//.test(f) || ['browser.ts', 'errors.ts', 'validate.ts', 'limits.ts', 'types.ts', 'platform.ts'].includes(f));
    expect(files.length).toBeGreaterThan(20);
    const bad: string[] = [];
    let literal = 0;
    for (const f of files) {
      const sf = ts.createSourceFile(f, readFileSync(path.join(SRC, f), 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isNewExpression(node) && node.expression.getText(sf) === 'URL' && node.arguments?.[1]?.getText(sf) === 'import.meta.url') {
          if (ts.isStringLiteralLike(node.arguments[0]!)) literal++;
          else bad.push(`${f}: ${node.getText(sf)}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    expect(literal, 'the workers and kernels found by literal URLs').toBeGreaterThanOrEqual(4);
    expect(bad).toEqual([]);
  });
});
