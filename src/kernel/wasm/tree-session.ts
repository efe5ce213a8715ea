/**
 * The host's half of a session over a box tree (assembly/filter.ts): the points sit in the tree's
 * order in wasm memory, and the caller sees its own order. Labels are copied back to the caller's
 * order only when asked for; labels the caller changed are copied in, and every leaf then checks its points.
 */
import { UNASSIGNED } from '../kernel.js';
import type { WasmExports } from './module.js';
import { H, LEAF_BYTES, MIXED, UNASSIGNED_STATE } from './tree.js';

/**
 * The kernel's loops for the labels, and the session's region of 2 n bytes for them in the caller's
 * order (layout.callerLabels): the host's fill and copy of shared memory take several times longer.
 */
export interface LabelCalls { calls: Pick<WasmExports, 'treeFill' | 'treeLabelsOut'>; spare: number }

/** The caller's view of a tree session's labels, and the leaves' label states. */
export class TreeLabels {
  private readonly mine: Uint16Array;
  private readonly perm: Uint32Array;
  private readonly states: Uint32Array;
  private readonly theirs: Uint16Array;
  private readonly spare: Uint16Array | null;
  private stale = false;

  /** `labels`, `perm` (u32 per point) and the leaf records, at byte offsets of `buf`. */
  constructor(buf: ArrayBufferLike, labels: number, perm: number, leaves: number, leafCount: number, n: number, private readonly wasm?: LabelCalls) {
    this.spare = wasm?.calls.treeLabelsOut ? new Uint16Array(buf, wasm.spare, n) : null;
    this.mine = new Uint16Array(buf, labels, n);
    this.perm = new Uint32Array(buf, perm, n);
    this.states = new Uint32Array(buf, leaves, (leafCount * LEAF_BYTES) / 4);
    this.theirs = new Uint16Array(n);
    this.reset();
  }

  /** Labels in the caller's order, up to date. */
  get labels(): Uint16Array {
    if (this.stale) {
      const { mine, perm, theirs, spare } = this;
      if (spare) {
        this.wasm!.calls.treeLabelsOut!(mine.byteOffset, perm.byteOffset, mine.length, spare.byteOffset);
        theirs.set(spare);
      } else {
        for (let p = 0; p < mine.length; p++) theirs[perm[p]!] = mine[p]!;
      }
      this.stale = false;
    }
    return this.theirs;
  }

  /** A pass has changed the kernel's labels. */
  passed(): void { this.stale = true; }

  /** Every label UNASSIGNED, and so every leaf's state. */
  reset(): void {
    const fill = this.wasm?.calls.treeFill;
    // UNASSIGNED is 0xffff: every byte 0xff.
    if (fill) fill(this.mine.byteOffset, this.mine.byteLength, 0xff); else this.mine.fill(UNASSIGNED);
    this.theirs.fill(UNASSIGNED);
    this.setStates(UNASSIGNED_STATE);
    this.stale = false;
  }

  /** The caller changed labels (in its order): take them, and let every leaf check its points. */
  changed(): void {
    const { mine, perm, theirs } = this;
    for (let p = 0; p < mine.length; p++) mine[p] = theirs[perm[p]!]!;
    this.setStates(MIXED);
  }

  private setStates(state: number): void {
    const { states } = this;
    for (let o = 10; o < states.length; o += LEAF_BYTES / 4) states[o] = state;
  }
}

/**
 * What the tree's pass reads of the centroids besides their splatted records: each one's version (u32
 * in the kernel's memory), a new number whenever its coordinates change, so that a leaf's cached
 * cost is reused only for the very centroid it was computed for; and an f64 table of x, y, z, |c|^2
 * with the slack of the pruning test for its own f64 rounding (assembly/filter.ts).
 */
export class CentroidVersions {
  private readonly previous: Float32Array;
  private readonly versions: Uint32Array;
  private readonly centres: Float64Array;
  private readonly slack: Float64Array;
  private next = 1;

  /** `extent`: the largest magnitude of the points' coordinates. */
  constructor(buf: ArrayBufferLike, layout: { versions: number; centres: number; header: number }, private readonly k: number, private readonly extent: number) {
    this.previous = new Float32Array(k * 3).fill(NaN);
    this.versions = new Uint32Array(buf, layout.versions, k);
    this.centres = new Float64Array(buf, layout.centres, k * 4);
    this.slack = new Float64Array(buf, layout.header + H.SLACK * 4, 1);
  }

  /** Before a pass to `centroids`. */
  update(centroids: Float32Array): void {
    const { previous, versions, centres } = this;
    let most = this.extent;
    for (let j = 0; j < this.k; j++) {
      const o = j * 3;
      const x = centroids[o]!, y = centroids[o + 1]!, z = centroids[o + 2]!;
      most = Math.max(most, Math.abs(x), Math.abs(y), Math.abs(z));
      centres[j * 4] = x; centres[j * 4 + 1] = y; centres[j * 4 + 2] = z; centres[j * 4 + 3] = x * x + y * y + z * z;
      if (x === previous[o] && y === previous[o + 1] && z === previous[o + 2]) continue;
      versions[j] = this.next++;
      previous[o] = x; previous[o + 1] = y; previous[o + 2] = z;
    }
    // Every term of the test is below 18 M^2 (M the largest coordinate): a few f64 roundings of
    // that are far below 2^-40 of it. The absolute part covers f32 distances near underflow.
    this.slack[0] = 2 ** -40 * 18 * most * most + 1e-30;
  }
}
