/**
 * The run's progress line (src/cli/run-progress.ts) on a fake terminal and a fake clock: what it draws,
 * how often, that it clears itself, and that it draws nothing off a terminal or when silenced.
 */
import { describe, expect, it } from 'vitest';
import { RunProgressView, sweepProgress } from '../../src/cli/run-progress.js';
import type { Progress } from '../../src/core/options.js';

function terminal(isTTY: boolean, columns = 120) {
  const writes: string[] = [];
  return { out: { isTTY, columns, write: (s: string) => { writes.push(s); return true; } }, writes };
}

const pass = (iteration: number, attempt = 0, total = 300): Progress =>
  ({ stage: 'lloyd', attempt, iteration, inertia: 1234.5, changed: 10 * iteration, done: iteration, total });

describe('RunProgressView', () => {
  it('draws the stage, pass, inertia and an upper bound of the time left, in place', () => {
    let t = 0;
    const { out, writes } = terminal(true);
    const view = new RunProgressView(out as never, { now: () => t });
    view.stage('decode');
    expect(writes.at(-1)).toBe('\r\x1b[Kkmeans-seg: decode');
    view.update(pass(1));
    t = 1000;
    view.update(pass(11)); // 10 passes in 1 s: 289 to go at most
    expect(writes.at(-1)).toBe('\r\x1b[Kkmeans-seg: lloyd, pass 11, inertia 1234.5, 110 changed, 1.0 s, at most 29 s left');
    view.close();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    expect(writes.every((w) => !w.includes('\n'))).toBe(true);
  });

  it('redraws at most every interval, but at once on a new stage', () => {
    let t = 0;
    const { out, writes } = terminal(true);
    const view = new RunProgressView(out as never, { now: () => t, interval: 100 });
    view.update(pass(1));
    for (let i = 2; i < 50; i++) { t += 1; view.update(pass(i)); }
    expect(writes).toHaveLength(1); // 48 passes within 100 ms: no redraw
    t += 100;
    view.update(pass(50));
    expect(writes).toHaveLength(2);
    view.stage('encode');
    expect(writes).toHaveLength(3);
    expect(writes.at(-1)).toContain('encode');
  });

  it('a later attempt shows its number and its own rate; other stages show done/total', () => {
    let t = 0;
    const { out, writes } = terminal(true);
    const view = new RunProgressView(out as never, { now: () => t, interval: 0 });
    view.update(pass(1, 0, 100));
    t = 5000;
    view.update(pass(1, 1, 100));
    t = 5100;
    view.update(pass(2, 1, 100));
    expect(writes.at(-1)).toContain('attempt 2, pass 2');
    expect(writes.at(-1)).toContain('at most 9.8 s left'); // 98 passes at 0.1 s, not at the first attempt's pace
    view.update({ stage: 'strips', attempt: 0, iteration: 0, inertia: 0, changed: 0, done: 3, total: 12 });
    t = 8100;
    view.update({ stage: 'strips', attempt: 0, iteration: 0, inertia: 0, changed: 0, done: 6, total: 12 });
    expect(writes.at(-1)).toBe('\r\x1b[Kkmeans-seg: strips, 6/12, 3.0 s, 6.0 s left');
  });

  it('is cut to the terminal width', () => {
    const { out, writes } = terminal(true, 30);
    new RunProgressView(out as never, { now: () => 0 }).update(pass(3));
    expect(writes[0]!.length).toBe('\r\x1b[K'.length + 29);
  });

  it('draws nothing when stderr is not a terminal, or with --json / --quiet', () => {
    for (const [tty, silent] of [[false, false], [true, true]] as const) {
      const { out, writes } = terminal(tty);
      const view = new RunProgressView(out as never, { silent });
      expect(view.enabled).toBe(false);
      view.stage('decode');
      view.update(pass(1));
      view.close();
      expect(writes).toEqual([]);
    }
  });

  it('in a sweep, each K is named as its run starts', () => {
    const { out, writes } = terminal(true);
    const view = new RunProgressView(out as never, { now: () => 0, interval: 0 });
    const onProgress = sweepProgress(view, [8, 2, 4]);
    onProgress(pass(1));
    onProgress(pass(2));
    expect(writes.at(-1)).toContain('K = 2 (1/3): lloyd, pass 2');
    onProgress(pass(1));
    expect(writes.at(-1)).toContain('K = 4 (2/3)');
    onProgress(pass(1));
    onProgress(pass(1, 1));
    expect(writes.at(-1)).toContain('K = 8 (3/3): lloyd, attempt 2');
  });
});
