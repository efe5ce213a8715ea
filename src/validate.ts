/**
 * One home for input checks (the role of sharp's is.mjs): every option and image the public API takes
 * is checked here, so a bad value gets the same code and wording from Node, the browser and the CLI.
 * Browser-safe.
 */
import { KMeansSegError } from './errors.js';
import { MAX_K } from './limits.js';
import type { Labelled, RGBAImage } from './types.js';

/**
 * Render a received value for an error message: short, and unambiguous about its type. A short
 * array of plain values is shown ("[0, 0, NaN]"), so the bad element is named.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) {
    return value.length < 5 && !value.some((v) => typeof v === 'object' && v !== null) ? `[${value.map(describe).join(', ')}]` : `an array of length ${value.length}`;
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return `a value of type ${typeof value}`;
}

/**
 * The one way a message quotes a path, a name or a snippet of a file: JSON-style, with every control,
 * invisible or line-breaking character escaped (ESC as \u001b), so no message can drive a terminal.
 */
export function quote(text: string): string {
  return printable(JSON.stringify(text));
}

/** Text already in a message (a library's error) with those characters escaped as quote() escapes them. */
export function printable(text: string): string {
  return text.replace(/[\p{C}\p{Zl}\p{Zp}]/gu, (c) => c.replace(/[^]/g, (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** "Expected X for NAME but received Y" (sharp's wording), plus how to fix it. */
export function invalidOption(name: string, expected: string, actual: unknown, fix?: string): KMeansSegError {
  return new KMeansSegError(
    'ERR_INVALID_OPTION',
    `Expected ${expected} for ${name} but received ${describe(actual)}${fix ? `: ${fix}` : ''}`,
  );
}

/**
 * Reject names we do not know, suggesting the nearest one (a typo such as `maxIter` is the usual cause),
 * and options inherited through the prototype (Object.create({ k: 3 }), a polluted Object.prototype):
 * only the object's own enumerable properties count, and an inherited one would be read as if set.
 */
export function checkOptionNames(options: object, known: readonly string[], where: string): void {
  for (const name in options) {
    const own = Object.hasOwn(options, name);
    if (own && known.includes(name)) continue;
    const near = nearestName(name, known);
    throw new KMeansSegError('ERR_INVALID_OPTION', own
      ? `Unknown option ${quote(name)} for ${where}${near ? `: did you mean ${quote(near)}?` : '.'} Valid options: ${known.join(', ')}.`
      : `Option ${quote(name)} for ${where} is inherited, not own: copy it in, e.g. { ...base }`);
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

/** An options argument must be a plain object; `expected` shows a valid one: "an object such as { k: 8 }". */
export function checkPlainObject(value: unknown, name: string, expected: string): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidOption(name, expected, value);
}

/**
 * `onProgress` is a function and `signal` an AbortSignal, when given: a real one (every supported
 * Node and browser has the class), as `{ aborted: true }` would never fire its abort event.
 */
export function checkCallbacks(onProgress: unknown, signal: unknown): void {
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidOption('onProgress', 'a function', onProgress);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidOption('signal', 'an AbortSignal', signal, "pass an AbortController's signal");
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

// The checks of the helpers' arguments (outputs, palette files, charts): bundles that do not call
// them leave them out.

/** The names of WriteOptions (io/output-path.ts), which every writer of a file takes. */
export const WRITE_OPTIONS: readonly string[] = ['force', 'inputPath'];

/**
 * An integer in [min, max] for the argument `name`.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming it, the value received and `fix`.
 */
export function checkInteger(value: unknown, name: string, min: number, max: number, fix?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `an integer between ${min} and ${max}`, value, fix);
  }
  return value;
}

/**
 * A finite number in [min, max] (any finite number by default) for the argument `name`.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming it, the value received and `fix`.
 */
export function checkNumber(value: unknown, name: string, min = -Infinity, max = Infinity, fix?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(name, min === -Infinity && max === Infinity ? 'a finite number' : `a number from ${min} to ${max}`, value, fix);
  }
  return value;
}

/**
 * An array of finite numbers (`length` of them, when given) for the argument `name`; a bad element
 * is named by its index.
 * @throws {KMeansSegError} ERR_INVALID_OPTION.
 */
export function checkNumbers(value: unknown, name: string, length?: number, fix?: string): number[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw invalidOption(name, length === undefined ? 'an array of finite numbers' : `an array of ${length} finite numbers`, value, fix);
  }
  const bad = value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) throw invalidOption(`${name}[${bad}]`, 'a finite number', value[bad], fix);
  return value as number[];
}

/**
 * The options argument of a helper: undefined (none) or a plain object of `known` names only.
 * @throws {KMeansSegError} ERR_INVALID_OPTION, suggesting the nearest name for an unknown one.
 */
export function checkHelperOptions<T extends object>(options: T | undefined, known: readonly string[], where: string, example: string): Partial<T> {
  if (options === undefined) return {};
  checkPlainObject(options, `the options of ${where}`, `an object such as ${example}`);
  checkOptionNames(options, known, where);
  return options;
}

/**
 * What the label map, the masks and the overlay read of a result: positive integer `width` and
 * `height`, `k` in [1, MAX_K], and one label per pixel in a Uint8Array, Uint16Array or Uint32Array.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the bad field of `name`.
 */
export function checkLabelled(result: unknown, name = 'result'): Labelled {
  const fix = 'pass what kmeans() or segment() returned';
  if (result === null || typeof result !== 'object') throw invalidOption(name, 'a kmeans or segment result { width, height, k, labels }', result, fix);
  const { width, height, k, labels } = result as Labelled;
  checkInteger(width, `${name}.width`, 1, Number.MAX_SAFE_INTEGER, fix);
  checkInteger(height, `${name}.height`, 1, Number.MAX_SAFE_INTEGER, fix);
  checkInteger(k, `${name}.k`, 1, MAX_K, fix);
  if (!(labels instanceof Uint8Array || labels instanceof Uint16Array || labels instanceof Uint32Array)) {
    throw invalidOption(`${name}.labels`, 'a Uint8Array, Uint16Array or Uint32Array of labels', labels, fix);
  }
  if (labels.length !== width * height) throw invalidOption(`${name}.labels`, `${width * height} labels (width x height)`, labels, fix);
  return result as Labelled;
}
