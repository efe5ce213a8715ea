/**
 * All the outputs of one run, written all or nothing: each is checked, then written to a temporary
 * file, and only once every one is written are they renamed into place. Invariant: a failure leaves no file behind.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { tempName } from './atomic-write.js';
import { quote } from '../validate.js';
import { errnoCode, firstLine, writeError, writeFix } from './error-text.js';
import { makeFolder, refuseNonRegular, resolveTarget } from './output-path.js';
import { guardTemp } from './temp-guard.js';

interface Staged { file: string; tmp: string; release: () => void }

/**
 * The outputs of one run. `plan` each output before any work (with checkOutputPath, which checks
 * the path on its own), `stage` each one's bytes as they are made, then `commit`: nothing appears
 * under an output's name until every output is written, so a failure half-way (a read-only folder,
 * a full disk, a size an encoder refuses) leaves the folders as they were, and the corrected rerun
 * needs no --force. `run` does the staging and the commit, and discards everything on failure.
 *
 * An output that is a symbolic link is replaced (the link, not the file it names: a write never goes
 * through a link), as writeFileAtomic does; a regular file replaced keeps its mode.
 */
export class OutputSet {
  /** Real places already planned (each output's own path, and the file a link names), to the output's name. */
  private readonly places = new Map<string, { file: string; what: string }>();
  /** Folders found writable by checkFolders(), and the outputs reserved since it last ran. */
  private readonly folders = new Set<string>();
  private readonly unchecked: { folder: string; file: string; what: string }[] = [];
  private staged: Staged[] = [];
  /** Folders this set created, outermost first: removed again by discard() when still empty. */
  private readonly created: string[] = [];

  /**
   * Reserve `file` for this run (see reserve), then check that its folder is writable (see
   * checkFolders). `what` names the output in messages ("label map", "mask").
   *
   * @throws the errors of reserve and checkFolders.
   */
  async plan(file: string, what: string): Promise<void> {
    await this.reserve(file, what);
    await this.checkFolders();
  }

  /**
   * Reserve `file` for this run: refuse a second output on the same file, however it is spelled:
   * through a symbolic link (a dangling one too) or a linked folder. Touches nothing.
   *
   * @throws ERR_INVALID_OPTION when another output of the run is the same file.
   */
  async reserve(file: string, what: string): Promise<void> {
    const abs = path.resolve(file);
    const entry = path.join(await resolveTarget(path.dirname(abs)), path.basename(abs));
    const target = await resolveTarget(abs);
    for (const place of new Set([entry, target])) {
      const other = this.places.get(place);
      if (other !== undefined) {
        const via = place === entry ? '' : ` (${quote(file)} is a symbolic link to ${quote(place)})`;
        throw new KMeansSegError('ERR_INVALID_OPTION',
          `The ${other.what} ${quote(other.file)} and the ${what} ${quote(file)} are the same file${via}: give each output its own path`);
      }
    }
    for (const place of new Set([entry, target])) this.places.set(place, { file, what });
    this.unchecked.push({ folder: path.dirname(entry), file, what });
  }

  /**
   * Check that the folder of every output reserved so far (or, for one not made yet, its nearest
   * existing parent) is writable by this user: a read-only filesystem or folder fails here, before
   * any work, rather than after other outputs are written.
   *
   * @throws ERR_WRITE naming the output, the folder and the cause.
   */
  async checkFolders(): Promise<void> {
    for (const { folder, file, what } of this.unchecked.splice(0)) {
      if (!this.folders.has(folder)) await checkWritable(folder, file, what);
      this.folders.add(folder);
    }
  }

  /**
   * Create `folder` (and its parents) unless it exists, as makeFolder does; the folders made are
   * removed again by discard() while they are empty.
   */
  async makeFolder(folder: string, what?: string, fix?: string): Promise<void> {
    let missing = path.resolve(folder);
    const made: string[] = [];
    while (!(await fs.lstat(missing).then(() => true, () => false))) {
      made.unshift(missing);
      const up = path.dirname(missing);
      if (up === missing) break;
      missing = up;
    }
    await makeFolder(folder, what, fix);
    this.created.push(...made);
  }

  /**
   * Write `data` to a temporary file beside `file` (see tempName), flushed to disk, with the mode of
   * the regular file it will replace. Nothing appears under `file` until commit().
   *
   * @throws ERR_WRITE when the temporary file cannot be written (it is removed).
   */
  async stage(file: string, data: Uint8Array): Promise<void> {
    const tmp = tempName(file);
    const release = guardTemp(tmp);
    this.staged.push({ file, tmp, release });
    try {
      const old = await fs.lstat(file).catch(() => undefined);
      const handle = await fs.open(tmp, 'wx');
      try {
        await handle.writeFile(data);
        if (old?.isFile()) await handle.chmod(old.mode & 0o777); // not set-id bits: a new file takes no privileges
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw writeError(file, error);
    }
  }

  /**
   * Rename every staged file into place, in the order staged. Each target is checked again just
   * before (a special file that appeared since the checks is still refused). A rename that fails
   * (the folder changed under the run) stops the commit: the files renamed before it stay.
   *
   * @throws ERR_OUTPUT_EXISTS for a target that became a special file; ERR_WRITE for a failed rename.
   */
  async commit(): Promise<void> {
    try {
      while (this.staged.length > 0) {
        const { file, tmp, release } = this.staged[0]!;
        await refuseNonRegular(file);
        try {
          await fs.rename(tmp, file);
        } catch (error) {
          throw writeError(file, error);
        }
        this.staged.shift();
        release();
      }
      this.created.length = 0;
    } finally {
      await this.discard();
    }
  }

  /** Remove every staged file not yet renamed, and the folders this set made while still empty. Never throws. */
  async discard(): Promise<void> {
    const staged = this.staged;
    this.staged = [];
    for (const { tmp, release } of staged) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      release();
    }
    for (const dir of this.created.splice(0).reverse()) await fs.rmdir(dir).catch(() => undefined);
  }

  /**
   * Run `work` (which stages the outputs), then commit; on any failure, discard everything and
   * rethrow. Resolves with what `work` resolved with.
   */
  async run<T>(work: (set: this) => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await work(this);
    } catch (error) {
      await this.discard();
      throw error;
    }
    await this.commit();
    return value;
  }
}

/**
 * Write one output file atomically through an OutputSet of its own: a reader sees the old file or the
 * whole new one, a failure leaves neither a partial file nor a temporary one, and a regular file
 * replaced keeps its mode. The path must have been checked (checkOutputPath).
 *
 * @throws ERR_WRITE when the file cannot be written.
 */
export async function writeOutputFile(file: string, data: Uint8Array): Promise<void> {
  await new OutputSet().run((set) => set.stage(file, data));
}

/** `folder`, or for one not made yet its nearest existing parent, must be writable by this user. */
async function checkWritable(folder: string, file: string, what: string): Promise<void> {
  let dir = folder;
  while (!(await fs.stat(dir).then((s) => s.isDirectory(), () => false))) {
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
  const error = await fs.access(dir, fsConstants.W_OK).then(() => undefined, (e: unknown) => e);
  if (error === undefined) return;
  const code = errnoCode(error);
  throw new KMeansSegError('ERR_WRITE',
    `Cannot write the ${what} ${quote(file)}: the folder ${quote(dir)} is not writable (${code ?? firstLine(error)}); ` +
    writeFix(code), { cause: error });
}

