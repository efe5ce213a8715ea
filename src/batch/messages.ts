// The messages between a batch's scheduler (scheduler.ts) and its workers (worker.ts). Invariant: only
// plain, structured-cloneable values, and every reply carries the id of the job it answers.
import type { Palette } from '../palette/parse.js';
import type { SegmentOptions } from '../segment.js';

/** What a worker learns about one file it segmented. */
export interface BatchFileSummary {
  width: number;
  height: number;
  k: number;
  /** Assignment passes (not for a palette). */
  iterations?: number;
  converged?: boolean;
  palette: { hex: string; share: number }[];
  warnings: string[];
}

/** Why a file failed: the error's code (null for an unexpected error) and its one-line message. */
export interface FileError { code: string | null; message: string }

/** @internal What every worker starts with. */
export interface WorkerData {
  /** Set to 1 by the host to ask for a stop; workers read it between stages and after every pass. */
  stop: Int32Array;
  options: SegmentOptions;
  palette: Palette | null;
  /** The settings that made each output, written to its record (record.ts) once the output is. */
  recipe: string;
}

/**
 * @internal One file to segment. With `freeEarly`, a worker that has clustered a small file says so
 * (WorkerFree) before saving it, so that it can be handed the next file while this one's writes wait
 * on the disk.
 */
export interface WorkerJob { id: number; input: string; output: string; force: boolean; freeEarly?: boolean }

/** @internal The job `id` (sent with freeEarly) is clustered and being saved: its worker can take the next file. Its reply follows. */
export interface WorkerFree { id: number; free: true }

/** @internal How a job ended in its worker. */
export type WorkerOutcome =
  | ({ status: 'done'; ms: number } & BatchFileSummary)
  | { status: 'cancelled'; ms: number }
  | { status: 'failed'; ms: number; error: FileError };

/** @internal A worker's answer to the job `id`. */
export type WorkerReply = { id: number } & WorkerOutcome;

/** @internal How a file of the pool ended: its worker's outcome, or the host's (a dead worker, a stop, no worker left). */
export type FileOutcome = WorkerOutcome | { status: 'cancelled' } | { status: 'failed'; error: FileError };
