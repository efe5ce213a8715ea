/**
 * minRegion: every region under the minimum joins a neighbour, smallest first, until none is left that
 * has a neighbour. Invariant: the order is fixed (area, then region id; nearest mean colour, then the
 * lower cluster, then the lower id), so the same regions always merge the same way.
 */
import { fromSrgb, type ColorSpace } from './colorspace.js';
import type { Labels } from '../types.js';
import { AREA, STATS, SUM_R } from './region-list.js';
import { NONE, type Found, type Runs } from './regions.js';

/**
 * Merge the regions of `r` under `minRegion` pixels, smallest first (ties: the lower region id): each
 * joins the neighbouring region (in r's connectivity) whose mean colour, in the clustering space, is
 * nearest its own (ties: the lower cluster index, then the lower id), and takes its label. Means, areas
 * and neighbours are updated after each merge, so a small region that grew by a merge is taken again
 * at its new size. A region with no neighbour (alone, or bounded by transparent pixels) stays. Rewrites
 * `labels` and the runs' ids, and returns the regions renumbered in the raster order of their first pixels.
 */
export function mergeSmallRegions(r: Found, runs: Runs, labels: Labels, minRegion: number, space: ColorSpace): Found {
  const { count, stats } = r;
  const small = new Uint8Array(count);
  const queue = new SmallestFirst();
  let smallCount = 0;
  for (let i = 0; i < count; i++) {
    const a = stats[i * STATS + AREA]!;
    if (a < minRegion) { small[i] = 1; queue.add(a, i); smallCount++; }
  }
  if (smallCount === 0) return { ...r, minRegion };
  const graph = new Neighbours(r, runs, small);
  const parent = new Int32Array(count);
  for (let i = 0; i < count; i++) parent[i] = i;
  const area = (i: number): number => stats[i * STATS + AREA]!;
  const find = (a: number): number => {
    while (parent[a] !== a) { parent[a] = parent[parent[a]!]!; a = parent[a]!; }
    return a;
  };
  const means = new MeanColours(r, space);
  let merged = 0;
  for (let bucket = queue.next(); bucket !== undefined; bucket = queue.next()) {
    for (const s of bucket.ids) {
      if (parent[s] !== s || area(s) !== bucket.area) continue; // merged away, or grown since it was added
      const into = graph.nearest(s, find, means, r.cluster);
      if (into < 0) continue; // alone: nothing to join
      parent[s] = into;
      absorb(r, into, s);
      means.stale(into);
      graph.join(into, s);
      merged++;
      if (area(into) < minRegion) queue.add(area(into), into);
    }
  }
  const root = new Int32Array(count);
  for (let i = 0; i < count; i++) root[i] = find(i);
  return renumber(r, runs, labels, root, minRegion, merged);
}

/** Region `b`'s area, sums and bounding box added to region `a`'s. */
function absorb(r: Found, a: number, b: number): void {
  const s = r.stats;
  for (let q = 0; q < STATS; q++) s[a * STATS + q]! += s[b * STATS + q]!;
  const bb = r.bbox;
  bb[a * 4] = Math.min(bb[a * 4]!, bb[b * 4]!);
  bb[a * 4 + 1] = Math.min(bb[a * 4 + 1]!, bb[b * 4 + 1]!);
  bb[a * 4 + 2] = Math.max(bb[a * 4 + 2]!, bb[b * 4 + 2]!);
  bb[a * 4 + 3] = Math.max(bb[a * 4 + 3]!, bb[b * 4 + 3]!);
}

/** Each region's mean input colour in the clustering space, recomputed only after it changed. */
class MeanColours {
  private readonly values: Float64Array;
  private readonly fresh: Uint8Array;
  constructor(private readonly r: Found, private readonly space: ColorSpace) {
    this.values = new Float64Array(r.count * 3);
    this.fresh = new Uint8Array(r.count);
  }
  stale(i: number): void { this.fresh[i] = 0; }
  /** Squared distance between the mean colours of regions a and b. */
  distance(a: number, b: number): number {
    const v = this.values;
    this.update(a); this.update(b);
    const dx = v[a * 3]! - v[b * 3]!, dy = v[a * 3 + 1]! - v[b * 3 + 1]!, dz = v[a * 3 + 2]! - v[b * 3 + 2]!;
    return dx * dx + dy * dy + dz * dz;
  }
  private update(i: number): void {
    if (this.fresh[i]) return;
    const s = this.r.stats, o = i * STATS;
    const n = s[o + AREA]!;
    const m = fromSrgb(this.space, s[o + SUM_R]! / n, s[o + SUM_R + 1]! / n, s[o + SUM_R + 2]! / n);
    this.values.set(m, i * 3);
    this.fresh[i] = 1;
  }
}

/**
 * The neighbours of the small regions, as linked lists of edges (a merge concatenates two lists in
 * O(1)), found from the runs: runs side by side in a row, and runs of adjacent rows whose columns
 * overlap (or, with 8-connectivity, touch at a corner). Only small regions need lists: a region at or
 * above the minimum is never taken, and areas only grow.
 */
class Neighbours {
  private to: Uint32Array;
  private next: Int32Array;
  private size = 0;
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /** The last neighbour added to each list: a border seen run after run is added once. */
  private readonly last: Int32Array;
  /** Per region, the call of nearest() that last saw it: each neighbour is weighed once per call. */
  private readonly seen: Int32Array;
  private calls = 0;

  constructor(r: Found, runs: Runs, small: Uint8Array) {
    const { count, ids } = r;
    this.to = new Uint32Array(1024);
    this.next = new Int32Array(1024);
    this.head = new Int32Array(count).fill(-1);
    this.tail = new Int32Array(count).fill(-1);
    this.last = new Int32Array(count).fill(-1);
    this.seen = new Int32Array(count).fill(-1);
    const link = (a: number, b: number): void => {
      if (a === b || a === NONE || b === NONE) return; // transparent pixels are in no region
      if (small[a]) this.add(a, b);
      if (small[b]) this.add(b, a);
    };
    const { x0, x1, rowStart } = runs;
    const e = r.connectivity === 8 ? 1 : 0;
    for (let y = 0; y + 1 < rowStart.length; y++) {
      const aEnd = rowStart[y]!, bEnd = rowStart[y + 1]!;
      let j = y > 0 ? rowStart[y - 1]! : aEnd;
      for (let b = aEnd; b < bEnd; b++) {
        if (b + 1 < bEnd) link(ids[b]!, ids[b + 1]!);
        while (j < aEnd && x1[j]! + e <= x0[b]!) j++;
        for (let t = j; t < aEnd && x0[t]! < x1[b]! + e; t++) link(ids[t]!, ids[b]!);
      }
    }
  }

  private add(a: number, b: number): void {
    if (this.last[a] === b) return;
    this.last[a] = b;
    if (this.size === this.to.length) {
      const to = new Uint32Array(this.size * 2), next = new Int32Array(this.size * 2);
      to.set(this.to); next.set(this.next);
      this.to = to; this.next = next;
    }
    const e = this.size++;
    this.to[e] = b;
    this.next[e] = -1;
    if (this.head[a] === -1) this.head[a] = e; else this.next[this.tail[a]!] = e;
    this.tail[a] = e;
  }

  /** b's neighbours become a's too (b has just joined a). */
  join(a: number, b: number): void {
    if (this.head[b] === -1) return;
    if (this.head[a] === -1) this.head[a] = this.head[b]!; else this.next[this.tail[a]!] = this.head[b]!;
    this.tail[a] = this.tail[b]!;
  }

  /** The neighbour region `s` joins, or -1 for none: nearest mean colour, then lower cluster, then lower id. */
  nearest(s: number, find: (a: number) => number, means: MeanColours, cluster: Uint32Array): number {
    let best = -1, bestD = Infinity;
    const call = ++this.calls;
    for (let e = this.head[s]!; e !== -1; e = this.next[e]!) {
      const n = find(this.to[e]!);
      if (n === s || this.seen[n] === call) continue;
      this.seen[n] = call;
      const d = means.distance(s, n);
      if (d < bestD || (d === bestD && (cluster[n]! < cluster[best]! || (cluster[n] === cluster[best] && n < best)))) {
        best = n; bestD = d;
      }
    }
    return best;
  }
}

/**
 * The small regions by (area, id), smallest first: a bucket of ids per area, and a min-heap of the
 * areas that have a bucket. Cheaper than one heap of every region: areas repeat (most small regions
 * are a few pixels), and a bucket is taken whole. A region only grows, so while the bucket of area a
 * is worked through, regions are added to larger areas only.
 */
class SmallestFirst {
  private readonly buckets = new Map<number, { ids: number[]; sorted: boolean }>();
  private readonly areas: number[] = [];

  add(area: number, id: number): void {
    const b = this.buckets.get(area);
    if (b === undefined) {
      this.buckets.set(area, { ids: [id], sorted: true });
      const h = this.areas;
      let i = h.push(area) - 1;
      while (i > 0 && h[(i - 1) >> 1]! > h[i]!) { [h[i], h[(i - 1) >> 1]] = [h[(i - 1) >> 1]!, h[i]!]; i = (i - 1) >> 1; }
      return;
    }
    if (id < b.ids[b.ids.length - 1]!) b.sorted = false;
    b.ids.push(id);
  }

  /** The smallest area that has a bucket, with its ids in ascending order; undefined when none is left. */
  next(): { area: number; ids: number[] } | undefined {
    const h = this.areas;
    if (h.length === 0) return undefined;
    const area = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && h[l]! < h[m]!) m = l;
        if (r < h.length && h[r]! < h[m]!) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    const b = this.buckets.get(area)!;
    this.buckets.delete(area);
    if (!b.sorted) b.ids.sort((x, y) => x - y);
    return { area, ids: b.ids };
  }
}

/**
 * The surviving regions renumbered in the raster order of their first pixels (a merge may move a
 * region's first pixel earlier), in one pass over the runs that also gives merged runs their new label.
 */
function renumber(r: Found, runs: Runs, labels: Labels, root: Int32Array, minRegion: number, merged: number): Found {
  const { count, ids, width } = r;
  const newId = new Int32Array(count).fill(-1);
  const kept = count - merged;
  let next = 0;
  const { x0, x1, rowStart } = runs;
  for (let y = 0; y + 1 < rowStart.length; y++) {
    for (let i = rowStart[y]!; i < rowStart[y + 1]!; i++) {
      const old = ids[i]!;
      if (old === NONE) continue;
      const s = root[old]!;
      if (newId[s] === -1) newId[s] = next++;
      ids[i] = newId[s]!;
      if (s !== old) labels.fill(r.cluster[s]!, y * width + x0[i]!, y * width + x1[i]!);
    }
  }
  const out: Found = { ...r, minRegion, merged, count: kept, cluster: new Uint32Array(kept), bbox: new Uint32Array(kept * 4), stats: new Float64Array(kept * STATS) };
  for (let i = 0; i < count; i++) {
    const j = newId[i]!;
    if (j === -1) continue;
    out.cluster[j] = r.cluster[i]!;
    for (let q = 0; q < 4; q++) out.bbox[j * 4 + q] = r.bbox[i * 4 + q]!;
    for (let q = 0; q < STATS; q++) out.stats[j * STATS + q] = r.stats[i * STATS + q]!;
  }
  return out;
}
