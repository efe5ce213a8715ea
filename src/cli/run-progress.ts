/**
 * A single run's progress on stderr (the main command, sweep, strip passes): one line redrawn in place
 * with the stage, the pass, the inertia and the time left. Invariant: nothing at all is written unless
 * stderr is a terminal and the command prints no --json and is not --quiet.
 */
import type { Progress, ProgressStage } from '../core/options.js';

type Terminal = Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>;

export interface RunProgressOptions {
  /** --json or --quiet: draw nothing, even on a terminal. */
  silent?: boolean;
  /** The clock (ms), for tests. Default performance.now. */
  now?: () => number;
  /** The least time between two redraws (ms). Default 100: a pass may take microseconds. */
  interval?: number;
}

/** "1.2e+9" for big inertias, plain digits for small. */
function figure(v: number): string {
  return Math.abs(v) >= 1e6 ? v.toExponential(3) : String(Math.round(v * 100) / 100);
}

function duration(ms: number): string {
  const s = Math.max(0, ms / 1000);
  return s < 60 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

/**
 * One line on a terminal, redrawn at most every `interval` ms and on every change of stage. Exported
 * for tests, which hand it a fake terminal and clock.
 */
export class RunProgressView {
  private readonly on: boolean;
  private readonly now: () => number;
  private readonly interval: number;
  private drawn = false;
  private lastDraw = -Infinity;
  private stageName: ProgressStage | undefined;
  private stageStart = 0;
  private prefixText = '';
  /** Where the current stage (and Lloyd attempt) was first reported: the base of the rate. */
  private base = { key: '', t: 0, done: 0 };

  constructor(private readonly out: Terminal, options: RunProgressOptions = {}) {
    this.on = out.isTTY === true && options.silent !== true;
    this.now = options.now ?? (() => performance.now());
    this.interval = options.interval ?? 100;
  }

  /** Whether anything will be drawn (stderr is a terminal, and not --json or --quiet). */
  get enabled(): boolean {
    return this.on;
  }

  /** Text before the stage on every line, e.g. "K = 8 (3/7)" in a sweep. */
  prefix(text: string): void {
    this.prefixText = text;
  }

  /** A stage the command runs itself (decode, encode): drawn at once, with no figures. */
  stage(stage: ProgressStage): void {
    if (!this.on) return;
    this.enter(stage);
    this.draw(stage);
  }

  /** A report from the run (onProgress): redrawn when the interval has passed or the stage changed. */
  update(p: Progress): void {
    if (!this.on) return;
    const changed = this.enter(p.stage);
    if (!changed && this.now() - this.lastDraw < this.interval) return;
    this.draw(this.text(p));
  }

  /**
   * Run `work` with the line showing `stage`, and clear the line when it ends, returned or thrown, so
   * that whatever the command prints next (a summary, a warning, an error) starts on a clean line.
   */
  async during<T>(stage: ProgressStage, work: () => Promise<T>): Promise<T> {
    this.prefix('');
    this.stage(stage);
    try {
      return await work();
    } finally {
      this.close();
    }
  }

  /** Clear the line, before the summary or an error is printed. */
  close(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private enter(stage: ProgressStage): boolean {
    if (stage === this.stageName) return false;
    this.stageName = stage;
    this.stageStart = this.now();
    return true;
  }

  private text(p: Progress): string {
    const now = this.now();
    const elapsed = now - this.stageStart;
    const key = `${p.stage}:${p.attempt}`;
    if (key !== this.base.key) this.base = { key, t: now, done: p.done };
    const parts: string[] = [p.stage];
    if (p.stage === 'lloyd') {
      if (p.attempt > 0) parts.push(`attempt ${p.attempt + 1}`);
      parts.push(`pass ${p.iteration}`, `inertia ${figure(p.inertia)}`, `${figure(p.changed)} changed`);
    } else if (p.total > 0) {
      parts.push(`${p.done}/${p.total}`);
    }
    parts.push(duration(elapsed));
    if (p.total > 0 && p.done > this.base.done && p.done < p.total) {
      // The rate since the stage's first report; a Lloyd run usually converges long before
      // maxIterations, so its estimate is an upper bound.
      const left = ((now - this.base.t) / (p.done - this.base.done)) * (p.total - p.done);
      parts.push(`${p.stage === 'lloyd' ? 'at most ' : ''}${duration(left)} left`);
    }
    return parts.join(', ');
  }

  private draw(text: string): void {
    this.lastDraw = this.now();
    const line = `kmeans-seg: ${this.prefixText ? `${this.prefixText}: ` : ''}${text}`;
    const columns = this.out.columns || 80;
    this.out.write(`\r\x1b[K${line.slice(0, columns - 1)}`);
    this.drawn = true;
  }
}

/**
 * onProgress for a sweep: each K's run starts again at attempt 0, pass 1, so the K shown moves on there.
 * `ks` is the sweep's list, in the order it runs them (ascending).
 */
export function sweepProgress(view: RunProgressView, ks: readonly number[]): (p: Progress) => void {
  const sorted = [...ks].sort((a, b) => a - b);
  let index = -1;
  return (p) => {
    if (p.stage === 'lloyd' && p.attempt === 0 && p.iteration === 1) {
      index = Math.min(index + 1, sorted.length - 1);
      view.prefix(`K = ${sorted[index]} (${index + 1}/${sorted.length})`);
    }
    view.update(p);
  };
}
