// k-means++ in the kernel: each candidate centre's potential, adding the chosen centre, and the draws.
// The draws keep the reference's bits (core/seeding.ts's TS twin adds closest[i] * w[i] one point
// after another in the caller's order): every running sum is an integer multiple of a unit (1 for
// integer coordinates, 2^-16 for the 1/256 grid) while the total stays below 2^52 units, so sums per
// block of 256 points, kept up to date as centres are added, are exact and add up to the very values
// of the running sum. Above that (the host decides), seedChain redoes the running sum in order.
//
// Potentials are sums of integers (floor(d * 256) * w), exact in any order, the TS twin's bit for bit.

import { dist4, high } from './common';
import {
  H_BLOCKS, H_BLOCK_COUNT, H_BLOCK_W, H_CHECKS, H_CLOSEST, H_INV, H_N, H_NODES, H_PERM, H_TOP, H_W, H_X, H_Y, H_Z,
  NODE_BYTES, N_END, N_FIRST, N_HI, N_LO, N_MAX_CLOSEST, N_POT, field,
} from './tree';

/**
 * Potential only; add the centre (closest = min(closest, d)); add the first centre (closest was
 * +Infinity); potential before any centre (the tree's summaries may be an earlier run's: none is used).
 */
const POTENTIAL = 0, ADD = 1, FIRST = 2, FRESH = 3;
const BLOCK_SHIFT = 8;

/**
 * One candidate centre (cx, cy, cz) against points [0, n) in order: return the potential, the sum of
 * floor(min(closest[i], d_i) * 256) * w[i]. With mode ADD or FIRST, also store that minimum in closest,
 * and with ADD keep the block sums (f64 per 256 points, at blocks; the chunk starts on a block) up to
 * date: after the first centre the host rebuilds them all from seedChain.
 */
export function seedFlat(
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize, n: i32,
  cx: f32, cy: f32, cz: f32, closestPtr: usize, blocks: usize, mode: i32,
): f64 {
  const vx = f32x4.splat(cx), vy = f32x4.splat(cy), vz = f32x4.splat(cz);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const d = dist4(v128.load(xPtr + o), v128.load(yPtr + o), v128.load(zPtr + o), vx, vy, vz);
    const old = v128.load(closestPtr + o);
    const m = f32x4.pmin(d, old); // old < d ? old : d
    const w = wPtr ? v128.load(wPtr + o) : i32x4.splat(1);
    acc = f64x2.add(acc, weighted(f32x4.floor(f32x4.mul(m, f32x4.splat(256))), w));
    if (mode == ADD || mode == FIRST) {
      v128.store(closestPtr + o, m);
      if (mode == ADD) blockAdd(blocks + (<usize>(i >> BLOCK_SHIFT) << 3), m, old, w);
    }
  }
  let potential = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const dx = load<f32>(xPtr + o) - cx, dy = load<f32>(yPtr + o) - cy, dz = load<f32>(zPtr + o) - cz;
    const d = (dx * dx + dy * dy) + dz * dz;
    potential += scalarPoint(closestPtr + o, d, wPtr ? <f64>load<u32>(wPtr + o) : 1.0, blocks + (<usize>(i >> BLOCK_SHIFT) << 3), mode);
  }
  return potential;
}

/** seedFlat() for five-dimensional points of weight 1. */
export function seedFlat5(
  xPtr: usize, yPtr: usize, zPtr: usize, uPtr: usize, vPtr: usize, n: i32,
  cx: f32, cy: f32, cz: f32, cu: f32, cv: f32, closestPtr: usize, blocks: usize, mode: i32,
): f64 {
  const vx = f32x4.splat(cx), vy = f32x4.splat(cy), vz = f32x4.splat(cz), vu = f32x4.splat(cu), vv = f32x4.splat(cv);
  const one = i32x4.splat(1);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const dx = f32x4.sub(v128.load(xPtr + o), vx), dy = f32x4.sub(v128.load(yPtr + o), vy);
    const dz = f32x4.sub(v128.load(zPtr + o), vz), du = f32x4.sub(v128.load(uPtr + o), vu);
    const dv = f32x4.sub(v128.load(vPtr + o), vv);
    const d = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy)), f32x4.mul(dz, dz)), f32x4.mul(du, du)), f32x4.mul(dv, dv));
    const old = v128.load(closestPtr + o);
    const m = f32x4.pmin(d, old);
    acc = f64x2.add(acc, weighted(f32x4.floor(f32x4.mul(m, f32x4.splat(256))), one));
    if (mode == ADD || mode == FIRST) {
      v128.store(closestPtr + o, m);
      if (mode == ADD) blockAdd(blocks + (<usize>(i >> BLOCK_SHIFT) << 3), m, old, one);
    }
  }
  let potential = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const dx = load<f32>(xPtr + o) - cx, dy = load<f32>(yPtr + o) - cy, dz = load<f32>(zPtr + o) - cz;
    const du = load<f32>(uPtr + o) - cu, dv = load<f32>(vPtr + o) - cv;
    const d = (((dx * dx + dy * dy) + dz * dz) + du * du) + dv * dv;
    potential += scalarPoint(closestPtr + o, d, 1.0, blocks + (<usize>(i >> BLOCK_SHIFT) << 3), mode);
  }
  return potential;
}

/** Four floor(d * 256) (f32, in q) times their u32 weights, as one f64 pair. */
@inline
function weighted(q: v128, w: v128): v128 {
  const lo = f64x2.mul(f64x2.promote_low_f32x4(q), f64x2.convert_low_i32x4_u(w));
  const hi = f64x2.mul(f64x2.promote_low_f32x4(high(q)), f64x2.convert_low_i32x4_u(high(w)));
  return f64x2.add(lo, hi);
}

/**
 * Add to one block's sum what four points' new closest distances m (from old) change in it:
 * (m - old) * w. Exact whenever the host relies on the block sums.
 */
@inline
function blockAdd(at: usize, m: v128, old: v128, w: v128): void {
  if (i32x4.bitmask(f32x4.lt(m, old)) == 0) return;
  const a = f64x2.sub(f64x2.promote_low_f32x4(m), f64x2.promote_low_f32x4(old));
  const b = f64x2.sub(f64x2.promote_low_f32x4(high(m)), f64x2.promote_low_f32x4(high(old)));
  const s = f64x2.add(f64x2.mul(a, f64x2.convert_low_i32x4_u(w)), f64x2.mul(b, f64x2.convert_low_i32x4_u(high(w))));
  store<f64>(at, load<f64>(at) + (f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)));
}

/** One point of a scalar tail: its cost, with ADD or FIRST its closest distance, with ADD its block sum. */
@inline
function scalarPoint(at: usize, d: f32, w: f64, block: usize, mode: i32): f64 {
  const old = load<f32>(at);
  const m = old < d ? old : d;
  if (mode == ADD || mode == FIRST) {
    store<f32>(at, m);
    if (mode == ADD && m < old) store<f64>(block, load<f64>(block) + (<f64>m - <f64>old) * w);
  }
  return <f64>floor<f32>(m * 256.0) * w;
}

// The candidate centre and the session's planes, for the walk (each worker's instance has its own).
let sX: usize = 0, sY: usize = 0, sZ: usize = 0, sW: usize = 0, sClosest: usize = 0, sPerm: usize = 0, sBlocks: usize = 0;
let sNodes: usize = 0;
let pX: f64 = 0, pY: f64 = 0, pZ: f64 = 0;
let qX: f32 = 0, qY: f32 = 0, qZ: f32 = 0;

// A box is skipped when every f32 distance to the candidate is certainly above every closest
// distance in it: an f32 distance is within 5 * 2^-24 (relative) of the exact one, and the exact one
// is at least the box's distance (computed in f64: its error is far below this margin).
const SKIP: f64 = 1.0 - 1.0 / <f64>(1 << 18);
const TINY: f64 = 1e-30;

/**
 * seedFlat() over the session's box tree (H_NODES), for the candidate centre (cx, cy, cz): boxes
 * whose points the centre cannot come closer to contribute their potential unvisited. With ADD or
 * FIRST, the closest distances and each box's potential and largest closest distance follow, and
 * with ADD the block sums (by each point's caller index, H_PERM). One thread.
 */
export function seedTree(hdr: usize, cx: f32, cy: f32, cz: f32, mode: i32): f64 {
  sX = field(hdr, H_X); sY = field(hdr, H_Y); sZ = field(hdr, H_Z); sW = field(hdr, H_W);
  sClosest = field(hdr, H_CLOSEST); sPerm = field(hdr, H_PERM); sBlocks = field(hdr, H_BLOCKS);
  sNodes = field(hdr, H_NODES);
  pX = cx; pY = cy; pZ = cz; qX = cx; qY = cy; qZ = cz;
  return seedWalk(0, <i32>field(hdr, H_TOP), mode);
}

function seedWalk(node: usize, level: i32, mode: i32): f64 {
  const np = sNodes + node * NODE_BYTES;
  if ((mode == POTENTIAL || mode == ADD) && boxDistance(np) * SKIP - TINY > <f64>load<f32>(np, N_MAX_CLOSEST)) return load<f64>(np, N_POT);
  const first = <usize>load<u32>(np, N_FIRST), end = <usize>load<u32>(np, N_END);
  let pot: f64 = 0;
  let most: f32 = 0;
  if (level == 0) {
    pot = seedLeaf(first, end, mode);
    most = leafMost;
  } else {
    for (let c = first; c < end; c++) {
      pot += seedWalk(c, level - 1, mode);
      most = max(most, load<f32>(sNodes + c * NODE_BYTES, N_MAX_CLOSEST));
    }
  }
  if (mode == ADD || mode == FIRST) {
    store<f64>(np, pot, N_POT);
    store<f32>(np, most, N_MAX_CLOSEST);
  }
  return pot;
}

/** Squared distance (f64) from the candidate to a node's box. */
@inline
function boxDistance(np: usize): f64 {
  const ax = axisGap(pX, <f64>load<f32>(np, N_LO), <f64>load<f32>(np, N_HI));
  const ay = axisGap(pY, <f64>load<f32>(np, N_LO + 4), <f64>load<f32>(np, N_HI + 4));
  const az = axisGap(pZ, <f64>load<f32>(np, N_LO + 8), <f64>load<f32>(np, N_HI + 8));
  return (ax * ax + ay * ay) + az * az;
}

@inline
function axisGap(p: f64, lo: f64, hi: f64): f64 {
  return p < lo ? lo - p : p > hi ? p - hi : 0.0;
}

// The largest closest distance of the leaf seedLeaf just went through (with ADD or FIRST).
let leafMost: f32 = 0;

/** One leaf's points [s, e), four at a time; lanes past e are left as they were and cost nothing. */
function seedLeaf(s: usize, e: usize, mode: i32): f64 {
  const vx = f32x4.splat(qX), vy = f32x4.splat(qY), vz = f32x4.splat(qZ);
  const iota = i32x4(0, 1, 2, 3);
  let acc = f64x2.splat(0);
  let most = f32x4.splat(0);
  for (let i = s; i < e; i += 4) {
    const o = i << 2;
    const valid = i32x4.lt_s(iota, i32x4.splat(<i32>(e - i)));
    const d = dist4(v128.load(sX + o), v128.load(sY + o), v128.load(sZ + o), vx, vy, vz);
    const old = v128.load(sClosest + o);
    const m = v128.bitselect(f32x4.pmin(d, old), old, valid);
    const w = sW ? v128.load(sW + o) : i32x4.splat(1);
    acc = f64x2.add(acc, weighted(v128.and(f32x4.floor(f32x4.mul(m, f32x4.splat(256))), valid), w));
    if (mode != ADD && mode != FIRST) continue;
    v128.store(sClosest + o, m);
    most = f32x4.pmax(most, v128.and(m, valid));
    const changed = i32x4.bitmask(v128.and(f32x4.lt(m, old), valid));
    if (changed != 0 && mode == ADD) treeBlocks(i, changed, m, old, w);
  }
  leafMost = max(max(f32x4.extract_lane(most, 0), f32x4.extract_lane(most, 1)), max(f32x4.extract_lane(most, 2), f32x4.extract_lane(most, 3)));
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/**
 * The block sums of the points i + l (l in the mask) whose closest distance fell from old to m.
 * After the first centre they are left alone: the host then rebuilds them all from seedChain.
 */
function treeBlocks(i: usize, changed: i32, m: v128, old: v128, w: v128): void {
  // (m - old) * w of all four lanes at once (f64 difference of the f32 values, times the weight), added lane by lane in order.
  const lo = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(m), f64x2.promote_low_f32x4(old)), f64x2.convert_low_i32x4_u(w));
  const hi = f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(high(m)), f64x2.promote_low_f32x4(high(old))), f64x2.convert_low_i32x4_u(high(w)));
  const pp = sPerm + (i << 2);
  if (changed & 1) blockAdd1(pp, f64x2.extract_lane(lo, 0));
  if (changed & 2) blockAdd1(pp + 4, f64x2.extract_lane(lo, 1));
  if (changed & 4) blockAdd1(pp + 8, f64x2.extract_lane(hi, 0));
  if (changed & 8) blockAdd1(pp + 12, f64x2.extract_lane(hi, 1));
}

/** Add d to the block sum of the point whose caller index is the u32 at pp. */
@inline
function blockAdd1(pp: usize, d: f64): void {
  const at = sBlocks + (<usize>(load<u32>(pp) >> BLOCK_SHIFT) << 3);
  store<f64>(at, load<f64>(at) + d);
}

/** The exact total of the block sums (sum of closest * w, or of w when `weights`), in block order. */
export function seedSum(hdr: usize, weights: bool): f64 {
  const blocks = field(hdr, weights ? H_BLOCK_W : H_BLOCKS), count = <i32>field(hdr, H_BLOCK_COUNT);
  let s: f64 = 0;
  for (let b = 0; b < count; b++) s += load<f64>(blocks + (<usize>b << 3));
  return s;
}

/** Point i's draw weight, i in the caller's order: w, or closest * w (f64 product, as the TS twin forms it). */
@inline
function term(i: usize, weights: bool, inv: usize, closest: usize, w: usize): f64 {
  const p = inv ? <usize>load<u32>(inv + (i << 2)) : i;
  const wp = w ? <f64>load<u32>(w + (p << 2)) : 1.0;
  return weights ? wp : <f64>load<f32>(closest + (p << 2)) * wp;
}

/**
 * The running sum of closest * w in the caller's order, point after point as the TS twin adds it:
 * its value at each block's end goes to H_CHECKS. With `rebuild` (the host found it exact), the
 * block sums become the differences. Returns the total.
 */
export function seedChain(hdr: usize, rebuild: bool): f64 {
  const n = <usize>field(hdr, H_N), inv = field(hdr, H_INV), closest = field(hdr, H_CLOSEST), w = field(hdr, H_W);
  const checks = field(hdr, H_CHECKS), blocks = field(hdr, H_BLOCKS);
  let s: f64 = 0, before: f64 = 0;
  for (let b: usize = 0; (b << BLOCK_SHIFT) < n; b++) {
    const end = min(n, (b + 1) << BLOCK_SHIFT);
    for (let i = b << BLOCK_SHIFT; i < end; i++) s += term(i, false, inv, closest, w);
    store<f64>(checks + (b << 3), s);
    if (rebuild) store<f64>(blocks + (b << 3), s - before);
    before = s;
  }
  return s;
}

/**
 * The first point (caller's order) whose running sum exceeds v, as core/seeding.ts's search finds
 * it; when none does, the last point that adds weight (0 if none). `mode`: 0 the weights alone
 * (block sums of w), 1 closest * w by its exact block sums, 2 by seedChain's running sum.
 */
export function seedDraw(hdr: usize, v: f64, mode: i32): i32 {
  const n = <usize>field(hdr, H_N), inv = field(hdr, H_INV), closest = field(hdr, H_CLOSEST), w = field(hdr, H_W);
  const count = <usize>field(hdr, H_BLOCK_COUNT), weights = mode == 0;
  const at = field(hdr, mode == 0 ? H_BLOCK_W : mode == 1 ? H_BLOCKS : H_CHECKS);
  let s: f64 = 0;
  for (let b: usize = 0; b < count; b++) {
    const value = load<f64>(at + (b << 3));
    const t = mode == 2 ? value : s + value;
    if (t > v) {
      if (mode == 2) s = b > 0 ? load<f64>(at + ((b - 1) << 3)) : 0;
      const end = min(n, (b + 1) << BLOCK_SHIFT);
      for (let i = b << BLOCK_SHIFT; i < end; i++) {
        s += term(i, weights, inv, closest, w);
        if (s > v) return <i32>i;
      }
      if (mode == 2) s = value;
    } else if (mode != 2) {
      s = t;
    }
  }
  return lastAdding(n, count, at, mode, weights, inv, closest, w);
}

/** seedDraw()'s fallback: the last point whose term changes the running sum (the search's step back), or 0 (as for point 0). */
function lastAdding(n: usize, count: usize, at: usize, mode: i32, weights: bool, inv: usize, closest: usize, w: usize): i32 {
  for (let b = <isize>count - 1; b >= 0; b--) {
    const ub = <usize>b;
    const value = load<f64>(at + (ub << 3));
    const before: f64 = mode == 2 && ub > 0 ? load<f64>(at + ((ub - 1) << 3)) : 0;
    if (mode == 2 ? ub > 0 && value == before : !(value > 0)) continue;
    const end = min(n, (ub + 1) << BLOCK_SHIFT);
    let s = before, last: isize = -1;
    for (let i = ub << BLOCK_SHIFT; i < end; i++) {
      const next = s + term(i, weights, inv, closest, w);
      if (mode == 2 ? next != s : next > s) last = <isize>i;
      s = next;
    }
    if (last >= 0) return <i32>last;
  }
  return 0;
}
