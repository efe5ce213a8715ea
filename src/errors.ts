/**
 * The error contract: every failure the package reports on purpose is a KMeansSegError with a stable
 * `code`, so callers can branch on the code and show the message (which names the bad value and the
 * fix) as it is. Messages are built in src/validate.ts. Browser-safe.
 */
export const ERROR_CODES = [
  'ERR_INVALID_OPTION', // an option has the wrong type, range, or name
  'ERR_INVALID_IMAGE', // pixel data that does not match its width and height, or has no visible pixel
  'ERR_INPUT_NOT_FOUND', // the input path does not exist
  'ERR_INPUT_NOT_FILE', // the input path is a directory or other non-file
  'ERR_READ', // the input exists but cannot be read (permissions, I/O error, symlink loop, name too long)
  'ERR_DECODE', // the input is not a readable image (empty, truncated, not an image)
  'ERR_TOO_LARGE', // the image exceeds the pixel limit, a buffer, or what wasm32 memory can hold
  'ERR_OUTPUT_FORMAT', // the output extension is not one we can write
  'ERR_OUTPUT_DIR', // the output's folder does not exist or is not a folder
  'ERR_OUTPUT_EXISTS', // the output exists (or is the input) and overwriting was not allowed
  'ERR_WRITE', // writing the output failed (permissions, read-only or full disk)
  'ERR_BACKEND', // the requested backend cannot run here
  'ERR_ABORTED', // options.signal was aborted
  'ERR_PALETTE', // a palette file that is not a palette (bad JSON, bad colour, bad .gpl line)
  'ERR_OUTSIDE_ROOT', // a queued job names a file whose real path lies outside every --root of its worker
] as const;

/** The stable codes, listed in ERROR_CODES; new codes may be added, none is renamed or removed. */
export type ErrorCode = (typeof ERROR_CODES)[number];

export class KMeansSegError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KMeansSegError';
    this.code = code;
  }
}
