// Suite "default" (issue 12, target 4): kmeans() with its default options (k-means++, run to
// convergence) on the 12 MP photo, K = 16 and 64, 2 threads: where the time goes, stage by stage,
// and how many passes it takes. K = 16 and 64 runs alternate; medians are quoted.
import { fmt, median, type Row } from '../lib.js';
import { kmeans, type KMeansResult } from '../package.js';
import { loadPhoto } from '../photo-input.js';

const THREADS = 2;
const KS = [16, 64];

interface Sample { seconds: number; timings: KMeansResult['timings']; iterations: number; converged: boolean; threads: number }

export async function defaultSuite(quick: boolean): Promise<Row[]> {
  const rounds = quick ? 2 : 5;
  const photo = await loadPhoto(quick);
  try {
    const label = `${photo.info.name} ${photo.image.width}x${photo.image.height}`;
    console.log(`  default: kmeans() default options on ${label}, K = ${KS.join(' and ')}, ${THREADS} threads, ${rounds} interleaved rounds`);
    const samples = new Map<number, Sample[]>(KS.map((k) => [k, []]));
    const once = async (k: number): Promise<Sample> => {
      const t0 = performance.now();
      const r = await kmeans(photo.image, { k, threads: THREADS });
      return { seconds: (performance.now() - t0) / 1000, timings: r.timings, iterations: r.iterations, converged: r.converged, threads: r.threads };
    };
    for (const k of KS) await once(k); // warm-up: wasm tiers, the pool
    for (let r = 0; r < rounds; r++) {
      for (const k of KS) samples.get(k)!.push(await once(k));
      console.log(`    round ${r + 1}/${rounds}: ${KS.map((k) => `K=${k} ${fmt(samples.get(k)!.at(-1)!.seconds * 1000)} ms`).join(', ')}`);
    }
    return KS.map((k) => row(k, samples.get(k)!, label));
  } finally {
    await photo.dispose();
  }
}

function row(k: number, s: Sample[], label: string): Row {
  const t = (f: (x: Sample) => number) => median(s.map(f));
  const stages = {
    histogram: t((x) => x.timings.histogram), init: t((x) => x.timings.init), lloyd: t((x) => x.timings.lloyd),
    labels: t((x) => x.timings.total - x.timings.histogram - x.timings.init - x.timings.lloyd), total: t((x) => x.timings.total),
  };
  const { iterations, converged, threads } = s[0]!;
  const seconds = t((x) => x.seconds);
  const perPass = stages.lloyd / iterations;
  return {
    suite: 'default', scenario: `kmeans() defaults, K=${k}, ${threads} threads, ${label}`, seconds,
    note: `histogram ${fmt(stages.histogram)} / k-means++ ${fmt(stages.init)} / lloyd ${fmt(stages.lloyd)} (${iterations} passes${converged ? ', converged' : ''}, ` +
      `${fmt(perPass)} ms each) / labels ${fmt(stages.labels)} ms; k-means++ = ${fmt(stages.init / perPass)} passes; ${s.length} runs`,
    target: { id: 4, what: `default run, K=${k}: time by stage`, measured: `${fmt(seconds * 1000)} ms, ${iterations} passes`, goal: 'report; cut what is not K-means' },
    raw: { k, stages, samples: s },
  };
}
