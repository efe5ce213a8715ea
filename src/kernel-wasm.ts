import { KMeansSegError } from './errors.js';
import type { AssignOutcome, Kernel, KernelSession, Points } from './kernel.js';
import { UNASSIGNED } from './kernel.js';

/**
 * Host side of the SIMD kernel: compiles build/kmeans.wasm once, owns one shared WebAssembly.Memory
 * and lays it out for each session. The kernel allocates nothing; this file decides every offset.
 *
 * Layout (bytes, 16-aligned):  [0, 64) outcome slot | centroids, pre-splatted, k * 48 |
 *   sums, k * 32 | x plane | y plane | z plane | weights (u32) | labels (u16)
 */
const PAGE = 65536;
/** wasm32 addresses 4 GiB; the module is built with this maximum (asconfig.json). */
const MAX_PAGES = 65536;
const OUT = 0;
const HEADER = 64;

interface WasmExports {
  assign(x: number, y: number, z: number, w: number, n: number, c: number, k: number, labels: number, sums: number, out: number): void;
}

export type WasmSource = WebAssembly.Module | URL | string | ArrayBuffer | Uint8Array;

let modulePromise: Promise<WebAssembly.Module> | undefined;

/** Where the wasm lives, relative to this file both in src/ and in dist/ (siblings of build/). */
export const defaultWasmURL = (): URL => new URL('../build/kmeans.wasm', import.meta.url);

async function readBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const { readFile } = await import(/* @vite-ignore */ 'node:fs/promises');
    return readFile(url);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} fetching ${url.href}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Compile once per process (memoised); a failed compile is not cached, so a later call may retry. */
export function compileKernel(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  if (source === undefined && modulePromise) return modulePromise;
  const p = (async () => {
    let bytes: Uint8Array | ArrayBuffer;
    if (source === undefined || source instanceof URL || typeof source === 'string') {
      bytes = await readBytes(source === undefined ? defaultWasmURL() : new URL(source, import.meta.url));
    } else {
      bytes = source;
    }
    return WebAssembly.compile(bytes as BufferSource);
  })();
  if (source === undefined) {
    modulePromise = p;
    p.catch(() => { modulePromise = undefined; });
  }
  return p;
}

/** One memory and one instance per thread; the memory grows as sessions need and views are rebuilt after. */
export class WasmKernel implements Kernel {
  readonly name = 'wasm' as const;
  readonly memory: WebAssembly.Memory;
  private readonly exports: WasmExports;
  private busy = false;

  constructor(module: WebAssembly.Module, memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: this.memory,
        abort: () => { throw new Error('kmeans-seg: wasm kernel aborted'); },
      },
    });
    this.exports = instance.exports as unknown as WasmExports;
  }

  open(points: Points, k: number): KernelSession {
    if (this.busy) throw new Error('kmeans-seg: wasm kernel session already open');
    const { n } = points;
    const align = (v: number) => (v + 15) & ~15;
    const cPtr = HEADER;
    const sumPtr = align(cPtr + k * 48);
    const xPtr = align(sumPtr + k * 32);
    const yPtr = align(xPtr + n * 4);
    const zPtr = align(yPtr + n * 4);
    const wPtr = points.w ? align(zPtr + n * 4) : 0;
    const labelPtr = align((points.w ? wPtr : zPtr) + n * 4);
    const end = labelPtr + n * 2;
    ensureBytes(this.memory, end);
    const buf = this.memory.buffer;
    new Float32Array(buf, xPtr, n).set(points.x.subarray(0, n));
    new Float32Array(buf, yPtr, n).set(points.y.subarray(0, n));
    new Float32Array(buf, zPtr, n).set(points.z.subarray(0, n));
    if (points.w) new Uint32Array(buf, wPtr, n).set(points.w.subarray(0, n));
    const labels = new Uint16Array(buf, labelPtr, n);
    labels.fill(UNASSIGNED);
    const sums = new Float64Array(buf, sumPtr, k * 4);
    const splat = new Float32Array(buf, cPtr, k * 12);
    const out = new Float64Array(buf, OUT, 2);
    const ex = this.exports;
    this.busy = true;
    return {
      labels,
      sums,
      assign(centroids: Float32Array): AssignOutcome {
        for (let j = 0; j < k; j++) {
          const s = j * 12;
          for (let d = 0; d < 3; d++) {
            const v = centroids[j * 3 + d]!;
            splat[s + d * 4] = v; splat[s + d * 4 + 1] = v; splat[s + d * 4 + 2] = v; splat[s + d * 4 + 3] = v;
          }
        }
        sums.fill(0);
        ex.assign(xPtr, yPtr, zPtr, wPtr, n, cPtr, k, labelPtr, sumPtr, OUT);
        return { inertiaQ: out[0]!, changed: out[1]! };
      },
      dispose: () => { this.busy = false; },
    };
  }
}

function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  if (bytes > MAX_PAGES * PAGE) {
    throw new KMeansSegError(
      'ERR_TOO_LARGE',
      `The image needs ${(bytes / 2 ** 30).toFixed(2)} GiB of wasm memory, above wasm32's 4 GiB: downscale it or use backend: 'js'`,
    );
  }
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}
