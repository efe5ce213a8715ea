// What every kernel shares: the unassigned label, the two sums banks and the outcome slot, and the
// lane helpers. Each helper is @inline: it costs no call, and each kernel's code is as if written in place.

/** The label of a point no pass has assigned yet (the host fills labels with it). */
export const UNASSIGNED: i32 = 0xffff;

/**
 * Fold the second bank into the first (exact: integer sums) and zero it: a thread calls the kernel
 * once per chunk it takes, and every call adds to the same two banks and outcome slots.
 */
@inline
export function foldBanks(sumPtr: usize, bank: usize): void {
  const zero = f64x2.splat(0);
  for (let q: usize = 0; q < bank; q += 16) {
    v128.store(sumPtr + q, f64x2.add(v128.load(sumPtr + q), v128.load(sumPtr + bank + q)));
    v128.store(sumPtr + bank + q, zero);
  }
}

/** Add this call's inertia (units of 1/256), changed count and settled count to the f64 at outPtr. */
@inline
export function addOutcome(outPtr: usize, inertia: f64, changed: i32, settled: i32): void {
  store<f64>(outPtr, load<f64>(outPtr) + inertia);
  store<f64>(outPtr, load<f64>(outPtr, 8) + <f64>changed, 8);
  store<f64>(outPtr, load<f64>(outPtr, 16) + <f64>settled, 16);
}

@inline
export function weightOf(wPtr: usize, i: i32): f64 {
  return wPtr ? <f64>load<u32>(wPtr + (<usize>i << 2)) : 1.0;
}

/** f64x2 of the upper two lanes of a f32x4 or u32x4, for the promote/convert instructions. */
@inline
export function high(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
}

/**
 * The f32 squared distances of four points (x, y, z) to a centroid (cx, cy, cz): ((dx*dx + dy*dy) +
 * dz*dz), the operations and order of the TS twin (kernel/f32.ts). Every 3-D kernel measures with it.
 */
@inline
export function dist4(x: v128, y: v128, z: v128, cx: v128, cy: v128, cz: v128): v128 {
  const dx = f32x4.sub(x, cx), dy = f32x4.sub(y, cy), dz = f32x4.sub(z, cz);
  return f32x4.add(f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy)), f32x4.mul(dz, dz));
}

/**
 * The running nearest index of four points: j where d is strictly below best, else idx, so a tie
 * keeps the lower index. Distances are never negative nor NaN, so their bits compare as i32; and as
 * each j exceeds every index before it, max(idx, j & closer) selects.
 */
@inline
export function nearer(idx: v128, j: v128, d: v128, best: v128): v128 {
  return i32x4.max_s(idx, v128.and(j, i32x4.lt_s(d, best)));
}
