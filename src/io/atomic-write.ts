/**
 * Atomic file writes and the temporary files they use. Invariant: a reader sees the old file or the
 * whole new one, and the temporary name is made and recognised here only (tempName, parseTempName).
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, writeError } from './error-text.js';
import { guardTemp } from './temp-guard.js';

/** At most this many bytes of the output's name go into a temporary name, which stays under 255 bytes. */
const MAX_NAME_BYTES = 120;
/** Temporary files of a gone process are removed only once they are this old (see removeStaleTemporaryFiles). */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * This host's name as it goes into temporary names: letters, digits, `_` and `-` only, at most 40
 * characters. A name that had to be changed or cut carries 8 hex digits of its hash, so two hosts
 * never share one.
 */
export function tempHost(hostname: string = os.hostname()): string {
  const clean = hostname.replace(/[^A-Za-z0-9_-]/g, '-');
  if (clean === hostname && clean !== '' && clean.length <= 31) return clean;
  return `${clean.slice(0, 31)}-${createHash('sha256').update(hostname).digest('hex').slice(0, 8)}`;
}

const HOST = tempHost();

/** The first `max` bytes of `name` in UTF-8, cut at a character boundary. */
function clip(name: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of name) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    end += ch.length;
  }
  return name.slice(0, end);
}

/** `.<output name>.<host>.<pid>.`: the fixed part of this process's temporary names for `file`. */
function tempPrefix(file: string): string {
  return `.${clip(path.basename(file), MAX_NAME_BYTES)}.${HOST}.${process.pid}.`;
}

/**
 * The temporary file writeFileAtomic writes `file` through: hidden, `.<name>.<host>.<pid>.<12 hex>.tmp`,
 * in the same folder so that rename() stays on one filesystem, with a random part so that concurrent
 * writers never share a name. The host and the process id say whose it is (see
 * removeStaleTemporaryFiles); the name keeps to 255 bytes (the output's name is cut to 120) and holds
 * no character a filesystem refuses beyond those of the output's own name.
 */
export function tempName(file: string): string {
  return path.join(path.dirname(path.resolve(file)), `${tempPrefix(file)}${randomBytes(6).toString('hex')}.tmp`);
}

/** Who wrote a temporary file: the (cut) output name, the host (as tempHost gives it) and the process id. */
export interface TempOwner { name: string; host: string; pid: number }

/** The owner of a name that tempName could have made, or undefined for any other name. */
export function parseTempName(entry: string): TempOwner | undefined {
  const m = /^\.(.+)\.([A-Za-z0-9_-]{1,40})\.([1-9]\d{0,9})\.[0-9a-f]{12}\.tmp$/.exec(entry);
  return m ? { name: m[1]!, host: m[2]!, pid: Number(m[3]) } : undefined;
}

/** The `.<name>.<host>.<pid>.` part of a name that tempName could have made, or undefined for any other name. */
export function tempPrefixOf(entry: string): string | undefined {
  const owner = parseTempName(entry);
  return owner ? `.${owner.name}.${owner.host}.${owner.pid}.` : undefined;
}

/**
 * Write `data` to a temporary file in the target's folder (see tempName), flush it, then rename it
 * over `file`: readers see the old file or the whole new one, never a partial write, and a failure
 * leaves no temporary file behind, nor does SIGINT, SIGTERM, SIGHUP or process.exit() during the
 * write (see guardTemp in temp-guard.ts). Only SIGKILL or a crash can leave the hidden temporary file, never a partial
 * `file`. Overwrites `file` if it exists.
 *
 * @throws ERR_WRITE when the file cannot be written.
 */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const tmp = tempName(file);
  const untrack = guardTemp(tmp);
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
    throw writeError(file, error);
  } finally {
    untrack();
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
 * Remove, from each of `folders`, the temporary files that SIGKILL or a crash left: only names that
 * tempName made, on this host, by a process that is gone, last written more than STALE_TEMP_MS ago.
 * Other hosts' files (a shared folder) are never touched, and the age rule covers a process id that
 * this host reuses or that lives in another PID namespace (a container). Resolves with how many
 * were removed; never throws.
 */
export async function removeStaleTemporaryFiles(folders: readonly string[], now = Date.now()): Promise<number> {
  let removed = 0;
  for (const dir of new Set(folders.map((f) => path.resolve(f)))) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const owner = parseTempName(name);
      if (!owner || owner.host !== HOST || owner.pid === process.pid || processAlive(owner.pid)) continue;
      const file = path.join(dir, name);
      const stat = await fs.lstat(file).catch(() => undefined);
      if (!stat?.isFile() || now - stat.mtimeMs < STALE_TEMP_MS) continue;
      if (await fs.rm(file).then(() => true, () => false)) removed++;
    }
  }
  return removed;
}

/** Whether a process with this id runs on this host (in this PID namespace); EPERM means it does. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}
