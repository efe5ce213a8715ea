/**
 * A batch worker starts its next file while the last one is saved, and warms its kernel and sharp
 * before its first: the files must still be byte for byte those of segment() on each file alone,
 * each reported once, with no temporary file left.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, type BatchProgress } from '../../src/batch/batch.js';
import { segment } from '../../src/segment.js';

let tmp: string;
let files: string[];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-batch-overlap-'));
  await mkdir(path.join(tmp, 'in'));
  let s = 99;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; };
  files = [];
  for (let i = 0; i < 6; i++) {
    // Few levels per channel: a few hundred colours, so each file takes real passes but little time.
    const data = Buffer.alloc(40 * 30 * 3);
    for (let q = 0; q < data.length; q++) data[q] = (rnd() & 0xe0) + i;
    const file = path.join(tmp, 'in', `f${i}.png`);
    await sharp(data, { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('a batch worker overlapping its files', () => {
  for (const concurrency of [1, 2]) {
    it(`writes what segment() writes for each file alone (${concurrency} worker${concurrency > 1 ? 's' : ''})`, async () => {
      const out = path.join(tmp, `out${concurrency}`);
      const seen: string[] = [];
      const report = await batch(files, {
        output: out, k: 6, seed: 4, concurrency,
        onProgress: (p: BatchProgress) => { if (p.file) seen.push(p.file.input); },
      });
      expect(report).toMatchObject({ total: 6, done: 6, failed: 0, cancelled: 0 });
      expect(report.files.map((f) => f.input)).toEqual(files);
      expect([...seen].sort()).toEqual([...files].sort()); // each file reported once
      for (const [i, file] of files.entries()) {
        const alone = path.join(tmp, `alone-${concurrency}-${i}.png`);
        await (await segment(file, { k: 6, seed: 4, threads: 1 })).save(alone);
        expect((await readFile(path.join(out, `f${i}.png`))).equals(await readFile(alone)), file).toBe(true);
      }
      const left = (await readdir(out)).filter((n) => n.startsWith('.'));
      expect(left.filter((n) => n !== '.kmeans-seg')).toEqual([]); // no temporary file
      expect((await readdir(path.join(out, '.kmeans-seg'))).sort()).toEqual(files.map((_, i) => `f${i}.png.json`));
    });
  }
});
