/**
 * Issue 6, parts 1 and 2: every bad or unusual input gets a typed error with a stable code (API) or
 * one line on stderr naming the file and the problem (CLI), or a documented behaviour; and nothing is
 * lost: no partial or temporary file after a read-only folder, a full disk or an interrupted run, and
 * the caller's buffers are never mutated.
 *
 * This extends io.test.ts and cli.test.ts (missing, empty, text, truncated and SVG inputs; existing
 * outputs and the input as output; bad -k values; 8-bit greyscale and 16-bit RGB decoding) without
 * repeating them. The CLI runs from the built dist/ (`npm test` builds first).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { ERROR_CODES, KMeansSegError, type ErrorCode } from '../src/errors.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { decodeImage } from '../src/io/decode.js';
import { encodeImage } from '../src/io/encode.js';
import { kmeans } from '../src/core/kmeans.js';
import { segment } from '../src/segment.js';
import { terminateWorkers } from '../src/kernel/select.js';
import type { KMeansResult, RGBAImage } from '../src/types.js';
import { crc32 } from './helpers.js';

// Child processes start Node and load sharp (~0.3-1 s each on a busy machine).
vi.setConfig({ testTimeout: 30_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'kmeans-seg.js');
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** Bad or unusual inputs tried in this file (each table row adds its count); printed at the end. */
let badInputs = 0;
const tried = (n = 1): void => { badInputs += n; };

let tmp: string;
beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-hard-'));
  await chmod(tmp, 0o755); // the unprivileged-user cases below must reach their files
});
afterAll(async () => {
  await terminateWorkers();
  unmountAll(); // before removing the folders they sit in
  for (const dir of lockedDirs.splice(0)) await chmod(dir, 0o755);
  await rm(tmp, { recursive: true, force: true });
  console.log(`hardening.test.ts: ${badInputs} bad or unusual inputs tried`);
});

async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, 'case-'));
  await chmod(dir, 0o755);
  return dir;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (e: unknown) => e);
}

/** A KMeansSegError of `code` whose message mentions each item and is one line. */
async function rejects(promise: Promise<unknown>, code: ErrorCode, ...mentions: (string | RegExp)[]): Promise<KMeansSegError> {
  const error = await caught(promise);
  expect(error, `expected a ${code} failure`).toBeInstanceOf(KMeansSegError);
  const e = error as KMeansSegError;
  expect(e.code, e.message).toBe(code);
  expect(ERROR_CODES).toContain(e.code);
  expect(e.message).not.toContain('\n');
  for (const m of mentions) {
    if (typeof m === 'string') expect(e.message).toContain(m);
    else expect(e.message).toMatch(m);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Image builders

const solid = (w: number, h: number, background: string | { r: number; g: number; b: number; alpha?: number }, channels: 3 | 4 = 3): Sharp =>
  sharp({ create: { width: w, height: h, channels, background } });

/** Frames of solid colours stacked as one animated/multi-page image, `w` x `w` each. */
function frames(w: number, colours: [number, number, number][]): Sharp {
  const px = Buffer.concat(colours.map((c) => Buffer.from(Array.from({ length: w * w }, () => [...c, 255]).flat())));
  return sharp(px, { raw: { width: w, height: w * colours.length, channels: 4, pageHeight: w } });
}

/** Deterministic noise (mulberry32), opaque: nearly every pixel a distinct colour. */
function noise(width: number, height: number, seed: number): RGBAImage {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const v = next();
    data[p * 4] = v & 255; data[p * 4 + 1] = (v >>> 8) & 255; data[p * 4 + 2] = (v >>> 16) & 255; data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}

const noisePng = (w: number, h: number, seed = 1): Promise<Buffer> =>
  sharp(noise(w, h, seed).data, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();

function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A decompression bomb: a valid 1-bit greyscale PNG of `width` x `height` black pixels, a few tens
 * of KB on disk. Written by hand because sharp needs 10-30 s to render and compress 400 M pixels;
 * each test checks with sharp's own reader that the file says what we mean. `withPixels: false`
 * leaves out the pixel data: the header alone already claims the size.
 */
function pngBomb(width: number, height: number, withPixels = true): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth 1, colour type 0 (grey), deflate, filter 0, no interlace
  const chunks = [Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr)];
  if (withPixels) chunks.push(pngChunk('IDAT', deflateSync(Buffer.alloc(height * (1 + Math.ceil(width / 8))), { level: 9 })));
  chunks.push(pngChunk('IEND', new Uint8Array(0)));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// The CLI as a user runs it

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runCli(args: string[], opts: { cwd?: string; uid?: number; shellPrefix?: string; nodeArgs?: string[] } = {}): Promise<Run> {
  const argv = [...(opts.nodeArgs ?? []), BIN, ...args];
  const [file, fileArgs] = opts.shellPrefix
    // "$0" "$@" re-quotes the arguments exactly; the prefix runs first in the same shell (ulimit).
    ? ['/bin/sh', ['-c', `${opts.shellPrefix} && exec "$0" "$@"`, process.execPath, ...argv]] as const
    : [process.execPath, argv] as const;
  return new Promise((resolve) => {
    execFile(file, fileArgs, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', uid: opts.uid, gid: opts.uid, timeout: 60_000 }, (error, stdout, stderr) => {
      const e = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

/**
 * The CLI's main() in this process, stdout and stderr captured: the same code as bin/kmeans-seg.js
 * without a Node start per case, for the long tables. Process-level behaviour (signals, users,
 * ulimit) runs the real binary through runCli.
 */
async function runMain(args: string[]): Promise<Run> {
  let stdout = '', stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
  try {
    const code = await main(args);
    return { code, signal: null, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** One prefixed line on stderr (after any warning lines), no stack trace. */
function expectOneLineError(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('kmeans-seg: warning: '));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^kmeans-seg: error: \S/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

async function snapshotFolder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    out.set(entry.name, entry.isFile() ? await readFile(path.join(dir, entry.name)) : Buffer.alloc(0));
  }
  return out;
}

async function expectFolderUnchanged(dir: string, before: Map<string, Buffer>): Promise<void> {
  expect((await readdir(dir)).sort(), 'no output and no temporary file is left behind').toEqual([...before.keys()].sort());
  for (const [name, bytes] of before) {
    // Buffer.equals: toEqual walks a buffer element by element (seconds for a large image).
    if (bytes.length > 0) expect((await readFile(path.join(dir, name))).equals(bytes), `${name} is unchanged`).toBe(true);
  }
}

// ---------------------------------------------------------------------------------------------
// Privileged helpers: a read-only folder and a full disk, as root through tmpfs mounts

const mounts: string[] = [];
/** Folders made read-only with chmod (unprivileged runs), made writable again before removal. */
const lockedDirs: string[] = [];
function unmountAll(): void {
  for (const dir of mounts.splice(0)) {
    try { execFileSync('umount', [dir], { stdio: 'ignore' }); } catch { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); }
  }
}

/** Mount a tmpfs of `size` on a new folder; undefined (with the reason) when mount is not permitted. */
async function tmpfs(size: string): Promise<{ dir: string } | { skip: string }> {
  const dir = await folder();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    return { skip: `mount -t tmpfs is not permitted here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})` };
  }
  mounts.push(dir);
  return { dir };
}

/**
 * A folder where writing a new file fails, holding `existing` files. Unprivileged: chmod 0555
 * (EACCES). As root, chmod stops nothing, so a tmpfs remounted read-only (EROFS); where mount is not
 * permitted either, a reason to skip.
 */
async function readOnlyFolder(existing: Record<string, Uint8Array>): Promise<{ dir: string; errno: string } | { skip: string }> {
  if (!IS_ROOT) {
    const dir = await folder();
    for (const [name, bytes] of Object.entries(existing)) await writeFile(path.join(dir, name), bytes);
    await chmod(dir, 0o555);
    lockedDirs.push(dir);
    return { dir, errno: 'EACCES' };
  }
  const t = await tmpfs('1m');
  if ('skip' in t) return { skip: `running as root, where chmod does not stop writes, and ${t.skip}` };
  for (const [name, bytes] of Object.entries(existing)) await writeFile(path.join(t.dir, name), bytes);
  try {
    execFileSync('mount', ['-o', 'remount,ro', t.dir], { stdio: 'pipe' });
  } catch (error) {
    return { skip: `remount,ro failed: ${String(error)}` };
  }
  return { dir: t.dir, errno: 'EROFS' };
}

function skipWith(reason: string): void {
  console.warn(`hardening.test.ts: skipped: ${reason}`);
}

// =============================================================================================
// 1. Inputs: typed errors or documented behaviour

describe('image files of every kind: documented behaviour (API)', () => {
  interface Kind {
    name: string;
    bytes: () => Promise<Buffer>;
    /** What the file is, by sharp's own reading: makes sure the test builds what it names. */
    meta: Partial<Metadata>;
    decoded: { width: number; height: number; hasAlpha: boolean; pages: number };
    /** First pixel after decoding, RGBA, and how far each channel may be off (colour conversion). */
    first: [number, number, number, number];
    slack?: number;
    warning?: RegExp;
  }
  const kinds: Kind[] = [
    {
      name: '16-bit RGBA PNG (alpha 0.5)',
      bytes: () => solid(4, 3, { r: 10, g: 20, b: 30, alpha: 0.5 }, 4).toColourspace('rgb16').png().toBuffer(),
      meta: { depth: 'ushort', channels: 4 },
      decoded: { width: 4, height: 3, hasAlpha: true, pages: 1 }, first: [10, 20, 30, 128],
    },
    {
      name: '16-bit greyscale PNG',
      bytes: () => solid(4, 3, '#646464').greyscale().toColourspace('grey16').png().toBuffer(),
      meta: { depth: 'ushort', channels: 1 },
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [100, 100, 100, 255],
    },
    {
      name: 'grey + alpha PNG',
      bytes: () => solid(4, 3, { r: 100, g: 100, b: 100, alpha: 0.5 }, 4).toColourspace('b-w').png().toBuffer(),
      meta: { channels: 2, hasAlpha: true },
      decoded: { width: 4, height: 3, hasAlpha: true, pages: 1 }, first: [100, 100, 100, 128],
    },
    {
      name: 'palette PNG',
      bytes: () => solid(4, 3, '#ff0000').png({ palette: true }).toBuffer(),
      meta: { isPalette: true },
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [255, 0, 0, 255],
    },
    {
      name: 'palette PNG with a transparent entry (tRNS)',
      bytes: () => sharp(Buffer.from([0, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255]), { raw: { width: 2, height: 2, channels: 4 } })
        .png({ palette: true }).toBuffer(),
      meta: { isPalette: true, hasAlpha: true },
      decoded: { width: 2, height: 2, hasAlpha: true, pages: 1 }, first: [0, 0, 0, 0], slack: 255, // the colour of a transparent pixel is not specified
    },
    {
      name: 'CMYK JPEG',
      bytes: () => solid(4, 3, '#336699').toColourspace('cmyk').jpeg().toBuffer(),
      meta: { space: 'cmyk', channels: 4, format: 'jpeg' },
      // Converted to sRGB through the CMYK profile: close to the colour that went in, not equal.
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [51, 102, 153, 255], slack: 24,
    },
    {
      name: 'CMYK TIFF',
      bytes: () => solid(4, 3, '#336699').toColourspace('cmyk').tiff().toBuffer(),
      meta: { space: 'cmyk', format: 'tiff' },
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [51, 102, 153, 255], slack: 24,
    },
    {
      name: 'animated GIF (3 frames)',
      bytes: () => frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toBuffer(),
      meta: { format: 'gif', pages: 3 },
      decoded: { width: 4, height: 4, hasAlpha: true, pages: 3 }, first: [255, 0, 0, 255],
      warning: /only the first of the 3 frames \(or pages\) of the GIF was segmented/,
    },
    {
      name: 'animated WebP (3 frames)',
      bytes: () => frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).webp({ lossless: true, loop: 0 }).toBuffer(),
      meta: { format: 'webp', pages: 3 },
      decoded: { width: 4, height: 4, hasAlpha: false, pages: 3 }, first: [255, 0, 0, 255],
      warning: /first of the 3 frames .* WEBP/,
    },
    {
      name: 'multi-page TIFF (3 pages)',
      bytes: () => frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).tiff().toBuffer(),
      meta: { format: 'tiff', pages: 3 },
      // sharp writes TIFF with JPEG compression by default: a channel may be off by one.
      decoded: { width: 4, height: 4, hasAlpha: false, pages: 3 }, first: [255, 0, 0, 255], slack: 2,
      warning: /first of the 3 frames .* TIFF/,
    },
    {
      name: '1 x 1 image',
      bytes: () => solid(1, 1, '#102030').png().toBuffer(),
      meta: { width: 1, height: 1 },
      decoded: { width: 1, height: 1, hasAlpha: false, pages: 1 }, first: [16, 32, 48, 255],
      warning: /k reduced from 8 to 1/,
    },
    {
      name: '1 x 500 strip (one column)',
      bytes: () => noisePng(1, 500, 3),
      meta: { width: 1, height: 500 },
      decoded: { width: 1, height: 500, hasAlpha: true, pages: 1 }, first: [-1, -1, -1, 255], slack: 255,
    },
    {
      name: '500 x 1 strip (one row)',
      bytes: () => noisePng(500, 1, 4),
      meta: { width: 500, height: 1 },
      decoded: { width: 500, height: 1, hasAlpha: true, pages: 1 }, first: [-1, -1, -1, 255], slack: 255,
    },
  ];

  for (const kind of kinds) {
    it(`${kind.name}: decoded to 8-bit sRGB RGBA${kind.decoded.pages > 1 ? ', first frame only, with a warning' : ''}; segment works`, async () => {
      tried();
      const bytes = await kind.bytes();
      expect(await sharp(bytes).metadata()).toMatchObject(kind.meta);
      const image = await decodeImage(bytes);
      expect(image).toMatchObject(kind.decoded);
      expect(image.data).toBeInstanceOf(Uint8Array);
      expect(image.data.length).toBe(image.width * image.height * 4);
      const slack = kind.slack ?? 0;
      kind.first.forEach((v, i) => { if (v >= 0) expect(Math.abs(image.data[i]! - v), `channel ${i}`).toBeLessThanOrEqual(i === 3 ? 0 : slack); });

      const result = await segment(bytes, { k: 8, seed: 1 });
      expect(result).toMatchObject({ width: kind.decoded.width, height: kind.decoded.height });
      expect(result.labels).toHaveLength(kind.decoded.width * kind.decoded.height);
      if (kind.warning) expect(result.warnings.join('\n')).toMatch(kind.warning);
      else if (kind.decoded.pages === 1) expect(result.warnings.join('\n')).not.toMatch(/frames/);
    });
  }

  it('an entirely transparent image: ERR_INVALID_IMAGE from the core, naming the file through segment()', async () => {
    tried(3);
    const png = await solid(5, 4, { r: 9, g: 9, b: 9, alpha: 0 }, 4).png().toBuffer();
    const dir = await folder();
    const file = path.join(dir, 'clear.png');
    await writeFile(file, png);
    await rejects(kmeans(await decodeImage(png)), 'ERR_INVALID_IMAGE', 'fully transparent', '20 pixels');
    await rejects(segment(png), 'ERR_INVALID_IMAGE', 'The input buffer', 'fully transparent');
    const e = await rejects(segment(file), 'ERR_INVALID_IMAGE', `Input file ${JSON.stringify(file)}`, 'fully transparent', 'visible pixels');
    expect(e.cause).toBeInstanceOf(KMeansSegError);
  });

  it('a decompression bomb (20000 x 20000 PNG of one colour, ~50 KB): ERR_TOO_LARGE from the header, saying how to raise the limit', async () => {
    tried(3);
    const bomb = pngBomb(20000, 20000);
    expect(bomb.length).toBeLessThan(100_000);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: 20000, height: 20000 });
    const dir = await folder();
    const file = path.join(dir, 'bomb.png');
    await writeFile(file, bomb);
    const mentions = ['20000 x 20000 = 400000000 pixels', 'limit of 268402689', '--limit-input-pixels 400000000', 'limitInputPixels: 400000000'];
    await rejects(decodeImage(bomb), 'ERR_TOO_LARGE', 'The input buffer', ...mentions);
    await rejects(segment(file, { k: 4 }), 'ERR_TOO_LARGE', JSON.stringify(file), ...mentions);
    // A smaller bomb under a lower limit, then the limit raised as the message says.
    const small = pngBomb(3000, 2000);
    await rejects(decodeImage(small, { limitInputPixels: 1_000_000 }), 'ERR_TOO_LARGE', 'limitInputPixels: 6000000');
    const ok = await decodeImage(small, { limitInputPixels: 6_000_000 });
    expect(ok).toMatchObject({ width: 3000, height: 2000, hasAlpha: false });
    expect(Array.from(ok.data.subarray(0, 4))).toEqual([0, 0, 0, 255]);
  });

  it('a bomb larger than any Node buffer, with the limit off: ERR_TOO_LARGE before anything is allocated', async () => {
    tried(2);
    const bomb = pngBomb(33000, 33000); // 1.09 G pixels: 4.06 GiB of RGBA
    const before = process.memoryUsage().rss;
    await rejects(decodeImage(bomb, { limitInputPixels: false }), 'ERR_TOO_LARGE', '33000 x 33000', 'largest buffer Node can allocate', 'downscale');
    await rejects(segment(bomb, { limitInputPixels: false }), 'ERR_TOO_LARGE', 'largest buffer');
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });
});

describe('pixels in memory (kmeans): typed errors', () => {
  const good = (): RGBAImage => ({ data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255, 9, 9, 9, 255]), width: 2, height: 2 });

  it('RGBA data whose length does not match width x height x 4: ERR_INVALID_IMAGE with both numbers', async () => {
    const cases: [string, number, number, number][] = [
      // [what, data length, width, height]
      ['one byte short', 15, 2, 2], ['one byte long', 17, 2, 2], ['RGB (3 bytes per pixel)', 12, 2, 2],
      ['greyscale (1 byte per pixel)', 4, 2, 2], ['empty', 0, 2, 2], ['width and height swapped on a non-square', 24, 2, 2],
      ['a huge width', 16, 2 ** 31, 2 ** 31],
    ];
    tried(cases.length);
    for (const [what, length, width, height] of cases) {
      const e = await rejects(kmeans({ data: new Uint8Array(length), width, height }), 'ERR_INVALID_IMAGE', `has ${length} bytes`, '4 bytes (r, g, b, a) per pixel');
      expect(e.message, what).toContain(String(width * height * 4));
    }
  });

  it('data of the wrong type: ERR_INVALID_IMAGE naming what was received', async () => {
    const cases: [unknown, string][] = [
      [[255, 0, 0, 255], 'an array of length 4'], [new Int8Array(16), 'Int8Array'], [new Uint16Array(16), 'Uint16Array'],
      [new Float32Array(16), 'Float32Array'], [new DataView(new ArrayBuffer(16)), 'DataView'], [new ArrayBuffer(16), 'a value of type object'],
      ['RGBA', '"RGBA"'], [null, 'null'], [undefined, 'undefined'], [16, '16'],
    ];
    tried(cases.length);
    for (const [data, named] of cases) {
      await rejects(kmeans({ data, width: 2, height: 2 } as never), 'ERR_INVALID_IMAGE', 'Uint8Array or Uint8ClampedArray', named);
    }
  });

  it('width and height that are not positive integers: ERR_INVALID_IMAGE naming image.width / image.height', async () => {
    const bad = [0, -1, 1.5, NaN, Infinity, -Infinity, '2', null, undefined, 2n, true];
    tried(bad.length * 2);
    for (const v of bad) {
      await rejects(kmeans({ ...good(), width: v } as never), 'ERR_INVALID_IMAGE', 'image.width', 'a positive integer');
      await rejects(kmeans({ ...good(), height: v } as never), 'ERR_INVALID_IMAGE', 'image.height');
    }
  });

  it('no image at all: ERR_INVALID_IMAGE', async () => {
    const bad = [null, undefined, 42, 'photo.png', true];
    tried(bad.length);
    for (const v of bad) await rejects(kmeans(v as never), 'ERR_INVALID_IMAGE', 'Expected an image { data, width, height }');
  });

  it('an entirely transparent image (alpha 0 everywhere, colours or not): ERR_INVALID_IMAGE', async () => {
    tried(2);
    await rejects(kmeans({ data: new Uint8Array(3 * 3 * 4), width: 3, height: 3 }), 'ERR_INVALID_IMAGE', '9 pixels', 'fully transparent');
    const coloured = new Uint8Array(3 * 4).fill(200).map((v, i) => (i % 4 === 3 ? 0 : v));
    await rejects(kmeans({ data: coloured, width: 3, height: 1 }, { backend: 'js' }), 'ERR_INVALID_IMAGE', 'fully transparent');
  });

  it('typed arrays with a non-zero byteOffset (odd, unaligned; a Buffer from the pool; clamped; shared) give the result of a copy', async () => {
    const src = noise(13, 7, 5);
    src.data[3] = 0; src.data[7] = 100; // one transparent pixel, one partly transparent
    const reference = await kmeans({ ...src, data: src.data.slice() }, { k: 5, seed: 3 });
    const view = <T extends Uint8Array | Uint8ClampedArray>(make: (b: ArrayBufferLike, o: number, n: number) => T, buffer: ArrayBufferLike, offset: number): T => {
      const v = make(buffer, offset, src.data.length);
      new Uint8Array(buffer).fill(77); // garbage around the view that must be ignored
      v.set(src.data);
      return v;
    };
    const views: [string, Uint8Array | Uint8ClampedArray][] = [
      ['Uint8Array at offset 3', view((b, o, n) => new Uint8Array(b, o, n), new ArrayBuffer(src.data.length + 10), 3)],
      ['Uint8ClampedArray at offset 5', view((b, o, n) => new Uint8ClampedArray(b, o, n), new ArrayBuffer(src.data.length + 9), 5)],
      ['SharedArrayBuffer view at offset 7', view((b, o, n) => new Uint8Array(b, o, n), new SharedArrayBuffer(src.data.length + 8), 7)],
      ['Buffer.from (pool slice)', Buffer.from(src.data)],
      ['subarray of a larger image', (() => { const big = new Uint8Array(src.data.length * 2).fill(9); big.set(src.data, 40); return big.subarray(40, 40 + src.data.length); })()],
    ];
    tried(views.length);
    for (const [what, data] of views) {
      if (what.startsWith('Buffer')) expect(data.byteOffset, 'a small Buffer.from is a slice of the shared pool').toBeGreaterThanOrEqual(0);
      for (const backend of ['js', 'wasm'] as const) {
        const r = await kmeans({ data, width: src.width, height: src.height }, { k: 5, seed: 3, backend });
        expect(summary(r), `${what}, ${backend}`).toEqual(summary(reference));
      }
    }
  });

  function summary(r: KMeansResult): unknown {
    return { palette: r.palette, labels: Array.from(r.labels), inertia: r.inertia, iterations: r.iterations, rgba: Array.from(r.toRGBA()) };
  }
});

describe('options: typed errors naming the option (ERR_INVALID_OPTION)', () => {
  const img: RGBAImage = { data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255, 9, 9, 9, 255]), width: 2, height: 2 };
  const everywhere = [NaN, Infinity, -Infinity, -1, '8', true, null, {}, [8], 8n, Symbol('x'), () => 8, new Number(8)];
  const fractional = [0.5, 2.5, 1 + Number.EPSILON];
  const numeric: Record<string, { bad: unknown[]; expected: string | RegExp }> = {
    k: { bad: [...everywhere, ...fractional, 0, 65537], expected: 'an integer between 1 and 65536' },
    seed: { bad: [...everywhere, ...fractional, 2 ** 32], expected: 'an integer between 0 and 4294967295' },
    maxIterations: { bad: [...everywhere, ...fractional, 0, 1e9 + 1], expected: 'an integer between 1 and' },
    attempts: { bad: [...everywhere, ...fractional, 0, 10001], expected: 'an integer between 1 and 10000' },
    threads: { bad: [...everywhere, ...fractional, 0, 33], expected: 'an integer between 1 and 32' },
    tolerance: { bad: [...everywhere, -0.001], expected: 'a finite number >= 0' },
  };

  for (const [name, { bad, expected }] of Object.entries(numeric)) {
    it(`${name}: NaN, Infinity, negative, fractional, out of range and wrong types`, async () => {
      tried(bad.length);
      for (const v of bad) {
        const e = await rejects(kmeans(img, { [name]: v }), 'ERR_INVALID_OPTION', `for ${name} but received`);
        if (typeof expected === 'string') expect(e.message).toContain(expected);
      }
    });
  }

  it('limitInputPixels (segment only): NaN, Infinity, negative, fractional and wrong types, checked before the file is read', async () => {
    const bad = [...everywhere, ...fractional, 0];
    tried(bad.length);
    for (const v of bad) {
      await rejects(segment(path.join(tmp, 'never-read.png'), { limitInputPixels: v as never }), 'ERR_INVALID_OPTION', 'limitInputPixels', 'a positive integer or false');
    }
  });

  it('enumerations and objects of the wrong kind', async () => {
    const cases: [string, unknown][] = [
      ['backend', 'WASM'], ['backend', 'simd'], ['backend', ''], ['backend', 1], ['backend', null],
      ['histogram', 'yes'], ['histogram', 1], ['histogram', 0], ['histogram', null],
      ['colorSpace', 'RGB'], ['colorSpace', 'hsv'], ['colorSpace', 3],
      ['init', 'kmeans'], ['init', 'k-means++'], ['init', 3], ['init', {}], ['init', null],
      ['init', []], ['init', [[0, 0]]], ['init', [[0, 0, NaN]]], ['init', [[0, 0, Infinity]]], ['init', [[0, 0, 0, 0]]],
      ['init', ['abc']], ['init', [[0, 0, '0']]], ['init', [new Float32Array(3)]],
      ['onProgress', 'log'], ['onProgress', 1], ['onProgress', {}],
      ['signal', {}], ['signal', 'abort'], ['signal', null], ['signal', new AbortController()],
    ];
    tried(cases.length);
    for (const [name, v] of cases) {
      const e = await rejects(kmeans(img, { [name]: v }), 'ERR_INVALID_OPTION');
      expect(e.message, `${name}: ${String(v)}`).toMatch(new RegExp(`for ${name}(\\[\\d+\\])? but received`));
    }
  });

  it('k that contradicts the centroids given in init', async () => {
    tried();
    await rejects(kmeans(img, { k: 3, init: [[0, 0, 0], [255, 255, 255]] }), 'ERR_INVALID_OPTION', 'for k', 'leave k out');
  });

  it('options that are not an object', async () => {
    const bad = [null, 42, 'k=8', [], [8], true, () => ({ k: 8 })];
    tried(bad.length);
    for (const v of bad) await rejects(kmeans(img, v as never), 'ERR_INVALID_OPTION', 'for options');
  });

  it('unknown option names: an error suggesting the nearest valid name, or listing them all when none is near', async () => {
    const near: [string, string][] = [
      ['iterations', 'maxIterations'], ['max_iterations', 'maxIterations'], ['K', 'k'], ['seeds', 'seed'], ['thread', 'threads'],
      ['colourSpace', 'colorSpace'], ['colour_space', 'colorSpace'], ['tolerence', 'tolerance'], ['backEnd', 'backend'],
      ['onprogress', 'onProgress'], ['attempt', 'attempts'], ['histogramm', 'histogram'], ['n_init', 'init'],
    ];
    tried(near.length + 4);
    for (const [typo, meant] of near) {
      await rejects(kmeans(img, { [typo]: 1 } as never), 'ERR_INVALID_OPTION', `Unknown option ${JSON.stringify(typo)}`, `did you mean ${JSON.stringify(meant)}?`);
    }
    const far = await rejects(kmeans(img, { frobnicate: 1 } as never), 'ERR_INVALID_OPTION', 'Unknown option "frobnicate"', 'Valid options: k, seed');
    expect(far.message).not.toContain('did you mean');
    // segment's own option, misspelt; and given to kmeans, which does not take it.
    await rejects(segment(path.join(tmp, 'never-read.png'), { limitInputPixel: 5 } as never), 'ERR_INVALID_OPTION', 'did you mean "limitInputPixels"?');
    await rejects(kmeans(img, { limitInputPixels: 5 } as never), 'ERR_INVALID_OPTION', 'Unknown option "limitInputPixels"');
    // A name that is only a property of Object.prototype is no option either.
    await rejects(kmeans(img, JSON.parse('{"__proto__": {"k": 2}}')), 'ERR_INVALID_OPTION', 'Unknown option "__proto__"');
  });

  it('unknown option names: short forms of a long name suggest it too', async () => {
    tried(4);
    for (const [typo, meant] of [['maxIter', 'maxIterations'], ['maxIters', 'maxIterations'], ['iter', 'maxIterations'], ['tol', 'tolerance']]) {
      await rejects(kmeans(img, { [typo!]: 1 } as never), 'ERR_INVALID_OPTION', `did you mean ${JSON.stringify(meant)}?`);
    }
  });

  it("save()'s options: wrong types and unknown names", async () => {
    const result = await segment(await solid(3, 2, '#123456').png().toBuffer(), { k: 1 });
    const out = path.join(await folder(), 'out.png');
    const cases: [unknown, string][] = [
      [null, 'for save options'], ['force', 'for save options'], [true, 'for save options'],
      [{ force: 'yes' }, 'for force'], [{ force: 1 }, 'for force'], [{ forse: true }, 'did you mean "force"?'],
    ];
    tried(cases.length + 3);
    for (const [options, mention] of cases) await rejects(result.save(out, options as never), 'ERR_INVALID_OPTION', mention);
    for (const bad of [42, '', 'a\0b.png']) await rejects(result.save(bad as never), 'ERR_INVALID_OPTION', 'outPath');
    expect(existsSync(out)).toBe(false);
  });

  it('paths with a NUL character, as input', async () => {
    tried();
    await rejects(decodeImage('photo\0.png'), 'ERR_INVALID_OPTION', 'without NUL');
  });
});

describe('unreadable inputs: ERR_READ naming the file and the cause', () => {
  it('a symbolic link that points to itself (ELOOP)', async () => {
    tried();
    const dir = await folder();
    const loop = path.join(dir, 'loop.png');
    await symlink(loop, loop);
    await rejects(decodeImage(loop), 'ERR_READ', JSON.stringify(loop), 'ELOOP', 'symbolic link');
  });

  it('a file name longer than the filesystem allows (ENAMETOOLONG)', async () => {
    tried();
    const long = path.join(tmp, `${'a'.repeat(300)}.png`);
    await rejects(decodeImage(long), 'ERR_READ', 'ENAMETOOLONG', 'too long');
  });

  it('a file without read permission (EACCES): as an unprivileged user', async (ctx) => {
    tried();
    const dir = await folder();
    const file = path.join(dir, 'secret.png');
    await writeFile(file, await solid(2, 2, '#abcdef').png().toBuffer());
    await chmod(file, 0o000);
    if (!IS_ROOT) {
      await rejects(decodeImage(file), 'ERR_READ', 'EACCES', 'permissions');
      return;
    }
    // root reads everything: run the CLI as nobody instead.
    const r = await runCli([file, '-o', path.join(dir, 'out.png')], { uid: NOBODY });
    if (!r.stderr.startsWith('kmeans-seg:')) { skipWith(`cannot run the CLI as nobody (uid ${NOBODY}): ${r.stderr}`); ctx.skip(); return; }
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(JSON.stringify(file));
    expect(r.stderr).toMatch(/could not be read \(EACCES\): check its permissions/);
  });
});

describe('CLI: one stderr line naming the file and the problem, exit 1 or 2, nothing left behind', () => {
  let input: string; // a small valid image every case may use
  beforeAll(async () => {
    input = path.join(tmp, 'cli-in.png');
    await writeFile(input, await noisePng(12, 8, 9));
  });

  interface Case {
    name: string;
    setup: (dir: string) => Promise<string[]>;
    code: 1 | 2;
    mentions: (dir: string) => (string | RegExp)[];
  }
  const flagValues: [string, string[], string][] = [
    ['--seed', ['NaN', 'Infinity', '-1', '1.5', '4294967296'], 'an integer between 0 and 4294967295'],
    ['--max-iter', ['0', 'NaN', '2.5', '-3'], 'an integer between 1 and'],
    ['--attempts', ['0', 'Infinity', '1.5'], 'an integer between 1 and 10000'],
    ['--threads', ['0', '33', '1.5', 'NaN'], 'an integer between 1 and 32'],
    ['--limit-input-pixels', ['-1', '1.5', 'NaN', 'Infinity'], 'an integer between 0 and'],
    ['--tolerance', ['NaN', 'Infinity', '-1', 'abc', '1e999'], 'a number >= 0'],
    ['-k', ['NaN', 'Infinity'], 'an integer between 1 and 65536'],
    ['--backend', ['SIMD', 'WASM', ''], 'auto, wasm or js'],
    ['--init', ['KMEANS++', 'k-means++'], 'kmeans++ or random'],
  ];
  const cases: Case[] = flagValues.flatMap(([flag, values, expected]) => values.map((value): Case => ({
    name: `${flag} ${JSON.stringify(value)}`,
    setup: async (dir) => [input, flag, value, '-o', path.join(dir, 'out.png')],
    code: 2,
    mentions: () => [`Invalid value ${JSON.stringify(value)}`, flag === '-k' ? '-k/--k' : flag, expected],
  })));
  cases.push(
    {
      // parseArgs alone would call it an ambiguous flag; the CLI joins it to -k so the value is named.
      name: '-k "-Infinity"',
      setup: async (dir) => [input, '-k', '-Infinity', '-o', path.join(dir, 'out.png')],
      code: 2,
      mentions: () => ['Invalid value "-Infinity"', '-k/--k', 'an integer between 1 and 65536'],
    },
    ...['--max-iters', '--thread', '--limit-input-pixel', '--colour-space'].map((flag): Case => ({
      name: `an unknown option near a valid one (${flag})`,
      setup: async (dir) => [input, flag, '3', '-o', path.join(dir, 'out.png')],
      code: 2,
      mentions: () => [`Unknown option ${JSON.stringify(flag)}`, 'kmeans-seg --help'],
    })),
    {
      name: 'a decompression bomb (20000 x 20000 PNG)',
      setup: async (dir) => {
        await writeFile(path.join(dir, 'bomb.png'), pngBomb(20000, 20000));
        return [path.join(dir, 'bomb.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      mentions: (dir) => [JSON.stringify(path.join(dir, 'bomb.png')), '400000000 pixels', '--limit-input-pixels 400000000'],
    },
    {
      name: 'an entirely transparent image',
      setup: async (dir) => {
        await solid(6, 5, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toFile(path.join(dir, 'clear.png'));
        return [path.join(dir, 'clear.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      mentions: () => ['fully transparent', 'visible pixels'],
    },
    {
      name: 'a symbolic link loop as input',
      setup: async (dir) => {
        await symlink(path.join(dir, 'loop.png'), path.join(dir, 'loop.png'));
        return [path.join(dir, 'loop.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      mentions: (dir) => [JSON.stringify(path.join(dir, 'loop.png')), 'ELOOP'],
    },
    {
      name: 'a PNG with its pixel data cut off (header claims 64 x 64)',
      setup: async (dir) => {
        await writeFile(path.join(dir, 'cut.png'), pngBomb(64, 64, false));
        return [path.join(dir, 'cut.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      // sharp cannot even read the header of a PNG without IDAT: ERR_DECODE, "not an image".
      mentions: (dir) => [JSON.stringify(path.join(dir, 'cut.png')), 'is not an image kmeans-seg can read', 'corrupt header'],
    },
  );

  for (const c of cases) {
    it(`${c.name}: exit ${c.code}`, async () => {
      tried();
      const dir = await folder();
      const args = await c.setup(dir);
      const before = await snapshotFolder(dir);
      const r = await runMain(args);
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stdout).toBe('');
      expectOneLineError(r.stderr);
      for (const m of c.mentions(dir)) {
        if (typeof m === 'string') expect(r.stderr).toContain(m);
        else expect(r.stderr).toMatch(m);
      }
      await expectFolderUnchanged(dir, before);
    });
  }

  it('an unknown option names the nearest valid flag', async () => {
    for (const [typo, meant] of [['--max-iters', '--max-iter'], ['--thread', '--threads'], ['--limit-input-pixel', '--limit-input-pixels'], ['--sed', '--seed']]) {
      tried();
      const r = await runMain([input, typo!, '3', '-o', path.join(tmp, 'never.png')]);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr);
      expect(r.stderr).toContain(`did you mean ${JSON.stringify(meant)}?`);
    }
  });

  it('documented behaviour for unusual files: exit 0, first frame only with a warning line', async () => {
    const dir = await folder();
    const gif = path.join(dir, 'anim.gif');
    await frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toFile(gif);
    const cmyk = path.join(dir, 'cmyk.jpg');
    await solid(5, 3, '#336699').toColourspace('cmyk').jpeg().toFile(cmyk);
    const strip = path.join(dir, 'strip.png');
    await writeFile(strip, await noisePng(1, 40, 2));
    tried(3);
    const g = await runMain([gif, '-k', '2', '-o', path.join(dir, 'anim.png')]);
    expect(g.code, g.stderr).toBe(0);
    expect(await sharp(path.join(dir, 'anim.png')).metadata()).toMatchObject({ width: 4, height: 4 });
    const c = await runMain([cmyk, '-k', '2', '-o', path.join(dir, 'cmyk.png')]);
    expect(c.code, c.stderr).toBe(0);
    expect(await sharp(path.join(dir, 'cmyk.png')).metadata()).toMatchObject({ width: 5, height: 3, space: 'srgb' });
    const s = await runMain([strip, '-k', '3', '-o', path.join(dir, 'strip-out.png')]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('1x40, 3 colours');
  });

  // The CLI decodes and clusters in two steps (decodeImage, then kmeans) rather than through
  // segment(): it must name the input in the core's image errors (nameInput) and print the decoder's
  // warnings itself.
  it('an entirely transparent file: the error line names the file', async () => {
    tried();
    const dir = await folder();
    const file = path.join(dir, 'clear.png');
    await solid(6, 5, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toFile(file);
    const r = await runMain([file, '-o', path.join(dir, 'out.png')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(`Input file ${JSON.stringify(file)}: `);
  });

  it('an animated GIF: a warning line says only the first frame was segmented', async () => {
    tried();
    const dir = await folder();
    const gif = path.join(dir, 'anim.gif');
    await frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toFile(gif);
    const r = await runMain([gif, '-k', '2', '-o', path.join(dir, 'anim.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^kmeans-seg: warning: only the first of the 3 frames \(or pages\) of the GIF was segmented$/m);
  });

  it('--verbose adds the stack trace to a bad-input error, and only then', async () => {
    tried();
    const dir = await folder();
    await writeFile(path.join(dir, 'bomb.png'), pngBomb(20000, 20000));
    const r = await runCli([path.join(dir, 'bomb.png'), '-o', path.join(dir, 'out.png'), '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kmeans-seg: error: .*400000000 pixels/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

// With histogram: false (or spatialWeight > 0) every opaque pixel is a point: about 22 bytes of wasm
// memory each, so above ~195 M pixels the kernel cannot hold them. kmeans() refuses it from width x
// height, before any scan or allocation. The test's buffer is never written, so its 1.2 GB stay
// virtual (zero pages): cheap to run.
it('kmeans refuses an image above what wasm32 memory can hold before allocating', async () => {
  tried();
  const width = 20000, height = 15500; // 310 M pixels
  const t0 = performance.now();
  const e = await caught(kmeans({ data: new Uint8Array(width * height * 4), width, height }, { histogram: false, backend: 'wasm' }));
  expect(e).toBeInstanceOf(KMeansSegError);
  expect((e as KMeansSegError).code, (e as Error).message).toBe('ERR_TOO_LARGE');
  expect((e as Error).message).toMatch(/4 GiB/);
  expect((e as Error).message).toMatch(/histogram/);
  expect(performance.now() - t0, 'refused without scanning the pixels').toBeLessThan(500);
}, 30_000);

// =============================================================================================
// 2. Nothing lost

describe('a read-only output folder', () => {
  it('API: ERR_WRITE naming the output and the cause; the folder and its files unchanged, even with force', async (ctx) => {
    const old = await solid(2, 2, '#000000').png().toBuffer();
    const ro = await readOnlyFolder({ 'keep.png': old });
    if ('skip' in ro) { skipWith(ro.skip); ctx.skip(); return; }
    tried(3);
    const before = await snapshotFolder(ro.dir);
    const pixels = noise(8, 8, 2).data;
    await rejects(encodeImage(pixels, 8, 8, path.join(ro.dir, 'new.png')), 'ERR_WRITE', JSON.stringify(path.join(ro.dir, 'new.png')), ro.errno);
    await rejects(encodeImage(pixels, 8, 8, path.join(ro.dir, 'keep.png'), { force: true }), 'ERR_WRITE', ro.errno);
    await rejects(writeFileAtomic(path.join(ro.dir, 'raw.bin'), Uint8Array.from([1, 2, 3])), 'ERR_WRITE', ro.errno, /write elsewhere/);
    await expectFolderUnchanged(ro.dir, before);
  });

  it('CLI: exit 1, one line naming the output and the cause', async (ctx) => {
    const ro = await readOnlyFolder({});
    if ('skip' in ro) { skipWith(ro.skip); ctx.skip(); return; }
    tried();
    const input = path.join(tmp, 'ro-in.png');
    await writeFile(input, await noisePng(10, 10, 1));
    const out = path.join(ro.dir, 'out.png');
    const r = await runCli([input, '-k', '3', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(JSON.stringify(out));
    expect(r.stderr).toContain(ro.errno);
    expect(await readdir(ro.dir)).toEqual([]);
  });
});

describe('a full disk', () => {
  it('API on a 64 KiB tmpfs: ERR_WRITE (ENOSPC), no partial file, no temporary file; a small file still fits', async (ctx) => {
    const t = await tmpfs('64k');
    if ('skip' in t) { skipWith(`full-disk case: ${t.skip}`); ctx.skip(); return; }
    tried(2);
    const big = noise(200, 200, 7); // ~120 KB as PNG: cannot fit
    const out = path.join(t.dir, 'big.png');
    await rejects(encodeImage(big.data, 200, 200, out), 'ERR_WRITE', JSON.stringify(out), 'ENOSPC', 'disk (or your quota) is full');
    expect(await readdir(t.dir)).toEqual([]);
    // Replacing an existing file that fits with one that does not keeps the old file whole.
    const small = noise(4, 4, 1);
    await encodeImage(small.data, 4, 4, out);
    const kept = await readFile(out);
    await rejects(encodeImage(big.data, 200, 200, out, { force: true }), 'ERR_WRITE', 'ENOSPC');
    expect(await readFile(out)).toEqual(kept);
    expect(await readdir(t.dir)).toEqual(['big.png']);
  });

  it('CLI on a 64 KiB tmpfs: exit 1, one line, nothing left', async (ctx) => {
    const t = await tmpfs('64k');
    if ('skip' in t) { skipWith(`full-disk case: ${t.skip}`); ctx.skip(); return; }
    tried();
    const input = path.join(tmp, 'full-in.png');
    await writeFile(input, await noisePng(200, 200, 8));
    const out = path.join(t.dir, 'out.png');
    const r = await runCli([input, '-k', '200', '--init', 'random', '--max-iter', '1', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(JSON.stringify(out));
    expect(r.stderr).toContain('ENOSPC');
    expect(await readdir(t.dir)).toEqual([]);
  });

  it('CLI under a file-size limit (ulimit -f, no privileges needed): exit 1 (EFBIG), nothing left', async () => {
    tried();
    const dir = await folder();
    const input = path.join(dir, 'in.png');
    await writeFile(input, await noisePng(200, 200, 8));
    const before = await snapshotFolder(dir);
    // 16 blocks (8-16 KB depending on the shell) is more than the input but less than the output.
    const r = await runCli([input, '-k', '200', '--init', 'random', '--max-iter', '1', '-o', path.join(dir, 'out.png')], { shellPrefix: 'ulimit -f 16' });
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain('EFBIG');
    await expectFolderUnchanged(dir, before);
  });
});

describe('an interrupted run', () => {
  /** Spawn the CLI and resolve with how it ended; `onStart` and `onStderr` may kill it. */
  function spawnCli(
    args: string[], nodeArgs: string[],
    hooks: { onStart?: (child: ChildProcess) => void; onStderr?: (text: string, child: ChildProcess) => void },
  ): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; hooks.onStderr?.(stderr, child); });
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      hooks.onStart?.(child);
    });
  }

  /**
   * Loaded with --import into the CLI: holds every FileHandle.sync (the flush before the rename)
   * for a minute, after saying so on stderr, so a signal can be sent while the temporary file exists.
   */
  let stallPreload: string;
  beforeAll(async () => {
    stallPreload = path.join(tmp, 'stall-sync.mjs');
    await writeFile(stallPreload, `
import { open } from 'node:fs/promises';
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
const proto = Object.getPrototypeOf(handle);
await handle.close();
proto.sync = function () {
  process.stderr.write('test-preload: sync stalled\\n');
  return new Promise(() => { setTimeout(() => {}, 60_000); });
};
`);
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} while the output is being written: the temporary file is removed and the process ends by ${signal}`, async () => {
      tried();
      const dir = await folder();
      const input = path.join(dir, 'in.png');
      await writeFile(input, await noisePng(40, 30, 5));
      let sawTemp = false;
      const r = await spawnCli([input, '-k', '4', '-o', path.join(dir, 'out.png')], ['--import', stallPreload], {
        onStderr: (text, child) => {
          if (!text.includes('test-preload: sync stalled') || child.killed) return;
          void readdir(dir).then((names) => {
            sawTemp = names.some((n) => /^\.out\.png\.\d+\.[0-9a-f]+\.tmp$/.test(n));
            child.kill(signal);
          });
        },
      });
      expect(sawTemp, 'the temporary file existed when the signal was sent').toBe(true);
      expect(r.signal, r.stderr).toBe(signal);
      expect(await readdir(dir)).toEqual(['in.png']);
    });
  }

  it('process.exit() while writing (an embedding app): the temporary file is removed', async () => {
    tried();
    const dir = await folder();
    const script = path.join(dir, 'exit-mid-write.mjs');
    await writeFile(script, `
import { open } from 'node:fs/promises';
import { writeFileAtomic } from ${JSON.stringify(path.join(ROOT, 'dist', 'io', 'atomic-write.js'))};
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
Object.getPrototypeOf(handle).sync = function () { process.exit(3); };
await handle.close();
await writeFileAtomic(${JSON.stringify(path.join(dir, 'out.bin'))}, new Uint8Array(1000));
`);
    const r = await new Promise<{ code: number | null }>((resolve) => execFile(process.execPath, [script], (e) => resolve({ code: e ? (e as { code?: number }).code ?? null : 0 })));
    expect(r.code).toBe(3);
    expect(await readdir(dir)).toEqual(['exit-mid-write.mjs']);
  });

  it("an application's own SIGINT listener keeps control: the write goes on and completes", async () => {
    tried();
    const dir = await folder();
    const script = path.join(dir, 'own-handler.mjs');
    await writeFile(script, `
import { open } from 'node:fs/promises';
import { writeFileAtomic } from ${JSON.stringify(path.join(ROOT, 'dist', 'io', 'atomic-write.js'))};
process.on('SIGINT', () => { process.stderr.write('app: SIGINT\\n'); });
const keepAlive = setInterval(() => {}, 1000); // signal listeners alone do not keep a process running
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
const proto = Object.getPrototypeOf(handle);
const sync = proto.sync;
proto.sync = async function () {
  process.stderr.write('test: sync stalled\\n');
  await new Promise((r) => process.once('SIGINT', () => setTimeout(r, 50)));
  return sync.call(this);
};
await handle.close();
await writeFileAtomic(${JSON.stringify(path.join(dir, 'out.bin'))}, new Uint8Array(1000).fill(7));
clearInterval(keepAlive);
`);
    const r = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [script]);
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; if (stderr.includes('sync stalled') && !child.killed) child.kill('SIGINT'); });
      child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('app: SIGINT');
    expect((await readdir(dir)).sort()).toEqual(['out.bin', 'own-handler.mjs']);
    expect(await readFile(path.join(dir, 'out.bin'))).toEqual(Buffer.alloc(1000, 7));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} in the middle of clustering a larger image: no output, no temporary file`, async () => {
      tried();
      const dir = await folder();
      const input = path.join(dir, 'big.png');
      await writeFile(input, await noisePng(600, 600, 11));
      const before = await snapshotFolder(dir);
      // 360 000 distinct colours, K = 256, run until no label changes: many seconds of passes.
      const r = await spawnCli([input, '-k', '256', '--tolerance', '0', '--max-iter', '100000', '-o', path.join(dir, 'out.png')], [], {
        onStart: (child) => { setTimeout(() => child.kill(signal), 1500); },
      });
      expect(r.signal, `still running when the signal came (${r.stdout}${r.stderr})`).toBe(signal);
      await expectFolderUnchanged(dir, before);
    }, 30_000);
  }
});

describe('the caller’s buffers are never mutated', () => {
  it('kmeans: data (with transparent pixels), the init centroids and a frozen options object, on every path', async () => {
    const src = noise(31, 9, 12);
    for (let p = 0; p < 31 * 9; p += 7) src.data[p * 4 + 3] = p % 2 ? 0 : 99;
    const copy = src.data.slice();
    const init = [[0, 0, 0], [255, 255, 255], [200, 30, 30]];
    const options = Object.freeze({ init: Object.freeze(init.map((c) => Object.freeze(c))), seed: 2 });
    const runs = [
      { backend: 'js' }, { backend: 'wasm', threads: 1 }, { backend: 'wasm', threads: 2 },
      { backend: 'wasm', histogram: false }, { backend: 'js', histogram: true }, { colorSpace: 'oklab' },
    ] as const;
    tried(runs.length + 1);
    for (const extra of runs) {
      const r = await kmeans({ data: src.data, width: 31, height: 9 }, { ...options, ...extra });
      expect(src.data, JSON.stringify(extra)).toEqual(copy);
      const rgba = r.toRGBA();
      rgba.fill(1); // the caller may write into what toRGBA returns: the next call is fresh
      expect(r.toRGBA()).not.toEqual(rgba);
    }
    await kmeans({ data: src.data, width: 31, height: 9 }, options);
    expect(init).toEqual([[0, 0, 0], [255, 255, 255], [200, 30, 30]]);
    // A Uint8ClampedArray too.
    const clamped = new Uint8ClampedArray(copy);
    await kmeans({ data: clamped, width: 31, height: 9 }, { k: 3 });
    expect(Array.from(clamped)).toEqual(Array.from(copy));
  });

  it('segment and decodeImage: the encoded bytes; encodeImage and save: the pixels', async () => {
    tried(3);
    const png = await noisePng(16, 16, 4);
    const bytes = new Uint8Array(png.length + 5);
    bytes.set(png, 5);
    const view = bytes.subarray(5);
    const before = bytes.slice();
    const result = await segment(view, { k: 4 });
    await decodeImage(view);
    expect(bytes).toEqual(before);
    const dir = await folder();
    const rgba = result.toRGBA();
    const rgbaCopy = rgba.slice();
    await encodeImage(rgba, 16, 16, path.join(dir, 'a.jpg'));
    await encodeImage(rgba, 16, 16, path.join(dir, 'a.webp'));
    expect(rgba).toEqual(rgbaCopy);
    const labels = result.labels.slice();
    await result.save(path.join(dir, 'b.png'));
    expect(result.labels).toEqual(labels);
  });
});

it('writes install no lasting signal or exit listeners (installed only while a temporary file exists)', async () => {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'] as const;
  const count = (): number[] => events.map((e) => process.listenerCount(e));
  const baseline = count();
  const dir = await folder();
  const pending = writeFileAtomic(path.join(dir, 'a.bin'), Uint8Array.from([1]));
  expect(count()).toEqual(baseline.map((n) => n + 1));
  await pending;
  expect(count()).toEqual(baseline);
  await Promise.all([1, 2, 3].map((i) => writeFileAtomic(path.join(dir, `c${i}.bin`), Uint8Array.from([i]))));
  await caught(writeFileAtomic(path.join(dir, 'missing', 'x.bin'), Uint8Array.from([1])));
  await caught(writeFileAtomic(dir, Uint8Array.from([1])));
  expect(count()).toEqual(baseline);
  expect((await readdir(dir)).sort()).toEqual(['a.bin', 'c1.bin', 'c2.bin', 'c3.bin']);
  expect(statSync(path.join(dir, 'a.bin')).size).toBe(1);
});

