/**
 * prefetchFile (the CLI reads its input while sharp loads): the next readRegularFile of that path
 * takes the bytes, once, and every failure is the later call's own; a file of 1 to 32 MiB is read into
 * the start of a buffer above glibc's sticky mmap sizes, which decodeImage still frees.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { release } from '../../src/io/decode.js';
import { dropPrefetch, prefetchFile, readRegularFile, startsOwnBuffer } from '../../src/io/read-file.js';
import { expectKMeansError } from '../helpers.js';

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-read-ahead-')); });
afterAll(async () => { dropPrefetch(); await rm(tmp, { recursive: true, force: true }); });

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('prefetchFile', () => {
  it('hands its bytes to the next read of the path, once', async () => {
    const file = path.join(tmp, 'a.bin');
    await writeFile(file, 'first');
    prefetchFile(file);
    await settle();
    await writeFile(file, 'second'); // after the prefetch read it
    expect((await readRegularFile(file, 'Input file', 'image')).toString()).toBe('first');
    expect((await readRegularFile(file, 'Input file', 'image')).toString()).toBe('second'); // taken: read again
  });

  it('is for its own path only, and dropPrefetch forgets it', async () => {
    const file = path.join(tmp, 'b.bin'), other = path.join(tmp, 'c.bin');
    await writeFile(file, 'old');
    await writeFile(other, 'other');
    prefetchFile(file);
    await settle();
    expect((await readRegularFile(other, 'Input file', 'image')).toString()).toBe('other');
    await writeFile(file, 'new');
    dropPrefetch();
    expect((await readRegularFile(file, 'Input file', 'image')).toString()).toBe('new');
  });

  it('leaves every error to the read that asks: a missing file, a folder', async () => {
    const missing = path.join(tmp, 'missing.png');
    prefetchFile(missing);
    await expectKMeansError(readRegularFile(missing, 'Input file "missing.png"', 'image'), 'ERR_INPUT_NOT_FOUND', /Input file "missing\.png" not found/);
    const folder = path.join(tmp, 'folder');
    await mkdir(folder);
    prefetchFile(folder);
    await expectKMeansError(readRegularFile(folder, 'Input file "folder"', 'image'), 'ERR_INPUT_NOT_FILE', /is a directory/);
  });
});

describe('file buffers', () => {
  it('puts a file of 1 to 32 MiB at the start of a buffer of its own above 32 MiB, which release() frees', async () => {
    const file = path.join(tmp, 'mid.bin');
    await writeFile(file, Buffer.alloc(3 << 20, 7));
    const bytes = await readRegularFile(file, 'Input file', 'image');
    expect(bytes.length).toBe(3 << 20);
    expect(bytes.every((b) => b === 7)).toBe(true);
    expect(bytes.buffer.byteLength).toBeGreaterThan(32 * 2 ** 20);
    expect(startsOwnBuffer(bytes)).toBe(true);
    await release(bytes);
    expect(bytes.length).toBe(0); // detached: freed with the dropped message
  });

  it('reads a small file into a buffer of its size, and no slice of another counts as its own', async () => {
    const file = path.join(tmp, 'small.bin');
    await writeFile(file, Buffer.alloc(50_000, 1));
    const bytes = await readRegularFile(file, 'Input file', 'image');
    expect(bytes.buffer.byteLength).toBe(50_000);
    expect(startsOwnBuffer(bytes)).toBe(true);
    expect(startsOwnBuffer(bytes.subarray(0, 10))).toBe(false);
    expect(startsOwnBuffer(bytes.subarray(1))).toBe(false);
  });
});
