/**
 * Size rules that keep the code readable: no file under src/ over 350 lines, and no function in src/
 * or bench/ over 60 lines, counted as ESLint's max-lines-per-function counts them (blank lines and
 * comment-only lines skipped; a function's lines include the functions nested in it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_FILE_LINES = 350;
const MAX_FUNCTION_LINES = 60;

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mts|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

/** Lines that hold code: not blank, not inside or only a comment. */
function codeLines(text: string): boolean[] {
  const code = new Array<boolean>(text.split('\n').length).fill(false);
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  let line = 0;
  let pos = 0;
  const lineAt = (p: number): number => { while (pos < p) { if (text[pos] === '\n') line++; pos++; } return line; };
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.WhitespaceTrivia || kind === ts.SyntaxKind.NewLineTrivia
      || kind === ts.SyntaxKind.SingleLineCommentTrivia || kind === ts.SyntaxKind.MultiLineCommentTrivia) continue;
    const first = lineAt(scanner.getTokenStart());
    const last = lineAt(scanner.getTokenEnd());
    for (let l = first; l <= last; l++) code[l] = true;
  }
  return code;
}

export interface LongFunction { file: string; line: number; name: string; lines: number }

function longFunctions(file: string): LongFunction[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const code = codeLines(text);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      let lines = 0;
      for (let l = start; l <= end; l++) if (code[l]) lines++;
      if (lines > MAX_FUNCTION_LINES) {
        const name = (node as ts.FunctionDeclaration).name?.getText(sf) ?? ts.SyntaxKind[node.kind];
        found.push({ file, line: start + 1, name, lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('code size', () => {
  it(`no file under src/ is over ${MAX_FILE_LINES} lines`, () => {
    const long = sources('src')
      .map((f) => ({ f, lines: readFileSync(path.join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_FILE_LINES)
      .map(({ f, lines }) => `${f}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it(`no function in src/ or bench/ is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = [...sources('src'), ...sources('bench')].flatMap(longFunctions)
      .map((f) => `${f.file}:${f.line} ${f.name}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });
});
