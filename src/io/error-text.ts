/**
 * How io/ names a failure it did not raise itself, in its own messages: the errno code of a file
 * system error, or the first line of any other error's message (escaped as quote() escapes). Never throws.
 */
import { KMeansSegError } from '../errors.js';
import { printable, quote } from '../validate.js';

/** The errno code (`'ENOENT'`, `'EACCES'`, ...) of a file system error, or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The first line of an error's message (libvips' can run to several), trimmed, its control and bidi characters escaped. */
export function firstLine(error: unknown): string {
  return printable((error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim());
}

/** A failed write as ERR_WRITE naming the file, the cause and the fix (our own errors pass through). */
export function writeError(file: string, error: unknown): KMeansSegError {
  if (error instanceof KMeansSegError) return error;
  const code = errnoCode(error);
  return new KMeansSegError('ERR_WRITE', `Could not write ${quote(file)} (${code ?? firstLine(error)}): ${writeFix(code)}`, { cause: error });
}

/** What to do about a failed write, by its errno code. */
export function writeFix(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC': case 'EDQUOT': return 'the disk (or your quota) is full; free some space or write elsewhere';
    case 'EFBIG': return 'the file exceeds the size limit for this process or filesystem (ulimit -f); write elsewhere';
    case 'EROFS': return 'the folder is on a read-only filesystem; write elsewhere';
    case 'EACCES': case 'EPERM': return 'the folder is not writable by this user; write elsewhere or fix its permissions';
    default: return 'check that the folder is writable, the path is not a directory, and the disk has space';
  }
}
