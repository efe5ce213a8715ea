/**
 * How io/ names a failure it did not raise itself, in its own messages: the errno code of a file
 * system error, or the first line of any other error's message (escaped as quote() escapes). Never throws.
 */
import { printable } from '../validate.js';

/** The errno code (`'ENOENT'`, `'EACCES'`, ...) of a file system error, or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The first line of an error's message (libvips' can run to several), trimmed, its control and bidi characters escaped. */
export function firstLine(error: unknown): string {
  return printable((error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim());
}
