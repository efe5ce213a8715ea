/**
 * Every size limit the package enforces, in one place (docs/errors-and-limits.md lists them).
 * Browser-safe: plain numbers, imported from anywhere.
 */

/** Most clusters one run makes: labels are 16-bit, and 0xffff marks an unassigned point. */
export const MAX_K = 65536;

/** As many colours as kmeans can make. */
export const MAX_PALETTE = MAX_K;

/** Largest minRegion: region areas are counted in 32 bits. */
export const MAX_MIN_REGION = 4294967295;

/** Most threads the wasm kernel's pool runs: its shared control block has a slot for each. */
export const MAX_THREADS = 32;

/** Largest seed: the PRNG's state is one unsigned 32-bit word. */
export const MAX_SEED = 4294967295;

/** wasm32's ceiling: 65536 pages of 64 KiB, 4 GiB in all. */
export const WASM_PAGE_BYTES = 65536;
export const WASM_MAX_PAGES = 65536;
export const WASM_MAX_BYTES = WASM_MAX_PAGES * WASM_PAGE_BYTES;

/** Distance evaluations per pass below which a pass stays on one thread (threads cost more than they save). */
export const PARALLEL_MIN_WORK = 1 << 18;

/**
 * Largest input file read, in bytes: 2 GiB - 1, what one read into a Node buffer was allowed to be
 * (fs.readFile's limit). Checked from the open file's size, before anything is read.
 */
export const MAX_INPUT_FILE_BYTES = 2 ** 31 - 1;

/** sharp's own default (0x3FFF x 0x3FFF): a decompression-bomb guard, kept unless the caller raises it. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 268402689;

/**
 * Above this many pixels, strips: 'auto' reads and writes the image in strips of rows (docs/huge-images.md):
 * 16384 x 16384, past which the RGBA alone is 1 GiB and every output as much again.
 */
export const STRIP_THRESHOLD_PIXELS = 268435456;

/** Rows per strip by default (32 MiB of RGBA at 32768 pixels wide), and at most (the strip path also keeps a strip under 256 MiB). */
export const DEFAULT_STRIP_ROWS = 256;
export const MAX_STRIP_ROWS = 65536;
