// Lloyd's assignment pass over the box tree (the filtering algorithm of Kanungo et al. 2002 and
// Pelleg & Moore 1999): each node keeps only the centroids that can still be nearest to some point
// of its box, a leaf left with one takes its exact sums to it without comparing its points, and the
// others compare their points with the few that remain. Its answers are a full pass's (assign.ts,
// the TS twin src/kernel/js.ts) bit for bit: labels, sums, changed count and inertia.
//
// Why the labels are exact: a centroid z is dropped from a box only when, for every point x of the
// box, its exact distance exceeds a witness z*'s by more than f32 rounding can close, so f32 d(x, z)
// > f32 d(x, z*): z is never the f32 nearest, ties included. The survivors are compared in index
// order with strict <, as a full pass compares all, so the lowest index wins ties as there.
// The inertia stays floor(d * 256) * w of each point's own f32 distance: a leaf owned by a centroid
// that has not moved reuses the cost it summed when that centroid last had these bits.

import { UNASSIGNED, addOutcome, dist4, high, nearer } from './common';
import {
  H_CENTRES, H_CENTROIDS, H_K, H_SLACK, H_LABELS, H_LEAF_BASE, H_LEAVES, H_LIST, H_LIST_STRIDE, H_NODES, H_UNIT_FIRST, H_UNIT_LEVEL,
  H_VERSIONS, H_W, H_X, H_Y, H_Z, LEAF_BYTES, L_COST, L_COST_OWNER, L_COST_VERSION, L_OWNER, L_SUMS, MIXED,
  NODE_BYTES, NONE, N_END, N_FIRST, N_HI, N_LEAF_END, N_LEAF_FIRST, N_LO, field,
} from './tree';

// The pass's arrays and running counts (globals: each worker's instance has its own).
let gNodes: usize = 0, gLeaves: usize = 0, gLeafBase: usize = 0;
let gX: usize = 0, gY: usize = 0, gZ: usize = 0, gW: usize = 0, gLabels: usize = 0;
let gC: usize = 0, gVersions: usize = 0, gScratch: usize = 0, gStride: usize = 0, gSums: usize = 0, gCentres: usize = 0;
let gSlack: f64 = 0;
let gChanged: i32 = 0, gSettled: i32 = 0;
let gCost: f64 = 0;

/**
 * Assign the points of units [start, start + count) (nodes of level H_UNIT_LEVEL, from node
 * H_UNIT_FIRST on): labels, sums moved into this thread's bank at sumPtr (x, y, z, w per cluster,
 * as assign() does) and, added at outPtr, the inertia in units of 1/256, the changed count and the
 * points of leaves settled whole. `scratch` is this thread's: 16 bytes, then one candidate list per level.
 */
export function filterPass(hdr: usize, start: i32, count: i32, sumPtr: usize, outPtr: usize, scratch: usize): void {
  gNodes = field(hdr, H_NODES); gLeaves = field(hdr, H_LEAVES); gLeafBase = field(hdr, H_LEAF_BASE);
  gX = field(hdr, H_X); gY = field(hdr, H_Y); gZ = field(hdr, H_Z); gW = field(hdr, H_W); gLabels = field(hdr, H_LABELS);
  gC = field(hdr, H_CENTROIDS); gVersions = field(hdr, H_VERSIONS); gCentres = field(hdr, H_CENTRES);
  gSlack = load<f64>(hdr + (H_SLACK << 2));
  gScratch = scratch; gStride = field(hdr, H_LIST_STRIDE); gSums = sumPtr;
  gChanged = 0; gSettled = 0; gCost = 0;
  const level = <i32>field(hdr, H_UNIT_LEVEL), first = field(hdr, H_UNIT_FIRST);
  const list = field(hdr, H_LIST), k = <i32>field(hdr, H_K);
  for (let u = start; u < start + count; u++) walk(first + <usize>u, level, list, k);
  addOutcome(outPtr, gCost, gChanged, gSettled);
}

/** One node and its subtree, with `count` candidate centroids (u16 indices, ascending) at `list`. */
function walk(node: usize, level: i32, list: usize, count: i32): void {
  const np = gNodes + node * NODE_BYTES;
  if (count == 1) { ownedNode(np, level, node, <u32>load<u16>(list)); return; }
  const kept = gScratch + 16 + <usize>level * gStride;
  const m = prune(np, list, count, kept);
  if (m == 1) { ownedNode(np, level, node, <u32>load<u16>(kept)); return; }
  if (level == 0) { visitLeaf(node - gLeafBase, np, kept, m); return; }
  const end = <usize>load<u32>(np, N_END);
  for (let c = <usize>load<u32>(np, N_FIRST); c < end; c++) walk(c, level - 1, kept, m);
}

// Margin of the pruning test: REL covers f32 rounding of both distances (5 * 2^-24 each, relative);
// the header's slack (H_SLACK, from the host) the f64 arithmetic of the test itself and f32 results near underflow.
const REL: f64 = 1.0 / <f64>(1 << 18);

/**
 * The candidates that may still be nearest to a point of the node's box, in order, to `kept`;
 * returns how many. The witness z* is the candidate nearest the box's centre; another candidate z
 * goes when min over the box of |x - z|^2 - |x - z*|^2 exceeds REL * (3 D^2 + 2 |z - z*|^2) plus the
 * slack, D the box's farthest distance from z*: that bounds the f32 rounding of both distances, since
 * |x - z|^2 <= 2 |x - z*|^2 + 2 |z - z*|^2. That minimum is linear in x: with d = z - z*, it is
 * |z|^2 - |z*|^2 - 2 max over the box of d . x, and max(d_i hi_i, d_i lo_i) picks the corner per axis.
 * Centroids come from the host's f64 table (x, y, z, |c|^2 at H_CENTRES + 32 j).
 */
function prune(np: usize, list: usize, count: i32, kept: usize): i32 {
  const lx = <f64>load<f32>(np, N_LO), ly = <f64>load<f32>(np, N_LO + 4), lz = <f64>load<f32>(np, N_LO + 8);
  const hx = <f64>load<f32>(np, N_HI), hy = <f64>load<f32>(np, N_HI + 4), hz = <f64>load<f32>(np, N_HI + 8);
  const mx = lx + hx, my = ly + hy, mz = lz + hz; // twice the centre
  let witness = 0;
  let nearest = Infinity;
  for (let q = 0; q < count; q++) {
    const c = gCentres + (<usize>load<u16>(list + (<usize>q << 1)) << 5);
    // |c - centre|^2 less |centre|^2, which all candidates share.
    const d = load<f64>(c, 24) - ((load<f64>(c) * mx + load<f64>(c, 8) * my) + load<f64>(c, 16) * mz);
    if (d < nearest) { nearest = d; witness = q; }
  }
  const w = gCentres + (<usize>load<u16>(list + (<usize>witness << 1)) << 5);
  const sx = load<f64>(w), sy = load<f64>(w, 8), sz = load<f64>(w, 16), s2 = load<f64>(w, 24);
  const far = REL * 3 * (farthest(sx, lx, hx) + farthest(sy, ly, hy) + farthest(sz, lz, hz)) + gSlack;
  vSX = f64x2.splat(sx); vSY = f64x2.splat(sy); vSZ = f64x2.splat(sz); vS2 = f64x2.splat(s2); vFar = f64x2.splat(far);
  vLX = f64x2.splat(lx); vLY = f64x2.splat(ly); vLZ = f64x2.splat(lz); vHX = f64x2.splat(hx); vHY = f64x2.splat(hy); vHZ = f64x2.splat(hz);
  let m = 0, q = 0;
  for (; q + 2 <= count; q += 2) m = keepPair(list, q, witness, kept, m);
  for (; q < count; q++) {
    const j = load<u16>(list + (<usize>q << 1));
    if (q != witness) {
      const c = gCentres + (<usize>j << 5);
      const dx = load<f64>(c) - sx, dy = load<f64>(c, 8) - sy, dz = load<f64>(c, 16) - sz;
      const corner = (max(dx * hx, dx * lx) + max(dy * hy, dy * ly)) + max(dz * hz, dz * lz);
      const gap = (load<f64>(c, 24) - s2) - 2 * corner;
      if (gap > far + REL * 2 * ((dx * dx + dy * dy) + dz * dz)) continue;
    }
    store<u16>(kept + (<usize>m << 1), j);
    m++;
  }
  return m;
}

// prune()'s witness (x, y, z, |z*|^2), allowance `far` and box, splatted for keepPair.
let vSX: v128 = f64x2.splat(0), vSY: v128 = vSX, vSZ: v128 = vSX, vS2: v128 = vSX, vFar: v128 = vSX;
let vLX: v128 = vSX, vLY: v128 = vSX, vLZ: v128 = vSX, vHX: v128 = vSX, vHY: v128 = vSX, vHZ: v128 = vSX;

/**
 * prune()'s test for candidates q and q + 1 at once, lane by lane the same f64 operations in the same
 * order as its scalar loop (so the same answers): those kept (the witness always) go to kept[m...]
 * in order; returns the new m.
 */
@inline
function keepPair(list: usize, q: i32, witness: i32, kept: usize, m: i32): i32 {
  const j0 = load<u16>(list + (<usize>q << 1)), j1 = load<u16>(list + (<usize>q << 1), 2);
  const a0 = gCentres + (<usize>j0 << 5), a1 = gCentres + (<usize>j1 << 5);
  const xy0 = v128.load(a0), zc0 = v128.load(a0, 16), xy1 = v128.load(a1), zc1 = v128.load(a1, 16);
  const dx = f64x2.sub(i8x16.shuffle(xy0, xy1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), vSX);
  const dy = f64x2.sub(i8x16.shuffle(xy0, xy1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31), vSY);
  const dz = f64x2.sub(i8x16.shuffle(zc0, zc1, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), vSZ);
  const c2 = i8x16.shuffle(zc0, zc1, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  const corner = f64x2.add(f64x2.add(f64x2.max(f64x2.mul(dx, vHX), f64x2.mul(dx, vLX)), f64x2.max(f64x2.mul(dy, vHY), f64x2.mul(dy, vLY))), f64x2.max(f64x2.mul(dz, vHZ), f64x2.mul(dz, vLZ)));
  const gap = f64x2.sub(f64x2.sub(c2, vS2), f64x2.mul(f64x2.splat(2), corner));
  const spread = f64x2.add(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy)), f64x2.mul(dz, dz));
  let drop = i64x2.bitmask(f64x2.gt(gap, f64x2.add(vFar, f64x2.mul(f64x2.splat(REL * 2), spread))));
  if (q == witness) drop &= 2;
  if (q + 1 == witness) drop &= 1;
  if ((drop & 1) == 0) { store<u16>(kept + (<usize>m << 1), j0); m++; }
  if ((drop & 2) == 0) { store<u16>(kept + (<usize>m << 1), j1); m++; }
  return m;
}

@inline
function farthest(s: f64, lo: f64, hi: f64): f64 {
  const a = s - lo, b = hi - s;
  return a > b ? a * a : b * b;
}

/** Every leaf under a node belongs to centroid z. */
function ownedNode(np: usize, level: i32, node: usize, z: u32): void {
  if (level == 0) { ownedLeaf(node - gLeafBase, np, z); return; }
  const end = <usize>load<u32>(np, N_LEAF_END);
  for (let leaf = <usize>load<u32>(np, N_LEAF_FIRST); leaf < end; leaf++) ownedLeaf(leaf, gNodes + (gLeafBase + leaf) * NODE_BYTES, z);
}

/**
 * A leaf whose points all belong to z: labels and sums follow (the leaf's own sums at once when its
 * points shared one label), and its cost is reused while z keeps the bits it was computed for.
 */
function ownedLeaf(leaf: usize, np: usize, z: u32): void {
  const lp = gLeaves + leaf * LEAF_BYTES;
  const s = <usize>load<u32>(np, N_FIRST), e = <usize>load<u32>(np, N_END);
  const state = load<u32>(lp, L_OWNER);
  if (state != z) {
    if (state == MIXED) {
      gChanged += relabel(s, e, z);
    } else {
      gChanged += <i32>(e - s);
      moveLeaf(lp, state, z);
      fillLabels(s, e, z);
    }
    store<u32>(lp, z, L_OWNER);
  }
  const version = load<u32>(gVersions + (<usize>z << 2));
  if (load<u32>(lp, L_COST_OWNER) != z || load<u32>(lp, L_COST_VERSION) != version) {
    store<f64>(lp, costTo(s, e, z), L_COST);
    store<u32>(lp, z, L_COST_OWNER);
    store<u32>(lp, version, L_COST_VERSION);
  }
  gCost += load<f64>(lp, L_COST);
  gSettled += <i32>(e - s);
}

/** A leaf's exact sums from cluster `from` (none if UNASSIGNED) to `to`, in this thread's bank. */
@inline
function moveLeaf(lp: usize, from: u32, to: u32): void {
  const a = v128.load(lp, L_SUMS), b = v128.load(lp, L_SUMS + 16);
  const t = gSums + (<usize>to << 5);
  v128.store(t, f64x2.add(v128.load(t), a));
  v128.store(t, f64x2.add(v128.load(t, 16), b), 16);
  if (from == <u32>UNASSIGNED) return;
  const f = gSums + (<usize>from << 5);
  v128.store(f, f64x2.sub(v128.load(f), a));
  v128.store(f, f64x2.sub(v128.load(f, 16), b), 16);
}

/** Labels [s, e) all become z: whole groups of eight at once, never past e (another thread's points). */
function fillLabels(s: usize, e: usize, z: u32): void {
  const v = i16x8.splat(<i16>z);
  let i = s;
  for (; i + 8 <= e; i += 8) v128.store(gLabels + (i << 1), v);
  for (; i < e; i++) store<u16>(gLabels + (i << 1), <u16>z);
}

/** Points [s, e) of mixed labels all go to z: each one that moves takes its sums along. Returns how many moved. */
function relabel(s: usize, e: usize, z: u32): i32 {
  let moved = 0;
  for (let i = s; i < e; i++) {
    const lp = gLabels + (i << 1);
    const from = <u32>load<u16>(lp);
    if (from == z) continue;
    store<u16>(lp, <u16>z);
    movePoint(i, from, z);
    moved++;
  }
  return moved;
}

/** Point i (weight w) from cluster `from` (none if UNASSIGNED) to `to`: x*w, y*w, z*w, w in this thread's bank. */
@inline
function movePoint(i: usize, from: u32, to: u32): void {
  const o = i << 2;
  const w = gW ? <f64>load<u32>(gW + o) : 1.0;
  const x = <f64>load<f32>(gX + o) * w, y = <f64>load<f32>(gY + o) * w, zz = <f64>load<f32>(gZ + o) * w;
  const t = gSums + (<usize>to << 5);
  store<f64>(t, load<f64>(t) + x);
  store<f64>(t, load<f64>(t, 8) + y, 8);
  store<f64>(t, load<f64>(t, 16) + zz, 16);
  store<f64>(t, load<f64>(t, 24) + w, 24);
  if (from == <u32>UNASSIGNED) return;
  const f = gSums + (<usize>from << 5);
  store<f64>(f, load<f64>(f) - x);
  store<f64>(f, load<f64>(f, 8) - y, 8);
  store<f64>(f, load<f64>(f, 16) - zz, 16);
  store<f64>(f, load<f64>(f, 24) - w, 24);
}

/** Lanes of eight points starting at i that lie before e, as two i32x4 masks and a byte of bits. */
let validA: v128 = i32x4.splat(0), validB: v128 = i32x4.splat(0);
@inline
function lanes(i: usize, e: usize): i32 {
  const left = <i32>(e - i);
  if (left >= 8) { validA = i32x4.splat(-1); validB = validA; return 0xff; }
  validA = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(left));
  validB = i32x4.lt_s(i32x4(4, 5, 6, 7), i32x4.splat(left));
  return (1 << left) - 1;
}

/** The cost to centroid z of points [s, e): floor(d * 256) * w summed (integers, exact in any order). */
function costTo(s: usize, e: usize, z: u32): f64 {
  const c = gC + (<usize>z << 6);
  const cx = v128.load(c), cy = v128.load(c, 16), cz = v128.load(c, 32);
  let acc = f64x2.splat(0);
  for (let i = s; i < e; i += 8) {
    const o = i << 2;
    lanes(i, e);
    const da = dist4(v128.load(gX + o), v128.load(gY + o), v128.load(gZ + o), cx, cy, cz);
    const db = dist4(v128.load(gX + o, 16), v128.load(gY + o, 16), v128.load(gZ + o, 16), cx, cy, cz);
    acc = f64x2.add(acc, costOf8(v128.and(da, validA), v128.and(db, validB), o));
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/** floor(d * 256) times the weight for eight points at byte offset o (distances a, b), as f64 pairs. */
@inline
function costOf8(a: v128, b: v128, o: usize): v128 {
  const scale = f32x4.splat(256);
  const qa = f32x4.floor(f32x4.mul(a, scale)), qb = f32x4.floor(f32x4.mul(b, scale));
  let c0 = f64x2.promote_low_f32x4(qa), c1 = f64x2.promote_low_f32x4(high(qa));
  let c2 = f64x2.promote_low_f32x4(qb), c3 = f64x2.promote_low_f32x4(high(qb));
  if (gW) {
    const wa = v128.load(gW + o), wb = v128.load(gW + o, 16);
    c0 = f64x2.mul(c0, f64x2.convert_low_i32x4_u(wa)); c1 = f64x2.mul(c1, f64x2.convert_low_i32x4_u(high(wa)));
    c2 = f64x2.mul(c2, f64x2.convert_low_i32x4_u(wb)); c3 = f64x2.mul(c3, f64x2.convert_low_i32x4_u(high(wb)));
  }
  return f64x2.add(f64x2.add(c0, c1), f64x2.add(c2, c3));
}

// nearestOf's answer for eight points (globals: an inlined function cannot write its caller's locals).
let nearA: v128 = i32x4.splat(0), nearB: v128 = i32x4.splat(0);
let nearIdxA: v128 = i32x4.splat(0), nearIdxB: v128 = i32x4.splat(0);

/**
 * Nearest of `count` candidates (ascending indices at list) for eight points, as assign.ts's
 * nearest8 compares all: the same f32 distances, compared as i32 bits, strict, so the earlier
 * (lower) index keeps a tie; each index exceeds those before it, so max(idx, j & closer) selects.
 */
@inline
function nearestOf(xa: v128, xb: v128, ya: v128, yb: v128, za: v128, zb: v128, list: usize, count: i32): void {
  let c = gC + (<usize>load<u16>(list) << 6);
  let cx = v128.load(c), cy = v128.load(c, 16), cz = v128.load(c, 32);
  let bestA = dist4(xa, ya, za, cx, cy, cz), bestB = dist4(xb, yb, zb, cx, cy, cz);
  let idxA = v128.load(c, 48), idxB = idxA;
  for (let q = 1; q < count; q++) {
    c = gC + (<usize>load<u16>(list + (<usize>q << 1)) << 6);
    cx = v128.load(c); cy = v128.load(c, 16); cz = v128.load(c, 32);
    const da = dist4(xa, ya, za, cx, cy, cz), db = dist4(xb, yb, zb, cx, cy, cz);
    const j = v128.load(c, 48);
    idxA = nearer(idxA, j, da, bestA);
    idxB = nearer(idxB, j, db, bestB);
    bestA = i32x4.min_s(bestA, da);
    bestB = i32x4.min_s(bestB, db);
  }
  nearA = bestA; nearB = bestB; nearIdxA = idxA; nearIdxB = idxB;
}

/**
 * A leaf that keeps several candidates: each point compared with them, its label and sums moved
 * when it changes, its cost added. The leaf's state becomes the label its points share, if they do
 * (and its cost is then cached for that centroid), else MIXED.
 */
function visitLeaf(leaf: usize, np: usize, list: usize, count: i32): void {
  const lp = gLeaves + leaf * LEAF_BYTES;
  const s = <usize>load<u32>(np, N_FIRST), e = <usize>load<u32>(np, N_END);
  let acc = f64x2.splat(0);
  let shared = -1;
  let mixed = false;
  for (let i = s; i < e; i += 8) {
    const o = i << 2;
    const valid = lanes(i, e);
    nearestOf(
      v128.load(gX + o), v128.load(gX + o, 16), v128.load(gY + o), v128.load(gY + o, 16), v128.load(gZ + o), v128.load(gZ + o, 16),
      list, count,
    );
    acc = f64x2.add(acc, costOf8(v128.and(nearA, validA), v128.and(nearB, validB), o));
    const fresh = i16x8.narrow_i32x4_u(nearIdxA, nearIdxB);
    if (shared < 0) shared = i16x8.extract_lane_u(fresh, 0);
    if ((i16x8.bitmask(i16x8.eq(fresh, i16x8.splat(<i16>shared))) & valid) != valid) mixed = true;
    const moved = i16x8.bitmask(i16x8.ne(v128.load(gLabels + (i << 1)), fresh)) & valid;
    if (moved != 0) gChanged += movePoints(i, moved, fresh);
  }
  const cost = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  gCost += cost;
  store<u32>(lp, mixed ? MIXED : <u32>shared, L_OWNER);
  store<f64>(lp, cost, L_COST);
  store<u32>(lp, mixed ? NONE : <u32>shared, L_COST_OWNER);
  if (!mixed) store<u32>(lp, load<u32>(gVersions + (<usize>shared << 2)), L_COST_VERSION);
}

/** The points i + l (l in `moved`) take their new labels (lanes of fresh) and move their sums. */
function movePoints(i: usize, moved: i32, fresh: v128): i32 {
  const tmp = gScratch;
  v128.store(tmp, fresh);
  for (let rest = moved; rest != 0; rest &= rest - 1) {
    const l = <usize>ctz<i32>(rest);
    const lp = gLabels + ((i + l) << 1);
    const to = <u32>load<u16>(tmp + (l << 1));
    movePoint(i + l, <u32>load<u16>(lp), to);
    store<u16>(lp, <u16>to);
  }
  return popcnt<i32>(moved);
}
