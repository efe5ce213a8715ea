// The record layout of a session's header and box tree, shared by the filtering pass (filter.ts) and
// k-means++ (seed.ts). The host builds both (src/kernel/wasm/tree.ts, which mirrors these offsets);
// the kernel only reads the tree's shape and updates the per-pass fields.

// Header: u32 fields at hdr + 4 * field.
export const H_NODES: usize = 0; // node records, root first, then each level down to the leaves
export const H_LEAVES: usize = 1; // leaf records (Lloyd's state), one per leaf
export const H_LEAF_BASE: usize = 2; // node index of the first leaf
export const H_TOP: usize = 3; // the root's level (leaves are level 0)
export const H_X: usize = 4; // planes and weights, in the session's point order
export const H_Y: usize = 5;
export const H_Z: usize = 6;
export const H_W: usize = 7; // 0 for weight 1
export const H_LABELS: usize = 8; // u16 labels, in the session's point order
export const H_CENTROIDS: usize = 9; // splatted records, 64 bytes each
export const H_K: usize = 10;
export const H_VERSIONS: usize = 11; // u32 per centroid: changes whenever its bits change
export const H_LIST: usize = 12; // u16 0..k-1: the candidates every walk starts from
export const H_LIST_STRIDE: usize = 13; // bytes of one level's candidate list in a thread's scratch
export const H_UNIT_LEVEL: usize = 14; // level of the nodes a pass is split by
export const H_UNIT_FIRST: usize = 15; // node index of the first of them
export const H_N: usize = 16;
export const H_CLOSEST: usize = 17; // f32 per point: k-means++'s distance to the nearest centre
export const H_PERM: usize = 18; // u32 per point: its index in the caller's order (0: the same order)
export const H_INV: usize = 19; // u32 per caller index: the point's place here (0: the same order)
export const H_BLOCKS: usize = 20; // f64 per block of 256 caller indices: sum of closest * w
export const H_CHECKS: usize = 21; // f64 per block: the running sum at its end, added in caller order
export const H_BLOCK_W: usize = 22; // f64 per block: sum of w
export const H_BLOCK_COUNT: usize = 23;
export const H_U: usize = 24; // the fourth and fifth planes of spatial points (0 for colour)
export const H_V: usize = 25;
export const H_CENTRES: usize = 26; // f64 x, y, z, |c|^2 per centroid (32 bytes each), for the pruning test
export const H_SLACK: usize = 28; // f64 (two fields): the pruning test's allowance for its own f64 rounding
export const HEADER_FIELDS: usize = 30;

@inline
export function field(hdr: usize, f: usize): usize {
  return <usize>load<u32>(hdr + (f << 2));
}

// Node record (every level), NODE_BYTES each: the tight box of its points in the clustering space,
// its children (node indices; a leaf: its points), its leaves, and k-means++'s summary of its points.
export const NODE_BYTES: usize = 64;
export const N_LO: usize = 0; // f32 x, y, z
export const N_HI: usize = 12; // f32 x, y, z
export const N_FIRST: usize = 24; // u32
export const N_END: usize = 28; // u32
export const N_LEAF_FIRST: usize = 32; // u32
export const N_LEAF_END: usize = 36; // u32
export const N_MAX_CLOSEST: usize = 40; // f32: the largest closest distance of its points
export const N_POT: usize = 48; // f64: the sum of floor(closest * 256) * w over its points

// Leaf record, LEAF_BYTES each: exact sums of its points, the label state and the cached cost.
export const LEAF_BYTES: usize = 64;
export const L_SUMS: usize = 0; // f64 w*x, w*y, w*z, w
export const L_COST: usize = 32; // f64: sum of floor(d * 256) * w to centroid L_COST_OWNER
export const L_OWNER: usize = 40; // u32: the label every point has, or MIXED
export const L_COST_OWNER: usize = 44; // u32: the centroid L_COST was computed for (NONE: no cost)
export const L_COST_VERSION: usize = 48; // u32: that centroid's version then
/** A leaf whose points do not all have the same label. */
export const MIXED: u32 = 0x10000;
/** No cached cost. */
export const NONE: u32 = 0xffffffff;
