/**
 * How many threads a run takes, and a way to start that kernel (wasm compile, probe, worker pool)
 * before the pixels exist. Invariant: kmeans() and prepareKernel() make the same choice, and
 * preparing changes no bit of any result, only when the kernel's start-up is paid.
 */
import { getKernel } from '../kernel/select.js';
import { PARALLEL_MIN_WORK } from '../limits.js';
import { availableThreads } from '../platform.js';
import type { Backend, ResolvedOptions } from './options.js';

/** Threads kmeans asks of the kernel for `pixels` pixels: work too small to split never starts the pool (workers cost more than they save). */
export function kernelThreads(pixels: number, opts: Pick<ResolvedOptions, 'k' | 'threads'>): number {
  return pixels * opts.k < PARALLEL_MIN_WORK ? 1 : opts.threads ?? availableThreads();
}

/**
 * Start loading the kernel getKernel(backend, threads) gives (wasm compile and probe, then the
 * worker pool), without waiting: a caller that decodes a file meanwhile finds it ready. Kernels are
 * memoized per thread, so kmeans then takes this one. Never throws and never rejects: a failure is
 * kmeans' to report, when it asks again.
 */
export function prepareKernel(backend: Backend, threads = 1): void {
  getKernel(backend, threads).catch(() => undefined);
}

/**
 * For a caller about to decode an image for kmeans(image, opts): the one-thread kernel starts now
 * (its wasm compiles while the file is read and sharp loads), and the returned callback, given the
 * image's size as soon as it is known (decodeImage's `kernel` option), starts the worker threads
 * that size calls for.
 */
export function warmKernel(opts: Pick<ResolvedOptions, 'k' | 'threads' | 'backend'>): (width: number, height: number) => void {
  prepareKernel(opts.backend);
  return (width, height) => prepareKernel(opts.backend, kernelThreads(width * height, opts));
}
