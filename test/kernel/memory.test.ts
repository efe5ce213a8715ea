/**
 * The wasm kernel's memory map without wasm: layoutSession() is pure, so its promises are checked on
 * numbers alone, for many sessions: v128 regions 16-aligned, each thread's sums on cache lines of its
 * own (128 bytes), no two regions overlapping, nothing below the session's start or past its end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_BYTE, DATA_BYTE, GRID_BYTE, HEADER_BYTES, HISTOGRAM, JOBS, JOB_INTS, OUT_BYTE, OUT_STRIDE, PASS_BYTE, SEED_BLOCK, SEED_BYTE,
  ensureBytes, layoutSession, wasmBytesPerPoint, type SessionLayout, type SessionShape,
} from '../../src/kernel/wasm/memory.js';
import { KMeansSegError } from '../../src/errors.js';
import { MAX_K, MAX_THREADS, WASM_MAX_BYTES, WASM_PAGE_BYTES } from '../../src/limits.js';

interface Region { name: string; start: number; bytes: number }

/** Every region of a session, by name, as the kernel and the host use them. */
function regionsOf(shape: SessionShape, layout: SessionLayout): Region[] {
  const { n, k, threads, weighted, tree } = shape;
  const blocks = Math.ceil(n / SEED_BLOCK) * 8;
  const regions: Region[] = [
    { name: 'header', start: layout.header, bytes: HEADER_BYTES },
    { name: 'centroids', start: layout.centroids, bytes: k * layout.centroidFloats * 4 },
    ...Array.from({ length: threads }, (_, i) => ({ name: `sums of thread ${i}`, start: layout.sums + i * layout.sumBytes, bytes: 2 * k * layout.sumStride * 8 })),
    ...layout.planes.map((start, q) => ({ name: `plane ${q}`, start, bytes: n * 4 })),
    { name: 'closest', start: layout.closest, bytes: n * 4 },
    { name: 'labels', start: layout.labels, bytes: n * 2 },
    { name: 'block sums', start: layout.blocks, bytes: blocks },
    { name: 'running sums', start: layout.checks, bytes: blocks },
    { name: 'block weights', start: layout.blockWeights, bytes: blocks },
  ];
  if (weighted) regions.push({ name: 'weights', start: layout.weights, bytes: n * 4 });
  if (tree) {
    regions.push(
      { name: 'versions', start: layout.versions, bytes: k * 4 },
      { name: 'centres (f64)', start: layout.centres, bytes: k * 32 },
      { name: 'candidate list', start: layout.list, bytes: k * 2 },
      ...Array.from({ length: threads }, (_, i) => ({ name: `scratch of thread ${i}`, start: layout.scratch + i * layout.scratchBytes, bytes: 16 + tree.levels * k * 2 })),
      { name: 'perm', start: layout.perm, bytes: n * 4 },
      { name: 'inv', start: layout.inv, bytes: n * 4 },
      { name: 'nodes', start: layout.nodes, bytes: tree.nodes * 64 },
      { name: 'leaves', start: layout.leaves, bytes: tree.leaves * 64 },
    );
  }
  return regions;
}

/** The names of the first pair of regions that overlap, or [] (empty regions overlap nothing). */
function overlaps(regions: Region[]): string[] {
  const sorted = regions.filter((r) => r.bytes > 0).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!, next = sorted[i]!;
    if (prev.start + prev.bytes > next.start) return [prev.name, next.name];
  }
  return [];
}

const shapeArb: fc.Arbitrary<SessionShape> = fc.record({
  n: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 200_000_000 })),
  k: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: MAX_K })),
  threads: fc.integer({ min: 1, max: MAX_THREADS }),
  dims: fc.constantFrom(3, 5),
  weighted: fc.boolean(),
  tree: fc.option(fc.record({ nodes: fc.integer({ min: 0, max: 300_000 }), leaves: fc.integer({ min: 0, max: 262_144 }), levels: fc.integer({ min: 1, max: 7 }) }), { nil: undefined }),
}).map((s) => (s.tree ? s : { n: s.n, k: s.k, threads: s.threads, dims: s.dims, weighted: s.weighted }));
/** Sessions start at DATA_BYTE, or above the histogram's region once a kernel has one. */
const startArb = fc.constantFrom(DATA_BYTE, HISTOGRAM.end);

describe('layoutSession', () => {
  it('aligns every v128 region to 16 bytes and each thread\'s sums to 128', () => {
    fc.assert(fc.property(shapeArb, startArb, (shape, start) => {
      const layout = layoutSession(shape, start);
      const sixteen = [layout.header, layout.centroids, ...layout.planes, layout.closest, layout.labels, layout.blocks, layout.checks, layout.blockWeights];
      if (shape.weighted) sixteen.push(layout.weights);
      if (shape.tree) sixteen.push(layout.versions, layout.centres, layout.list, layout.scratch, layout.perm, layout.inv, layout.nodes, layout.leaves, layout.scratchBytes);
      expect(sixteen.map((p) => p % 16)).toEqual(sixteen.map(() => 0));
      expect(layout.sums % 128).toBe(0);
      expect(layout.sumBytes % 128, 'so thread i\'s banks, at sums + i * sumBytes, start on a line of their own').toBe(0);
      expect(layout.sumBytes).toBeGreaterThanOrEqual(2 * shape.k * layout.sumStride * 8);
    }), { numRuns: 2000 });
  });

  it('lays out the regions the kernel reads: dims planes, splatted centroids, dims + 1 sums a cluster', () => {
    fc.assert(fc.property(shapeArb, startArb, (shape, start) => {
      const layout = layoutSession(shape, start);
      expect(layout.planes).toHaveLength(shape.dims);
      expect(layout.centroidFloats).toBe(shape.dims === 3 ? 16 : shape.dims * 4);
      expect(layout.sumStride).toBe(shape.dims + 1);
      expect(layout.weights === 0).toBe(!shape.weighted);
    }), { numRuns: 500 });
  });

  it('puts no two regions in the same bytes, all of them in [start, end)', () => {
    fc.assert(fc.property(shapeArb, startArb, (shape, start) => {
      const layout = layoutSession(shape, start);
      const regions = regionsOf(shape, layout);
      expect(overlaps(regions)).toEqual([]);
      for (const r of regions) {
        expect(r.start, r.name).toBeGreaterThanOrEqual(start);
        expect(r.start + r.bytes, r.name).toBeLessThanOrEqual(layout.end);
      }
      // Room past the last region for the tree loops' reads of a last group of eight.
      expect(layout.end - Math.max(...regions.map((r) => r.start + r.bytes))).toBeGreaterThanOrEqual(32);
    }), { numRuns: 2000 });
  });

  it('places a tree session\'s regions where a provisional layout (no nodes yet) put them, the node records last', () => {
    // The points are sorted with the layout of an empty tree, and laid out again once its size is known.
    fc.assert(fc.property(shapeArb, startArb, (shape, start) => {
      if (!shape.tree) return;
      const first = layoutSession({ ...shape, tree: { nodes: 0, leaves: 0, levels: shape.tree.levels } }, start);
      const final = layoutSession(shape, start);
      expect({ ...final, leaves: 0, end: 0 }).toEqual({ ...first, leaves: 0, end: 0 });
      expect(final.leaves).toBe(final.nodes + shape.tree.nodes * 64);
    }), { numRuns: 500 });
  });

  it('needs what wasmBytesPerPoint says a point takes, plus a fixed part (what kmeans checks up front)', () => {
    fc.assert(fc.property(shapeArb, startArb, (shape, start) => {
      const layout = layoutSession(shape, start);
      const perPoints = shape.n * wasmBytesPerPoint(shape.dims, shape.weighted, !!shape.tree);
      const tree = shape.tree ? shape.k * 38 + shape.threads * layout.scratchBytes + (shape.tree.nodes + shape.tree.leaves) * 64 : 0;
      const fixed = HEADER_BYTES + shape.k * layout.centroidFloats * 4 + shape.threads * layout.sumBytes + tree + 3 * 8;
      const padding = 128 + 16 * (shape.dims + 14) + 64;
      expect(layout.end - start).toBeGreaterThanOrEqual(perPoints);
      expect(layout.end - start).toBeLessThanOrEqual(perPoints + fixed + padding);
    }), { numRuns: 2000 });
  });

  it('is pure: the same shape gives the same offsets, and the start only shifts them', () => {
    fc.assert(fc.property(shapeArb, (shape) => {
      const a = layoutSession(shape), b = layoutSession(shape, DATA_BYTE);
      expect(a).toEqual(b);
      const shift = HISTOGRAM.end - DATA_BYTE;
      expect(shift % 128, 'the histogram region keeps the 128-byte phase').toBe(0);
      const c = layoutSession(shape, HISTOGRAM.end);
      expect(c.labels - a.labels).toBe(shift);
      expect(c.end - a.end).toBe(shift);
    }), { numRuns: 300 });
  });
});

describe('the fixed part of the memory map', () => {
  it('keeps the outcome slots, the pass and seed f32, the control block and the histogram apart, all below the sessions', () => {
    const fixed: Region[] = [
      { name: 'outcome slots', start: OUT_BYTE, bytes: MAX_THREADS * OUT_STRIDE },
      { name: 'pass f32', start: PASS_BYTE, bytes: 2 * 4 },
      { name: 'seed candidate and mode', start: SEED_BYTE, bytes: 6 * 4 },
      { name: 'grid bounds', start: GRID_BYTE, bytes: 2 * 4 },
      { name: 'control block', start: CONTROL_BYTE, bytes: (JOBS + MAX_THREADS * JOB_INTS) * 4 },
      { name: 'histogram table', start: HISTOGRAM.table, bytes: (1 << 24) * 4 },
      { name: 'histogram seen', start: HISTOGRAM.seen, bytes: (1 << 21) * 4 },
      { name: 'pixel slice', start: HISTOGRAM.slice, bytes: HISTOGRAM.threadedSlicePixels * 4 },
      { name: 'label slice', start: HISTOGRAM.labelSlice, bytes: HISTOGRAM.threadedSlicePixels * 2 },
      { name: 'histogram flags', start: HISTOGRAM.flags, bytes: 1 << 20 },
      { name: 'second table', start: HISTOGRAM.table2, bytes: (1 << 24) * 4 },
    ];
    expect(overlaps(fixed)).toEqual([]);
    for (const r of fixed.slice(0, 5)) expect(r.start + r.bytes, r.name).toBeLessThanOrEqual(DATA_BYTE);
    for (const r of fixed.slice(5)) expect(r.start + r.bytes, r.name).toBeLessThanOrEqual(HISTOGRAM.end);
    expect(HISTOGRAM.table).toBe(DATA_BYTE);
    for (const p of [DATA_BYTE, HISTOGRAM.seen, HISTOGRAM.slice, HISTOGRAM.labelSlice, HISTOGRAM.flags, HISTOGRAM.table2, HISTOGRAM.end]) expect(p % 16).toBe(0);
  });
});

describe('ensureBytes', () => {
  it('grows a memory to hold a session, and refuses one above wasm32\'s 4 GiB with ERR_TOO_LARGE before growing', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
    const layout = layoutSession({ n: 100_000, k: 16, threads: 4, dims: 3, weighted: true });
    ensureBytes(memory, layout.end);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(layout.end);
    expect(memory.buffer.byteLength - layout.end).toBeLessThan(WASM_PAGE_BYTES);

    const huge = layoutSession({ n: 300_000_000, k: 8, threads: 1, dims: 5, weighted: false });
    expect(huge.end).toBeGreaterThan(WASM_MAX_BYTES);
    const before = memory.buffer.byteLength;
    let error: unknown;
    try { ensureBytes(memory, huge.end); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(KMeansSegError);
    expect((error as KMeansSegError).code).toBe('ERR_TOO_LARGE');
    expect(memory.buffer.byteLength).toBe(before);
  });
});
