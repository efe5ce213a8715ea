/**
 * `kmeans-seg batch` and batch() against a careless or hostile user (issue 11): the report over files
 * the batch uses, node flags, a throwing onProgress, SIGTERM/SIGHUP, stale temporary files, reruns with
 * other settings, per-file warnings, glob matches that are no files, --jobs above the cores.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BatchReport } from '../../src/batch/batch.js';
import { ProgressView } from '../../src/cli/progress.js';
import { parseTempName, tempHost, tempName } from '../../src/io/atomic-write.js';

vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The command and the package entry under test: the build, or another (an older build, to see a test fail there). */
const BIN = process.env.KMEANS_SEG_TEST_BIN ?? path.join(ROOT, 'bin', 'kmeans-seg.js');
const ENTRY = process.env.KMEANS_SEG_TEST_ENTRY ?? path.join(ROOT, 'dist', 'index.js');
const NODE_FLAGS = ['--max-old-space-size=4096', '--expose-gc', '--title=kmeans-seg-test', '--stack-size=2000'];

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run node with `args`; `onStderr` sees stderr as it grows (to send a signal at the right moment). */
function node(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; onStderr?.(stderr, child); });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
const cli = (args: string[], nodeArgs: string[] = []): Promise<Run> => node([...nodeArgs, BIN, 'batch', ...args]);
/** A module run by node: `code` sees `batch` imported from the entry under test. */
const app = (code: string, nodeArgs: string[] = [], entry = pathToFileURL(ENTRY).href): Promise<Run> =>
  node([...nodeArgs, '--input-type=module', '-e', `import { batch } from ${JSON.stringify(entry)};\n${code}`]);
const readReport = async (file: string): Promise<BatchReport> => JSON.parse(await readFile(file, 'utf8')) as BatchReport;

let tmp: string;
let n = 0;
/** A new folder holding `in/a.png` and `in/b.png` (two colours each) and `pal.json`. */
async function fresh(): Promise<{ dir: string; a: string; b: string; pal: string }> {
  const dir = path.join(tmp, `case-${n++}`);
  await mkdir(path.join(dir, 'in'), { recursive: true });
  const [a, b, pal] = [path.join(dir, 'in', 'a.png'), path.join(dir, 'in', 'b.png'), path.join(dir, 'pal.json')];
  await copyFile(path.join(tmp, 'a.png'), a);
  await copyFile(path.join(tmp, 'b.png'), b);
  await writeFile(pal, '["#000000", "#ffffff"]\n');
  return { dir, a, b, pal };
}
const two = (colour: string) => sharp({ create: { width: 16, height: 12, channels: 3, background: colour } })
  .composite([{ input: { create: { width: 8, height: 12, channels: 3, background: '#f0f0e0' } }, left: 0, top: 0 }]).png();

/** Random-noise PNGs: many distinct colours, so each file takes a few passes of real work. */
async function noiseImages(dir: string, count: number, size: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  let s = 12345;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; };
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(size * size * 3);
    for (let q = 0; q < data.length; q++) data[q] = rnd();
    await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 1 }).toFile(path.join(dir, `n${String(i).padStart(3, '0')}.png`));
  }
}

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build:ts` first');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-batch-hard-'));
  await two('#c83228').toFile(path.join(tmp, 'a.png'));
  await two('#3040d0').toFile(path.join(tmp, 'b.png'));
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('--report never replaces a file the batch uses (defect 1)', () => {
  it('refuses an input, a planned output or the palette, by name or through a link (dangling too), even with --force, before any work', async () => {
    const { dir, a, b, pal } = await fresh();
    const out = path.join(dir, 'out');
    await mkdir(out);
    await symlink(b, path.join(dir, 'to-input.json'));
    await symlink(path.join(dir, 'out2', 'a.png'), path.join(dir, 'to-output.json')); // dangling: out2 is made by the batch
    const bytes = await Promise.all([a, b, pal].map((f) => readFile(f)));
    const cases: [string[], string, RegExp][] = [
      [[path.join(dir, 'in', '*'), '-k', '2', '-o', out], b, /is an input image of this batch/],
      [[a, b, '-k', '2', '-o', out], path.join(dir, 'to-input.json'), /is an input image of this batch, ".*b\.png" \(it leads to/],
      [[a, '-k', '2', '-o', out], path.join(out, 'a.png'), /is an output of this batch/],
      [[a, '-k', '2', '-o', path.join(dir, 'out2')], path.join(dir, 'to-output.json'), /is an output of this batch, ".*out2\/a\.png" \(it leads to/],
      [[a, '-o', out, '--palette', pal], pal, /is the palette file of this batch/],
    ];
    for (const [args, report, message] of cases) {
      for (const force of [[], ['--force']]) {
        const r = await cli([...args, ...force, '--report', report]);
        expect(r.code, `${args.join(' ')} ${force.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain(`--report ${JSON.stringify(report)}`);
        expect(r.stderr).toMatch(/never replaces it, even with --force: write the report elsewhere/);
        expect(r.stderr.trim().split('\n')).toHaveLength(1); // refused before any file was worked on
      }
    }
    expect(await Promise.all([a, b, pal].map((f) => readFile(f)))).toEqual(bytes);
    expect(await readdir(out)).toEqual([]);
    expect(existsSync(path.join(dir, 'out2'))).toBe(false);
  });

  it('refuses a FIFO, a device through a link, and a folder, even with --force; an earlier report is replaced', async () => {
    const { dir, a } = await fresh();
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await symlink('/dev/null', path.join(dir, 'null.json'));
    await mkdir(path.join(dir, 'folder.json'));
    const out = path.join(dir, 'out');
    for (const [report, what] of [[fifo, 'a FIFO'], [path.join(dir, 'null.json'), 'a symbolic link to a device'], [path.join(dir, 'folder.json'), 'a folder']] as const) {
      const r = await cli([a, '-k', '2', '-o', out, '--force', '--report', report]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`--report ${JSON.stringify(report)} is ${what}`);
      expect(r.stderr).toMatch(/not a regular file; a report never replaces it, even with --force: pass a file name.*or --json/);
    }
    expect((await stat(fifo)).isFIFO()).toBe(true);
    expect(existsSync(out)).toBe(false);

    const report = path.join(dir, 'report.json');
    await writeFile(report, 'an earlier report\n');
    const r = await cli([a, '-k', '2', '-o', out, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    expect(await readReport(report)).toMatchObject({ total: 1, done: 1 });
  });
});

describe('node flags that a Worker refuses (defect 2)', () => {
  it(`the command runs under ${NODE_FLAGS.join(' ')}`, async () => {
    const { dir, a } = await fresh();
    const r = await cli([a, '-k', '2', '-o', path.join(dir, 'out'), '--json'], NODE_FLAGS);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ total: 1, done: 1 });
  });

  it('batch() does too, in an app started with them: built, and from the sources under tsx', async () => {
    const { dir, a } = await fresh();
    const code = (out: string) => `const r = await batch(${JSON.stringify(a)}, { output: ${JSON.stringify(out)}, k: 2 });\nconsole.log(JSON.stringify({ done: r.done, failed: r.failed }));`;
    const built = await app(code(path.join(dir, 'built')), NODE_FLAGS);
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toEqual({ done: 1, failed: 0 });
    const sources = pathToFileURL(path.join(ROOT, 'src', 'batch', 'batch.ts')).href;
    const tsx = await app(code(path.join(dir, 'tsx')), [...NODE_FLAGS, '--import', 'tsx'], sources);
    expect(tsx.code, tsx.stderr).toBe(0);
    expect(JSON.parse(tsx.stdout)).toEqual({ done: 1, failed: 0 });
  });
});

describe('an onProgress that throws (defect 3)', () => {
  it('rejects batch() with that very error, stops the workers, and nothing reaches the event loop', async () => {
    const dir = path.join(tmp, 'progress-throws');
    await noiseImages(path.join(dir, 'in'), 8, 64);
    const out = path.join(dir, 'out');
    const r = await app(`
      process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message); process.exit(3); });
      const boom = new Error('boom from onProgress');
      let calls = 0;
      try {
        await batch(${JSON.stringify(path.join(dir, 'in', '*.png'))}, { output: ${JSON.stringify(out)}, k: 8, concurrency: 2,
          onProgress: (p) => { if (p.file) { calls++; throw boom; } } });
        console.log('resolved');
      } catch (e) {
        console.log(e === boom ? 'rejected with it' : 'rejected with another error: ' + e);
      }
      console.log('calls: ' + calls);`);
    // The process ends by itself: no worker is left running.
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe('rejected with it\ncalls: 1\n');
    const names = (await readdir(out)).filter((f) => f !== '.kmeans-seg');
    expect(names.every((f) => /^n\d{3}\.png$/.test(f)), names.join(' ')).toBe(true);
    for (const f of names) await sharp(path.join(out, f)).stats(); // whole files only
  });
});

describe('SIGTERM and SIGHUP (defect 4)', () => {
  let many: string;
  beforeAll(async () => {
    many = path.join(tmp, 'many');
    await noiseImages(many, 60, 96);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal}: stops as Ctrl-C does, writes the report of what was done, and exits ${code} (128 + the signal)`, async () => {
      const out = path.join(tmp, `stop-${signal}`);
      const report = path.join(tmp, `stop-${signal}.json`);
      let sent = false;
      const r = await node([BIN, 'batch', path.join(many, '*.png'), '-k', '16', '-o', out, '--report', report], (text, child) => {
        if (!sent && /-> .*n\d{3}\.png/.test(text)) { sent = true; child.kill(signal); }
      });
      expect(sent, r.stderr).toBe(true);
      expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code, signal: null });
      const names = (await readdir(out)).filter((f) => f !== '.kmeans-seg');
      expect(names.every((f) => /^n\d{3}\.png$/.test(f)), names.join(' ')).toBe(true);
      const written = await readReport(report);
      expect(written).toMatchObject({ interrupted: true, total: 60, failed: 0 });
      expect(written.done).toBe(names.length);
      expect(written.cancelled).toBe(60 - names.length);
      expect((await readdir(path.join(out, '.kmeans-seg'))).sort()).toEqual(names.map((f) => `${f}.json`).sort());
      expect(r.stdout).toMatch(/^batch \(interrupted\): 60 files: \d+ done/);
    });
  }
});

describe('temporary files left by SIGKILL (defect 5)', () => {
  it('are named after the host and the process, within 255 bytes, with no separator from the host name', () => {
    expect(tempHost('build-07')).toBe('build-07');
    for (const host of ['a.example.org', 'x/y\\z:w', '', 'h'.repeat(300), 'ünï']) {
      expect(tempHost(host), host).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    }
    expect(tempHost('a.b')).not.toBe(tempHost('a-b')); // a changed name carries its hash
    const long = path.join(tmp, `${'é'.repeat(120)}.png`); // 244 bytes
    const name = path.basename(tempName(long));
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(parseTempName(name)).toMatchObject({ host: tempHost(), pid: process.pid });
    expect(parseTempName(path.basename(tempName(path.join(tmp, 'a.png'))))).toEqual({ name: 'a.png', host: tempHost(), pid: process.pid });
  });

  it('a batch removes those of its own host whose process is gone and that are older than 10 minutes, and no others', async () => {
    const { dir, a } = await fresh();
    const out = path.join(dir, 'out');
    await mkdir(out);
    const dead = await deadPid();
    const host = tempHost();
    const hourAgo = new Date(Date.now() - 3600_000);
    const files = {
      stale: `.a.png.${host}.${dead}.0123456789ab.tmp`,
      recent: `.a.png.${host}.${dead}.0123456789ac.tmp`,
      otherHost: `.a.png.other-host.${dead}.0123456789ab.tmp`,
      alive: `.a.png.${host}.${process.pid}.0123456789ab.tmp`,
      oldFormat: `.a.png.${dead}.0123456789ab.tmp`,
      notOurs: '.a.png.notes.tmp',
    };
    for (const [key, name] of Object.entries(files)) {
      await writeFile(path.join(out, name), 'partial');
      if (key !== 'recent') await utimes(path.join(out, name), hourAgo, hourAgo);
    }
    const r = await cli([a, '-k', '2', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const left = await readdir(out);
    expect(left).not.toContain(files.stale);
    for (const key of ['recent', 'otherHost', 'alive', 'oldFormat', 'notOurs'] as const) expect(left, key).toContain(files[key]);
  });
});

describe('a rerun with other settings (defect 6)', () => {
  it('refuses to skip outputs made with another -k, naming the difference; --force redoes them; the same settings skip', async () => {
    const { dir } = await fresh();
    const out = path.join(dir, 'out');
    const pattern = path.join(dir, 'in', '*.png');
    expect((await cli([pattern, '-k', '2', '-o', out])).code).toBe(0);
    const before = (await stat(path.join(out, 'a.png'))).mtimeMs;
    const other = await cli([pattern, '-k', '3', '-o', out]);
    expect(other.code, other.stdout).toBe(1);
    expect(other.stderr).toMatch(/^kmeans-seg: error: 2 outputs in ".*out" were made with other settings than this run's \(".*a\.png": k 2 \(now 3\); and 1 more\): pass --force/);
    expect((await stat(path.join(out, 'a.png'))).mtimeMs).toBe(before);
    const record = JSON.parse(await readFile(path.join(out, '.kmeans-seg', 'a.png.json'), 'utf8'));
    expect(record).toMatchObject({ output: 'a.png', input: path.join(dir, 'in', 'a.png'), settings: { k: 2, seed: 0, colorSpace: 'rgb' } });

    const same = await cli([pattern, '-k', '2', '-o', out]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/0 done, 2 skipped/);
    const forced = await cli([pattern, '-k', '3', '-o', out, '--force']);
    expect(forced.stdout).toMatch(/2 done, 0 skipped/);
    expect(JSON.parse(await readFile(path.join(out, '.kmeans-seg', 'a.png.json'), 'utf8')).settings.k).toBe(3);
    expect((await cli([pattern, '-k', '3', '-o', out])).stdout).toMatch(/0 done, 2 skipped/);
    // Another palette is other settings too.
    const palOut = path.join(dir, 'pal-out');
    await writeFile(path.join(dir, 'p2.json'), '["#ff0000", "#00ff00"]\n');
    expect((await cli([pattern, '--palette', path.join(dir, 'pal.json'), '-o', palOut])).code).toBe(0);
    const repainted = await cli([pattern, '--palette', path.join(dir, 'p2.json'), '-o', palOut]);
    expect(repainted.code).toBe(1);
    expect(repainted.stderr).toMatch(/made with other settings than this run's \(".*a\.png": palette \["#000000","#ffffff"\] \(now \["#ff0000","#00ff00"\]\)/);
  });

  it('takes defaults and the same values given explicitly as one; an output without a record is skipped, with a warning', async () => {
    const { dir, a } = await fresh();
    const out = path.join(dir, 'out');
    expect((await cli([a, '-k', '8', '--seed', '0', '-o', out])).code).toBe(0);
    const defaults = await cli([a, '-o', out]);
    expect(defaults.stdout).toMatch(/0 done, 1 skipped/);
    expect(defaults.stderr).not.toContain('warning');
    await rm(path.join(out, '.kmeans-seg'), { recursive: true, force: true });
    const unrecorded = await cli([a, '-k', '3', '-o', out]);
    expect(unrecorded.code).toBe(0);
    expect(unrecorded.stdout).toMatch(/0 done, 1 skipped/);
    expect(unrecorded.stderr).toMatch(/kmeans-seg: warning: an existing output has no record of the settings that made it .*skipped unchecked: --force/);
  });
});

describe("a file's warnings (defect 7)", () => {
  it('reach stderr as warning lines, as well as the report', async () => {
    const { dir } = await fresh();
    const flat = path.join(dir, 'in', 'flat.png');
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#102030' } }).png().toFile(flat);
    const report = path.join(dir, 'r.json');
    const r = await cli([flat, '-k', '4', '-o', path.join(dir, 'out'), '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`kmeans-seg: warning: ${flat}: k reduced from 4 to 1`);
    expect((await readReport(report)).files[0]!.warnings).toEqual([expect.stringMatching(/^k reduced from 4 to 1/)]);
  });

  it('on a terminal, as lines above the bar', () => {
    let text = '';
    const view = new ProgressView({ isTTY: true, columns: 60, write: (s: string) => { text += s; return true; } } as never);
    const counts = { done: 1, skipped: 0, failed: 0, cancelled: 0 };
    view.update({ total: 2, finished: 1, workers: 1, counts, file: { input: 'in/anim.gif', output: 'o/anim.png', status: 'done', warnings: ['first frame only (of 3)'] } });
    view.close();
    expect(text).toContain('kmeans-seg: warning: in/anim.gif: first frame only (of 3)\n');
    expect(text).toContain('1/2  anim.gif');
  });
});

describe('glob matches that are no files (defect 8)', () => {
  it('a folder is left out with a warning and listed; a dangling link and a FIFO are inputs that fail with their reason', async () => {
    const { dir } = await fresh();
    await mkdir(path.join(dir, 'in', 'sub.png'));
    await symlink(path.join(dir, 'nowhere.png'), path.join(dir, 'in', 'gone.png'));
    execFileSync('mkfifo', [path.join(dir, 'in', 'pipe.png')]);
    const report = path.join(dir, 'r.json');
    const r = await cli([path.join(dir, 'in', '*.png'), '-k', '2', '-o', path.join(dir, 'out'), '--report', report]);
    expect(r.code, r.stderr).toBe(1);
    const written = await readReport(report);
    expect(written).toMatchObject({ total: 4, done: 2, failed: 2, folders: [path.join(dir, 'in', 'sub.png') + '/'] });
    const failed = Object.fromEntries(written.files.filter((f) => f.status === 'failed').map((f) => [path.basename(f.input), f.error!.code]));
    expect(failed).toEqual({ 'gone.png': 'ERR_INPUT_NOT_FOUND', 'pipe.png': 'ERR_INPUT_NOT_FILE' });
    expect(r.stderr).toMatch(/kmeans-seg: warning: the pattern ".*\*\.png" matched a folder, left out: ".*sub\.png\/"/);
  });
});

describe('--jobs above the core count (defect 9)', () => {
  it('is capped at the cores, with a warning', async () => {
    const { dir, a } = await fresh();
    const cores = os.availableParallelism();
    for (let i = 0; i <= cores; i++) await copyFile(a, path.join(dir, 'in', `c${i}.png`));
    const r = await cli([path.join(dir, 'in', '*.png'), '-k', '2', '-o', path.join(dir, 'out'), '--jobs', '256', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as BatchReport;
    expect(report.workers).toBe(cores);
    expect(r.stderr).toContain(`kmeans-seg: warning: 256 workers asked for (--jobs / concurrency), but this machine has ${cores} core`);
    expect(report.warnings).toEqual([expect.stringMatching(/^256 workers asked for/)]);
  });
});

describe('planned outputs that are no regular file, or another input (same class as defect 1)', () => {
  it('are refused before any work, even with --force', async () => {
    const { dir, a, b } = await fresh();
    const out = path.join(dir, 'out');
    await mkdir(path.join(out, 'a.png'), { recursive: true });
    for (const force of [[], ['--force']]) {
      const r = await cli([a, '-k', '2', '-o', out, ...force]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/The output ".*out\/a\.png" is a folder, not a regular file; it is never replaced, even with --force/);
    }
    const out2 = path.join(dir, 'out2');
    await mkdir(out2);
    await symlink(b, path.join(out2, 'a.png')); // a's output is a link to the input b
    for (const force of [[], ['--force']]) {
      const r = await cli([a, b, '-k', '2', '-o', out2, ...force]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/The output ".*out2\/a\.png" would replace an input image/);
    }
  });
});
