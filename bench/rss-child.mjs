// Run by the memory suite in a fresh process: segment one image file as the CLI does (decode, kmeans,
// paint, encode PNG) and print peak RSS as one JSON line. Usage: node bench/rss-child.mjs <image> <k>
import { readFileSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// Plain JavaScript over the built package (dist/), as users run it: a TypeScript loader would add
// its own tens of megabytes to the figure.
import { segment } from '../dist/index.js';

const [file, kArg] = process.argv.slice(2);
if (!file || !kArg) {
  console.error('usage: node bench/rss-child.mjs <image> <k>');
  process.exit(2);
}
/**
 * Peak RSS is VmHWM from /proc/self/status, the high-water mark of this process's own address space.
 * process.resourceUsage().maxRSS is not used where /proc exists: on Linux it also counts the RSS the
 * parent had when it forked this process (the kernel carries the pre-exec high-water mark over), so
 * a child of a 300 MB benchmark process reads 300 MB before it does anything.
 */
function peakRSS() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* no /proc: not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}

const baseline = peakRSS();
const out = path.join(os.tmpdir(), `kmeans-seg-rss-${process.pid}.png`);
try {
  const r = await segment(file, { k: Number(kArg), seed: 1, maxIterations: 20, tolerance: 0, limitInputPixels: false });
  await r.save(out, { force: true });
  console.log(JSON.stringify({
    maxRSS: peakRSS(), resourceUsageMaxRSS: process.resourceUsage().maxRSS * 1024, baseline, width: r.width, height: r.height, timings: r.timings,
  }));
} finally {
  await fs.rm(out, { force: true });
}
