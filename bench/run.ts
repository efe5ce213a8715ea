// `npm run bench [-- --quick] [-- --only=kernel,...,strongest,file2file,batch,default]`: runs the suites
// (bench/suites/), prints the machine, its load average, a table of times, rates and ratios and one of
// issue 12's targets, and writes the raw numbers to bench/results/<timestamp>.json. See bench/README.md.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Inputs } from './inputs.js';
import { RESULTS_DIR, SUITES, fmt, loadavg, machine, parseFlags, type Row } from './lib.js';

const flags = parseFlags(process.argv.slice(2));
const want = (suite: string): boolean => flags.only.length === 0 || flags.only.includes(suite);
const started = new Date();
const env = machine();
const loadStart = loadavg();
console.log(`kmeans-seg benchmark, ${flags.quick ? 'quick' : 'full'} mode, ${started.toISOString()}`);
console.log(`${env.cpu}, ${env.cores} cores, Node ${env.node}; load average ${loadStart}`);

// Suites load on demand: the Performance II ones (strongest, file2file, batch, default) import only the
// built package, so they run even while src/ is mid-change; the others import src/ through tsx.
const rows: Row[] = [];
const t0 = performance.now();
let inputs: Inputs | undefined;
const needInputs = async (): Promise<Inputs> => (inputs ??= await (await import('./inputs.js')).loadInputs(flags.quick));
const runners: Record<string, () => Promise<Row[]>> = {
  kernel: async () => (await import('./suites/kernel.js')).kernelSuite(flags.quick),
  histogram: async () => (await import('./suites/histogram.js')).histogramSuite(flags.quick, await needInputs()),
  peers: async () => (await import('./suites/peers.js')).peersSuite(flags.quick, await needInputs()),
  file: async () => (await import('./suites/file-io.js')).fileSuite(flags.quick, await needInputs()),
  memory: async () => (await import('./suites/memory.js')).memorySuite(flags.quick),
  threads: async () => (await import('./suites/threads.js')).threadsSuite(flags.quick, await needInputs()),
  strongest: async () => (await import('./suites/strongest.js')).strongestSuite(flags.quick),
  file2file: async () => (await import('./suites/file2file.js')).file2fileSuite(flags.quick),
  batch: async () => (await import('./suites/batch.js')).batchSuite(flags.quick),
  default: async () => (await import('./suites/default.js')).defaultSuite(flags.quick),
};
for (const suite of SUITES) {
  if (!want(suite)) continue;
  // A suite that fails (the package mid-change, a peer that crashes) is a row, and the others still run.
  try { rows.push(...await runners[suite]!()); } catch (e) {
    console.error(`  ${suite}: FAILED`, e);
    rows.push({ suite, scenario: 'the whole suite', seconds: NaN, skipped: `FAILED: ${(e as Error).message.split('\n')[0]}` });
  }
}
const seconds = (performance.now() - t0) / 1000;
const loadEnd = loadavg();

const time = (s: number): string => (Number.isNaN(s) ? '' : s < 1 ? `${fmt(s * 1000)} ms` : `${fmt(s)} s`);
console.log(`\n## kmeans-seg benchmark (${flags.quick ? 'quick' : 'full'})\n`);
console.log(`${env.cpu}, ${env.cores} cores, Node ${env.node}. Load average ${loadStart} at start, ${loadEnd} at end; ${seconds.toFixed(0)} s.`);
console.log('Rate: G distance evaluations per second = points (pixels) x K x passes / median seconds. ' +
  'A ratio "kmeans-seg Nx" is the peer\'s median time over kmeans-seg\'s (above 1: kmeans-seg is faster).\n');
console.log('| suite | scenario | median | G/s | ratio | note |');
console.log('| --- | --- | ---: | ---: | --- | --- |');
for (const r of rows) {
  const median = r.skipped ? 'skipped' : time(r.seconds);
  const note = r.skipped ? r.skipped : r.note ?? '';
  console.log(`| ${r.suite} | ${r.scenario} | ${median} | ${r.rate === undefined ? '' : fmt(r.rate)} | ${r.ratio ?? ''} | ${note} |`);
}
const targets = rows.filter((r) => r.target).map((r) => r.target!).sort((a, b) => a.id - b.id);
if (targets.length) {
  console.log('\n### Targets (issue 12)\n');
  console.log('| # | target | measured | goal | met |');
  console.log('| ---: | --- | --- | --- | --- |');
  for (const t of targets) console.log(`| ${t.id} | ${t.what} | ${t.measured} | ${t.goal} | ${t.met === undefined ? '(report)' : t.met ? 'yes' : 'no'} |`);
}

await fs.mkdir(RESULTS_DIR, { recursive: true });
const file = path.join(RESULTS_DIR, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
await fs.writeFile(file, JSON.stringify({
  date: started.toISOString(), mode: flags.quick ? 'quick' : 'full', only: flags.only, machine: env,
  loadavg: { start: loadStart, end: loadEnd }, seconds, image: inputs && { ...inputs.info, k: inputs.k, iterations: inputs.iterations, init: inputs.init },
  rows, targets,
}, null, 1) + '\n');
console.log(`\nRaw numbers: ${path.relative(process.cwd(), file)}`);
if (['strongest', 'default'].some(want)) await (await import('./package.js')).terminateWorkers();
