// Distance-and-assign kernel for Lloyd's K-means in three dimensions (colour), 128-bit SIMD, with
// the bounds that let a pass skip the points whose label is proven. Its answers are bit for bit
// those of the TS twin (src/kernel/js.ts), whatever the thread count: see the contract below.
//
// The kernel knows pointers and counts, nothing of images. The host lays out linear memory
// (src/kernel/wasm/memory.ts) and this module allocates nothing: every worker instantiates it over
// the same shared memory, so any allocator state here would hand out the same addresses twice.
//
// Arithmetic contract (mirrored operation for operation by src/kernel/js.ts, so both give
// bit-identical answers): f32 d = ((dx*dx + dy*dy) + dz*dz), dx = x - cx; strict `<` keeps the lower
// centroid index on ties; a point's cost enters the inertia as floor(d * 256) so that the f64 sums are
// integers, exact, and therefore independent of summation order, thread count and histogramming.

import { UNASSIGNED, addOutcome, dist4, foldBanks, high, nearer, weightOf } from './common';

// Centroids arrive pre-splatted by the host: centroid j is four v128 (x x x x, y y y y, z z z z, and
// j j j j as i32) at cPtr + j * 64, so the inner loop is four loads and no shuffles, and keeps no index
// vector of its own: x86 has sixteen 128-bit registers, and every one saved is a spill avoided.
//
// Sums are updated, not rebuilt: a pass adds each point whose label changed to its new cluster and
// subtracts it from its old one (none when the old label is 0xffff, unassigned). Once Lloyd settles,
// few labels change and the pass is distances only. The sums are integers (times 1/256), so adding
// the changes gives exactly the bits of summing everything again.
const CENTROID_BYTES: usize = 64;

/** Move point i (weight w) from cluster `from` (none if UNASSIGNED) to `to`: sums of x*w, y*w, z*w, w at sumPtr + label * 32. */
@inline
function moveScalar(i: i32, from: i32, to: i32, w: f64, xPtr: usize, yPtr: usize, zPtr: usize, sumPtr: usize): void {
  const o = <usize>i << 2;
  const x = <f64>load<f32>(xPtr + o) * w, y = <f64>load<f32>(yPtr + o) * w, z = <f64>load<f32>(zPtr + o) * w;
  const s = sumPtr + (<usize>to << 5);
  store<f64>(s, load<f64>(s) + x);
  store<f64>(s, load<f64>(s, 8) + y, 8);
  store<f64>(s, load<f64>(s, 16) + z, 16);
  store<f64>(s, load<f64>(s, 24) + w, 24);
  if (from != UNASSIGNED) {
    const t = sumPtr + (<usize>from << 5);
    store<f64>(t, load<f64>(t) - x);
    store<f64>(t, load<f64>(t, 8) - y, 8);
    store<f64>(t, load<f64>(t, 16) - z, 16);
    store<f64>(t, load<f64>(t, 24) - w, 24);
  }
}

/**
 * Move one point between clusters' sums at bank + label * 32: xy and z1 hold (x, y) and (z, 1) in
 * their low f32 lanes; times the point's weight when there are weights.
 */
@inline
function movePair(bank: usize, from: i32, to: i32, xy: v128, z1: v128, wPtr: usize, i: i32): void {
  let a = f64x2.promote_low_f32x4(xy), b = f64x2.promote_low_f32x4(z1);
  if (wPtr) {
    const w = f64x2.splat(<f64>load<u32>(wPtr + (<usize>i << 2)));
    a = f64x2.mul(a, w);
    b = f64x2.mul(b, w);
  }
  const s = bank + (<usize>to << 5);
  v128.store(s, f64x2.add(v128.load(s), a));
  v128.store(s, f64x2.add(v128.load(s, 16), b), 16);
  if (from != UNASSIGNED) {
    const t = bank + (<usize>from << 5);
    v128.store(t, f64x2.sub(v128.load(t), a));
    v128.store(t, f64x2.sub(v128.load(t, 16), b), 16);
  }
}

const INFINITY_BITS: i32 = 0x7f800000;
// Margins of the bounds, all in f32. An f32 distance is within 5 * 2^-24 (relative) of the exact
// one, so the exact distances to the nearest and second-nearest centroid are within m = 2^-20 of the
// roots of their f32 values; LOWER, UPPER and REACH square that in with room for each f32 rounding
// of the bound's own arithmetic, and ROUND covers the rounding of a sum of bound and drift.
const LOWER: f32 = 1.0 - 1.0 / <f32>(1 << 18);
const UPPER: f32 = 1.0 + 1.0 / <f32>(1 << 17);
const REACH: f32 = 1.0 - 1.0 / <f32>(1 << 18);
const ROUND: f32 = 1.0 / <f32>(1 << 21);

/**
 * Lower bounds of four points (roots of their second-nearest distances in `root`) on the distance to
 * any other centroid than their own, plus the drift so far, rounded down: what boundsOf gives, at g.
 */
@inline
function storeBounds(g: usize, root: v128, drift: v128): void {
  v128.store(g, boundsOf(root, drift));
}

/**
 * Lanes of the four points (f32 distances to their own centroid in `own`) that are proven nearest to
 * it: own * UPPER < (bound - drift now)^2 * REACH, the bound rounded down again after the subtraction.
 */
@inline
function proven(g: usize, own: v128, drift: v128): v128 {
  const bound = v128.load(g);
  const lower = f32x4.sub(f32x4.sub(bound, drift), f32x4.mul(f32x4.add(bound, drift), f32x4.splat(ROUND)));
  const reach = f32x4.mul(f32x4.mul(lower, lower), f32x4.splat(REACH));
  return v128.and(f32x4.gt(lower, f32x4.splat(0)), f32x4.lt(f32x4.mul(own, f32x4.splat(UPPER)), reach));
}

/** floor(d * 256) times the weight for eight points (distances in a and b, weights in wa and wb), summed as f64 pairs. */
@inline
function costOf(a: v128, b: v128, weighted: bool, wa: v128, wb: v128): v128 {
  const scale = f32x4.splat(256);
  const qa = f32x4.floor(f32x4.mul(a, scale)), qb = f32x4.floor(f32x4.mul(b, scale));
  let c0 = f64x2.promote_low_f32x4(qa), c1 = f64x2.promote_low_f32x4(high(qa));
  let c2 = f64x2.promote_low_f32x4(qb), c3 = f64x2.promote_low_f32x4(high(qb));
  if (weighted) {
    c0 = f64x2.mul(c0, f64x2.convert_low_i32x4_u(wa)); c1 = f64x2.mul(c1, f64x2.convert_low_i32x4_u(high(wa)));
    c2 = f64x2.mul(c2, f64x2.convert_low_i32x4_u(wb)); c3 = f64x2.mul(c3, f64x2.convert_low_i32x4_u(high(wb)));
  }
  return f64x2.add(f64x2.add(c0, c1), f64x2.add(c2, c3));
}

// The nearest centroid of eight points, as nearest8 leaves it (globals: an inlined function cannot
// write its caller's locals, and each worker's instance has its own).
let nearBestA: v128 = i32x4.splat(0), nearBestB: v128 = i32x4.splat(0);
let nearIdxA: v128 = i32x4.splat(0), nearIdxB: v128 = i32x4.splat(0);
let nearSecA: v128 = i32x4.splat(0), nearSecB: v128 = i32x4.splat(0);

/**
 * Nearest (and, with `second`, second-nearest) centroid of eight points, comparing every centroid.
 * Distances are sums of squares, never negative nor NaN, so their bits order as i32 do: the compare
 * and the minimum run on the integer units, leaving the float adders to the distances. The compare
 * is strict: an equal distance keeps the earlier (lower) index. And as each j exceeds every index
 * so far, max(idx, j & closer) is j where closer, else idx.
 */
@inline
function nearest8(xa: v128, xb: v128, ya: v128, yb: v128, za: v128, zb: v128, cPtr: usize, k: i32, second: bool): void {
  let cx = v128.load(cPtr), cy = v128.load(cPtr, 16), cz = v128.load(cPtr, 32);
  let bestA = dist4(xa, ya, za, cx, cy, cz), bestB = dist4(xb, yb, zb, cx, cy, cz);
  let idxA = i32x4.splat(0), idxB = i32x4.splat(0);
  let secA = i32x4.splat(INFINITY_BITS), secB = i32x4.splat(INFINITY_BITS);
  let c = cPtr;
  for (let jj = 1; jj < k; jj++) {
    c += CENTROID_BYTES;
    cx = v128.load(c); cy = v128.load(c, 16); cz = v128.load(c, 32);
    const da = dist4(xa, ya, za, cx, cy, cz), db = dist4(xb, yb, zb, cx, cy, cz);
    const j = v128.load(c, 48);
    idxA = nearer(idxA, j, da, bestA);
    idxB = nearer(idxB, j, db, bestB);
    if (second) {
      secA = i32x4.min_s(secA, i32x4.max_s(bestA, da));
      secB = i32x4.min_s(secB, i32x4.max_s(bestB, db));
    }
    bestA = i32x4.min_s(bestA, da);
    bestB = i32x4.min_s(bestB, db);
  }
  nearBestA = bestA; nearBestB = bestB; nearIdxA = idxA; nearIdxB = idxB;
  if (second) { nearSecA = secA; nearSecB = secB; }
}

/** Bounds of four points (roots of their second-nearest distances in `root`): see storeBounds. */
@inline
function boundsOf(root: v128, drift: v128): v128 {
  const b = f32x4.add(f32x4.mul(root, f32x4.splat(LOWER)), drift);
  return f32x4.sub(b, f32x4.mul(f32x4.add(root, drift), f32x4.splat(ROUND)));
}

// What runQueue adds up, read and reset by assignPass.
let queueCost: f64 = 0;

/**
 * The points whose bounds failed in groups that were otherwise settled wait in a queue (i32 indices
 * at queuePtr) and go through a full pass eight at a time, gathered lane by lane: the points near a
 * boundary cost one full comparison each, not one for each group of eight they sit in. The first
 * `count` entries are real (count <= 8); the rest repeat the first and are ignored. Returns the
 * number of labels changed; the cost goes to queueCost.
 */
@inline
function runQueue(
  queuePtr: usize, count: i32, xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize,
  cPtr: usize, k: i32, labelPtr: usize, sumPtr: usize, bank: usize, boundPtr: usize, drift: v128,
): i32 {
  const q0 = load<i32>(queuePtr);
  const q1 = count > 1 ? load<i32>(queuePtr, 4) : q0, q2 = count > 2 ? load<i32>(queuePtr, 8) : q0, q3 = count > 3 ? load<i32>(queuePtr, 12) : q0;
  const q4 = count > 4 ? load<i32>(queuePtr, 16) : q0, q5 = count > 5 ? load<i32>(queuePtr, 20) : q0, q6 = count > 6 ? load<i32>(queuePtr, 24) : q0, q7 = count > 7 ? load<i32>(queuePtr, 28) : q0;
  const o0 = <usize>q0 << 2, o1 = <usize>q1 << 2, o2 = <usize>q2 << 2, o3 = <usize>q3 << 2;
  const o4 = <usize>q4 << 2, o5 = <usize>q5 << 2, o6 = <usize>q6 << 2, o7 = <usize>q7 << 2;
  const xa = v128.load32_lane(xPtr + o3, v128.load32_lane(xPtr + o2, v128.load32_lane(xPtr + o1, v128.load32_zero(xPtr + o0), 1), 2), 3);
  const ya = v128.load32_lane(yPtr + o3, v128.load32_lane(yPtr + o2, v128.load32_lane(yPtr + o1, v128.load32_zero(yPtr + o0), 1), 2), 3);
  const za = v128.load32_lane(zPtr + o3, v128.load32_lane(zPtr + o2, v128.load32_lane(zPtr + o1, v128.load32_zero(zPtr + o0), 1), 2), 3);
  const xb = v128.load32_lane(xPtr + o7, v128.load32_lane(xPtr + o6, v128.load32_lane(xPtr + o5, v128.load32_zero(xPtr + o4), 1), 2), 3);
  const yb = v128.load32_lane(yPtr + o7, v128.load32_lane(yPtr + o6, v128.load32_lane(yPtr + o5, v128.load32_zero(yPtr + o4), 1), 2), 3);
  const zb = v128.load32_lane(zPtr + o7, v128.load32_lane(zPtr + o6, v128.load32_lane(zPtr + o5, v128.load32_zero(zPtr + o4), 1), 2), 3);
  nearest8(xa, xb, ya, yb, za, zb, cPtr, k, true);
  // Lanes past `count` are ignored: their cost is masked out, their bound, label and sums untouched.
  const lanes = i32x4.splat(count);
  const validA = i32x4.lt_s(v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0), lanes);
  const validB = i32x4.lt_s(v128(4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0), lanes);
  let wa = i32x4.splat(0), wb = i32x4.splat(0);
  if (wPtr) {
    wa = v128.load32_lane(wPtr + o3, v128.load32_lane(wPtr + o2, v128.load32_lane(wPtr + o1, v128.load32_zero(wPtr + o0), 1), 2), 3);
    wb = v128.load32_lane(wPtr + o7, v128.load32_lane(wPtr + o6, v128.load32_lane(wPtr + o5, v128.load32_zero(wPtr + o4), 1), 2), 3);
  }
  const c = costOf(v128.and(nearBestA, validA), v128.and(nearBestB, validB), wPtr != 0, wa, wb);
  queueCost += f64x2.extract_lane(c, 0) + f64x2.extract_lane(c, 1);
  const ba = boundsOf(f32x4.sqrt(nearSecA), drift), bb = boundsOf(f32x4.sqrt(nearSecB), drift);
  const one = f32x4.splat(1);
  let changed = 0;
  changed += queued(0, count, q0, ba, nearIdxA, xa, ya, za, one, boundPtr, labelPtr, sumPtr, wPtr);
  changed += queued(1, count, q1, ba, nearIdxA, xa, ya, za, one, boundPtr, labelPtr, sumPtr + bank, wPtr);
  changed += queued(2, count, q2, ba, nearIdxA, xa, ya, za, one, boundPtr, labelPtr, sumPtr, wPtr);
  changed += queued(3, count, q3, ba, nearIdxA, xa, ya, za, one, boundPtr, labelPtr, sumPtr + bank, wPtr);
  changed += queued(4, count, q4, bb, nearIdxB, xb, yb, zb, one, boundPtr, labelPtr, sumPtr, wPtr);
  changed += queued(5, count, q5, bb, nearIdxB, xb, yb, zb, one, boundPtr, labelPtr, sumPtr + bank, wPtr);
  changed += queued(6, count, q6, bb, nearIdxB, xb, yb, zb, one, boundPtr, labelPtr, sumPtr, wPtr);
  changed += queued(7, count, q7, bb, nearIdxB, xb, yb, zb, one, boundPtr, labelPtr, sumPtr + bank, wPtr);
  return changed;
}

/** Lane `lane` (of eight; its vectors hold lanes lane & 3) of a queued run: bound, label and sums of point q. */
@inline
function queued(
  lane: i32, count: i32, q: i32, bound: v128, idx: v128, x: v128, y: v128, z: v128, one: v128,
  boundPtr: usize, labelPtr: usize, bank: usize, wPtr: usize,
): i32 {
  if (lane >= count) return 0;
  const l = lane & 3;
  const b = l == 0 ? f32x4.extract_lane(bound, 0) : l == 1 ? f32x4.extract_lane(bound, 1) : l == 2 ? f32x4.extract_lane(bound, 2) : f32x4.extract_lane(bound, 3);
  store<f32>(boundPtr + (<usize>q << 2), b);
  const to = l == 0 ? i32x4.extract_lane(idx, 0) : l == 1 ? i32x4.extract_lane(idx, 1) : l == 2 ? i32x4.extract_lane(idx, 2) : i32x4.extract_lane(idx, 3);
  const lp = labelPtr + (<usize>q << 1);
  const from = <i32>load<u16>(lp);
  if (from == to) return 0;
  store<u16>(lp, <u16>to);
  const xy = l == 0 ? i8x16.shuffle(x, y, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3)
    : l == 1 ? i8x16.shuffle(x, y, 4, 5, 6, 7, 20, 21, 22, 23, 4, 5, 6, 7, 4, 5, 6, 7)
    : l == 2 ? i8x16.shuffle(x, y, 8, 9, 10, 11, 24, 25, 26, 27, 8, 9, 10, 11, 8, 9, 10, 11)
    : i8x16.shuffle(x, y, 12, 13, 14, 15, 28, 29, 30, 31, 12, 13, 14, 15, 12, 13, 14, 15);
  const z1 = l == 0 ? i8x16.shuffle(z, one, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3)
    : l == 1 ? i8x16.shuffle(z, one, 4, 5, 6, 7, 16, 17, 18, 19, 4, 5, 6, 7, 4, 5, 6, 7)
    : l == 2 ? i8x16.shuffle(z, one, 8, 9, 10, 11, 16, 17, 18, 19, 8, 9, 10, 11, 8, 9, 10, 11)
    : i8x16.shuffle(z, one, 12, 13, 14, 15, 16, 17, 18, 19, 12, 13, 14, 15, 12, 13, 14, 15);
  movePair(bank, from, to, xy, z1, wPtr, q);
  return 1;
}

/**
 * Assign points [0, n) to their nearest centroid; for every point whose label changes, move its
 * coordinates times weight and its weight between its clusters' sums (f64 x, y, z, w at sumPtr +
 * label * 32; the host zeroes them and a second bank of the same size right after, used as scratch,
 * and adds them to its running totals); write the label (u16); and add to the f64 at outPtr the
 * inertia in units of 1/256, the number of labels that changed and the number of points settled by
 * their bounds. Adds, so that a thread may call it for several chunks of a pass.
 *
 * With boundPtr (one f32 per point) it also skips the points whose label is proven (Hamerly's idea):
 * a pass that compares every centroid writes each point's lower bound on the distance to any other
 * centroid than its own, sqrt(second) less a margin, plus D (f32 at passPtr + 4): the centroids' drift
 * so far as the host counts it (each pass adds the largest distance a centroid moved), rounded down.
 * A later pass, at drift D' (f32 at passPtr, rounded up; +Infinity to check nothing), computes each
 * point's distance d to its own centroid (which the inertia needs anyway) and settles a group of
 * eight when every d, with a margin, is below the square of (bound - D'): no other centroid can have
 * come closer, by more than f32 rounding, so the f32 comparisons and the label are those of a full pass.
 */
export function assign(
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize, n: i32,
  cPtr: usize, k: i32, labelPtr: usize, sumPtr: usize, outPtr: usize, boundPtr: usize, passPtr: usize,
): void {
  // Two builds of one loop: tracking the second-nearest distance costs registers the plain pass
  // needs (about a fifth of its speed), so only the build that keeps bounds pays for it.
  if (boundPtr) assignPass<u64>(xPtr, yPtr, zPtr, wPtr, n, cPtr, k, labelPtr, sumPtr, outPtr, boundPtr, passPtr);
  else assignPass<u32>(xPtr, yPtr, zPtr, wPtr, n, cPtr, k, labelPtr, sumPtr, outPtr, 0, 0);
}

/** assign(); T is u64 for the build that keeps bounds, u32 for the one that does not (a compile-time switch). */
function assignPass<T>(
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize, n: i32,
  cPtr: usize, k: i32, labelPtr: usize, sumPtr: usize, outPtr: usize, boundPtr: usize, passPtr: usize,
): void {
  const bounds = sizeof<T>() == 8;
  const bank = <usize>k << 5;
  let changed = 0;
  let settled = 0;
  let cost = f64x2.splat(0);
  const one = f32x4.splat(1);
  let checkDrift = f32x4.splat(0), drift = f32x4.splat(0);
  // No check (+Infinity) on a pass after which labels may be anything, even UNASSIGNED: only then
  // are they all below k, as the gathers need.
  let checking = false;
  // Points waiting for a full comparison (see runQueue), in the thread's scratch after its outcome.
  const queuePtr = outPtr + 64;
  let queuedCount = 0;
  queueCost = 0;
  if (bounds) {
    const d = load<f32>(passPtr);
    checking = d < Infinity;
    checkDrift = f32x4.splat(d);
    drift = f32x4.splat(load<f32>(passPtr, 4));
  }
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const xa = v128.load(xPtr + o), xb = v128.load(xPtr + o, 16);
    const ya = v128.load(yPtr + o), yb = v128.load(yPtr + o, 16);
    const za = v128.load(zPtr + o), zb = v128.load(zPtr + o, 16);
    const lp = labelPtr + (<usize>i << 1);
    let bestA = f32x4.splat(0), bestB = f32x4.splat(0);
    let idxA = i32x4.splat(0), idxB = i32x4.splat(0);
    if (bounds && checking) {
      // The distance of each of the eight points to its own centroid.
      const old = v128.load(lp);
      const l0 = <i32>i16x8.extract_lane_u(old, 0);
      let da = f32x4.splat(0), db = f32x4.splat(0);
      if (i16x8.all_true(i16x8.eq(old, i16x8.splat(<i16>l0)))) {
        // One label for all eight, as for neighbouring colours of a sorted histogram: its record is splatted.
        const c = cPtr + (<usize>l0 << 6);
        const cx = v128.load(c), cy = v128.load(c, 16), cz = v128.load(c, 32);
        da = dist4(xa, ya, za, cx, cy, cz);
        db = dist4(xb, yb, zb, cx, cy, cz);
      } else {
        // Gathered lane by lane from the records of their labels.
        const l1 = <i32>i16x8.extract_lane_u(old, 1), l2 = <i32>i16x8.extract_lane_u(old, 2), l3 = <i32>i16x8.extract_lane_u(old, 3);
        const l4 = <i32>i16x8.extract_lane_u(old, 4), l5 = <i32>i16x8.extract_lane_u(old, 5), l6 = <i32>i16x8.extract_lane_u(old, 6), l7 = <i32>i16x8.extract_lane_u(old, 7);
        let cx = v128.load32_zero(cPtr + (<usize>(l0) << 6)), cy = v128.load32_zero(cPtr + (<usize>(l0) << 6), 16), cz = v128.load32_zero(cPtr + (<usize>(l0) << 6), 32);
        cx = v128.load32_lane(cPtr + (<usize>(l1) << 6), cx, 1); cy = v128.load32_lane(cPtr + (<usize>(l1) << 6), cy, 1, 16); cz = v128.load32_lane(cPtr + (<usize>(l1) << 6), cz, 1, 32);
        cx = v128.load32_lane(cPtr + (<usize>(l2) << 6), cx, 2); cy = v128.load32_lane(cPtr + (<usize>(l2) << 6), cy, 2, 16); cz = v128.load32_lane(cPtr + (<usize>(l2) << 6), cz, 2, 32);
        cx = v128.load32_lane(cPtr + (<usize>(l3) << 6), cx, 3); cy = v128.load32_lane(cPtr + (<usize>(l3) << 6), cy, 3, 16); cz = v128.load32_lane(cPtr + (<usize>(l3) << 6), cz, 3, 32);
        da = dist4(xa, ya, za, cx, cy, cz);
        cx = v128.load32_zero(cPtr + (<usize>(l4) << 6)); cy = v128.load32_zero(cPtr + (<usize>(l4) << 6), 16); cz = v128.load32_zero(cPtr + (<usize>(l4) << 6), 32);
        cx = v128.load32_lane(cPtr + (<usize>(l5) << 6), cx, 1); cy = v128.load32_lane(cPtr + (<usize>(l5) << 6), cy, 1, 16); cz = v128.load32_lane(cPtr + (<usize>(l5) << 6), cz, 1, 32);
        cx = v128.load32_lane(cPtr + (<usize>(l6) << 6), cx, 2); cy = v128.load32_lane(cPtr + (<usize>(l6) << 6), cy, 2, 16); cz = v128.load32_lane(cPtr + (<usize>(l6) << 6), cz, 2, 32);
        cx = v128.load32_lane(cPtr + (<usize>(l7) << 6), cx, 3); cy = v128.load32_lane(cPtr + (<usize>(l7) << 6), cy, 3, 16); cz = v128.load32_lane(cPtr + (<usize>(l7) << 6), cz, 3, 32);
        db = dist4(xb, yb, zb, cx, cy, cz);
      }
      const pa = proven(boundPtr + o, da, checkDrift), pb = proven(boundPtr + o + 16, db, checkDrift);
      const sure = i32x4.bitmask(pa) | (i32x4.bitmask(pb) << 4);
      if (sure != 0) {
        // The proven points' labels stand; they add their cost. The others join the queue.
        cost = f64x2.add(cost, costOf(v128.and(da, pa), v128.and(db, pb), wPtr != 0, wPtr ? v128.load(wPtr + o) : da, wPtr ? v128.load(wPtr + o, 16) : db));
        settled += popcnt<i32>(sure);
        for (let rest = ~sure & 0xff; rest != 0; rest &= rest - 1) {
          store<i32>(queuePtr + (<usize>queuedCount << 2), i + ctz<i32>(rest));
          queuedCount++;
        }
        if (queuedCount >= 8) {
          changed += runQueue(queuePtr, 8, xPtr, yPtr, zPtr, wPtr, cPtr, k, labelPtr, sumPtr, bank, boundPtr, drift);
          queuedCount -= 8;
          for (let q = 0; q < queuedCount; q++) store<i32>(queuePtr + (<usize>q << 2), load<i32>(queuePtr + (<usize>(q + 8) << 2)));
        }
        continue;
      }
    }
    nearest8(xa, xb, ya, yb, za, zb, cPtr, k, bounds);
    bestA = nearBestA; bestB = nearBestB; idxA = nearIdxA; idxB = nearIdxB;
    if (bounds) {
      storeBounds(boundPtr + o, f32x4.sqrt(nearSecA), drift);
      storeBounds(boundPtr + o + 16, f32x4.sqrt(nearSecB), drift);
    }
    // Costs floor(d * 256) (times the weight): integers, so these f64 lanes sum exactly in any order.
    cost = f64x2.add(cost, costOf(bestA, bestB, wPtr != 0, wPtr ? v128.load(wPtr + o) : bestA, wPtr ? v128.load(wPtr + o, 16) : bestB));
    // Labels: eight u16 compared and stored at once; the sums change only for points that moved.
    const old = v128.load(lp);
    const fresh = i16x8.narrow_i32x4_u(idxA, idxB);
    const moved = i16x8.bitmask(i16x8.ne(old, fresh));
    if (moved == 0) continue;
    changed += popcnt<i32>(moved);
    v128.store(lp, fresh);
    // Each point's (x, y) and (z, 1) as f64 pairs, straight from the registers. Odd points use a
    // second bank: in the first pass every point moves, neighbouring pixels often share a label,
    // and one bank would chain every add behind the previous point's store.
    if (moved & 1) movePair(sumPtr, i16x8.extract_lane_u(old, 0), i16x8.extract_lane_u(fresh, 0), i8x16.shuffle(xa, ya, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3), i8x16.shuffle(za, one, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3), wPtr, i + 0);
    if (moved & 2) movePair(sumPtr + bank, i16x8.extract_lane_u(old, 1), i16x8.extract_lane_u(fresh, 1), i8x16.shuffle(xa, ya, 4, 5, 6, 7, 20, 21, 22, 23, 4, 5, 6, 7, 4, 5, 6, 7), i8x16.shuffle(za, one, 4, 5, 6, 7, 16, 17, 18, 19, 4, 5, 6, 7, 4, 5, 6, 7), wPtr, i + 1);
    if (moved & 4) movePair(sumPtr, i16x8.extract_lane_u(old, 2), i16x8.extract_lane_u(fresh, 2), i8x16.shuffle(xa, ya, 8, 9, 10, 11, 24, 25, 26, 27, 8, 9, 10, 11, 8, 9, 10, 11), i8x16.shuffle(za, one, 8, 9, 10, 11, 16, 17, 18, 19, 8, 9, 10, 11, 8, 9, 10, 11), wPtr, i + 2);
    if (moved & 8) movePair(sumPtr + bank, i16x8.extract_lane_u(old, 3), i16x8.extract_lane_u(fresh, 3), i8x16.shuffle(xa, ya, 12, 13, 14, 15, 28, 29, 30, 31, 12, 13, 14, 15, 12, 13, 14, 15), i8x16.shuffle(za, one, 12, 13, 14, 15, 16, 17, 18, 19, 12, 13, 14, 15, 12, 13, 14, 15), wPtr, i + 3);
    if (moved & 16) movePair(sumPtr, i16x8.extract_lane_u(old, 4), i16x8.extract_lane_u(fresh, 4), i8x16.shuffle(xb, yb, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3), i8x16.shuffle(zb, one, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3), wPtr, i + 4);
    if (moved & 32) movePair(sumPtr + bank, i16x8.extract_lane_u(old, 5), i16x8.extract_lane_u(fresh, 5), i8x16.shuffle(xb, yb, 4, 5, 6, 7, 20, 21, 22, 23, 4, 5, 6, 7, 4, 5, 6, 7), i8x16.shuffle(zb, one, 4, 5, 6, 7, 16, 17, 18, 19, 4, 5, 6, 7, 4, 5, 6, 7), wPtr, i + 5);
    if (moved & 64) movePair(sumPtr, i16x8.extract_lane_u(old, 6), i16x8.extract_lane_u(fresh, 6), i8x16.shuffle(xb, yb, 8, 9, 10, 11, 24, 25, 26, 27, 8, 9, 10, 11, 8, 9, 10, 11), i8x16.shuffle(zb, one, 8, 9, 10, 11, 16, 17, 18, 19, 8, 9, 10, 11, 8, 9, 10, 11), wPtr, i + 6);
    if (moved & 128) movePair(sumPtr + bank, i16x8.extract_lane_u(old, 7), i16x8.extract_lane_u(fresh, 7), i8x16.shuffle(xb, yb, 12, 13, 14, 15, 28, 29, 30, 31, 12, 13, 14, 15, 12, 13, 14, 15), i8x16.shuffle(zb, one, 12, 13, 14, 15, 16, 17, 18, 19, 12, 13, 14, 15, 12, 13, 14, 15), wPtr, i + 7);
  }
  if (bounds && queuedCount > 0) changed += runQueue(queuePtr, queuedCount, xPtr, yPtr, zPtr, wPtr, cPtr, k, labelPtr, sumPtr, bank, boundPtr, drift);
  let inertia = f64x2.extract_lane(cost, 0) + f64x2.extract_lane(cost, 1) + queueCost;
  // Tail: scalar f32 arithmetic, identical to one SIMD lane. It keeps no bounds: their checks never pass.
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
    const w = weightOf(wPtr, i);
    inertia += <f64>floor<f32>(best * 256.0) * w;
    const lp = labelPtr + (<usize>i << 1);
    const from = <i32>load<u16>(lp);
    if (from == bi) continue;
    changed++;
    store<u16>(lp, <u16>bi);
    moveScalar(i, from, bi, w, xPtr, yPtr, zPtr, sumPtr);
  }
  foldBanks(sumPtr, bank);
  addOutcome(outPtr, inertia, changed, settled);
}
