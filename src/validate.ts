/**
 * One home for input checks (the role of sharp's is.mjs): every option and image the public API takes
 * is checked here, so a bad value gets the same code and wording from Node, the browser and the CLI.
 * Browser-safe.
 */
import { KMeansSegError } from './errors.js';
import type { RGBAImage } from './types.js';

/** Render a received value for an error message: short, and unambiguous about its type. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return `a value of type ${typeof value}`;
}

/** "Expected X for NAME but received Y" (sharp's wording), plus how to fix it. */
export function invalidOption(name: string, expected: string, actual: unknown, fix?: string): KMeansSegError {
  return new KMeansSegError(
    'ERR_INVALID_OPTION',
    `Expected ${expected} for ${name} but received ${describe(actual)}${fix ? `: ${fix}` : ''}`,
  );
}

/** Reject names we do not know, suggesting the nearest one (a typo such as `maxIter` is the usual cause). */
export function checkOptionNames(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const near = nearestName(name, known);
    throw new KMeansSegError(
      'ERR_INVALID_OPTION',
      `Unknown option ${JSON.stringify(name)} for ${where}${near ? `: did you mean ${JSON.stringify(near)}?` : '.'} Valid options: ${known.join(', ')}.`,
    );
  }
}

/**
 * The valid name a mistyped one most likely meant ("maxIter" -> "maxIterations", "--max-iters" ->
 * "max-iter"), or undefined when nothing is close: part of a name, or within a small edit distance.
 * Case is ignored.
 */
export function nearestName(typed: string, candidates: Iterable<string>): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const name = c.toLowerCase();
    // A short form ("histo", "tol", "iter", "maxIters") is as good as a near spelling: part of the
    // name, or sharing most of its first letters, given three letters at least.
    const d = t.length >= 3 && name.startsWith(t) ? 0
      : t.length >= 3 && name.includes(t) ? 0.5
      : commonPrefix(t, name) >= Math.max(3, Math.ceil(0.75 * t.length)) ? 1
      : editDistance(t, name);
    if (d < bestDistance) { bestDistance = d; best = c; }
  }
  return bestDistance <= Math.max(2, Math.floor(t.length / 3)) ? best : undefined;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** An options argument must be a plain object; `example` shows a valid one in the message. */
export function checkPlainObject(value: unknown, name: string, example: string): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption(name, `an object such as ${example}`, value);
  }
}

/** `onProgress` is a function and `signal` an AbortSignal, when given. */
export function checkCallbacks(onProgress: unknown, signal: unknown): void {
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidOption('onProgress', 'a function', onProgress);
  if (signal !== undefined && (signal === null || typeof (signal as AbortSignal).aborted !== 'boolean')) {
    throw invalidOption('signal', 'an AbortSignal', signal);
  }
}

/** How an entry names the image it expects and how to make its bytes, for checkImage's messages. */
export interface ImageWording {
  expected: string;
  dataFix?: string;
}

const NODE_WORDING: ImageWording = { expected: 'an image { data, width, height }' };

/**
 * An RGBA image whose bytes match its size: a plain object or ImageData with positive integer
 * `width` and `height` and `data` of width * height * 4 bytes. Throws ERR_INVALID_IMAGE otherwise.
 */
export function checkImage(image: RGBAImage, wording: ImageWording = NODE_WORDING): RGBAImage {
  if (image === null || typeof image !== 'object') {
    throw new KMeansSegError('ERR_INVALID_IMAGE', `Expected ${wording.expected} but received ${describe(image)}`);
  }
  const { data, width, height } = image;
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new KMeansSegError('ERR_INVALID_IMAGE', `Expected a positive integer for image.${name} but received ${describe(v)}: pass the image's size in pixels`);
    }
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new KMeansSegError(
      'ERR_INVALID_IMAGE',
      `Expected image.data to be a Uint8Array or Uint8ClampedArray of RGBA bytes but received ${describe(data)}${wording.dataFix ? `: ${wording.dataFix}` : ''}`,
    );
  }
  if (data.length !== width * height * 4) {
    throw new KMeansSegError(
      'ERR_INVALID_IMAGE',
      `image.data has ${data.length} bytes but ${width} x ${height} RGBA needs ${width * height * 4}: pass 4 bytes (r, g, b, a) per pixel, or fix width and height`,
    );
  }
  return { data, width, height };
}
