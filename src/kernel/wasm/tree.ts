/**
 * The box tree of a weighted 3-D session (assembly/tree.ts has its records, assembly/build.ts the
 * per-point loops): points grouped into leaf boxes of a grid over their bounding box (bitsFor), in Morton
 * order, so that every node of the octree above is a run of leaves and of points. How points are
 * grouped changes the speed only, never a result.
 */
import type { WasmExports } from './module.js';
import type { SessionLayout } from './memory.js';

/** Header fields (u32 each), as assembly/tree.ts numbers them. */
export const H = {
  NODES: 0, LEAVES: 1, LEAF_BASE: 2, TOP: 3, X: 4, Y: 5, Z: 6, W: 7, LABELS: 8, CENTROIDS: 9, K: 10, VERSIONS: 11,
  LIST: 12, LIST_STRIDE: 13, UNIT_LEVEL: 14, UNIT_FIRST: 15, N: 16, CLOSEST: 17, PERM: 18, INV: 19, BLOCKS: 20,
  CHECKS: 21, BLOCK_W: 22, BLOCK_COUNT: 23, U: 24, V: 25, CENTRES: 26, SLACK: 28,
} as const;
export const NODE_BYTES = 64;
export const LEAF_BYTES = 64;
/** Leaf states (L_OWNER): every point unassigned, or of mixed labels. */
export const UNASSIGNED_STATE = 0xffff;
export const MIXED = 0x10000;

/**
 * Cells per axis, 2^bits, and so levels above the leaves: a few dozen to a few hundred points a leaf
 * (for 1.4 M photo colours, 32 cells an axis: a cell side of 8 in RGB). Finer leaves own more of their
 * points but cost more per pass in boxes tested and records read, and the build more records; with few
 * centroids coarse leaves win longer: 32^3 cells or more only from n k >= 2^25 (treeShape.fineWork).
 * How points are grouped changes the speed only, never a result.
 */
export function bitsFor(n: number, k = 1): number {
  const bits = Math.max(3, Math.min(6, Math.round(Math.log2(Math.max(1, n / 40)) / 3)));
  return bits >= 5 && n * k < treeShape.fineWork ? bits - 1 : bits;
}

/**
 * bitsFor's threshold, a module-level setting for benchmarks (0: the leaf
 * size of n alone; bench/tree-leaf-ab.ts). 2^25 from CPU time a pass, 16^3 cells against 32^3, the 12 MP
 * photo's colours, one thread, 2026-12-01 (load 5-7): K = 8: 0.95x at 1.4 M; K = 16: 0.80x at 0.47 M,
 * 0.95x at 1.4 M; K = 32: 0.78x at 0.47 M, 0.87x at 0.70 M, 1.07x at 1.4 M (n k = 2^25.4); K = 64: 0.86x
 * at 0.47 M, 1.02x at 1.4 M; the build 0.82-0.90x. On two threads, idle (load 1-1.7, 22:51, 4 runs of
 * 30-40 blocks, 1.4 M, K = 16): the open 2.5-7 ms cheaper every time, the passes 0.86-1.04x (neutral).
 */
export const treeShape = { fineWork: 2 ** 25 };

/** WasmKernel.treeThreadsMinPoints' default: fewest points for which a tree's passes take the pool (0: threadsFor decides). */
export const TREE_THREADS_MIN_POINTS = 0;

/** The nodes a tree's pass is split by: the highest level with enough of them to share out; chunks of them. */
export function unitsOf(plan: TreePlan, t: number): { level: number; first: number; count: number; chunk: number } {
  let level = plan.bits;
  while (level > 0 && plan.levelNodes[level]! < 64 * t) level--;
  const count = plan.levelNodes[level]!;
  return { level, first: levelBases(plan.levelNodes)[level]!, count, chunk: t === 1 ? count : Math.max(1, Math.floor(count / (16 * t))) };
}

/** Bytes of the cell counts (kept where the node records go until the points are sorted). */
export const cellCountBytes = (bits: number): number => 4 << (3 * bits);

/** The tree's shape once its points are sorted: the leaves' cells and point ranges, the nodes per level. */
export interface TreePlan {
  /** Cells per axis 2^bits; the root's level. */
  bits: number;
  /** Each leaf's cell (ascending) and the end of its points. */
  cells: Uint32Array;
  ends: Uint32Array;
  leaves: number;
  /** Nodes at each level, 0 (leaves) to bits (the root). */
  levelNodes: number[];
  nodes: number;
  /** Where the planes, weights and closest plane now are (sortIntoCells swaps their regions). */
  moved: Pick<SessionLayout, 'planes' | 'weights' | 'closest'>;
}

/** Node index of the first node of each level: the root first, the leaves last. */
export function levelBases(levelNodes: number[]): number[] {
  const top = levelNodes.length - 1;
  const base = new Array<number>(top + 1).fill(0);
  for (let l = top - 1; l >= 0; l--) base[l] = base[l + 1]! + levelNodes[l + 1]!;
  return base;
}

/** The smallest power of two (from 2^-20) that spans [lo, hi] in fewer than 2^bits cells. */
function cellSide(lo: number, hi: number, bits: number): number {
  let cell = 2 ** -20;
  while ((hi - lo) / cell >= 1 << bits) cell *= 2;
  return cell;
}

type BuildCalls = Required<Pick<WasmExports, 'treeCodes' | 'treeScatter' | 'treeGather' | 'treeLeaves'>>;

/**
 * Sort the session's points (x, y, z and w in the caller's order in their regions, `bounds` the
 * planes' lowest and highest values) into the order of 2^bits cells an axis (bitsFor): perm (place to
 * caller index) and inv (the reverse), then the planes and weights gathered in that order, into other
 * regions (plan.moved).
 * The cell counts use the memory where the node records will go (cellCountBytes from layout.nodes).
 */
export function sortIntoCells(calls: BuildCalls, buf: ArrayBufferLike, layout: SessionLayout, n: number, bits: number, bounds: number[][]): TreePlan {
  const [x, y, z] = layout.planes as [number, number, number];
  const counts = new Uint32Array(buf, layout.nodes, cellCountBytes(bits) / 4).fill(0);
  const scale = bounds.map(([lo, hi]) => 1 / cellSide(lo!, hi!, bits));
  calls.treeCodes(x, y, z, n, bounds[0]![0]!, bounds[1]![0]!, bounds[2]![0]!, scale[0]!, scale[1]!, scale[2]!, (1 << bits) - 1, layout.inv, layout.nodes);
  const { cells, ends } = leavesOf(counts);
  calls.treeScatter(layout.inv, n, layout.nodes, layout.perm, layout.inv);
  // The five regions of n u32 change roles instead of being copied: each plane is gathered into
  // the one freed last (the closest plane first, free until k-means++), and the last one freed
  // becomes the closest plane.
  const into = [layout.closest, x, y, z];
  [x, y, z, layout.weights].forEach((from, q) => calls.treeGather(from, layout.perm, n, into[q]!));
  const moved = { planes: [layout.closest, x, y], weights: z, closest: layout.weights };
  const levelNodes = new Array<number>(bits + 1).fill(0);
  for (let l = 0; l <= bits; l++) {
    for (let j = 0, last = -1; j < cells.length; j++) { const prefix = cells[j]! >>> (3 * l); if (prefix !== last) { last = prefix; levelNodes[l]!++; } }
  }
  return { bits, cells, ends, leaves: cells.length, levelNodes, nodes: levelNodes.reduce((s, v) => s + v, 0), moved };
}

/** The leaves, one per non-empty cell, from the points per cell (which become each cell's first point). */
function leavesOf(counts: Uint32Array): { cells: Uint32Array; ends: Uint32Array } {
  let leaves = 0;
  for (let c = 0; c < counts.length; c++) if (counts[c] !== 0) leaves++;
  const cells = new Uint32Array(leaves), ends = new Uint32Array(leaves);
  for (let c = 0, j = 0, sum = 0; c < counts.length; c++) {
    const v = counts[c]!;
    counts[c] = sum;
    if (v === 0) continue;
    sum += v;
    cells[j] = c;
    ends[j++] = sum;
  }
  return { cells, ends };
}

/** Every node and leaf record, once the points are in cell order and the memory holds the records. */
export function writeTreeRecords(calls: BuildCalls, buf: ArrayBufferLike, layout: SessionLayout, plan: TreePlan): void {
  const bases = levelBases(plan.levelNodes);
  const nodeU = new Uint32Array(buf, layout.nodes, (plan.nodes * NODE_BYTES) / 4);
  for (let leaf = 0; leaf < plan.leaves; leaf++) {
    const f = ((bases[0]! + leaf) * NODE_BYTES) / 4;
    nodeU[f + 6] = leaf > 0 ? plan.ends[leaf - 1]! : 0; nodeU[f + 7] = plan.ends[leaf]!; nodeU[f + 8] = leaf; nodeU[f + 9] = leaf + 1;
  }
  const [x, y, z] = layout.planes as [number, number, number];
  calls.treeLeaves(layout.nodes, bases[0]!, layout.leaves, plan.leaves, x, y, z, layout.weights);
  writeNodes(plan, buf, layout.nodes);
}

/** Records of the nodes above the leaves, level by level upwards: children, leaves, the union of their boxes. */
function writeNodes(plan: TreePlan, buf: ArrayBufferLike, at: number): void {
  const bases = levelBases(plan.levelNodes);
  const nodeF = new Float32Array(buf, at, (plan.nodes * NODE_BYTES) / 4);
  const nodeU = new Uint32Array(nodeF.buffer, nodeF.byteOffset, nodeF.length);
  const nodeD = new Float64Array(nodeF.buffer, nodeF.byteOffset, nodeF.length / 2);
  for (let l = 1; l <= plan.bits; l++) {
    const below = bases[l - 1]!, count = plan.levelNodes[l - 1]!;
    for (let c = 0, node = bases[l]! - 1, prefix = -1; c < count; c++) {
      const child = ((below + c) * NODE_BYTES) / 4;
      const leafFirst = nodeU[child + 8]!, leafEnd = nodeU[child + 9]!;
      const p = plan.cells[leafFirst]! >>> (3 * l);
      if (p !== prefix) {
        // A new node: its first child's box, children and leaves, to be widened by its siblings;
        // no k-means++ centre yet (largest closest distance +Infinity: nothing may be skipped).
        prefix = p;
        node++;
        const g = (node * NODE_BYTES) / 4;
        nodeF.copyWithin(g, child, child + 6);
        nodeU[g + 6] = below + c; nodeU[g + 7] = below + c + 1; nodeU[g + 8] = leafFirst; nodeU[g + 9] = leafEnd;
        nodeF[g + 10] = Infinity;
        nodeD[(g + 12) / 2] = 0;
        continue;
      }
      const g = (node * NODE_BYTES) / 4;
      for (let d = 0; d < 3; d++) {
        nodeF[g + d] = Math.min(nodeF[g + d]!, nodeF[child + d]!);
        nodeF[g + 3 + d] = Math.max(nodeF[g + 3 + d]!, nodeF[child + 3 + d]!);
      }
      nodeU[g + 7] = below + c + 1;
      nodeU[g + 9] = leafEnd;
    }
  }
}
