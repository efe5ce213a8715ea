const f = Math.fround;

/** Squared Euclidean distance in f32, the kernel's exact operation order: ((dx*dx + dy*dy) + dz*dz). */
export function dist2(px: number, py: number, pz: number, cx: number, cy: number, cz: number): number {
  const dx = f(px - cx), dy = f(py - cy), dz = f(pz - cz);
  return f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
}
