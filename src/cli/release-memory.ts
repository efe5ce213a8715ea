/**
 * The CLI's release of the kernel's memory between clustering and encoding. A one-shot run's peak
 * is otherwise the clustering's memory (wasm table and session, about 70 MiB for a 12 MP photo) still
 * resident under the encode's buffers: freeing it keeps the 12 MP file-to-file peak within issue 12's
 * budget (3x the decoded RGBA plus 100 MB).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { releaseKernels } from '../kernel/select.js';

/**
 * Images from this many pixels release the memory: below, the kernel's memory is small beside Node's
 * own, and the collection (10-20 ms) would cost more than it frees.
 */
export const RELEASE_MIN_PIXELS = 1 << 22;

/**
 * Forget the kernels, then collect garbage at once: a WebAssembly.Memory is freed only when its object is
 * collected, and nothing a CLI run allocates afterwards would trigger a full collection soon enough.
 * V8 exposes `gc` to new contexts once --expose-gc is set (the CLI owns its process: no other code sees it).
 */
export async function releaseKernelMemory(pixels: number): Promise<void> {
  if (pixels < RELEASE_MIN_PIXELS) return;
  await releaseKernels();
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}
