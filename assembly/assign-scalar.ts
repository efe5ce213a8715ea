// The distance-and-assign kernel without SIMD (build/kmeans-scalar.wasm), for the benchmark only: it
// shows what 128-bit SIMD buys. Same memory contract and answers as assign.ts (scalar f32 is what
// each SIMD lane computes).
//
// Centroids arrive splatted, and lane 0 of each vector is read. Sums take the changes of the points
// that moved, as in assign.ts.
const CENTROID_BYTES: usize = 64;

/** assign.ts's `assign`, one point at a time, every point every pass (boundPtr and passPtr unused). Uses only the first sums bank. */
export function assign(
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize, n: i32,
  cPtr: usize, k: i32, labelPtr: usize, sumPtr: usize, outPtr: usize, boundPtr: usize, passPtr: usize,
): void {
  let inertia: f64 = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(xPtr + o), y = load<f32>(yPtr + o), z = load<f32>(zPtr + o);
    let best: f32 = 0;
    let bi = 0;
    for (let j = 0; j < k; j++) {
      const c = cPtr + <usize>j * CENTROID_BYTES;
      const dx = x - load<f32>(c), dy = y - load<f32>(c, 16), dz = z - load<f32>(c, 32);
      const d = (dx * dx + dy * dy) + dz * dz;
      if (j == 0 || d < best) { best = d; bi = j; }
    }
    const w: f64 = wPtr ? <f64>load<u32>(wPtr + o) : 1.0;
    inertia += <f64>floor<f32>(best * 256.0) * w;
    const lp = labelPtr + (<usize>i << 1);
    const from = <i32>load<u16>(lp);
    if (from == bi) continue;
    changed++;
    store<u16>(lp, <u16>bi);
    const s = sumPtr + (<usize>bi << 5);
    store<f64>(s, load<f64>(s) + <f64>x * w);
    store<f64>(s, load<f64>(s, 8) + <f64>y * w, 8);
    store<f64>(s, load<f64>(s, 16) + <f64>z * w, 16);
    store<f64>(s, load<f64>(s, 24) + w, 24);
    if (from == 0xffff) continue;
    const t = sumPtr + (<usize>from << 5);
    store<f64>(t, load<f64>(t) - <f64>x * w);
    store<f64>(t, load<f64>(t, 8) - <f64>y * w, 8);
    store<f64>(t, load<f64>(t, 16) - <f64>z * w, 16);
    store<f64>(t, load<f64>(t, 24) - w, 24);
  }
  store<f64>(outPtr, load<f64>(outPtr) + inertia);
  store<f64>(outPtr, load<f64>(outPtr, 8) + <f64>changed, 8);
}
