/**
 * The wasm module: where its two builds live, compiling each once, instantiating it over a memory.
 * WasmExports is the one type of its exports (assembly/index.ts), for the host and the workers alike.
 */
import { platform } from '../../platform.js';
import { WASM_MAX_PAGES } from '../../limits.js';

/** The module's exports (assembly/index.ts); byte offsets into the kernel's memory, counts, coordinates. */
export interface WasmExports {
  assign(x: number, y: number, z: number, w: number, n: number, c: number, k: number, labels: number, sums: number, out: number, bounds: number, pass: number): void;
  assign5(x: number, y: number, z: number, u: number, v: number, n: number, c: number, k: number, labels: number, sums: number, out: number): void;
  /** k-means++ (assembly/seed.ts): a candidate over flat points or the box tree, and the draws; not in the scalar build. */
  seedFlat?(x: number, y: number, z: number, w: number, n: number, cx: number, cy: number, cz: number, closest: number, blocks: number, mode: number): number;
  seedFlat5?(x: number, y: number, z: number, u: number, v: number, n: number, cx: number, cy: number, cz: number, cu: number, cv: number, closest: number, blocks: number, mode: number): number;
  seedTree?(header: number, cx: number, cy: number, cz: number, mode: number): number;
  seedSum?(header: number, weights: boolean | number): number;
  seedChain?(header: number, rebuild: boolean | number): number;
  seedDraw?(header: number, v: number, mode: number): number;
  /** Lloyd's pass over the box tree (assembly/filter.ts), for units [start, start + count). */
  filterPass?(header: number, start: number, count: number, sums: number, out: number, scratch: number): void;
  /** Opening a session (assembly/build.ts): the points' grid, the box tree's per-point loops, the weights' block sums. */
  gridOf?(plane: number, n: number, out: number): number;
  treeCodes?(x: number, y: number, z: number, n: number, ax: number, ay: number, az: number, sx: number, sy: number, sz: number, top: number, codes: number, counts: number): void;
  treeScatter?(codes: number, n: number, starts: number, perm: number, inv: number): void;
  treeGather?(src: number, perm: number, n: number, dst: number): void;
  treeLeaves?(nodes: number, leafBase: number, leaves: number, count: number, x: number, y: number, z: number, w: number): void;
  weightBlocks?(w: number, n: number, out: number): number;
  treeFill?(ptr: number, bytes: number, value: number): void;
  treeLabelsOut?(labels: number, perm: number, n: number, dst: number): void;
  fillF32?(ptr: number, n: number, v: number): void;
  /** The histogram's loops: in build/kmeans.wasm and kmeans-single.wasm, not in the scalar build. */
  countColours?(pix: number, n: number, table: number, flags: number, out: number): void;
  labelColours?(pix: number, n: number, map: number, width: number, k: number, out: number): void;
  collectColours?(table: number, flags: number, g0: number, g1: number, first: number, keys: number, counts: number, table2: number, zeroed: number): number;
  fillLabelMap?(keys: number, labels: number, n: number, map: number, width: number): void;
  clearColours?(table: number, flags: number, width: number, table2: number, tableToo: number): void;
  rgbPlanes?(keys: number, n: number, x: number, y: number, z: number): void;
  mergeTables?(table: number, table2: number, flags: number, g0: number, g1: number): void;
}

export type WasmSource = WebAssembly.Module | URL | string | ArrayBuffer | Uint8Array;

/**
 * Two builds of one kernel: 'shared' imports a shared memory (threads possible); 'single' a plain
 * one, for engines that refuse shared memory outside cross-origin isolation (Firefox, Safari).
 */
export type WasmVariant = 'shared' | 'single';

const modulePromises = new Map<WasmVariant, Promise<WebAssembly.Module>>();
const HERE = import.meta.url;

/**
 * Where the wasm lives, relative to this file both in src/ and in dist/ (siblings of build/). Each
 * URL is a literal `new URL(..., import.meta.url)` so that bundlers find and copy both files.
 */
export const defaultWasmURL = (variant: WasmVariant = 'shared'): URL => variant === 'shared'
  ? new URL('../../../build/kmeans.wasm', import.meta.url)
  : new URL('../../../build/kmeans-single.wasm', import.meta.url);

/** Whether this engine creates shared wasm memory (Chromium does even without isolation). */
export function sharedMemoryWorks(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

async function readBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    if (!platform.readFile) throw new Error(`cannot read ${url.href} here: import kmeans-seg's Node entry, or pass the wasm as a URL or Module`);
    return platform.readFile(url);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} fetching ${url.href}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Compile once per process (the package's own builds are memoised); a failed compile is not cached,
 * so a later call may retry. Without a source, the build this engine can instantiate. A string is
 * a URL relative to this file.
 * @throws Error (plain, not a KMeansSegError) when the bytes cannot be read or do not compile:
 *   getKernel turns it into ERR_BACKEND, or falls back to the TS twin for backend 'auto'.
 */
export function compileKernel(source?: WasmSource, variant: WasmVariant = sharedMemoryWorks() ? 'shared' : 'single'): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  const memoised = source === undefined ? modulePromises.get(variant) : undefined;
  if (memoised) return memoised;
  const p = (async () => {
    let bytes: Uint8Array | ArrayBuffer;
    if (source === undefined || source instanceof URL || typeof source === 'string') {
      // Not `new URL(source, import.meta.url)`: webpack takes that for an asset whose name is an expression ("Critical dependency").
      bytes = await readBytes(source === undefined ? defaultWasmURL(variant) : new URL(source, HERE));
    } else {
      bytes = source;
    }
    return WebAssembly.compile(bytes as BufferSource);
  })();
  if (source === undefined) {
    modulePromises.set(variant, p);
    p.catch(() => modulePromises.delete(variant));
  }
  return p;
}

/**
 * An instance of the module over `memory` (the host's, or the host's shared one in a pool worker).
 * The release builds import no abort (noAssert); a debug build's failed assertion throws here.
 * @throws WebAssembly.LinkError when the module imports the other kind of memory (shared or plain).
 */
export function instantiateKernel(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmExports {
  const env = { memory, abort: () => { throw new Error('kmeans-seg: wasm kernel aborted'); } };
  return new WebAssembly.Instance(module, { env }).exports as unknown as WasmExports;
}

/**
 * Instantiates either build over a memory of its own: a shared memory first, a plain one when the
 * module imports that (or the engine has no shared memory). The memory starts at one page and may
 * grow to wasm32's 4 GiB (the maximum the module is built with, asconfig.json).
 * @throws WebAssembly.LinkError when the module's imports are not a kmeans-seg kernel's.
 */
export function instantiateOwnMemory(module: WebAssembly.Module): { exports: WasmExports; memory: WebAssembly.Memory; shared: boolean } {
  if (sharedMemoryWorks()) {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: WASM_MAX_PAGES, shared: true });
    try {
      return { exports: instantiateKernel(module, memory), memory, shared: true };
    } catch (err) {
      if (!(err instanceof WebAssembly.LinkError)) throw err;
    }
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: WASM_MAX_PAGES });
  return { exports: instantiateKernel(module, memory), memory, shared: false };
}
