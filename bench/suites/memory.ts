// Suite e: peak resident memory of a fresh process that segments an image file end to end, against
// a budget of three decoded RGBA copies (input, painted output, one spare) plus 100 MB.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureImage, type ImageName } from '../images.js';
import { BENCH_DIR, mb, type Row } from '../lib.js';

const run = promisify(execFile);

export async function memorySuite(quick: boolean, k = 16): Promise<Row[]> {
  const names: ImageName[] = quick ? ['1mp'] : ['12mp', '50mp'];
  const rows: Row[] = [];
  console.log(`  memory: peak RSS of node bench/rss-child.mjs <image> ${k} (the built package)`);
  for (const name of names) {
    const info = await ensureImage(name, () => {});
    const t0 = performance.now();
    const { stdout } = await run(process.execPath, [path.join(BENCH_DIR, 'rss-child.mjs'), info.file, String(k)], {
      cwd: path.dirname(BENCH_DIR), maxBuffer: 1 << 20,
    });
    const seconds = (performance.now() - t0) / 1000;
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { maxRSS: number; baseline: number; width: number; height: number };
    const rgba = r.width * r.height * 4;
    const budget = 3 * rgba + 100e6;
    const within = r.maxRSS <= budget;
    console.log(`    ${name}: peak ${mb(r.maxRSS)} (process start ${mb(r.baseline)}), budget ${mb(budget)}: ${within ? 'within' : 'OVER'}`);
    rows.push({
      suite: 'memory', scenario: `peak RSS, ${r.width}x${r.height} K=${k}`, seconds,
      ratio: `${(r.maxRSS / budget).toFixed(2)}x budget`,
      note: `${mb(r.maxRSS)} vs 3 x RGBA + 100 MB = ${mb(budget)} (${(r.maxRSS / rgba).toFixed(1)} x RGBA; start ${mb(r.baseline)})`,
      raw: { ...r, rgbaBytes: rgba, budget, within },
    });
  }
  return rows;
}
