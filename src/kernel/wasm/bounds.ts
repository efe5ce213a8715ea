/**
 * The host's half of the kernel's Hamerly bounds (assembly/assign.ts): the centroids' total drift and
 * the pass's two f32. The drift is never below the true total, so a point the bounds settle is one
 * that a full pass would leave where it is.
 */

const f32Bits = new Float32Array(1);
const f32Int = new Int32Array(f32Bits.buffer);

/** The least f32 at or above v (v >= 0, finite). */
export function f32Up(v: number): number {
  f32Bits[0] = v;
  if (f32Bits[0]! < v) f32Int[0]!++;
  return f32Bits[0]!;
}

/** The greatest f32 at or below v (v >= 0, finite). */
export function f32Down(v: number): number {
  f32Bits[0] = v;
  if (f32Bits[0]! > v) f32Int[0]!--;
  return f32Bits[0]!;
}

/**
 * Bounds that let a pass skip the points whose label is proven, one f32 a point over k-means++'s
 * plane of closest distances: seeding is over before the passes start, and its use, a reset or labels
 * changed by the caller make the next pass check every point (forget()). Three dimensions only.
 */
export class BoundsTracker {
  private valid = false;
  /** Total of the largest centroid move of each pass, as an upper bound. */
  private drift = 0;
  private readonly previous: Float32Array;

  /** `pass`: the two f32 at PASS_BYTE the kernel reads. */
  constructor(private readonly pass: Float32Array, private readonly k: number) {
    this.previous = new Float32Array(k * 3);
  }

  /** The bounds in memory are stale: the next pass checks every point and writes them again. */
  forget(): void {
    this.valid = false;
    this.drift = 0;
  }

  /** Before a pass to `centroids`: add their largest move to the drift, and write the pass's f32. */
  beforePass(centroids: Float32Array): void {
    const { previous, pass } = this;
    if (this.valid) {
      let most = 0;
      for (let j = 0; j < this.k * 3; j += 3) {
        const dx = centroids[j]! - previous[j]!, dy = centroids[j + 1]! - previous[j + 1]!, dz = centroids[j + 2]! - previous[j + 2]!;
        most = Math.max(most, dx * dx + dy * dy + dz * dz);
      }
      // Rounded up a little: the bound must never be below the true total.
      this.drift = (this.drift + Math.sqrt(most)) * (1 + 2 ** -45);
    }
    // The kernel's f32: the drift a pass checks against rounded up, the one it writes down.
    pass[0] = this.valid ? f32Up(this.drift) : Infinity;
    pass[1] = f32Down(this.drift);
  }

  /** After the pass: the bounds in memory are now those of `centroids`. */
  afterPass(centroids: Float32Array): void {
    this.previous.set(centroids.subarray(0, this.k * 3));
    this.valid = true;
  }
}
