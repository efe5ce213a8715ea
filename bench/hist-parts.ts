// Histogram and label stages' parts (issue 12, hist helper), in this thread (no job worker): the
// histogram (count + collect), histogramPoints (rgb), the labels (map + lookups); medians of [rounds]
// runs, interleaved over source trees ($KERN_ROOTS, comma-separated; default this one) and
// histogramThreads values ($KERN_HT, default "1,2").
// Usage: KERN_ROOTS=/tmp/base,/work/main npx tsx bench/hist-parts.ts [rounds] [photo|coffee]
import { loadavg } from 'node:os';
import sharp from 'sharp';
import { kernPhoto } from './kern-input.js';

type Lib = {
  getKernel: typeof import('../src/kernel/select.js').getKernel;
  terminateWorkers: typeof import('../src/kernel/select.js').terminateWorkers;
  buildHistogram: typeof import('../src/core/histogram.js').buildHistogram;
  labelPixels: typeof import('../src/core/histogram.js').labelPixels;
  histogramPoints: typeof import('../src/core/points.js').histogramPoints;
};
const roots = (process.env.KERN_ROOTS ?? new URL('..', import.meta.url).pathname).split(',');
const libs: Lib[] = [];
for (const root of roots) {
  await import(`${root}/src/node/platform.ts`);
  libs.push({ ...await import(`${root}/src/kernel/select.ts`), ...await import(`${root}/src/core/histogram.ts`), ...await import(`${root}/src/core/points.ts`) });
}
const rounds = Number(process.argv[2] ?? 7);
const which = process.argv[3] ?? 'photo';
const image = which === 'photo' ? await kernPhoto()
  : await sharp('/work/shared/images/coffee.png').ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }));
const threads = Number(process.env.KERN_THREADS ?? 2);
const variants = (process.env.KERN_HT ?? '1,2').split(',').map(Number);
const kernels = await Promise.all(libs.map(async (l) => (await l.getKernel('wasm', threads)).kernel));
const pixels = image.width * image.height;
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const rows: Record<string, Record<string, number[]>> = {};
const sums: Record<string, number> = {};
const labels = new Uint8Array(pixels);
console.log(`${which}, ${threads} threads, load ${loadavg()[0]!.toFixed(1)}`);
for (let r = -2; r < rounds; r++) {
  libs.forEach((lib, li) => {
    for (const ht of variants) {
      const name = `${roots[li]} ht ${ht}`;
      const kernel = kernels[li]!;
      (kernel as unknown as { histogramThreads: number }).histogramThreads = ht;
      const add = (k: string, v: number) => ((rows[name] ??= {})[k] ??= []).push(v);
      const t0 = performance.now();
      const h = lib.buildHistogram(image.data, pixels, kernel.histogramEngine?.(threads) ?? null);
      const t1 = performance.now();
      const p = lib.histogramPoints(h, 'rgb');
      const t2 = performance.now();
      const cl = new Uint16Array(h.n);
      for (let i = 0; i < h.n; i++) cl[i] = (Math.imul(h.keys[i]!, 2654435761) >>> 28) & 15;
      const t3 = performance.now();
      lib.labelPixels(image.data, pixels, h, cl, 16, labels);
      const t4 = performance.now();
      h.release();
      let s = h.n;
      for (let i = 0; i < h.n; i += 97) s = (s * 31 + h.keys[i]! + h.counts[i]! + p.x[i]! + p.z[i]!) >>> 0;
      for (let i = 0; i < pixels; i += 89) s = (s * 31 + labels[i]!) >>> 0;
      if (sums[name] !== undefined && sums[name] !== s) throw new Error(`${name}: results differ between rounds`);
      sums[name] = s;
      if (r < 0) continue;
      add('hist', t1 - t0); add('points', t2 - t1); add('label', t4 - t3); add('sum', t2 - t0 + t4 - t3);
    }
  });
}
for (const [name, row] of Object.entries(rows)) console.log(`${name}: ${Object.entries(row).map(([k, v]) => `${k} ${med(v).toFixed(1)} (min ${Math.min(...v).toFixed(1)})`).join(' / ')} ms; check ${sums[name]}`);
console.log(`load ${loadavg()[0]!.toFixed(1)}`);
for (const l of libs) await l.terminateWorkers();
