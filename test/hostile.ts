/**
 * Fixtures for the hostile-user tests (decode, invalid input, CLI errors, atomic writes, no mutation):
 * crafted images, the CLI run as a user runs it, folder snapshots, read-only folders and full disks.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { ERROR_CODES, KMeansSegError, type ErrorCode } from '../src/errors.js';
import { terminateWorkers } from '../src/kernel/select.js';
import type { RGBAImage } from '../src/types.js';
import { crc32 } from './helpers.js';

// Child processes start Node and load sharp (~0.3-1 s each on a busy machine).
vi.setConfig({ testTimeout: 30_000 });

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'kmeans-seg.js');
export const IS_ROOT = process.getuid?.() === 0;
export const NOBODY = 65534;

/** Bad or unusual inputs tried in this file (each table row adds its count); printed at the end. */
let badInputs = 0;
export const tried = (n = 1): void => { badInputs += n; };

let tmp: string;
/** The scratch folder of the test file that called useScratch. */
export const scratch = (): string => tmp;

/** Each test file: a scratch folder made before its tests and removed after, with its count of bad inputs. */
export function useScratch(file: string): void {
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
    console.log(`${file}: ${badInputs} bad or unusual inputs tried`);
  });
}

export async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, 'case-'));
  await chmod(dir, 0o755);
  return dir;
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (e: unknown) => e);
}

/** A KMeansSegError of `code` whose message mentions each item and is one line. */
export async function rejects(promise: Promise<unknown>, code: ErrorCode, ...mentions: (string | RegExp)[]): Promise<KMeansSegError> {
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

export const solid = (w: number, h: number, background: string | { r: number; g: number; b: number; alpha?: number }, channels: 3 | 4 = 3): Sharp =>
  sharp({ create: { width: w, height: h, channels, background } });

/** Frames of solid colours stacked as one animated/multi-page image, `w` x `w` each. */
export function frames(w: number, colours: [number, number, number][]): Sharp {
  const px = Buffer.concat(colours.map((c) => Buffer.from(Array.from({ length: w * w }, () => [...c, 255]).flat())));
  return sharp(px, { raw: { width: w, height: w * colours.length, channels: 4, pageHeight: w } });
}

/** Deterministic noise (mulberry32), opaque: nearly every pixel a distinct colour. */
export function noise(width: number, height: number, seed: number): RGBAImage {
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

export const noisePng = (w: number, h: number, seed = 1): Promise<Buffer> =>
  sharp(noise(w, h, seed).data, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();

export function pngChunk(type: string, data: Uint8Array): Buffer {
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
export function pngBomb(width: number, height: number, withPixels = true): Buffer {
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

export interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function runCli(args: string[], opts: { cwd?: string; uid?: number; shellPrefix?: string; nodeArgs?: string[] } = {}): Promise<Run> {
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
export async function runMain(args: string[]): Promise<Run> {
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
export function expectOneLineError(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('kmeans-seg: warning: '));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^kmeans-seg: error: \S/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

export async function snapshotFolder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    out.set(entry.name, entry.isFile() ? await readFile(path.join(dir, entry.name)) : Buffer.alloc(0));
  }
  return out;
}

export async function expectFolderUnchanged(dir: string, before: Map<string, Buffer>): Promise<void> {
  expect((await readdir(dir)).sort(), 'no output and no temporary file is left behind').toEqual([...before.keys()].sort());
  for (const [name, bytes] of before) {
    // Buffer.equals: toEqual walks a buffer element by element (seconds for a large image).
    if (bytes.length > 0) expect((await readFile(path.join(dir, name))).equals(bytes), `${name} is unchanged`).toBe(true);
  }
}

// ---------------------------------------------------------------------------------------------
// Privileged helpers: a read-only folder and a full disk, as root through tmpfs mounts

export const mounts: string[] = [];
/** Folders made read-only with chmod (unprivileged runs), made writable again before removal. */
export const lockedDirs: string[] = [];
export function unmountAll(): void {
  for (const dir of mounts.splice(0)) {
    try { execFileSync('umount', [dir], { stdio: 'ignore' }); } catch { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); }
  }
}

/** Mount a tmpfs of `size` on a new folder; undefined (with the reason) when mount is not permitted. */
export async function tmpfs(size: string): Promise<{ dir: string } | { skip: string }> {
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
export async function readOnlyFolder(existing: Record<string, Uint8Array>): Promise<{ dir: string; errno: string } | { skip: string }> {
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

export function skipWith(reason: string): void {
  console.warn(`skipped: ${reason}`);
}
