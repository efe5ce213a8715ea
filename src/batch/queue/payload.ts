// What a queued job carries, its id, and how its failure travels back. Invariant: the same input,
// output and settings always give the same job id, and a worker runs only a payload that passes the
// checks a local batch makes on its options (checkPayload), whoever wrote it into Redis.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { resolveOptions } from '../../core/options.js';
import { CLUSTER_OPTION_NAMES } from '../../core/option-table.js';
import { KMeansSegError, type ErrorCode, ERROR_CODES } from '../../errors.js';
import { resolveLimitInputPixels } from '../../io/decode.js';
import { checkPalette, type Palette } from '../../palette/parse.js';
import type { SegmentOptions } from '../../segment.js';
import { checkPlainObject, invalidOption, quote } from '../../validate.js';
import type { FileError } from '../messages.js';

/** The only job name a worker runs; any other is refused without a retry. */
export const JOB_NAME = 'segment';
/** The queue's name unless one is given (`--queue`, `queue.name`). */
export const DEFAULT_QUEUE = 'kmeans-seg';

/**
 * Where a file is. Only local paths today, absolute and real (links followed by the producer); the
 * `kind` leaves room for object-store URLs ({ kind: 's3', url }) without changing version 1's fields.
 */
export interface FileLocation { kind: 'path'; path: string }

/** A job's data, version 1: one file, where its output goes, and the settings, as plain JSON. */
export interface JobPayload {
  version: 1;
  input: FileLocation;
  output: FileLocation;
  /** What segment() takes, as batch() checked it (no threads, callbacks or signal). */
  options: SegmentOptions;
  /** The palette to apply instead of clustering, or null. */
  palette: Palette | null;
}

/** Extensions a job may write (a batch's formats). */
const OUTPUT_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];
const OPTION_EXTRAS = ['limitInputPixels', 'pngColors'];
const NOT_IN_JOBS = ['threads', 'onProgress', 'signal'];

/** JSON with object keys sorted, so that equal payloads give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/**
 * The job id: a hash of the whole payload (input, output, options, palette), so that enqueuing the
 * same file with the same settings again finds the job that exists instead of adding a second one.
 * BullMQ refuses ids that are integers or hold ':'; this one is `ks1-` and 40 hex digits.
 */
export function jobIdOf(payload: JobPayload): string {
  return `ks1-${createHash('sha256').update(canonical(payload)).digest('hex').slice(0, 40)}`;
}

/** A payload's fault: a KMeansSegError that the worker turns into a failure without a retry. */
function bad(what: string, fix = 'enqueue jobs with kmeans-seg batch --redis, or batch() with the queue option'): KMeansSegError {
  return new KMeansSegError('ERR_INVALID_OPTION', `Refused a queued job: ${what}: ${fix}`);
}

function checkLocation(value: unknown, name: string, output: boolean): FileLocation {
  const loc = value as Partial<FileLocation> | null;
  if (loc === null || typeof loc !== 'object' || loc.kind !== 'path') {
    throw bad(`its ${name} is not { kind: 'path', path } (this worker reads and writes paths only)`, 'upgrade this worker if newer producers send other kinds');
  }
  const p = loc.path;
  if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0') || path.normalize(p) !== p) {
    throw bad(`its ${name} path ${typeof p === 'string' ? quote(p) : 'is missing and'} is not an absolute, normalised path`);
  }
  if (output && !OUTPUT_EXTENSIONS.includes(path.extname(p).toLowerCase())) {
    throw bad(`its output ${quote(p)} does not end in ${OUTPUT_EXTENSIONS.join(', ')}`);
  }
  return { kind: 'path', path: p };
}

/**
 * The payload of a job, checked as batch() checks its options: the job's name, version 1, absolute
 * paths, and options that resolveOptions and checkPalette accept.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming what is wrong (the worker fails the job at once).
 */
export function checkPayload(name: string, data: unknown): JobPayload {
  if (name !== JOB_NAME) throw bad(`its name is ${quote(name)}, and kmeans-seg workers run only ${quote(JOB_NAME)} jobs`, 'use another queue name for other work');
  const d = data as Partial<JobPayload> | null;
  if (d === null || typeof d !== 'object') throw bad('its data is not an object');
  if (d.version !== 1) throw bad(`its version is ${JSON.stringify(d.version) ?? 'missing'}, and this worker reads version 1`, 'upgrade the workers to the producer\'s kmeans-seg version');
  const input = checkLocation(d.input, 'input', false);
  const output = checkLocation(d.output, 'output', true);
  const options = d.options;
  checkPlainObject(options, 'options', 'an object');
  for (const n of NOT_IN_JOBS) if (Object.hasOwn(options, n)) throw bad(`its options hold ${n}, which a batch sets itself`);
  resolveOptions(options, OPTION_EXTRAS);
  resolveLimitInputPixels((options as SegmentOptions).limitInputPixels);
  let palette: Palette | null = null;
  if (d.palette !== null && d.palette !== undefined) {
    palette = checkPalette(d.palette);
    const clash = CLUSTER_OPTION_NAMES.find((n) => (options as Record<string, unknown>)[n] !== undefined);
    if (clash) throw invalidOption(clash, 'no value when a palette is given', (options as Record<string, unknown>)[clash]);
  }
  return { version: 1, input, output, options: options as SegmentOptions, palette };
}

/**
 * Codes that a retry cannot change: the file or the settings are at fault. Their jobs fail at once.
 * Others (ERR_READ, ERR_WRITE, ERR_INPUT_NOT_FOUND on a share not yet mounted, an unexpected error,
 * a worker thread that died) are retried, on any host, up to the job's attempts.
 */
const FINAL_CODES: readonly ErrorCode[] = [
  'ERR_INVALID_OPTION', 'ERR_INVALID_IMAGE', 'ERR_INPUT_NOT_FILE', 'ERR_DECODE', 'ERR_TOO_LARGE',
  'ERR_OUTPUT_FORMAT', 'ERR_OUTPUT_EXISTS', 'ERR_PALETTE', 'ERR_OUTSIDE_ROOT',
];

export const isFinal = (code: string | null): boolean => code !== null && (FINAL_CODES as readonly string[]).includes(code);

/** A failure as BullMQ stores it (its failedReason): `ERR_DECODE: Input file ...`, readable on a dashboard. */
export const failureText = (error: FileError): string => (error.code ? `${error.code}: ${error.message}` : error.message);

/** The code and message back from a failedReason (a code only when it is one of ERROR_CODES). */
export function failureOf(reason: string | undefined): FileError {
  const text = reason ?? 'failed, with no reason recorded';
  const m = /^(ERR_[A-Z_]+): ([^]*)$/.exec(text);
  return m && (ERROR_CODES as readonly string[]).includes(m[1]!) ? { code: m[1]!, message: m[2]! } : { code: null, message: text };
}
