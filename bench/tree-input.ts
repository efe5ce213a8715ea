// What the tree scripts (tree-parts, tree-open, tree-pass-ab, tree-leaf-ab) run on: a point set, and for
// the pass-by-pass A/Bs the centroids of every pass of a reference run, so both sides time the very same passes.
import sharp from 'sharp';
import { kernPhoto } from './kern-input.js';
import { buildHistogram } from '../src/core/histogram.js';
import { histogramPoints } from '../src/core/points.js';
import { initKMeansPlusPlus } from '../src/core/seeding.js';
import { lloyd } from '../src/core/lloyd.js';
import { Random } from '../src/core/random.js';
import type { KernelSession, Points } from '../src/kernel/kernel.js';

export const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

/** The histogram's weighted RGB points of 'photo' (the 12 MP photo), 'photo/m' (every m-th of its colours: smaller sets of the same kind) or a PNG file. */
export async function treePoints(file: string): Promise<Points> {
  const img = file.startsWith('photo') ? await kernPhoto()
    : await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true }).then(({ data, info }) => ({ data: new Uint8Array(data), width: info.width, height: info.height }));
  const hist = buildHistogram(img.data, img.width * img.height);
  const p = histogramPoints(hist, 'rgb');
  const m = Number(file.split('/')[1] ?? 1);
  const pick = <T extends Float32Array | Uint32Array>(a: T): T => a.filter((_, i) => i % m === 0) as T;
  const out = m > 1 ? { x: pick(p.x), y: pick(p.y), z: pick(p.z), w: pick(p.w!), n: Math.ceil(p.n / m) } : { ...p, w: Uint32Array.from(p.w!) };
  hist.release();
  return out;
}

/**
 * The centroids each pass of a reference run on `session` assigns: k-means++ (seed 1) then Lloyd to
 * convergence, or with `fixed` the fixed work's centroids ((i * 37 + 11) % 256) and 20 passes, as tree-parts.ts runs it.
 */
export function referencePasses(session: KernelSession, points: Points, k: number, fixed: boolean): Float32Array[] {
  const init = fixed ? Float32Array.from({ length: k * 3 }, (_, i) => (i * 37 + 11) % 256) : initKMeansPlusPlus(points, k, new Random(1), session.seeding);
  session.reset();
  const seq: Float32Array[] = [];
  const rec: KernelSession = Object.create(session, { assign: { value: (c: Float32Array) => { seq.push(Float32Array.from(c)); return session.assign(c); } } });
  lloyd(rec, points, init, k, fixed ? 20 : 300, fixed ? 0 : 0.01);
  return seq;
}
