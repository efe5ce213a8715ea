/**
 * batch() and `kmeans-seg batch`: a folder of good and bad files through the command's main(), the
 * report, reruns that skip and --force that redoes, refusals before any work, the palette mode, the
 * progress display, and stopping: by the API's signal and by Ctrl-C on the command run as a user
 * runs it (a child process), after which no partial or temporary file may remain.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { batch, type BatchProgress, type BatchReport } from '../../src/batch/batch.js';
import { main } from '../../src/cli/batch.js';
import { ProgressView } from '../../src/cli/progress.js';
import { KMeansSegError } from '../../src/errors.js';
import { tempHost } from '../../src/io/atomic-write.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let tmp: string;
let input: string; // a.png, b.png, c.png and bad.png (text)
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-batch-'));
  input = path.join(tmp, 'in');
  await mkdir(input);
  const colours = ['#c83228', '#28a050', '#3040d0'];
  await Promise.all(colours.map((c, i) =>
    sharp({ create: { width: 16, height: 12, channels: 3, background: c } })
      .composite([{ input: { create: { width: 8, height: 12, channels: 3, background: '#f0f0e0' } }, left: 0, top: 0 }])
      .png().toFile(path.join(input, `${'abc'[i]}.png`))));
  await writeFile(path.join(input, 'bad.png'), 'this is text, not a PNG\n');
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

/** Random-noise PNGs: many distinct colours, so each file takes a few passes of real work. */
async function noiseImages(dir: string, count: number, size: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  let s = 12345;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; };
  for (let start = 0; start < count; start += 16) {
    await Promise.all(Array.from({ length: Math.min(16, count - start) }, (_, j) => {
      const data = Buffer.alloc(size * size * 3);
      for (let q = 0; q < data.length; q++) data[q] = rnd();
      return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 1 })
        .toFile(path.join(dir, `n${String(start + j).padStart(3, '0')}.png`));
    }));
  }
}

describe('kmeans-seg batch (main)', () => {
  let out = '', err = '';
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  });
  afterAll(() => { vi.restoreAllMocks(); });
  afterEach(() => { out = ''; err = ''; });

  const pattern = (): string => path.join(input, '*.png');

  it('segments the good files, reports the bad one, exits 1, and leaves only the outputs in the folder', async () => {
    const folder = path.join(tmp, 'out1', 'nested');
    const reportFile = path.join(tmp, 'report1.json');
    expect(await main([pattern(), '-k', '2', '-o', folder, '--report', reportFile])).toBe(1);
    expect((await readdir(folder)).sort()).toEqual(['.kmeans-seg', 'a.png', 'b.png', 'c.png']);
    expect((await readdir(path.join(folder, '.kmeans-seg'))).sort()).toEqual(['a.png.json', 'b.png.json', 'c.png.json']);
    for (const f of ['a.png', 'b.png', 'c.png']) {
      const { data, info } = await sharp(path.join(folder, f)).raw().toBuffer({ resolveWithObject: true });
      const seen = new Set<string>();
      for (let i = 0; i < data.length; i += info.channels) seen.add(data.subarray(i, i + info.channels).join());
      expect(seen.size).toBe(2);
    }
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as BatchReport;
    expect(report).toMatchObject({ total: 4, done: 3, skipped: 0, failed: 1, cancelled: 0, interrupted: false, format: 'png' });
    const bad = report.files.find((f) => f.status === 'failed')!;
    expect(bad.input).toBe(path.join(input, 'bad.png'));
    expect(bad.error).toEqual({ code: 'ERR_DECODE', message: expect.stringMatching(/bad\.png" is not an image kmeans-seg can read; it starts with text/) });
    expect(report.files.filter((f) => f.status === 'done').map((f) => [path.basename(f.input), f.k, f.palette!.length])).toEqual([['a.png', 2, 2], ['b.png', 2, 2], ['c.png', 2, 2]]);
    // Not a terminal: one plain line per file on stderr, the summary on stdout.
    expect(err).not.toContain('\r');
    expect(err.trim().split('\n')).toHaveLength(4);
    expect(err).toMatch(/kmeans-seg: \[\d\/4\] failed: .*bad\.png: Input file/);
    expect(out).toMatch(/^batch: 4 files: 3 done, 0 skipped, 1 failed -> .*nested in [\d.]+ s with \d workers?\n$/);
  });

  it('skips existing outputs on a rerun, and redoes them with --force', async () => {
    const folder = path.join(tmp, 'out2');
    expect(await main([pattern(), '-k', '2', '-o', folder])).toBe(1);
    const before = await Promise.all(['a', 'b', 'c'].map((n) => stat(path.join(folder, `${n}.png`))));
    const reportFile = path.join(tmp, 'report2.json');
    expect(await main([pattern(), '-k', '2', '-o', folder, '--report', reportFile])).toBe(1); // bad.png still fails
    const rerun = JSON.parse(await readFile(reportFile, 'utf8')) as BatchReport;
    expect(rerun).toMatchObject({ done: 0, skipped: 3, failed: 1 });
    const after = await Promise.all(['a', 'b', 'c'].map((n) => stat(path.join(folder, `${n}.png`))));
    expect(after.map((s) => s.mtimeMs)).toEqual(before.map((s) => s.mtimeMs));
    expect(out).toContain('--force redoes skipped files');

    expect(await main([pattern(), '-k', '2', '-o', folder, '--report', reportFile, '--force'])).toBe(1);
    expect(JSON.parse(await readFile(reportFile, 'utf8'))).toMatchObject({ done: 3, skipped: 0, failed: 1 });
    expect((await readdir(folder)).sort()).toEqual(['.kmeans-seg', 'a.png', 'b.png', 'c.png']);
  });

  it('exits 0 when every file is done, in the format asked for, with --json', async () => {
    const folder = path.join(tmp, 'out3');
    expect(await main([path.join(input, '[abc].png'), '-k', '3', '-o', folder, '--format', 'webp', '--jobs', '1', '--json'])).toBe(0);
    expect((await readdir(folder)).sort()).toEqual(['.kmeans-seg', 'a.webp', 'b.webp', 'c.webp']);
    expect(JSON.parse(out)).toMatchObject({ total: 3, done: 3, workers: 1, format: 'webp' });
  });

  it('refuses before any work: two inputs with one output name, outputs over inputs, no match', async () => {
    const other = path.join(tmp, 'other');
    await mkdir(other, { recursive: true });
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).jpeg().toFile(path.join(other, 'a.jpg'));
    const folder = path.join(tmp, 'never');
    expect(await main([path.join(input, 'a.png'), path.join(other, 'a.jpg'), '-o', folder])).toBe(1);
    expect(err).toMatch(/^kmeans-seg: error: Inputs ".*in\/a\.png" and ".*other\/a\.jpg" would both be written to ".*never\/a\.png": .*rename one/);
    expect(existsSync(folder)).toBe(false);

    err = '';
    expect(await main([pattern(), '-o', input, '--force'])).toBe(1);
    expect(err).toMatch(/would replace an input image/);

    err = '';
    expect(await main([path.join(tmp, 'nothing-here', '*.png'), '-o', folder])).toBe(1);
    expect(err).toMatch(/No input file: ".*nothing-here\/\*\.png" matched nothing/);
    expect(existsSync(folder)).toBe(false);
  });

  it('exits 2 on usage mistakes, each told in one line', async () => {
    const cases: [string[], RegExp][] = [
      [[pattern()], /Missing -o\/--output/],
      [['-o', 'x'], /Missing the input files/],
      [[pattern(), '-o', 'x', '--threads', '2'], /Unknown option "--threads"/],
      [[pattern(), '-o', 'x', '--jobs', '0'], /Invalid value "0" for --jobs/],
      [[pattern(), '-o', 'x', '--format', 'gif'], /Invalid value "gif" for --format/],
      [[pattern(), '-o', 'x', '-k', '0'], /Invalid value "0" for -k\/--k/],
      [[pattern(), '-o', 'x', '--palette', 'p.json', '-k', '4'], /-k\/--k has no effect with --palette/],
    ];
    for (const [argv, message] of cases) {
      err = '';
      expect(await main(argv), argv.join(' ')).toBe(2);
      expect(err).toMatch(message);
      expect(err.split('\n')).toHaveLength(2);
    }
    expect(existsSync(path.join(ROOT, 'x'))).toBe(false);
  });
});

describe('batch()', () => {
  it('applies a palette to every file, and reports progress from a first null file to the last', async () => {
    const folder = path.join(tmp, 'api-palette');
    const events: BatchProgress[] = [];
    const report = await batch([path.join(input, 'a.png'), path.join(input, 'b.png')], {
      output: folder, palette: ['#ffffff', '#000000', '#ff0000'], concurrency: 2, onProgress: (p) => events.push(p),
    });
    expect(report).toMatchObject({ total: 2, done: 2, failed: 0, workers: Math.min(2, os.availableParallelism()) });
    expect(events[0]).toMatchObject({ file: null, finished: 0, total: 2 });
    expect(events.at(-1)).toMatchObject({ finished: 2, counts: { done: 2, skipped: 0, failed: 0, cancelled: 0 } });
    const { data, info } = await sharp(path.join(folder, 'a.png')).raw().toBuffer({ resolveWithObject: true });
    const seen = new Set<string>();
    for (let i = 0; i < data.length; i += info.channels) seen.add(Array.from(data.subarray(i, i + 3)).join());
    expect([...seen].sort()).toEqual(['255,0,0', '255,255,255']); // #c83228 -> red, #f0f0e0 -> white
  });

  it('rejects bad options before any work, with the option named', async () => {
    const bad: [object, RegExp][] = [
      [{}, /output/],
      [{ output: 'x', format: 'gif' }, /format/],
      [{ output: 'x', concurrency: 0 }, /concurrency/],
      [{ output: 'x', k: 0 }, /for k/],
      [{ output: 'x', threads: 2 }, /Unknown option "threads" for batch/],
      [{ output: 'x', palette: ['#000000'], k: 3 }, /no value when a palette is given.*leave k out/],
      [{ output: 'x', palette: ['#00000'] }, /palette\[0\]/],
    ];
    for (const [options, message] of bad) {
      const error = await batch(path.join(input, 'a.png'), options as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KMeansSegError);
      expect((error as KMeansSegError).code).toBe('ERR_INVALID_OPTION');
      expect((error as Error).message).toMatch(message);
    }
    expect(existsSync('x')).toBe(false);
  });

  it('stops on an aborted signal: no worker, every file cancelled', async () => {
    const folder = path.join(tmp, 'api-aborted');
    const report = await batch(path.join(input, '*.png'), { output: folder, signal: AbortSignal.abort() });
    expect(report).toMatchObject({ total: 4, cancelled: 4, done: 0, interrupted: true, workers: 0 });
    expect(await readdir(folder)).toEqual([]);
  });

  it('removes its own temporary files, and only its own', async () => {
    const folder = path.join(tmp, 'api-temps');
    await mkdir(folder);
    const ours = `.a.png.${tempHost()}.${process.pid}.0123456789ab.tmp`;
    const foreign = `.a.png.${tempHost()}.${process.ppid}.0123456789ab.tmp`; // a live process: never removed
    await writeFile(path.join(folder, ours), 'partial');
    await writeFile(path.join(folder, foreign), 'someone else');
    await batch(path.join(input, 'a.png'), { output: folder, k: 2 });
    expect((await readdir(folder)).sort()).toEqual([foreign, '.kmeans-seg', 'a.png'].sort());
  });

  it('stops mid-batch on abort, terminating busy workers at once with stopGraceMs 0, and leaves whole files only', async () => {
    const many = path.join(tmp, 'many-api');
    await noiseImages(many, 40, 64);
    const folder = path.join(tmp, 'api-stop');
    const controller = new AbortController();
    const report = await batch(path.join(many, '*.png'), {
      output: folder, k: 16, stopGraceMs: 0, signal: controller.signal,
      onProgress: (p) => { if (p.file?.status === 'done') controller.abort(); },
    });
    expect(report.interrupted).toBe(true);
    expect(report.done).toBeGreaterThanOrEqual(1);
    expect(report.cancelled).toBeGreaterThan(0);
    expect(report.done + report.cancelled).toBe(40);
    const names = (await readdir(folder)).filter((n) => n !== '.kmeans-seg');
    expect(names.every((n) => /^n\d{3}\.png$/.test(n)), names.join(' ')).toBe(true);
    for (const n of names) await sharp(path.join(folder, n)).stats(); // decodes: whole files only
  });
});

describe('progress display', () => {
  const fakeTerminal = () => {
    let text = '';
    return { stream: { isTTY: true, columns: 60, write: (s: string) => { text += s; return true; } }, text: () => text };
  };
  const counts = { done: 0, skipped: 0, failed: 0, cancelled: 0 };

  it('redraws a bar in place on a terminal, with failures as lines above it', () => {
    const term = fakeTerminal();
    const view = new ProgressView(term.stream as never);
    view.update({ total: 4, finished: 0, file: null, counts, workers: 2 });
    view.update({ total: 4, finished: 1, file: { input: 'in/a.png', output: 'o/a.png', status: 'done' }, counts: { ...counts, done: 1 }, workers: 2 });
    view.update({
      total: 4, finished: 2, workers: 2, counts: { ...counts, done: 1, failed: 1 },
      file: { input: 'in/bad.png', output: 'o/bad.png', status: 'failed', error: { code: 'ERR_DECODE', message: 'not an image' } },
    });
    view.close();
    const text = term.text();
    expect(text).toContain('\r\x1b[K[------------------------] 0/4');
    expect(text).toContain('\r\x1b[K[######------------------] 1/4  a.png');
    expect(text).toContain('\r\x1b[Kkmeans-seg: failed: in/bad.png: not an image\n');
    expect(text).toContain('[############------------] 2/4, 1 failed');
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });
});

describe('kmeans-seg batch, interrupted (child process)', () => {
  it('exits 130 on Ctrl-C after the first output, leaving whole outputs only and an interrupted report', async () => {
    const many = path.join(tmp, 'many-cli');
    await noiseImages(many, 120, 96);
    const folder = path.join(tmp, 'cli-stop');
    const reportFile = path.join(tmp, 'cli-stop.json');
    // The sources through tsx, so the test does not depend on a fresh build.
    const code = `import { main } from ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'batch.ts'))}; process.exitCode = await main(process.argv.slice(1));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code,
      path.join(many, '*.png'), '-k', '16', '-o', folder, '--report', reportFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    const deadline = Date.now() + 30_000;
    let first = false;
    while (!first && Date.now() < deadline && child.exitCode === null) {
      const names = await readdir(folder).catch(() => [] as string[]);
      first = names.some((n) => /^n\d{3}\.png$/.test(n));
      if (!first) await new Promise((r) => setTimeout(r, 10));
    }
    expect(first, `no output appeared; stderr: ${stderr}`).toBe(true);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);

    const names = (await readdir(folder)).filter((n) => n !== '.kmeans-seg');
    expect(names.every((n) => /^n\d{3}\.png$/.test(n)), `unexpected files: ${names.join(' ')}`).toBe(true);
    expect(names.length).toBeLessThan(120);
    for (const n of names) await sharp(path.join(folder, n)).stats();
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as BatchReport;
    expect(report).toMatchObject({ interrupted: true, total: 120, failed: 0 });
    expect(report.done).toBe(names.length);
    expect(report.cancelled).toBe(120 - names.length);
    expect(stderr).toContain('kmeans-seg: interrupted (SIGINT): stopping');
    expect(stdout).toMatch(/^batch \(interrupted\): 120 files: \d+ done, 0 skipped, 0 failed, \d+ not finished/);
  }, 60_000);
});
