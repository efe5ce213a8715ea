// Distance-and-assign kernel for Lloyd's K-means, 128-bit SIMD.
//
// The kernel knows pointers and counts, nothing of images. The host lays out linear memory
// (see src/kernel-wasm.ts) and this module allocates nothing: every worker instantiates it over the
// same shared memory, so any allocator state here would hand out the same addresses twice.
//
// Arithmetic contract (mirrored operation for operation by src/kernel-js.ts, so both give
// bit-identical answers): f32 d = ((dx*dx + dy*dy) + dz*dz), dx = x - cx; strict `<` keeps the lower
// centroid index on ties; a point's cost enters the inertia as floor(d * 256) so that the f64 sums are
// integers, exact, and therefore independent of summation order, thread count and histogramming.

// Centroids arrive pre-splatted by the host: centroid j is three v128 (x x x x, y y y y, z z z z) at
// cPtr + j * 48, so the inner loop is three loads and no shuffles.
const CENTROID_BYTES: usize = 48;

@inline
function accumulate(
  i: i32, label: i32, d: f32,
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize,
  labelPtr: usize, sumPtr: usize,
): f64 {
  const w: f64 = wPtr ? <f64>load<u32>(wPtr + (<usize>i << 2)) : 1.0;
  const s = sumPtr + (<usize>label << 5);
  const o = <usize>i << 2;
  store<f64>(s, load<f64>(s) + <f64>load<f32>(xPtr + o) * w);
  store<f64>(s, load<f64>(s, 8) + <f64>load<f32>(yPtr + o) * w, 8);
  store<f64>(s, load<f64>(s, 16) + <f64>load<f32>(zPtr + o) * w, 16);
  store<f64>(s, load<f64>(s, 24) + w, 24);
  const lp = labelPtr + (<usize>i << 1);
  const changed: f64 = load<u16>(lp) != <u16>label ? 1.0 : 0.0;
  store<u16>(lp, <u16>label);
  // Pack "changed" into the return so the caller keeps one accumulator per quantity.
  changedCount += changed;
  return <f64>floor<f32>(d * 256.0) * w;
}

let changedCount: f64 = 0;

/**
 * Assign points [0, n) to their nearest centroid; add each point's coordinates and weight to its
 * cluster's sums (f64 x, y, z, w at sumPtr + label * 32); write the label (u16); and write to outPtr
 * the inertia in units of 1/256 (f64) and the number of labels that changed (f64).
 */
export function assign(
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize, n: i32,
  cPtr: usize, k: i32, labelPtr: usize, sumPtr: usize, outPtr: usize,
): void {
  changedCount = 0;
  let inertia: f64 = 0;
  let i = 0;
  const ones = i32x4.splat(1);
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const xa = v128.load(xPtr + o), xb = v128.load(xPtr + o, 16);
    const ya = v128.load(yPtr + o), yb = v128.load(yPtr + o, 16);
    const za = v128.load(zPtr + o), zb = v128.load(zPtr + o, 16);
    let cx = v128.load(cPtr), cy = v128.load(cPtr, 16), cz = v128.load(cPtr, 32);
    let ax = f32x4.sub(xa, cx), ay = f32x4.sub(ya, cy), az = f32x4.sub(za, cz);
    let bx = f32x4.sub(xb, cx), by = f32x4.sub(yb, cy), bz = f32x4.sub(zb, cz);
    let bestA = f32x4.add(f32x4.add(f32x4.mul(ax, ax), f32x4.mul(ay, ay)), f32x4.mul(az, az));
    let bestB = f32x4.add(f32x4.add(f32x4.mul(bx, bx), f32x4.mul(by, by)), f32x4.mul(bz, bz));
    let idxA = i32x4.splat(0), idxB = i32x4.splat(0);
    let j = i32x4.splat(0);
    let c = cPtr;
    for (let jj = 1; jj < k; jj++) {
      c += CENTROID_BYTES;
      j = i32x4.add(j, ones);
      cx = v128.load(c); cy = v128.load(c, 16); cz = v128.load(c, 32);
      ax = f32x4.sub(xa, cx); ay = f32x4.sub(ya, cy); az = f32x4.sub(za, cz);
      bx = f32x4.sub(xb, cx); by = f32x4.sub(yb, cy); bz = f32x4.sub(zb, cz);
      const da = f32x4.add(f32x4.add(f32x4.mul(ax, ax), f32x4.mul(ay, ay)), f32x4.mul(az, az));
      const db = f32x4.add(f32x4.add(f32x4.mul(bx, bx), f32x4.mul(by, by)), f32x4.mul(bz, bz));
      // Strict compare: an equal distance keeps the earlier (lower) index.
      idxA = v128.bitselect(j, idxA, f32x4.lt(da, bestA));
      idxB = v128.bitselect(j, idxB, f32x4.lt(db, bestB));
      bestA = f32x4.pmin(bestA, da);
      bestB = f32x4.pmin(bestB, db);
    }
    inertia += accumulate(i, i32x4.extract_lane(idxA, 0), f32x4.extract_lane(bestA, 0), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 1, i32x4.extract_lane(idxA, 1), f32x4.extract_lane(bestA, 1), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 2, i32x4.extract_lane(idxA, 2), f32x4.extract_lane(bestA, 2), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 3, i32x4.extract_lane(idxA, 3), f32x4.extract_lane(bestA, 3), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 4, i32x4.extract_lane(idxB, 0), f32x4.extract_lane(bestB, 0), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 5, i32x4.extract_lane(idxB, 1), f32x4.extract_lane(bestB, 1), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 6, i32x4.extract_lane(idxB, 2), f32x4.extract_lane(bestB, 2), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
    inertia += accumulate(i + 7, i32x4.extract_lane(idxB, 3), f32x4.extract_lane(bestB, 3), xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
  }
  // Tail: scalar f32 arithmetic, identical to one SIMD lane.
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(xPtr + o), y = load<f32>(yPtr + o), z = load<f32>(zPtr + o);
    let best: f32 = 0;
    let bi = 0;
    for (let jj = 0; jj < k; jj++) {
      const c = cPtr + <usize>jj * CENTROID_BYTES;
      const dx = x - load<f32>(c), dy = y - load<f32>(c, 16), dz = z - load<f32>(c, 32);
      const d = (dx * dx + dy * dy) + dz * dz;
      if (jj == 0 || d < best) { best = d; bi = jj; }
    }
    inertia += accumulate(i, bi, best, xPtr, yPtr, zPtr, wPtr, labelPtr, sumPtr);
  }
  store<f64>(outPtr, inertia);
  store<f64>(outPtr, changedCount, 8);
}
