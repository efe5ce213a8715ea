/**
 * Atomic file writes and the temporary files they use. Invariant: a reader sees the old file or the
 * whole new one, and the temporary name is made and recognised here only (tempName, tempPrefixOf).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { errnoCode, firstLine } from './error-text.js';

/** `.<output name>.<pid>.`: the fixed part of this process's temporary names for `file`. */
function tempPrefix(file: string): string {
  return `.${path.basename(file).slice(0, 200)}.${process.pid}.`;
}

/**
 * The temporary file writeFileAtomic writes `file` through: hidden, `.<name>.<pid>.<12 hex>.tmp`,
 * in the same folder so that rename() stays on one filesystem, with a random part so that concurrent
 * writers never share a name.
 */
export function tempName(file: string): string {
  return path.join(path.dirname(path.resolve(file)), `${tempPrefix(file)}${randomBytes(6).toString('hex')}.tmp`);
}

/** The `.<name>.<pid>.` part of a name that tempName could have made, or undefined for any other name. */
export function tempPrefixOf(entry: string): string | undefined {
  const prefix = entry.replace(/[0-9a-f]{12}\.tmp$/, '');
  return prefix !== entry ? prefix : undefined;
}

/**
 * Write `data` to a temporary file in the target's folder (see tempName), flush it, then rename it
 * over `file`: readers see the old file or the whole new one, never a partial write, and a failure
 * leaves no temporary file behind, nor does SIGINT, SIGTERM, SIGHUP or process.exit() during the
 * write (see trackTemp). Only SIGKILL or a crash can leave the hidden temporary file, never a partial
 * `file`. Overwrites `file` if it exists.
 *
 * @throws ERR_WRITE when the file cannot be written.
 */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = tempName(file);
  const untrack = trackTemp(tmp);
  try {
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new KMeansSegError('ERR_WRITE',
      `Could not write ${JSON.stringify(file)} (${errnoCode(error) ?? firstLine(error)}): ${writeFix(errnoCode(error))}`,
      { cause: error });
  } finally {
    untrack();
  }
}

function writeFix(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC': case 'EDQUOT': return 'the disk (or your quota) is full; free some space or write elsewhere';
    case 'EFBIG': return 'the file exceeds the size limit for this process or filesystem (ulimit -f); write elsewhere';
    case 'EROFS': return 'the folder is on a read-only filesystem; write elsewhere';
    case 'EACCES': case 'EPERM': return 'the folder is not writable by this user; write elsewhere or fix its permissions';
    default: return 'check that the folder is writable, the path is not a directory, and the disk has space';
  }
}

/**
 * Remove the temporary files this process left beside `outputs`: a batch worker terminated between
 * open and rename leaves one. Workers share the process id, so these are exactly this process's
 * leftovers: other processes' files are never touched. Never throws.
 */
export async function removeTemporaryFiles(outputs: readonly string[]): Promise<void> {
  const byFolder = new Map<string, Set<string>>();
  for (const out of outputs) {
    const dir = path.dirname(path.resolve(out));
    if (!byFolder.has(dir)) byFolder.set(dir, new Set());
    byFolder.get(dir)!.add(tempPrefix(out));
  }
  for (const [dir, prefixes] of byFolder) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const prefix = tempPrefixOf(name);
      if (prefix !== undefined && prefixes.has(prefix)) await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    }
  }
}

/**
 * Temporary files being written now. A signal whose default action ends the process would skip the
 * `finally` above and leave one behind, so while any exists we listen for SIGINT, SIGTERM and SIGHUP
 * (and 'exit', for process.exit()), remove them synchronously, and, when no one else listens for the
 * signal, raise it again so the process ends exactly as it would have (npm's write-file-atomic does
 * the same through signal-exit). When the application has its own listener we only clean up on
 * 'exit': the application decides whether the process goes on, and the write with it.
 */
const pendingTemps = new Set<string>();
const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function trackTemp(tmp: string): () => void {
  if (pendingTemps.size === 0) {
    for (const signal of CLEANUP_SIGNALS) process.on(signal, onSignal);
    process.on('exit', removePendingTemps);
  }
  pendingTemps.add(tmp);
  return () => {
    if (!pendingTemps.delete(tmp) || pendingTemps.size > 0) return;
    for (const signal of CLEANUP_SIGNALS) process.off(signal, onSignal);
    process.off('exit', removePendingTemps);
  };
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removePendingTemps();
  for (const s of CLEANUP_SIGNALS) process.off(s, onSignal);
  process.off('exit', removePendingTemps);
  process.kill(process.pid, signal);
}

function removePendingTemps(): void {
  for (const tmp of pendingTemps) {
    try { rmSync(tmp, { force: true }); } catch { /* the process is ending: nothing better to do */ }
  }
  pendingTemps.clear();
}
