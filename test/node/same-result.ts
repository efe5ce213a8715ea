// One check shared by the job-worker tests: two results are the same bits (palette, labels, history, pixels).
import { expect } from 'vitest';
import type { KMeansResult } from '../../src/index.js';

export function expectSame(a: KMeansResult, b: KMeansResult): void {
  expect(a.inertia).toBe(b.inertia);
  expect(a.iterations).toBe(b.iterations);
  expect(a.palette).toEqual(b.palette);
  expect(a.centroids).toEqual(b.centroids);
  expect(a.history).toEqual(b.history);
  expect(Buffer.from(a.labels.buffer, a.labels.byteOffset, a.labels.byteLength).equals(Buffer.from(b.labels.buffer, b.labels.byteOffset, b.labels.byteLength))).toBe(true);
  expect(Buffer.from(a.toRGBA()).equals(Buffer.from(b.toRGBA()))).toBe(true);
  expect(Buffer.from(a.toRGB()).equals(Buffer.from(b.toRGB()))).toBe(true);
}
