/**
 * Output files written piece by piece (a PNG streamed strip by strip), all or nothing: each goes to a
 * temporary file beside its target, and only once every one is whole are they renamed into place.
 * Invariant: a failure, or a signal, leaves no temporary file and no partial output.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tempName } from '../atomic-write.js';
import { writeError } from '../error-text.js';
import { refuseNonRegular } from '../output-path.js';
import type { ByteSink } from '../png-writer.js';
import { guardTemp } from '../temp-guard.js';

interface Open { file: string; tmp: string; handle: FileHandle | undefined; release: () => void; mode: number | undefined }

/** A ByteSink over an open temporary file: every byte written, in order. */
class FileSink implements ByteSink {
  constructor(private readonly entry: Open) {}

  async write(bytes: Buffer): Promise<void> {
    const { handle, file } = this.entry;
    try {
      for (let at = 0; at < bytes.length;) at += (await handle!.write(bytes, at, bytes.length - at)).bytesWritten;
    } catch (error) {
      throw writeError(file, error);
    }
  }
}

/**
 * The streamed outputs of one run (checked beforehand, as an OutputSet's are). `open` each, write
 * through its sink, then `commit`; `discard` (or a failed commit) removes every temporary file.
 */
export class StreamedFiles {
  private entries: Open[] = [];

  /** A sink writing to a new temporary file for `file`. @throws ERR_WRITE when it cannot be created. */
  async open(file: string): Promise<ByteSink> {
    const tmp = tempName(file);
    const entry: Open = { file, tmp, handle: undefined, release: guardTemp(tmp), mode: undefined };
    this.entries.push(entry);
    try {
      const old = await fs.lstat(file).catch(() => undefined);
      // A regular file replaced keeps its mode, not its set-id bits, as OutputSet.stage does.
      if (old?.isFile()) entry.mode = old.mode & 0o777;
      entry.handle = await fs.open(tmp, 'wx');
    } catch (error) {
      throw writeError(file, error);
    }
    return new FileSink(entry);
  }

  /**
   * Flush and close every file, then rename each into place in the order opened (each target
   * checked again just before). @throws ERR_OUTPUT_EXISTS for a target that became a special file; ERR_WRITE.
   */
  async commit(): Promise<void> {
    try {
      for (const entry of this.entries) {
        try {
          if (entry.mode !== undefined) await entry.handle!.chmod(entry.mode);
          await entry.handle!.sync();
          await entry.handle!.close();
          entry.handle = undefined;
        } catch (error) {
          throw writeError(entry.file, error);
        }
      }
      while (this.entries.length > 0) {
        const { file, tmp, release } = this.entries[0]!;
        await refuseNonRegular(file);
        try {
          await fs.rename(tmp, file);
        } catch (error) {
          throw writeError(file, error);
        }
        this.entries.shift();
        release();
      }
    } finally {
      await this.discard();
    }
  }

  /** Close and remove every file not yet renamed. Never throws. */
  async discard(): Promise<void> {
    const entries = this.entries;
    this.entries = [];
    for (const { handle, tmp, release } of entries) {
      await handle?.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      release();
    }
  }
}
