/**
 * Reads the links out of the project's Markdown files for the documentation tests: links and
 * pictures in prose (not in code), as Markdown or HTML, and GitHub's heading anchors.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Link {
  /** The target as written, e.g. `docs/api.md#options` or `pictures/x.png`. */
  target: string;
  /** A picture (`![...](...)` or `<img src>`), not a link. */
  picture: boolean;
}

/** The text without fenced code blocks and inline code, where a link is only an example. */
export function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

export function links(markdown: string): Link[] {
  const text = prose(markdown);
  const out: Link[] = [];
  for (const m of text.matchAll(/(!?)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[2]!, picture: m[1] === '!' });
  for (const m of text.matchAll(/<img\b[^>]*\bsrc\s*=\s*"([^"]+)"/gi)) out.push({ target: m[1]!, picture: true });
  for (const m of text.matchAll(/<a\b[^>]*\bhref\s*=\s*"([^"]+)"/gi)) out.push({ target: m[1]!, picture: false });
  return out;
}

/** Not a relative link into the repository: a URL with a scheme, or a protocol-relative one. */
export const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_~]/g, '').replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
}

export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/**
 * What is wrong with one relative link from `fromFile` (a path relative to ROOT), or undefined when it
 * resolves: the file must exist inside the repository, and a `#anchor` into Markdown must be a heading.
 * `ignored` says whether git would leave a path out of the repository.
 */
export function problem(fromFile: string, target: string, ignored: (rel: string) => boolean): string | undefined {
  const [file = '', anchor] = target.split('#') as [string, string | undefined];
  const rel = file === '' ? fromFile : path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), decodeURI(file)));
  if (rel.startsWith('../') || path.posix.isAbsolute(rel)) return `${target}: outside the repository`;
  const abs = path.join(ROOT, rel);
  if (!existsSync(abs)) return `${target}: ${rel} does not exist`;
  if (ignored(rel)) return `${target}: ${rel} is ignored by git, so it is not in the repository`;
  if (anchor !== undefined && anchor !== '' && rel.endsWith('.md') && statSync(abs).isFile()
    && !anchors(readFileSync(abs, 'utf8')).has(anchor)) return `${target}: ${rel} has no heading #${anchor}`;
  return undefined;
}

/** docs/*.md, as paths relative to ROOT. */
export function docPages(): string[] {
  return readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
}
