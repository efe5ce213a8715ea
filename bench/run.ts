// `npm run bench [-- --quick] [-- --only=kernel,histogram,peers,file,memory,threads]`: runs the suites
// (bench/suites/), prints the machine, its load average and a table of rates and
// ratios, and writes the raw numbers to bench/results/<timestamp>.json. See bench/README.md.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileSuite } from './suites/file-io.js';
import { histogramSuite } from './suites/histogram.js';
import { loadInputs, type Inputs } from './inputs.js';
import { kernelSuite } from './suites/kernel.js';
import { RESULTS_DIR, fmt, loadavg, machine, parseFlags, type Row } from './lib.js';
import { memorySuite } from './suites/memory.js';
import { peersSuite } from './suites/peers.js';
import { threadsSuite } from './suites/threads.js';

const flags = parseFlags(process.argv.slice(2));
const want = (suite: string): boolean => flags.only.length === 0 || flags.only.includes(suite);
const started = new Date();
const env = machine();
const loadStart = loadavg();
console.log(`kmeans-seg benchmark, ${flags.quick ? 'quick' : 'full'} mode, ${started.toISOString()}`);
console.log(`${env.cpu}, ${env.cores} cores, Node ${env.node}; load average ${loadStart}`);

const rows: Row[] = [];
const t0 = performance.now();
if (want('kernel')) rows.push(...await kernelSuite(flags.quick));
let inputs: Inputs | undefined;
const needInputs = async (): Promise<Inputs> => (inputs ??= await loadInputs(flags.quick));
if (want('histogram')) rows.push(...await histogramSuite(flags.quick, await needInputs()));
if (want('peers')) rows.push(...await peersSuite(flags.quick, await needInputs()));
if (want('file')) rows.push(...await fileSuite(flags.quick, await needInputs()));
if (want('memory')) rows.push(...await memorySuite(flags.quick));
if (want('threads')) rows.push(...await threadsSuite(flags.quick, await needInputs()));
const seconds = (performance.now() - t0) / 1000;
const loadEnd = loadavg();

const time = (s: number): string => (s < 1 ? `${fmt(s * 1000)} ms` : `${fmt(s)} s`);
console.log(`\n## kmeans-seg benchmark (${flags.quick ? 'quick' : 'full'})\n`);
console.log(`${env.cpu}, ${env.cores} cores, Node ${env.node}. Load average ${loadStart} at start, ${loadEnd} at end; ${seconds.toFixed(0)} s.`);
console.log('Rate: G distance evaluations per second = points (pixels) x K x passes / median seconds.\n');
console.log('| suite | scenario | median | G/s | ratio | note |');
console.log('| --- | --- | ---: | ---: | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.suite} | ${r.scenario} | ${time(r.seconds)} | ${r.rate === undefined ? '' : fmt(r.rate)} | ${r.ratio ?? ''} | ${r.note ?? ''} |`);
}

await fs.mkdir(RESULTS_DIR, { recursive: true });
const file = path.join(RESULTS_DIR, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
await fs.writeFile(file, JSON.stringify({
  date: started.toISOString(), mode: flags.quick ? 'quick' : 'full', only: flags.only, machine: env,
  loadavg: { start: loadStart, end: loadEnd }, seconds, image: inputs && { ...inputs.info, k: inputs.k, iterations: inputs.iterations, init: inputs.init },
  rows,
}, null, 1) + '\n');
console.log(`\nRaw numbers: ${path.relative(process.cwd(), file)}`);
