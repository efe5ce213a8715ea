/**
 * kmeans-seg in web pages: `import { segmentImageData } from 'kmeans-seg/browser'`. Pixels come from a
 * canvas (ImageData) or any RGBA bytes; nothing here needs sharp or a Node built-in. The job runs in a
 * module Worker so the page stays responsive, on the best kernel tier that passes its probe.
 */
import type { JobReply, JobRequest, JobResult } from './browser/job.js';
import type { Tier } from './browser/tiers.js';
import { KMeansSegError, type ErrorCode } from './errors.js';
import { compileKernel, sharedMemoryWorks } from './kernel/wasm/module.js';
import { resolveOptions, type KMeansOptions, type ResolvedOptions } from './core/options.js';
import type { Regions, RGBAImage } from './types.js';
import { checkImage, invalidOption } from './validate.js';
import { regionsMethod } from './core/region-list.js';

export { KMeansSegError, type ErrorCode } from './errors.js';
export { MAX_K } from './limits.js';
export { defaultOptions, type Backend, type Connectivity, type InitMethod, type KMeansOptions, type Progress } from './core/options.js';
export type { DitherMethod, RoiMask, RoiOutside, RoiPixels } from './core/roi-dither-options.js';
export type { ColorSpace } from './core/colorspace.js';
export type { ClusterExtent, PaletteEntry, Region, Regions, RGBAImage } from './types.js';
export type { JobResult, Tier };

/** What the caller may pass as `wasm`: where the kernel lives, or the kernel already compiled. */
export type WasmOption = URL | string | WebAssembly.Module;

/**
 * Node's options, and how the kernel is found and where the job runs. `onProgress` is called on the
 * calling thread (the worker posts after every pass); `signal` aborts at once with a worker (the
 * worker is ended) and between passes without one; either way the promise rejects with
 * KMeansSegError ERR_ABORTED, `cause` the signal's reason, as in Node. `threads` counts only in
 * cross-origin isolated pages with a worker: threads need shared memory and a thread that may wait.
 */
export interface BrowserOptions extends KMeansOptions {
  /** The kernel: a URL (a string resolves against the page) where kmeans.wasm is served as `application/wasm`; a folder's URL (ending in `/`) where both builds, kmeans.wasm and kmeans-single.wasm, are served, to fetch the one this engine can use; or a `WebAssembly.Module` compiled already. Compiled once per URL. Default: the package's build/kmeans.wasm or kmeans-single.wasm, which Vite and webpack copy (esbuild: see docs/browser.md). */
  wasm?: WasmOption;
  /** Run in a module Worker: the page stays responsive, progress arrives while it runs, abort is immediate, and the threads tier is possible. `false` runs on the calling thread and blocks it. Default true (on the calling thread where `Worker` does not exist). */
  worker?: boolean;
}

const BROWSER_OPTIONS = ['wasm', 'worker'];

/**
 * The same summary as Node's `kmeans` (toRGBA() aside), with the tier that ran and the segmented image.
 * `timings.total` is measured on the calling thread, so it includes starting the worker and transfers.
 */
export interface SegmentImageDataResult extends Omit<JobResult, 'regionData'> {
  /** The segmented image over the same bytes as `rgba`; null where `ImageData` does not exist. */
  imageData: ImageData | null;
  /** The connected regions, as Node's result.regions() (pass regions: true or minRegion). @throws {KMeansSegError} ERR_INVALID_OPTION without them. */
  regions(): Regions;
}

export type ImageInput = ImageData | RGBAImage;

/**
 * Segment pixels into K colours. Same pixels, options and seed give bit-identical labels and palette
 * to Node's `kmeans`, whichever tier runs. The caller's pixels are copied once, never detached or changed.
 *
 * @example
 * const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
 * const result = await segmentImageData(pixels, { k: 8, seed: 7, onProgress: (p) => console.log(p.inertia) });
 * canvas.getContext('2d').putImageData(result.imageData, 0, 0);
 */
export async function segmentImageData(image: ImageInput, options: BrowserOptions = {}): Promise<SegmentImageDataResult> {
  const t0 = performance.now();
  const opts = resolveOptions(options, BROWSER_OPTIONS);
  const { wasm, worker } = checkBrowserOptions(options);
  const img = checkImage(image as RGBAImage, BROWSER_WORDING);
  const aborted = (): void => {
    if (opts.signal?.aborted) throw abortError(opts.signal, 'before it started');
  };
  aborted();
  let module: WebAssembly.Module | undefined;
  let loadError: string | undefined;
  if (opts.backend !== 'js') {
    try { module = await loadModule(wasm); } catch (err) { loadError = (err as Error)?.message ?? String(err); }
  }
  aborted();
  const result = worker && typeof Worker === 'function'
    ? await inWorker(img, opts, module, loadError)
    : await onThisThread(img, opts, module, loadError);
  result.timings.total = performance.now() - t0;
  const imageData = typeof ImageData === 'function' ? new ImageData(result.rgba as Uint8ClampedArray<ArrayBuffer>, img.width, img.height) : null;
  const { regionData, ...summary } = result;
  return { ...summary, imageData, regions: regionsMethod(regionData, result.k) };
}

function abortError(signal: AbortSignal, when: string): KMeansSegError {
  return new KMeansSegError('ERR_ABORTED', `Aborted ${when}: the signal passed as options.signal was aborted`, { cause: signal.reason });
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compile the kernel once per page (per URL) and hand the module to every worker, which then only
 * instantiates it. Without `wasm` it is the package's build/kmeans.wasm, found by kernel-wasm.ts with
 * `new URL(..., import.meta.url)` so that bundlers copy it. A relative string resolves against the
 * page, as fetch() would, not against wherever the bundle put this file.
 */
function loadModule(wasm?: WasmOption): Promise<WebAssembly.Module> {
  if (wasm instanceof WebAssembly.Module) return Promise.resolve(wasm);
  if (wasm === undefined) return compileKernel();
  const g = globalThis as { document?: { baseURI: string }; location?: { href: string } };
  let url = new URL(wasm, g.document?.baseURI ?? g.location?.href);
  // A folder that serves both builds (a bundler that copies no assets, e.g. esbuild's recipe).
  if (url.pathname.endsWith('/')) url = new URL(sharedMemoryWorks() ? 'kmeans.wasm' : 'kmeans-single.wasm', url);
  let p = compiled.get(url.href);
  if (!p) {
    p = compileKernel(url);
    compiled.set(url.href, p);
    p.catch(() => compiled.delete(url.href)); // a failed fetch may succeed later
  }
  return p;
}

async function onThisThread(image: RGBAImage, opts: ResolvedOptions, module: WebAssembly.Module | undefined, loadError: string | undefined): Promise<JobResult> {
  // Loaded on demand: pages that use the worker keep the clustering code out of their main bundle.
  const { chooseTier, runJob } = await import('./browser/job.js');
  const choice = await chooseTier(opts, module, loadError);
  if (opts.signal?.aborted) throw abortError(opts.signal, 'before it started');
  return runJob(image, opts, choice);
}

/**
 * One idle worker is kept for the next job (its kernel and pool stay warm); concurrent jobs get their
 * own. It holds the histogram table (64 MiB) and the kernel's memory, so it is ended after a while idle.
 */
const IDLE_MS = 30_000;
let idle: Worker | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function takeWorker(): Worker {
  clearTimeout(idleTimer);
  const w = idle ?? new Worker(new URL('./browser/worker.js', import.meta.url), { type: 'module', name: 'kmeans-seg' });
  idle = undefined;
  return w;
}

function park(worker: Worker): void {
  if (idle) {
    worker.terminate();
    return;
  }
  idle = worker;
  idleTimer = setTimeout(() => {
    idle?.terminate();
    idle = undefined;
  }, IDLE_MS);
}

function inWorker(image: RGBAImage, opts: ResolvedOptions, module: WebAssembly.Module | undefined, loadError: string | undefined): Promise<JobResult> {
  const { onProgress, signal, ...options } = opts;
  return new Promise((resolve, reject) => {
    const worker = takeWorker();
    const finish = (keep: boolean): void => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (keep) park(worker);
      else worker.terminate();
    };
    const onMessage = (event: MessageEvent<JobReply>): void => {
      const m = event.data;
      if (m.type === 'progress') {
        try {
          onProgress?.(m.progress);
        } catch (err) {
          finish(false);
          reject(err);
        }
      } else if (m.type === 'done') {
        finish(true);
        resolve(m.result);
      } else {
        finish(true);
        reject(m.error.code ? new KMeansSegError(m.error.code as ErrorCode, m.error.message) : Object.assign(new Error(m.error.message), { name: m.error.name }));
      }
    };
    const onError = (event: ErrorEvent): void => {
      finish(false);
      reject(new KMeansSegError(
        'ERR_BACKEND',
        `The kmeans-seg worker failed (${event.message || 'its script did not load'}): it is started from browser/worker.js beside the script that holds segmentImageData (Vite and webpack bundle it there; with esbuild add the entry points 'kmeans-seg/browser/worker' and 'kmeans-seg/browser/pool-worker' as docs/browser.md shows), or pass worker: false`,
      ));
    };
    const onAbort = (): void => {
      finish(false);
      reject(abortError(signal!, 'while running; its worker was ended'));
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    // slice() copies just the view (a subarray of a larger buffer sends only its own bytes), and
    // transferring that copy avoids a second one in postMessage.
    const data = image.data.slice();
    const request: JobRequest = { image: { data, width: image.width, height: image.height }, options, module, loadError, progress: onProgress !== undefined };
    worker.postMessage(request, [data.buffer]);
  });
}

function checkBrowserOptions(options: BrowserOptions): { wasm?: WasmOption; worker: boolean } {
  const { wasm, worker = true } = options;
  if (wasm !== undefined && !(wasm instanceof URL || (typeof wasm === 'string' && wasm !== '') || wasm instanceof WebAssembly.Module)) {
    throw invalidOption('wasm', 'a URL, a non-empty URL string or a WebAssembly.Module', wasm, "e.g. wasm: new URL('/assets/kmeans.wasm', location.href), or leave it out to use the bundled kernel");
  }
  if (typeof worker !== 'boolean') throw invalidOption('worker', 'true or false', worker);
  return { wasm, worker };
}

const BROWSER_WORDING = { expected: 'an ImageData or { data, width, height }', dataFix: 'from a canvas use getImageData() (8-bit RGBA)' };
