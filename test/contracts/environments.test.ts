/**
 * The environment rule as a folder rule: files under core/, kernel/ and browser/, the browser entry
 * and the shared root modules run in a browser, so they import only each other: no node:*, no sharp,
 * no tinyglobby, no Node-only file, directly or through another file. Static: no Chromium, no ../shared.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
/** Browser-safe folders, and the root modules every environment shares. */
const SAFE_FOLDERS = ['core', 'kernel', 'browser'];
const SAFE_ROOT = ['browser.ts', 'errors.ts', 'validate.ts', 'limits.ts', 'types.ts', 'platform.ts'];

const all = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|mts)$/.test(f)).map((f) => f.split(path.sep).join('/'));
const isSafe = (f: string): boolean => SAFE_ROOT.includes(f) || SAFE_FOLDERS.includes(f.split('/')[0]!) && f.includes('/');

/** Every module specifier a file names: static imports and exports, dynamic import(), new URL(..., import.meta.url) workers. */
function specifiers(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isNewExpression(node) && node.expression.getText(sf) === 'URL' && node.arguments?.[0] && ts.isStringLiteralLike(node.arguments[0])
      && node.arguments[1]?.getText(sf) === 'import.meta.url' && /\.(js|ts|mjs)$/.test(node.arguments[0].text)) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The src/ file a relative specifier names (foo.js may be foo.ts), or undefined outside src/. */
function resolve(from: string, spec: string): string | undefined {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  if (target.startsWith('..')) return undefined;
  return [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')].find((t) => all.includes(t)) ?? target;
}

function violations(file: string): string[] {
  return specifiers(file).flatMap((spec) => {
    if (!spec.startsWith('.')) return [`${file} imports the package ${JSON.stringify(spec)}`];
    const target = resolve(file, spec);
    if (target === undefined) return [`${file} reaches outside src/: ${spec}`];
    return isSafe(target) ? [] : [`${file} imports the Node-side file ${target}`];
  });
}

describe('browser-safe folders import only browser-safe files', () => {
  it('finds the files it checks (the rule is not vacuous)', () => {
    const safe = all.filter(isSafe);
    expect(safe).toContain('browser.ts');
    expect(safe.some((f) => f.startsWith('kernel/'))).toBe(true);
    expect(safe.some((f) => f.startsWith('core/'))).toBe(true);
    expect(safe.length).toBeGreaterThan(20);
  });

  it('no browser-safe file imports node:*, a package or a Node-only file', () => {
    expect(all.filter(isSafe).flatMap(violations)).toEqual([]);
  });

  it('the checker catches what it must: a built-in, sharp, tinyglobby, bullmq and a Node-side file', () => {
    const probe = (spec: string): string[] => (!spec.startsWith('.') ? ['package'] : isSafe(resolve('core/kmeans.ts', spec)!) ? [] : ['node file']);
    for (const spec of ['node:fs', 'fs', 'sharp', 'tinyglobby', 'bullmq', '../io/image-io.js', '../segment.js', '../node/platform.js']) {
      expect(probe(spec), spec).not.toEqual([]);
    }
    expect(probe('../kernel/kernel.js')).toEqual([]);
    expect(probe('../errors.js')).toEqual([]);
  });
});
