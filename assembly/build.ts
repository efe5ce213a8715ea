// The per-point loops of opening a session (src/kernel/wasm/tree.ts runs the rest): the points' grid,
// their cells in a 64^3 grid, the counting sort into cell order, the planes gathered into it, each
// leaf's box and exact sums, and the block sums of the weights k-means++'s first draw uses.

import { LEAF_BYTES, L_COST, L_COST_OWNER, L_COST_VERSION, L_OWNER, L_SUMS, NODE_BYTES, NONE, N_END, N_FIRST, N_HI, N_LO, N_MAX_CLOSEST, N_POT } from './tree';

/**
 * What the coordinates at ptr are: 2 all integers, 1 all on the 1/256 grid, 0 neither; (either way)
 * of magnitude below 2^15, else 0. The lowest and highest value go to f32 at out, out + 4.
 */
export function gridOf(ptr: usize, n: i32, out: usize): i32 {
  let lo = f32x4.splat(Infinity), hi = f32x4.splat(-Infinity);
  let fraction = i32x4.splat(0), offGrid = i32x4.splat(0);
  const scale = f32x4.splat(256);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(ptr + (<usize>i << 2));
    lo = f32x4.pmin(lo, v); hi = f32x4.pmax(hi, v);
    fraction = v128.or(fraction, f32x4.ne(v, f32x4.floor(v)));
    const g = f32x4.mul(v, scale);
    offGrid = v128.or(offGrid, f32x4.ne(g, f32x4.floor(g)));
  }
  let a = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  let b = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  let frac = v128.any_true(fraction), off = v128.any_true(offGrid);
  for (; i < n; i++) {
    const v = load<f32>(ptr + (<usize>i << 2));
    a = min(a, v); b = max(b, v);
    frac = frac || v != floor(v);
    off = off || v * 256 != floor(v * 256);
  }
  store<f32>(out, a);
  store<f32>(out, b, 4);
  // v * 256 is exact in f32 for |v| < 2^15 on the grid; NaN fails every comparison and lands in 0.
  if (!(a > -32768 && b < 32768) || off) return 0;
  return frac ? 1 : 2;
}

/**
 * Each point's cell (Morton code of its three cell indices, (v - lo) * scale each clamped to top,
 * scales powers of two) to codes, and the points per cell to counts (zero on entry).
 */
export function treeCodes(
  xPtr: usize, yPtr: usize, zPtr: usize, n: i32,
  ax: f32, ay: f32, az: f32, sx: f32, sy: f32, sz: f32, top: f32, codes: usize, counts: usize,
): void {
  const most = f32x4.splat(top);
  const lx = f32x4.splat(ax), ly = f32x4.splat(ay), lz = f32x4.splat(az);
  const kx = f32x4.splat(sx), ky = f32x4.splat(sy), kz = f32x4.splat(sz);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const qx = cells4(v128.load(xPtr + o), lx, kx, most), qy = cells4(v128.load(yPtr + o), ly, ky, most), qz = cells4(v128.load(zPtr + o), lz, kz, most);
    const c = v128.or(v128.or(spread4(qx), i32x4.shl(spread4(qy), 1)), i32x4.shl(spread4(qz), 2));
    v128.store(codes + o, c);
    count(counts, i32x4.extract_lane(c, 0)); count(counts, i32x4.extract_lane(c, 1));
    count(counts, i32x4.extract_lane(c, 2)); count(counts, i32x4.extract_lane(c, 3));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const qx = cellOf((load<f32>(xPtr + o) - ax) * sx, top), qy = cellOf((load<f32>(yPtr + o) - ay) * sy, top), qz = cellOf((load<f32>(zPtr + o) - az) * sz, top);
    const c = spread(qx) | (spread(qy) << 1) | (spread(qz) << 2);
    store<u32>(codes + o, c);
    count(counts, <i32>c);
  }
}

@inline
function count(counts: usize, c: i32): void {
  const at = counts + (<usize>c << 2);
  store<u32>(at, load<u32>(at) + 1);
}

/**
 * Four cell indices in [0, top] (top < 64): floor((v - lo) * scale) clamped, read off the low mantissa bits of
 * itself plus 2^23 (exact for such small integers). NaN becomes some index in range: only the speed
 * could depend on it.
 */
@inline
function cells4(v: v128, lo: v128, scale: v128, top: v128): v128 {
  const t = f32x4.pmax(f32x4.splat(0), f32x4.pmin(top, f32x4.floor(f32x4.mul(f32x4.sub(v, lo), scale))));
  return v128.and(f32x4.add(t, f32x4.splat(8388608)), i32x4.splat(63));
}

@inline
function spread4(v: v128): v128 {
  v = v128.and(v128.or(v, i32x4.shl(v, 8)), i32x4.splat(0x0300f));
  v = v128.and(v128.or(v, i32x4.shl(v, 4)), i32x4.splat(0x030c3));
  return v128.and(v128.or(v, i32x4.shl(v, 2)), i32x4.splat(0x09249));
}

/** A cell index in [0, top] (NaN to 0: only the speed could depend on it). */
@inline
function cellOf(t: f32, top: f32): u32 {
  return t >= 0 ? <u32>(t < top ? t : top) : 0;
}

/** A 6-bit value's bits spread three apart (bit b to bit 3b). */
@inline
function spread(v: u32): u32 {
  v = (v | (v << 8)) & 0x0300f;
  v = (v | (v << 4)) & 0x030c3;
  return (v | (v << 2)) & 0x09249;
}

/**
 * The counting sort: with starts[c] the first place of cell c, point i (cell codes[i]) goes to
 * place p = starts[c]++: perm[p] = i, inv[i] = p. `inv` may be `codes` (each code is read first).
 */
export function treeScatter(codes: usize, n: i32, starts: usize, perm: usize, inv: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const at = starts + (<usize>load<u32>(codes + o) << 2);
    const p = load<u32>(at);
    store<u32>(at, p + 1);
    store<u32>(perm + (<usize>p << 2), i);
    store<u32>(inv + o, p);
  }
}

/** dst[p] = src[perm[p]] for 32-bit values. */
export function treeGather(src: usize, perm: usize, n: i32, dst: usize): void {
  for (let p = 0; p < n; p++) {
    const o = <usize>p << 2;
    store<u32>(dst + o, load<u32>(src + (<usize>load<u32>(perm + o) << 2)));
  }
}

/**
 * Each leaf's box (f32) and exact sums (f64: w*x, w*y, w*z, w) over its points, whose range the host
 * wrote in the leaf's node record; every label unassigned (label state UNASSIGNED), no cost cached,
 * no k-means++ centre yet (largest closest distance +Infinity: nothing may be skipped).
 */
export function treeLeaves(nodes: usize, leafBase: i32, leaves: usize, count: i32, xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize): void {
  const iota = i32x4(0, 1, 2, 3);
  for (let leaf = 0; leaf < count; leaf++) {
    const np = nodes + (<usize>(leafBase + leaf)) * NODE_BYTES;
    const s = <usize>load<u32>(np, N_FIRST), e = <usize>load<u32>(np, N_END);
    let lx = f32x4.splat(Infinity), ly = lx, lz = lx, hx = f32x4.splat(-Infinity), hy = hx, hz = hx;
    let sxy = f64x2.splat(0), szw = sxy, txy = sxy, tzw = sxy;
    for (let i = s; i < e; i += 4) {
      const o = i << 2;
      const valid = i32x4.lt_s(iota, i32x4.splat(<i32>(e - i)));
      // Lanes past e (whatever bytes follow): +-Infinity for the box, 0 for the sums.
      const x = v128.and(v128.load(xPtr + o), valid), y = v128.and(v128.load(yPtr + o), valid), z = v128.and(v128.load(zPtr + o), valid);
      lx = f32x4.pmin(lx, v128.bitselect(x, f32x4.splat(Infinity), valid)); hx = f32x4.pmax(hx, v128.bitselect(x, f32x4.splat(-Infinity), valid));
      ly = f32x4.pmin(ly, v128.bitselect(y, f32x4.splat(Infinity), valid)); hy = f32x4.pmax(hy, v128.bitselect(y, f32x4.splat(-Infinity), valid));
      lz = f32x4.pmin(lz, v128.bitselect(z, f32x4.splat(Infinity), valid)); hz = f32x4.pmax(hz, v128.bitselect(z, f32x4.splat(-Infinity), valid));
      const w = v128.and(v128.load(wPtr + o), valid);
      const w0 = f64x2.convert_low_i32x4_u(w), w1 = f64x2.convert_low_i32x4_u(i8x16.shuffle(w, w, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
      // Lanes 0, 1 then 2, 3 of (x, y) and (z, w): exact integer sums, any order.
      const xy0 = f64x2.promote_low_f32x4(i8x16.shuffle(x, y, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3));
      const xy1 = f64x2.promote_low_f32x4(i8x16.shuffle(x, y, 4, 5, 6, 7, 20, 21, 22, 23, 0, 1, 2, 3, 0, 1, 2, 3));
      const xy2 = f64x2.promote_low_f32x4(i8x16.shuffle(x, y, 8, 9, 10, 11, 24, 25, 26, 27, 0, 1, 2, 3, 0, 1, 2, 3));
      const xy3 = f64x2.promote_low_f32x4(i8x16.shuffle(x, y, 12, 13, 14, 15, 28, 29, 30, 31, 0, 1, 2, 3, 0, 1, 2, 3));
      const z01 = f64x2.promote_low_f32x4(z), z23 = f64x2.promote_low_f32x4(i8x16.shuffle(z, z, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
      sxy = f64x2.add(sxy, f64x2.add(f64x2.mul(xy0, f64x2.splat(f64x2.extract_lane(w0, 0))), f64x2.mul(xy1, f64x2.splat(f64x2.extract_lane(w0, 1)))));
      txy = f64x2.add(txy, f64x2.add(f64x2.mul(xy2, f64x2.splat(f64x2.extract_lane(w1, 0))), f64x2.mul(xy3, f64x2.splat(f64x2.extract_lane(w1, 1)))));
      szw = f64x2.add(szw, f64x2.add(f64x2.mul(z01, w0), f64x2.mul(z23, w1)));
      tzw = f64x2.add(tzw, f64x2.add(w0, w1));
    }
    const sumXY = f64x2.add(sxy, txy);
    store<f32>(np, min(min(f32x4.extract_lane(lx, 0), f32x4.extract_lane(lx, 1)), min(f32x4.extract_lane(lx, 2), f32x4.extract_lane(lx, 3))), N_LO);
    store<f32>(np, min(min(f32x4.extract_lane(ly, 0), f32x4.extract_lane(ly, 1)), min(f32x4.extract_lane(ly, 2), f32x4.extract_lane(ly, 3))), N_LO + 4);
    store<f32>(np, min(min(f32x4.extract_lane(lz, 0), f32x4.extract_lane(lz, 1)), min(f32x4.extract_lane(lz, 2), f32x4.extract_lane(lz, 3))), N_LO + 8);
    store<f32>(np, max(max(f32x4.extract_lane(hx, 0), f32x4.extract_lane(hx, 1)), max(f32x4.extract_lane(hx, 2), f32x4.extract_lane(hx, 3))), N_HI);
    store<f32>(np, max(max(f32x4.extract_lane(hy, 0), f32x4.extract_lane(hy, 1)), max(f32x4.extract_lane(hy, 2), f32x4.extract_lane(hy, 3))), N_HI + 4);
    store<f32>(np, max(max(f32x4.extract_lane(hz, 0), f32x4.extract_lane(hz, 1)), max(f32x4.extract_lane(hz, 2), f32x4.extract_lane(hz, 3))), N_HI + 8);
    store<f32>(np, Infinity, N_MAX_CLOSEST);
    store<f64>(np, 0, N_POT);
    const lp = leaves + <usize>leaf * LEAF_BYTES;
    store<f64>(lp, f64x2.extract_lane(sumXY, 0), L_SUMS); store<f64>(lp, f64x2.extract_lane(sumXY, 1), L_SUMS + 8);
    store<f64>(lp, f64x2.extract_lane(szw, 0) + f64x2.extract_lane(szw, 1), L_SUMS + 16);
    store<f64>(lp, f64x2.extract_lane(tzw, 0) + f64x2.extract_lane(tzw, 1), L_SUMS + 24);
    store<f64>(lp, 0, L_COST);
    store<u32>(lp, 0xffff, L_OWNER);
    store<u32>(lp, NONE, L_COST_OWNER);
    store<u32>(lp, 0, L_COST_VERSION);
  }
}

/** Sums of the u32 weights at wPtr (or of 1 each) per block of 256 points, to f64 at out; returns their total. */
export function weightBlocks(wPtr: usize, n: i32, out: usize): f64 {
  let total: f64 = 0;
  for (let b = 0; (b << 8) < n; b++) {
    const end = min(n, (b + 1) << 8);
    let s: u64 = 0;
    if (wPtr) for (let i = b << 8; i < end; i++) s += <u64>load<u32>(wPtr + (<usize>i << 2));
    else s = <u64>(end - (b << 8));
    store<f64>(out + (<usize>b << 3), <f64>s);
    total += <f64>s;
  }
  return total;
}

/** `bytes` bytes at ptr set to `value` (a session's labels to UNASSIGNED: 0xff bytes), faster than a host fill of shared memory. */
export function treeFill(ptr: usize, bytes: usize, value: u8): void {
  memory.fill(ptr, value, bytes);
}

/** The labels in the caller's order: dst[perm[p]] = labels[p] (u16). */
export function treeLabelsOut(labels: usize, perm: usize, n: i32, dst: usize): void {
  for (let p = 0; p < n; p++) {
    store<u16>(dst + (<usize>load<u32>(perm + (<usize>p << 2)) << 1), load<u16>(labels + (<usize>p << 1)));
  }
}

/** n f32 at ptr (16-aligned) set to v: k-means++'s closest plane to +Infinity. */
export function fillF32(ptr: usize, n: i32, v: f32): void {
  const s = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(ptr + (<usize>i << 2), s);
  for (; i < n; i++) store<f32>(ptr + (<usize>i << 2), v);
}
