// The event loop while kmeans-seg works (issue 13): the longest stall of the calling thread's loop
// during a 12 MP K = 64 run, how fast AbortSignal.timeout(200) rejects, and 16 concurrent calls
// against the same 16 one by one. Through the built package (dist/), as a user's service calls it.
// npx tsx bench/event-loop.ts [--image=path] [--k=64] [--runs=3] [--inthread]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { kmeans, segment, terminateWorkers, type KMeansResult, type RGBAImage } from '../dist/index.js';

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const IMAGE = arg('image', '/work/bench-images/photo-12mp.png');
const K = Number(arg('k', '64'));
const RUNS = Number(arg('runs', '3'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The longest event-loop stall (ms) while `work` runs, and the work's wall time. A 1 ms timer ticks meanwhile. */
async function stall(work: () => Promise<unknown>): Promise<{ maxMs: number; ms: number; ticks: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  h.enable();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  // A stall is recorded when the loop's timer next runs: let it run before reading.
  await new Promise((resolve) => setTimeout(resolve, 5));
  h.disable();
  clearInterval(timer);
  return { maxMs: h.max / 1e6, ms, ticks };
}

async function main(): Promise<void> {
  const { data, info } = await sharp(IMAGE).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const image: RGBAImage = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  const options = { k: K, seed: 1 };
  console.log(`# event loop: ${IMAGE} (${info.width} x ${info.height}), K = ${K}, load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await kmeans(image, { ...options, maxIterations: 2 }); // a warm job worker, as a server has one

  const kmeansRows = [];
  for (let i = 0; i < RUNS; i++) kmeansRows.push(await stall(() => kmeans(image, options)));
  console.log(`kmeans() 12 MP K=${K} on a job worker: max event-loop delay ${median(kmeansRows.map((r) => r.maxMs)).toFixed(1)} ms (median of ${RUNS}; worst ${Math.max(...kmeansRows.map((r) => r.maxMs)).toFixed(1)}), run ${median(kmeansRows.map((r) => r.ms)).toFixed(0)} ms, 10 ms timer ticked ${median(kmeansRows.map((r) => r.ticks))} times`);
  if (process.argv.includes('--inthread')) {
    const r = await stall(() => kmeans(image, { ...options, worker: false }));
    console.log(`kmeans() worker: false (for comparison): max delay ${r.maxMs.toFixed(0)} ms, run ${r.ms.toFixed(0)} ms, ticks ${r.ticks}`);
  }

  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 4 } }).png({ compressionLevel: 1 }).toBuffer();
  let segmented: Awaited<ReturnType<typeof segment>> | undefined;
  const seg = await stall(async () => { segmented = await segment(png, options); });
  const enc = await stall(() => segmented!.toBuffer());
  console.log(`segment(png bytes): max event-loop delay ${seg.maxMs.toFixed(1)} ms, ${seg.ms.toFixed(0)} ms; then toBuffer(): max delay ${enc.maxMs.toFixed(1)} ms, ${enc.ms.toFixed(0)} ms`);

  const latencies: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const signal = AbortSignal.timeout(200);
    let fired = 0;
    signal.addEventListener('abort', () => { fired = performance.now(); });
    const err = await kmeans(image, { ...options, tolerance: 0, maxIterations: 1000, signal }).catch((e: unknown) => e);
    const rejected = performance.now();
    if ((err as { code?: string })?.code !== 'ERR_ABORTED') throw new Error(`expected ERR_ABORTED, got ${String(err)}`);
    latencies.push(rejected - fired);
  }
  console.log(`AbortSignal.timeout(200): rejected ${median(latencies).toFixed(1)} ms after it fired (median of ${RUNS}; worst ${Math.max(...latencies).toFixed(1)})`);

  await concurrent(image);
  await terminateWorkers();
}

/** 16 calls at once against the same 16 one by one: total time, and whether every result is the same. */
async function concurrent(image: RGBAImage): Promise<void> {
  const small = { data: image.data.subarray(0, 1024 * 768 * 4), width: 1024, height: 768 };
  const opts = (i: number) => ({ k: 16, seed: i });
  const t0 = performance.now();
  const serial: KMeansResult[] = [];
  for (let i = 0; i < 16; i++) serial.push(await kmeans(small, opts(i)));
  const t1 = performance.now();
  const together = await stall(() => Promise.all(Array.from({ length: 16 }, (_, i) => kmeans(small, opts(i)))).then((rs) => {
    rs.forEach((r, i) => {
      if (r.inertia !== serial[i]!.inertia || Buffer.compare(Buffer.from(r.labels), Buffer.from(serial[i]!.labels)) !== 0) throw new Error(`call ${i} differs`);
    });
  }));
  console.log(`16 calls (1024 x 768, K=16): concurrent ${together.ms.toFixed(0)} ms vs one by one ${(t1 - t0).toFixed(0)} ms (ratio ${(together.ms / (t1 - t0)).toFixed(2)}), max delay ${together.maxMs.toFixed(1)} ms; results identical`);
}

await main();
