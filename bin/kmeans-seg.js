#!/usr/bin/env node
// The main command runs from dist/cli/bundle.js and `batch` from dist/cli/batch-bundle.js (the same
// modules as one file each, imported in about a third of the time; see scripts/bundle-cli.mjs) when the build
// made them and they are not older than the file they bundle; every other case runs dist/cli/main.js.
import { statSync } from 'node:fs';

const SUBCOMMANDS = new Set(['sweep', 'apply', 'batch', 'worker']);
const argv = process.argv.slice(2);
const dist = (file) => new URL(`../dist/cli/${file}`, import.meta.url);

/**
 * Whether `bundle` exists and is no older than `built` (a build that did not remake it never runs stale
 * code). The batch worker's twin is freshBundle in src/batch/worker-url.ts: this file runs before any
 * dist/ module is resolved, so it keeps its own copy; change both together.
 */
function fresh(bundle, built) {
  try {
    return statSync(bundle).mtimeMs >= statSync(built).mtimeMs;
  } catch {
    return false; // no bundle (or no build: main.js's import then says so)
  }
}

/** The module to import and the arguments its main() takes. */
function entry() {
  const main = { url: dist('main.js'), args: argv };
  if (process.env.KMEANS_SEG_NO_BUNDLE === '1') return main;
  if (argv[0] === 'batch') {
    // cli/batch.ts's main is what main.js runs for `batch`: the same exit codes and messages.
    const bundle = dist('batch-bundle.js');
    return fresh(bundle, dist('batch.js')) ? { url: bundle, args: argv.slice(1) } : main;
  }
  if (SUBCOMMANDS.has(argv[0])) return main;
  const bundle = dist('bundle.js');
  return fresh(bundle, main.url) ? { url: bundle, args: argv } : main;
}

const { url, args } = entry();
const { main } = await import(url.href);
process.exitCode = await main(args);
