// The distance-and-assign kernel in five dimensions (colour and scaled position, weight 1), 128-bit
// SIMD. Same contract as ../assign.ts: strict `<` on ties, inertia and sums exact integers, so its
// answers are the TS twin's (src/kernel/js.ts) bit for bit.
//
// Why this file sits in assign/: binaryen lays out functions of equal use by their internal names
// (file path + name), and assembly/assign/assign5 sorts where assign5 always sat, between the 3-D
// kernel's assignPass and assign. Another path reorders the functions: same code, different bytes.

import { UNASSIGNED, addOutcome, foldBanks, high } from '../common';

// Five dimensions: colour plus scaled position (spatial segmentation). Centroid j is five splatted
// v128 at cPtr + j * 80; sums are six f64 (x, y, z, u, v, w) at sumPtr + label * 48, in two banks.
// d = ((((dx*dx + dy*dy) + dz*dz) + du*du) + dv*dv). Four points per step: the five coordinate
// vectors of eight points would not fit in the sixteen registers of a 128-bit x86 target.
const CENTROID5_BYTES: usize = 80;

/** Add (sign 1) or take away (sign -1) point i from cluster `label`'s six sums at sumPtr + label * 48. */
@inline
function addToSums5(i: i32, label: i32, sign: f64, xPtr: usize, yPtr: usize, zPtr: usize, uPtr: usize, vPtr: usize, sumPtr: usize): void {
  const s = sumPtr + <usize>label * 48;
  const o = <usize>i << 2;
  store<f64>(s, load<f64>(s) + <f64>load<f32>(xPtr + o) * sign);
  store<f64>(s, load<f64>(s, 8) + <f64>load<f32>(yPtr + o) * sign, 8);
  store<f64>(s, load<f64>(s, 16) + <f64>load<f32>(zPtr + o) * sign, 16);
  store<f64>(s, load<f64>(s, 24) + <f64>load<f32>(uPtr + o) * sign, 24);
  store<f64>(s, load<f64>(s, 32) + <f64>load<f32>(vPtr + o) * sign, 32);
  store<f64>(s, load<f64>(s, 40) + sign, 40);
}

/** Move point i from cluster `from` (none if UNASSIGNED) to `to`. */
@inline
function move5(i: i32, from: i32, to: i32, xPtr: usize, yPtr: usize, zPtr: usize, uPtr: usize, vPtr: usize, sumPtr: usize): void {
  addToSums5(i, to, 1.0, xPtr, yPtr, zPtr, uPtr, vPtr, sumPtr);
  if (from != UNASSIGNED) addToSums5(i, from, -1.0, xPtr, yPtr, zPtr, uPtr, vPtr, sumPtr);
}

/** assign() for five-dimensional points of weight 1 (positions are unique: no histogram). */
export function assign5(
  xPtr: usize, yPtr: usize, zPtr: usize, uPtr: usize, vPtr: usize, n: i32,
  cPtr: usize, k: i32, labelPtr: usize, sumPtr: usize, outPtr: usize,
): void {
  const bank = <usize>k * 48;
  let changed = 0;
  let cost = f64x2.splat(0);
  const scale = f32x4.splat(256);
  const ones = i32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const px = v128.load(xPtr + o), py = v128.load(yPtr + o), pz = v128.load(zPtr + o);
    const pu = v128.load(uPtr + o), pv = v128.load(vPtr + o);
    let best = f32x4.splat(0);
    let idx = i32x4.splat(0);
    let j = i32x4.splat(0);
    let c = cPtr;
    for (let jj = 0; jj < k; jj++, c += CENTROID5_BYTES) {
      const dx = f32x4.sub(px, v128.load(c)), dy = f32x4.sub(py, v128.load(c, 16)), dz = f32x4.sub(pz, v128.load(c, 32));
      const du = f32x4.sub(pu, v128.load(c, 48)), dv = f32x4.sub(pv, v128.load(c, 64));
      const d = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy)), f32x4.mul(dz, dz)), f32x4.mul(du, du)), f32x4.mul(dv, dv));
      if (jj == 0) { best = d; } else {
        idx = v128.bitselect(j, idx, f32x4.lt(d, best));
        best = f32x4.pmin(best, d);
      }
      j = i32x4.add(j, ones);
    }
    const q = f32x4.floor(f32x4.mul(best, scale));
    cost = f64x2.add(cost, f64x2.add(f64x2.promote_low_f32x4(q), f64x2.promote_low_f32x4(high(q))));
    for (let l = 0; l < 4; l++) {
      const label = i32x4.extract_lane(idx, 0);
      idx = i8x16.shuffle(idx, idx, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3);
      const lp = labelPtr + (<usize>(i + l) << 1);
      const from = <i32>load<u16>(lp);
      if (from == label) continue;
      changed++;
      store<u16>(lp, <u16>label);
      move5(i + l, from, label, xPtr, yPtr, zPtr, uPtr, vPtr, sumPtr + (<usize>(l & 1)) * bank);
    }
  }
  let inertia = f64x2.extract_lane(cost, 0) + f64x2.extract_lane(cost, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(xPtr + o), y = load<f32>(yPtr + o), z = load<f32>(zPtr + o);
    const u = load<f32>(uPtr + o), v = load<f32>(vPtr + o);
    let best: f32 = 0;
    let bi = 0;
    for (let jj = 0; jj < k; jj++) {
      const c = cPtr + <usize>jj * CENTROID5_BYTES;
      const dx = x - load<f32>(c), dy = y - load<f32>(c, 16), dz = z - load<f32>(c, 32);
      const du = u - load<f32>(c, 48), dv = v - load<f32>(c, 64);
      const d = (((dx * dx + dy * dy) + dz * dz) + du * du) + dv * dv;
      if (jj == 0 || d < best) { best = d; bi = jj; }
    }
    inertia += <f64>floor<f32>(best * 256.0);
    const lp = labelPtr + (<usize>i << 1);
    const from = <i32>load<u16>(lp);
    if (from == bi) continue;
    changed++;
    store<u16>(lp, <u16>bi);
    move5(i, from, bi, xPtr, yPtr, zPtr, uPtr, vPtr, sumPtr);
  }
  foldBanks(sumPtr, bank);
  addOutcome(outPtr, inertia, changed, 0);
}
