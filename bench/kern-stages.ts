// Kernel-only timing (issue 12, kern helper): kmeans() stages on the 12 MP photo from src/ (not dist/),
// fixed work (K = 16, 20 passes, the strongest suite's centroids) and default runs (K = 16, 64).
// Input: kern-input.ts (the 12 MP photo as raw RGBA). Prints per-run stage times
// and a fingerprint of the bits (labels, centroids, history), so two builds can be compared.
// Usage: npx tsx bench/kern-stages.ts [rounds] [fixed|default16|default64]...
import { createHash } from 'node:crypto';
import '../src/node/platform.js';
import { kernPhoto } from './kern-input.js';
import { kmeans, terminateWorkers } from '../src/index.js';
import type { KMeansResult } from '../src/types.js';

const image = await kernPhoto();
const rounds = Number(process.argv[2] ?? 5);
const modes = process.argv.slice(3).length ? process.argv.slice(3) : ['fixed'];
const threads = Number(process.env.KERN_THREADS ?? 2);

const fingerprint = (r: KMeansResult): string => {
  const h = createHash('sha256');
  h.update(r.labels as Uint8Array);
  h.update(JSON.stringify([r.centroids, r.history, r.iterations, r.inertia]));
  return h.digest('hex').slice(0, 12);
};
const med = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s[s.length >> 1]!; };

const first = await kmeans(image, { k: 16, seed: 1, maxIterations: 1, threads });
const init = first.centroids.map((c) => c.map((v) => Math.round(v)));
const opts = {
  fixed: { k: 16, init, maxIterations: 20, tolerance: 0, threads },
  default16: { k: 16, threads },
  default64: { k: 64, threads },
} as const;
for (const mode of modes) {
  const o = opts[mode as keyof typeof opts];
  await kmeans(image, o);
  const rows: Record<string, number[]> = { wall: [], histogram: [], init: [], lloyd: [], labels: [] };
  let fp = '', iterations = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const res = await kmeans(image, o);
    const wall = performance.now() - t0;
    const t = res.timings;
    rows.wall!.push(wall); rows.histogram!.push(t.histogram); rows.init!.push(t.init); rows.lloyd!.push(t.lloyd);
    rows.labels!.push(t.total - t.histogram - t.init - t.lloyd);
    fp = fingerprint(res); iterations = res.iterations;
  }
  console.log(`${mode}: ${Object.entries(rows).map(([k, v]) => `${k} ${med(v).toFixed(1)}`).join(' / ')} ms (medians of ${rounds}); ${iterations} passes; bits ${fp}`);
}
await terminateWorkers();
