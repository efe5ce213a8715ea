/**
 * The batch's progress on stderr: a bar redrawn in place on a terminal, one plain line per file
 * elsewhere (logs, CI), so a redirected stderr never fills with carriage returns. A file's warnings
 * and failures are full lines in both.
 */
import path from 'node:path';
import type { BatchFileReport, BatchProgress } from '../batch/batch.js';
import { printable } from '../validate.js';

/**
 * Progress on stderr: a bar redrawn in place on a terminal, one plain line per file elsewhere (logs,
 * CI), so a redirected stderr never fills with carriage returns. Failures are always full lines.
 * Exported for tests, which hand it a fake terminal.
 */
export class ProgressView {
  private readonly tty: boolean;
  private drawn = false;
  private muted = false;
  private last: BatchProgress | undefined;

  constructor(private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>) {
    this.tty = out.isTTY === true;
  }

  update(p: BatchProgress): void {
    this.last = p;
    const f = p.file;
    if (this.tty) {
      if (f?.status === 'failed') this.line(failure(f));
      for (const w of f?.warnings ?? []) this.line(warning(f!, w));
      this.draw(p, f?.input);
      return;
    }
    if (!f) return;
    const n = `[${p.finished}/${p.total}]`;
    if (f.status === 'failed') this.line(failure(f).replace(/^kmeans-seg: /, `kmeans-seg: ${n} `));
    else if (f.status === 'done') this.line(`kmeans-seg: ${n} ${f.input} -> ${f.output} (${Math.round(f.ms ?? 0)} ms)`);
    else if (f.status === 'skipped') this.line(`kmeans-seg: ${n} skipped ${f.input}: ${f.output} exists`);
    for (const w of f.warnings ?? []) this.line(warning(f, w));
  }

  /** The line that says the batch is stopping, and why. */
  interrupt(signal = 'SIGINT'): void {
    this.line(`kmeans-seg: interrupted (${signal}): stopping (a file being written is finished, the others abandoned; no partial output is kept)`);
  }

  /** Write nothing more (the terminal is gone, after SIGHUP). */
  mute(): void {
    this.muted = true;
  }

  close(): void {
    if (this.drawn && !this.muted) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  /** A full line, above the bar when there is one. */
  private line(text: string): void {
    if (this.muted) return;
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(printable(text) + '\n'); // a file name's terminal escapes are shown, never sent
    if (this.tty && this.last) this.draw(this.last);
  }

  private draw(p: BatchProgress, name?: string): void {
    if (this.muted) return;
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.finished / p.total) * width) : width;
    const bad = p.counts.failed > 0 ? `, ${p.counts.failed} failed` : '';
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.finished}/${p.total}${bad}${name ? `  ${printable(path.basename(name))}` : ''}`;
    const columns = this.out.columns || 80;
    this.out.write(`\r\x1b[K${text.slice(0, columns - 1)}`);
    this.drawn = true;
  }
}

/** A file's warning, as the main command prints its own: "kmeans-seg: warning: in/a.gif: first frame only...". */
function warning(f: BatchFileReport, text: string): string {
  return `kmeans-seg: warning: ${printable(f.input)}: ${text}`;
}

function failure(f: BatchFileReport): string {
  return `kmeans-seg: failed: ${printable(f.input)}: ${f.error?.message ?? 'unknown error'}`;
}
