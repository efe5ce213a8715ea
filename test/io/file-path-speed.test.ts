/**
 * What the file-to-file speed and memory work must not change: a file's bytes are freed after
 * decoding but a caller's never are, the kernel warmed during decoding is the one kmeans takes, and
 * the CLI's file (warm kernel, freed bytes) is byte for byte what the API writes cold.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { kmeans } from '../../src/core/kmeans.js';
import { kernelThreads, warmKernel } from '../../src/core/prepare-kernel.js';
import { resolveOptions } from '../../src/core/options.js';
import { decodeImage, release } from '../../src/io/decode.js';
import { encodeSegmented } from '../../src/io/encode.js';
import { PARALLEL_MIN_WORK } from '../../src/limits.js';
import { noisePng } from '../hostile.js';

let tmp: string;
let png: Buffer;
let file: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-file-path-'));
  // 128 x 128 at K = 16 is PARALLEL_MIN_WORK: the CLI warms the worker pool for it.
  png = await noisePng(128, 128, 7);
  file = path.join(tmp, 'noise.png');
  await writeFile(file, png);
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('decodeImage frees only the bytes it read itself', () => {
  it('a path decodes to the pixels of its bytes', async () => {
    const fromPath = await decodeImage(file);
    const fromBytes = await decodeImage(png);
    expect(Buffer.from(fromPath.data).equals(Buffer.from(fromBytes.data))).toBe(true);
  });

  it("never detaches the caller's Buffer, ArrayBuffer or stream chunk", async () => {
    const copy = Buffer.from(png); // a whole ArrayBuffer of its own, as a file read gives
    await decodeImage(copy);
    expect(copy.length).toBe(png.length);
    expect(copy.equals(png)).toBe(true);
    const ab = new Uint8Array(png).buffer; // an ArrayBuffer of its own
    await decodeImage(ab);
    expect(ab.byteLength).toBe(png.length);
    const chunk = Buffer.from(png);
    await decodeImage(Readable.from([chunk]));
    expect(chunk.length).toBe(png.length);
  });

  it('release() frees a whole buffer and leaves a slice of a shared one alone', async () => {
    const whole = Buffer.from(png);
    await release(whole);
    expect(whole.length).toBe(0); // detached: its memory went with the dropped message
    const pooled = Buffer.from('a small buffer comes from the shared pool');
    const before = pooled.toString();
    await release(pooled);
    expect(pooled.toString()).toBe(before);
  });
});

describe('warming the kernel', () => {
  it('asks for the threads kmeans takes', () => {
    const opts = resolveOptions({ k: 16, threads: 2 });
    expect(kernelThreads(128 * 128, opts)).toBe(2);
    expect(kernelThreads(Math.floor(PARALLEL_MIN_WORK / 16) - 1, opts)).toBe(1);
    expect(kernelThreads(128 * 128, resolveOptions({ k: 16, threads: 1 }))).toBe(1);
  });

  it('changes no bit of the result', async () => {
    const image = await decodeImage(png);
    const cold = await kmeans(image, { k: 16, seed: 3, threads: 1 });
    warmKernel(resolveOptions({ k: 16, threads: 2 }))(128, 128);
    const warm = await kmeans(image, { k: 16, seed: 3, threads: 2 });
    expect(Array.from(warm.labels)).toEqual(Array.from(cold.labels));
    expect(warm.palette).toEqual(cold.palette);
    expect(warm.iterations).toBe(cold.iterations);
    expect(warm.inertia).toBe(cold.inertia);
  });
});

describe('the CLI, file to file', () => {
  it('writes the bytes the API writes from a one-thread run', async () => {
    const out = path.join(tmp, 'cli.png');
    expect(await main([file, '-k', '16', '--seed', '5', '-o', out, '--quiet'])).toBe(0);
    const image = await decodeImage(png);
    const cold = await kmeans(image, { k: 16, seed: 5, threads: 1 });
    const want = await encodeSegmented(cold, 'png', 'want.png', {});
    expect((await readFile(out)).equals(want)).toBe(true);
  });
});
