// The knee of a K sweep's distortion curve (Kneedle without smoothing): a pure statistic, no I/O.
// Invariant: the same xs and ys always give the same knee, ties going to the lower x.
import { KMeansSegError } from '../errors.js';
import { checkNumbers } from '../validate.js';

export interface Knee {
  /** K at the knee. */
  k: number;
  /** Index of that K in the (ascending) list. */
  index: number;
  /** Its vertical distance below the chord, with both axes normalised to [0, 1]. */
  distance: number;
}

// Below this a point is on the chord: normalising a straight line leaves rounding errors of ~1e-16.
const MIN_KNEE_DISTANCE = 1e-9;

/**
 * The knee of a decreasing curve by the Kneedle method (Satopää, Albrecht, Irwin, Raghavan, "Finding
 * a 'Kneedle' in a Haystack", ICDCS workshops 2011), without smoothing: both axes are normalised to
 * [0, 1], and the knee is the point farthest below the chord from the first point to the last (for a
 * fixed chord the vertical and the perpendicular distance pick the same point, and this is Kneedle's
 * difference curve). `xs` must be strictly increasing. Returns null for fewer than 3 points, or when
 * no point lies below the chord by more than 1e-9 (a straight or concave curve has no knee). Ties go to the lower x.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION when xs or ys is not an array of finite numbers, they
 * differ in length, or xs is not strictly increasing.
 */
export function findKnee(xs: readonly number[], ys: readonly number[]): Knee | null {
  checkNumbers(xs, 'xs', undefined, 'pass the K values, e.g. [2, 4, 8]');
  checkNumbers(ys, 'ys', undefined, "pass each K's inertia");
  if (xs.length !== ys.length) throw new KMeansSegError('ERR_INVALID_OPTION', `findKnee needs as many xs as ys but received ${xs.length} and ${ys.length}`);
  const n = xs.length;
  if (n < 3) return null;
  for (let i = 1; i < n; i++) {
    if (!(xs[i]! > xs[i - 1]!)) throw new KMeansSegError('ERR_INVALID_OPTION', `findKnee needs strictly increasing xs but xs[${i - 1}] = ${xs[i - 1]} and xs[${i}] = ${xs[i]}`);
  }
  const yMin = Math.min(...ys), yMax = Math.max(...ys);
  if (!(yMax > yMin)) return null; // flat: no bend anywhere
  const nx = (x: number): number => (x - xs[0]!) / (xs[n - 1]! - xs[0]!);
  const ny = (y: number): number => (y - yMin) / (yMax - yMin);
  const y0 = ny(ys[0]!), y1 = ny(ys[n - 1]!);
  let best: Knee | null = null;
  for (let i = 1; i < n - 1; i++) {
    const t = nx(xs[i]!);
    const distance = y0 + (y1 - y0) * t - ny(ys[i]!);
    if (distance > MIN_KNEE_DISTANCE && (best === null || distance > best.distance)) best = { k: xs[i]!, index: i, distance };
  }
  return best;
}
