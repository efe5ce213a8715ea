// k-means++'s distances (mindist, mindist5): one candidate centre against every point, 3-D weighted
// or 5-D weight 1. The potential sums integers (floor(d * 256) times a weight): exact in any order,
// the same on every thread count, and the TS twin's (src/kernel/js.ts jsSeeding) bit for bit.
//
// Named distances.ts, not mindist.ts: binaryen orders functions of equal use by internal name, and
// only a name between assembly/assign and assembly/histogram keeps the build's bytes as they were.

import { high, weightOf } from './common';

/**
 * One k-means++ candidate: out[i] = min(closest[i], d(point i, c)) (f32), and return the potential,
 * the sum of floor(out[i] * 256) * w[i] (integers, so exact in any order, like the inertia).
 */
export function mindist(
  xPtr: usize, yPtr: usize, zPtr: usize, wPtr: usize, n: i32,
  cx: f32, cy: f32, cz: f32, closestPtr: usize, outPtr: usize,
): f64 {
  const vx = f32x4.splat(cx), vy = f32x4.splat(cy), vz = f32x4.splat(cz);
  const scale = f32x4.splat(256);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const dx = f32x4.sub(v128.load(xPtr + o), vx);
    const dy = f32x4.sub(v128.load(yPtr + o), vy);
    const dz = f32x4.sub(v128.load(zPtr + o), vz);
    const d = f32x4.add(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy)), f32x4.mul(dz, dz));
    const m = f32x4.pmin(d, v128.load(closestPtr + o)); // closest < d ? closest : d
    v128.store(outPtr + o, m);
    const q = f32x4.floor(f32x4.mul(m, scale));
    let lo = f64x2.promote_low_f32x4(q), hi = f64x2.promote_low_f32x4(high(q));
    if (wPtr) {
      const w = v128.load(wPtr + o);
      lo = f64x2.mul(lo, f64x2.convert_low_i32x4_u(w));
      hi = f64x2.mul(hi, f64x2.convert_low_i32x4_u(high(w)));
    }
    acc = f64x2.add(acc, f64x2.add(lo, hi));
  }
  let potential = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const dx = load<f32>(xPtr + o) - cx, dy = load<f32>(yPtr + o) - cy, dz = load<f32>(zPtr + o) - cz;
    let d = (dx * dx + dy * dy) + dz * dz;
    const c = load<f32>(closestPtr + o);
    if (c < d) d = c;
    store<f32>(outPtr + o, d);
    potential += <f64>floor<f32>(d * 256.0) * weightOf(wPtr, i);
  }
  return potential;
}

/** mindist() for five-dimensional points of weight 1. */
export function mindist5(
  xPtr: usize, yPtr: usize, zPtr: usize, uPtr: usize, vPtr: usize, n: i32,
  cx: f32, cy: f32, cz: f32, cu: f32, cv: f32, closestPtr: usize, outPtr: usize,
): f64 {
  const vx = f32x4.splat(cx), vy = f32x4.splat(cy), vz = f32x4.splat(cz), vu = f32x4.splat(cu), vv = f32x4.splat(cv);
  const scale = f32x4.splat(256);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const dx = f32x4.sub(v128.load(xPtr + o), vx), dy = f32x4.sub(v128.load(yPtr + o), vy);
    const dz = f32x4.sub(v128.load(zPtr + o), vz), du = f32x4.sub(v128.load(uPtr + o), vu);
    const dv = f32x4.sub(v128.load(vPtr + o), vv);
    const d = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy)), f32x4.mul(dz, dz)), f32x4.mul(du, du)), f32x4.mul(dv, dv));
    const m = f32x4.pmin(d, v128.load(closestPtr + o));
    v128.store(outPtr + o, m);
    const q = f32x4.floor(f32x4.mul(m, scale));
    acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(q), f64x2.promote_low_f32x4(high(q))));
  }
  let potential = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const dx = load<f32>(xPtr + o) - cx, dy = load<f32>(yPtr + o) - cy, dz = load<f32>(zPtr + o) - cz;
    const du = load<f32>(uPtr + o) - cu, dv = load<f32>(vPtr + o) - cv;
    let d = (((dx * dx + dy * dy) + dz * dz) + du * du) + dv * dv;
    const c = load<f32>(closestPtr + o);
    if (c < d) d = c;
    store<f32>(outPtr + o, d);
    potential += <f64>floor<f32>(d * 256.0);
  }
  return potential;
}
