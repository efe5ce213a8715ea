// The twin's f32 arithmetic: each distance rounded to f32 after every operation, in the kernel's order,
// so the TS twin and the SIMD kernel compute the same bits.
const f = Math.fround;

/** Squared Euclidean distance in f32, the kernel's exact operation order: ((dx*dx + dy*dy) + dz*dz). */
export function dist2(px: number, py: number, pz: number, cx: number, cy: number, cz: number): number {
  const dx = f(px - cx), dy = f(py - cy), dz = f(pz - cz);
  return f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
}

/** The same for any number of dimensions: f32 squares added left to right, as the kernel does. */
export function distN(planes: Float32Array[], i: number, centre: ArrayLike<number>, offset: number): number {
  let d = 0;
  for (let q = 0; q < planes.length; q++) {
    const delta = f(planes[q]![i]! - centre[offset + q]!);
    d = q === 0 ? f(delta * delta) : f(d + f(delta * delta));
  }
  return d;
}
