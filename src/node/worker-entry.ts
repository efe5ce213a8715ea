// Which file starts a worker_threads Worker. Invariant: built code starts the built .js; the TypeScript
// sources (under tsx: tests, benchmarks) start an .mjs shim that registers tsx, as Node 20 cannot start a .ts Worker.

/**
 * `shim` when the caller runs from its .ts source, else `built`. The caller passes its own
 * `import.meta.url` and both entries as `new URL('./x.mjs' | './x.js', import.meta.url)` literals, so
 * each path stays written beside the file it is relative to, where bundlers look for it.
 */
export function workerEntry(callerUrl: string, shim: URL, built: URL): URL {
  return callerUrl.endsWith('.ts') ? shim : built;
}
