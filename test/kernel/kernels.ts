/**
 * The two wasm kernels the kernel tests compare: one of their own on this thread, and the shared one
 * with a 2-thread pool (the test fails here when the pool did not start, rather than pass on one thread).
 */
import { expect } from 'vitest';
import { getKernel } from '../../src/kernel/select.js';
import { compileKernel } from '../../src/kernel/wasm/module.js';
import { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';

export async function twoKernels(): Promise<{ wasm: WasmKernel; pooled: WasmKernel }> {
  const wasm = new WasmKernel(await compileKernel());
  const choice = await getKernel('wasm', 2);
  expect(choice.threads).toBe(2);
  return { wasm, pooled: choice.kernel as WasmKernel };
}
