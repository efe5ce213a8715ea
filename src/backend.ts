import { KMeansSegError } from './errors.js';
import type { Kernel, Points } from './kernel.js';
import { jsKernel } from './kernel-js.js';
import type { Backend } from './options.js';
import { WasmKernel, compileKernel, type WasmSource } from './kernel-wasm.js';

let wasmKernel: Promise<WasmKernel> | undefined;

/**
 * Instantiate the SIMD kernel and check its answer on a small case with ties against the TS twin:
 * an engine that instantiates the module but computes something else must not be used.
 */
async function loadWasm(source?: WasmSource): Promise<WasmKernel> {
  if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') {
    throw new Error('WebAssembly with shared memory is not available here');
  }
  const kernel = new WasmKernel(await compileKernel(source));
  const probe = probePoints();
  const centroids = new Float32Array([10, 20, 30, 0, 0, 0, 10, 20, 30, 200, 100, 50]);
  const a = kernel.open(probe, 4);
  const wasmOut = a.assign(centroids);
  const wasmLabels = Array.from(a.labels);
  const wasmSums = Array.from(a.sums);
  a.dispose();
  const b = jsKernel.open(probe, 4);
  const jsOut = b.assign(centroids);
  const same = wasmOut.inertiaQ === jsOut.inertiaQ && wasmOut.changed === jsOut.changed &&
    wasmLabels.every((l, i) => l === b.labels[i]) && wasmSums.every((s, i) => s === b.sums[i]);
  if (!same) throw new Error('the SIMD kernel gave a wrong answer on the probe');
  return kernel;
}

function probePoints(): Points {
  const n = 21; // not a multiple of 8: covers the SIMD body and the scalar tail
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  const w = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (i * 37) % 256; y[i] = (i * 91) % 256; z[i] = (i * 53) % 256; w[i] = 1 + (i % 3);
  }
  x[3] = 10; y[3] = 20; z[3] = 30; // equidistant from centroids 0 and 2: the lower index wins
  return { x, y, z, w, n };
}

/** The kernel for a backend option. 'auto' falls back to TS when SIMD wasm is missing or fails its probe. */
export async function getKernel(backend: Backend, source?: WasmSource): Promise<Kernel> {
  if (backend === 'js') return jsKernel;
  if (!wasmKernel || source !== undefined) {
    const p = loadWasm(source);
    if (source === undefined) {
      wasmKernel = p;
      p.catch(() => { wasmKernel = undefined; });
    }
    try {
      return await p;
    } catch (err) {
      return fail(backend, err);
    }
  }
  try {
    return await wasmKernel;
  } catch (err) {
    return fail(backend, err);
  }
}

function fail(backend: Backend, err: unknown): Kernel {
  if (backend === 'auto') return jsKernel;
  throw new KMeansSegError(
    'ERR_BACKEND',
    `backend 'wasm' cannot run here (${(err as Error).message}): use backend 'auto' or 'js', or run npm run build to create build/kmeans.wasm`,
    { cause: err },
  );
}
