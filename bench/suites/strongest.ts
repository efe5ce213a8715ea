// Suite "strongest" (issue 12, target 1): fixed work, from decoded pixels to labels and palette, K = 16,
// the same initial centroids, 20 assignment passes, 2 threads each: kmeans-seg's kmeans() against
// scikit-learn and FAISS on every pixel and on the colour histogram (bench/peers.py, one persistent
// child). Runs alternate (kmeans-seg, a peer, kmeans-seg, the next peer, ...) and medians are quoted.
import { fmt, gRate, labelInertia, median, relDiff, versus, type Row } from '../lib.js';
import { kmeans, type KMeansResult } from '../package.js';
import { PeerProcess, type Hello, type PeerRun } from '../peer-client.js';
import { loadPhoto, type Photo } from '../photo-input.js';

const THREADS = 2;
/** sklearn-hist first: it is the target's peer. */
const PEERS = ['sklearn-hist', 'sklearn-pixels', 'faiss-hist', 'faiss-pixels'];

interface SegSample { seconds: number; timings: KMeansResult['timings']; iterations: number; threads: number }

interface Measured {
  seg: SegSample[];
  /** Inertia of kmeans-seg's labels (labelInertia) and its pass count, from the warm-up run. */
  segInertia: number;
  runs: Map<string, PeerRun[]>;
  /** Each peer's warm-up run, with its label inertia (not timed in a sample). */
  checks: Map<string, PeerRun>;
  failed: Map<string, string>;
}

async function segRun(photo: Photo): Promise<{ sample: SegSample; result: KMeansResult }> {
  const t0 = performance.now();
  const result = await kmeans(photo.image, { k: photo.k, init: photo.init, maxIterations: photo.passes, tolerance: 0, threads: THREADS });
  const seconds = (performance.now() - t0) / 1000;
  return { sample: { seconds, timings: result.timings, iterations: result.iterations, threads: result.threads }, result };
}

/** Warm every side up (the check runs), then `rounds` rounds of kmeans-seg, peer, kmeans-seg, next peer... */
async function measure(photo: Photo, peer: PeerProcess | undefined, names: string[], rounds: number): Promise<Measured> {
  const warm = await segRun(photo);
  await segRun(photo);
  const m: Measured = {
    seg: [], segInertia: labelInertia(photo.image.data, 4, warm.result.labels, photo.k),
    runs: new Map(), checks: new Map(), failed: new Map(),
  };
  const cmd = (name: string, check: boolean) => ({ op: 'run', peer: name, init: photo.init, passes: photo.passes, check });
  if (peer) await peer.ask({ op: 'load', raw: photo.rawFile });
  for (const name of names) {
    try {
      m.checks.set(name, await peer!.ask<PeerRun>(cmd(name, true)));
      m.runs.set(name, []);
      console.log(`    ${name}: warm-up ${fmt(m.checks.get(name)!.seconds)} s`);
    } catch (e) {
      m.failed.set(name, (e as Error).message);
      console.log(`    ${name}: FAILED, ${(e as Error).message}`);
    }
  }
  const live = names.filter((n) => m.runs.has(n));
  for (let r = 0; r < rounds; r++) {
    if (live.length === 0) m.seg.push((await segRun(photo)).sample);
    for (const name of live) {
      m.seg.push((await segRun(photo)).sample);
      const run = await peer!.ask<PeerRun>(cmd(name, false));
      m.runs.get(name)!.push(run);
    }
    const last = m.seg[m.seg.length - 1]!;
    console.log(`    round ${r + 1}/${rounds}: kmeans-seg ${fmt(last.seconds * 1000)} ms; ${live.map((n) => `${n} ${fmt(m.runs.get(n)!.at(-1)!.seconds)} s`).join(', ')}`);
  }
  return m;
}

/** kmeans-seg's row: median wall time, and the median of each stage of result.timings. */
function segRow(photo: Photo, m: Measured, label: string): Row {
  const t = (f: (s: SegSample) => number) => median(m.seg.map(f));
  const stages = {
    histogram: t((s) => s.timings.histogram), init: t((s) => s.timings.init), lloyd: t((s) => s.timings.lloyd),
    labels: t((s) => s.timings.total - s.timings.histogram - s.timings.init - s.timings.lloyd), total: t((s) => s.timings.total),
  };
  const seconds = t((s) => s.seconds);
  const { iterations, threads } = m.seg[0] ?? { iterations: 0, threads: 0 };
  const pixels = photo.image.width * photo.image.height;
  return {
    suite: 'strongest', scenario: `kmeans-seg kmeans(), ${threads} threads, ${label}`, seconds, rate: gRate(pixels * photo.k * iterations, seconds),
    note: `histogram ${fmt(stages.histogram)} / init ${fmt(stages.init)} / lloyd ${fmt(stages.lloyd)} / labels ${fmt(stages.labels)} ms ` +
      `(timings.total ${fmt(stages.total)} ms); ${iterations} passes; ${m.seg.length} runs`,
    raw: { stages, samples: m.seg, labelInertia: m.segInertia },
  };
}

function peerRow(name: string, hello: Hello, m: Measured, label: string): Row {
  const runs = m.runs.get(name)!, check = m.checks.get(name)!;
  const seconds = median(runs.map((r) => r.seconds));
  const { ratio, best, text } = versus(runs.map((r) => r.seconds), m.seg.map((s) => s.seconds));
  const d = relDiff(check.labelInertia!, m.segInertia);
  const st = check.stages;
  const split = st.histogram === undefined ? '' : `; histogram ${fmt(median(runs.map((r) => r.stages.histogram!)) * 1000)} / kmeans ${fmt(median(runs.map((r) => r.stages.kmeans!)) * 1000)} / labels ${fmt(median(runs.map((r) => r.stages.labels!)) * 1000)} ms`;
  const row: Row = {
    suite: 'strongest', scenario: `${hello.peers[name]}, ${THREADS} threads, ${label}`, seconds, ratio: text,
    note: `${check.passes} passes; inertia rel. diff ${d.toExponential(1)}${split}; ${runs.length} runs`,
    raw: { peer: name, runs, check: { ...check, palette: undefined }, inertiaRelDiff: d, ratio, bestRatio: best },
  };
  if (name === 'sklearn-hist') {
    row.target = { id: 1, what: 'fixed work: kmeans-seg vs scikit-learn on the histogram', measured: `${fmt(ratio)}x (best runs ${fmt(best)}x)`, goal: '>= 10x', met: ratio >= 10 };
  }
  return row;
}

export async function strongestSuite(quick: boolean): Promise<Row[]> {
  const rounds = quick ? 2 : 5;
  const photo = await loadPhoto(quick);
  const started = await PeerProcess.start(THREADS);
  try {
    const hello = 'hello' in started ? started.hello : undefined;
    const names = PEERS.filter((n) => hello?.peers[n] !== undefined);
    const label = `${photo.info.name} ${photo.image.width}x${photo.image.height} (${photo.info.distinctColours.toLocaleString('en')} colours) K=${photo.k}`;
    console.log(`  strongest: ${label}, ${photo.passes} passes from fixed centroids, ${THREADS} threads, ${rounds} interleaved rounds`);
    if (hello) console.log(`    peers.py: Python ${hello.python}, ${hello.threads} threads; ${hello.threadpools.join('; ') || 'threadpoolctl absent'}`);
    const m = await measure(photo, 'peer' in started ? started.peer : undefined, names, rounds);
    const seg = segRow(photo, m, label);
    const rows = [seg, ...names.filter((n) => m.runs.has(n)).map((n) => peerRow(n, hello!, m, label))];
    for (const n of PEERS.filter((p) => !m.runs.has(p))) {
      const why = m.failed.get(n) ?? (hello ? `not installed for /usr/bin/python3 (Debian package ${hello.missing[n]})` : (started as { missing: string }).missing);
      rows.push({ suite: 'strongest', scenario: `${n}, ${label}`, seconds: NaN, skipped: why });
    }
    return rows;
  } finally {
    if ('peer' in started) await started.peer.close();
    await photo.dispose();
  }
}
