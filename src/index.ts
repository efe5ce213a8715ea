/**
 * The Node entry, `import { segment, kmeans } from 'kmeans-seg'`: the file fronts and every helper,
 * grouped below. Importing it installs the Node platform (files, worker_threads, cores).
 */
import './node/platform.js';

// The main calls: cluster pixels in memory, or an image file with its outputs.
export { kmeans, type NodeKMeansOptions, type WorkerOption } from './node/kmeans.js';
export { segment, type SegmentOptions, type SegmentResult, type BufferOptions } from './segment.js';
export { segmentStrips } from './node/strips-job.js';
export type { SegmentStripsOptions, StripOutputs, StripRun } from './io/strips/api.js';
export type { ImageInput } from './io/load-input.js';
export type { EncodedInput } from './io/decode.js';
export { defaultOptions, type KMeansOptions, type Backend, type Connectivity, type InitMethod, type Progress, type ProgressStage } from './core/options.js';
export type { DitherMethod, RoiMask, RoiOutside, RoiPixels } from './core/roi-dither-options.js';
export type { ClusterExtent, KMeansResult, Labels, PaletteEntry, Region, Regions, RGBAImage } from './types.js';
export { terminateWorkers } from './node/job-pool.js';

// Errors and limits: the stable codes and the documented sizes.
export { KMeansSegError, ERROR_CODES, type ErrorCode } from './errors.js';
export { MAX_K, MAX_PALETTE } from './limits.js';

// Outputs besides the picture: label map, masks, border overlay, palette files.
export { labelsPNG, saveLabels } from './outputs/label-map.js';
export { masksPNG, saveMasks, maskName } from './outputs/masks.js';
export { overlayBorders, saveOverlay, type OverlayOptions } from './outputs/overlay.js';
export { regionMapPNG, regionMapU32, saveRegionMap } from './outputs/region-map.js';
export { regionsJSON, saveRegions, overlayRegions, saveRegionOverlay, type RegionOverlayOptions } from './outputs/regions-json.js';
export type { WriteOptions } from './io/output-path.js';
export { paletteJSON, paletteGPL, paletteBuffer, savePalette, type PaletteFileOptions, type PaletteBufferOptions } from './palette/write.js';

// Quality figures and colour spaces.
export { qualityOf, compareImages, type Quality } from './core/quality.js';
export { COLOR_SPACES, type ColorSpace } from './core/colorspace.js';
export { fromSrgb, toSrgb } from './core/convert.js';

// A K sweep, its knee, charts and contact sheet.
export { sweep, saveSweep, sweepFiles, checkKs, type SweepOptions, type SweepResult, type SweepEntry, type SweepSummary, type SweepFiles, type SaveSweepOptions } from './sweep/sweep.js';
export { findKnee, type Knee } from './sweep/knee.js';
export { distortionChartSVG, costChartSVG, svgToPNG, type ChartOptions } from './sweep/charts.js';
export { contactSheet, sheetGeometry, type SheetOptions, type SheetTile, type SheetGeometry } from './sweep/contact-sheet.js';

// Applying a palette, and reading palette files.
export { applyPalette, type ApplyOptions, type ApplyResult } from './palette/apply.js';
export { readPalette, parsePalette, checkPalette, type Palette, type PaletteSource, type PaletteColour } from './palette/parse.js';

// Many files on every core.
export { batch, BATCH_FORMATS, type BatchOptions, type BatchReport, type BatchFileReport, type BatchFileSummary, type BatchProgress, type BatchStatus, type BatchFormat } from './batch/batch.js';

// Batches beyond one machine: a BullMQ queue on Redis (batch's `queue` option) and its workers.
// bullmq and ioredis are optional peers, loaded only when a queue is used.
export { startWorker, type QueueWorker, type QueueWorkerEvent, type QueueWorkerOptions, type JobResult } from './batch/queue/worker.js';
export type { QueueOptions } from './batch/queue/queue-options.js';
export type { QueueConnection } from './batch/queue/connection.js';
export type { JobPayload, FileLocation } from './batch/queue/payload.js';
