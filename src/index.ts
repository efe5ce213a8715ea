export { kmeans } from './kmeans.js';
export { segment, type SegmentOptions, type SegmentResult } from './segment.js';
export { KMeansSegError, type ErrorCode } from './errors.js';
export { defaultOptions, MAX_K, type KMeansOptions, type Backend, type InitMethod, type Progress } from './options.js';
export { terminateWorkers } from './backend.js';
export type { KMeansResult, Labels, PaletteEntry, RGBAImage } from './types.js';
