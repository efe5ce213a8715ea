/**
 * The batch's progress on stderr: a bar redrawn in place on a terminal, one plain line per file
 * elsewhere (logs, CI), so a redirected stderr never fills with carriage returns.
 */
import path from 'node:path';
import type { BatchFileReport, BatchProgress } from '../batch/batch.js';

/**
 * Progress on stderr: a bar redrawn in place on a terminal, one plain line per file elsewhere (logs,
 * CI), so a redirected stderr never fills with carriage returns. Failures are always full lines.
 * Exported for tests, which hand it a fake terminal.
 */
export class ProgressView {
  private readonly tty: boolean;
  private drawn = false;
  private last: BatchProgress | undefined;

  constructor(private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>) {
    this.tty = out.isTTY === true;
  }

  update(p: BatchProgress): void {
    this.last = p;
    const f = p.file;
    if (this.tty) {
      if (f?.status === 'failed') this.line(failure(f));
      this.draw(p, f?.input);
      return;
    }
    if (!f) return;
    const n = `[${p.finished}/${p.total}]`;
    if (f.status === 'failed') this.line(failure(f).replace(/^kmeans-seg: /, `kmeans-seg: ${n} `));
    else if (f.status === 'done') this.line(`kmeans-seg: ${n} ${f.input} -> ${f.output} (${Math.round(f.ms ?? 0)} ms)`);
    else if (f.status === 'skipped') this.line(`kmeans-seg: ${n} skipped ${f.input}: ${f.output} exists`);
  }

  interrupt(): void {
    this.line('kmeans-seg: interrupted: stopping (a file being written is finished, the others abandoned; no partial output is kept)');
  }

  close(): void {
    if (this.drawn) { this.out.write('\r\x1b[K'); this.drawn = false; }
  }

  /** A full line, above the bar when there is one. */
  private line(text: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(text + '\n');
    if (this.tty && this.last) this.draw(this.last);
  }

  private draw(p: BatchProgress, name?: string): void {
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.finished / p.total) * width) : width;
    const bad = p.counts.failed > 0 ? `, ${p.counts.failed} failed` : '';
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.finished}/${p.total}${bad}${name ? `  ${path.basename(name)}` : ''}`;
    const columns = this.out.columns || 80;
    this.out.write(`\r\x1b[K${text.slice(0, columns - 1)}`);
    this.drawn = true;
  }
}

function failure(f: BatchFileReport): string {
  return `kmeans-seg: failed: ${f.input}: ${f.error?.message ?? 'unknown error'}`;
}
