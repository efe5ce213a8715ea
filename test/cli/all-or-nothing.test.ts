/**
 * Runs with several outputs are all or nothing (issue 11, defect 4): every output is checked before
 * the first write, and the files appear only once every one is written, so a corrected rerun needs no --force.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectFolderUnchanged, expectOneLineError, folder, noisePng, readOnlyFolder, runCli, runMain, scratch, skipWith,
  snapshotFolder, solid, tmpfs, tried, useScratch,
} from '../hostile.js';

useScratch('all-or-nothing.test.ts');

let input: string; // 12 x 8, two colours
beforeAll(async () => {
  input = path.join(scratch(), 'two.png');
  await writeFile(input, await solid(12, 8, '#c81e28').composite([{ input: await solid(6, 8, '#0ac828').png().toBuffer(), left: 0, top: 0 }]).png().toBuffer());
});

/** Run the main command in this process; expect the exit code, one error line, and no file anywhere in `dirs`. */
async function refused(args: string[], code: 1 | 2, dirs: string[], ...mentions: string[]): Promise<string> {
  const before = await Promise.all(dirs.map((d) => snapshotFolder(d)));
  const r = await runMain(args);
  expect(r.code, r.stderr).toBe(code);
  expectOneLineError(r.stderr);
  for (const m of mentions) expect(r.stderr).toContain(m);
  for (let i = 0; i < dirs.length; i++) await expectFolderUnchanged(dirs[i]!, before[i]!);
  return r.stderr;
}

describe('the main command: every output checked before the first write', () => {
  it('-o rw/x.png --overlay ro/ov.png: ERR_WRITE before any work, rw/ stays empty, and the corrected rerun needs no --force', async (ctx) => {
    const ro = await readOnlyFolder({});
    if ('skip' in ro) { skipWith(ro.skip); ctx.skip(); return; }
    tried();
    const rw = await folder();
    await refused([input, '-k', '2', '-o', path.join(rw, 'x.png'), '--overlay', path.join(ro.dir, 'ov.png')], 1, [rw, ro.dir],
      JSON.stringify(path.join(ro.dir, 'ov.png')), ro.errno, 'write elsewhere');
    const r = await runMain([input, '-k', '2', '-o', path.join(rw, 'x.png'), '--overlay', path.join(rw, 'ov.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(rw)).sort()).toEqual(['ov.png', 'x.png']);
  });

  it('-o x.png --overlay x.webp on a 100000 x 1 image: ERR_OUTPUT_FORMAT (exit 2) naming the WebP limit, and no x.png', async () => {
    tried();
    const dir = await folder();
    const wide = path.join(dir, 'wide.png');
    await writeFile(wide, await solid(100000, 1, '#336699').png().toBuffer());
    await refused([wide, '-k', '2', '-o', path.join(dir, 'x.png'), '--overlay', path.join(dir, 'x.webp')], 2, [dir], '16383', 'x.webp', '.png');
    const r = await runMain([wide, '-k', '2', '-o', path.join(dir, 'x.png'), '--overlay', path.join(dir, 'x-borders.png')]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('-k 65536 --labels with transparent pixels: refused before clustering (a 16-bit PNG cannot hold 65537 labels), nothing written', async () => {
    tried();
    const dir = await folder();
    // 257 x 256 pixels, each its own colour, the last 10 transparent: 65772 colours, so k stays 65536.
    const w = 257, h = 256, px = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) px.set([p & 255, (p >> 8) & 255, (p >> 16) * 200, p >= w * h - 10 ? 0 : 255], p * 4);
    const file = path.join(dir, 'many.png');
    await writeFile(file, await sharp(px, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer());
    await refused([file, '-k', '65536', '-o', path.join(dir, 'o.png'), '--labels', path.join(dir, 'L.png')], 2, [dir],
      'L.png', '65536', 'k <= 65535', 'transparent');
  });

  it('-k 65536 --labels on an image with few colours and transparent pixels still works: K shrinks, so the labels fit in 16 bits', async () => {
    tried();
    const dir = await folder();
    const file = path.join(dir, 'few.png');
    await writeFile(file, await solid(6, 4, { r: 10, g: 20, b: 30, alpha: 0 }, 4).composite([{ input: await solid(3, 4, '#ff0000').png().toBuffer(), left: 0, top: 0 }]).png().toBuffer());
    const r = await runMain([file, '-k', '65536', '--labels', path.join(dir, 'L.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'L.png'))).toBe(true);
  });

  it('-o a.png --labels link.png, link.png a dangling symlink to a.png: refused as one file (even with --force), nothing written, the link kept', async () => {
    tried(2);
    const dir = await folder();
    await symlink('a.png', path.join(dir, 'link.png'));
    for (const force of [[], ['--force']]) {
      await refused([input, '-k', '2', '-o', path.join(dir, 'a.png'), '--labels', path.join(dir, 'link.png'), ...force], 2, [dir],
        'same file', 'symbolic link');
    }
    expect(await readlink(path.join(dir, 'link.png'))).toBe('a.png');
  });

  it('an output through a linked folder naming another output: refused as one file', async () => {
    tried();
    const dir = await folder();
    await mkdir(path.join(dir, 'real'));
    await symlink('real', path.join(dir, 'alias'));
    await refused([input, '-k', '2', '-o', path.join(dir, 'real', 'x.png'), '--overlay', path.join(dir, 'alias', 'x.png'), '--force'], 2,
      [dir, path.join(dir, 'real')], 'same file');
  });

  it('-o m/mask-00.png --masks m: refused before any work, even with --force (the mask would have replaced the image)', async () => {
    tried(3);
    const dir = await folder();
    const m = path.join(dir, 'm');
    await mkdir(m);
    for (const force of [[], ['--force']]) {
      await refused([input, '-k', '2', '-o', path.join(m, 'mask-00.png'), '--masks', m, ...force], 2, [m], 'mask-00.png', '--masks');
    }
    // A name no mask of this run can take is fine.
    const r = await runMain([input, '-k', '2', '-o', path.join(m, 'mask-07.png'), '--masks', m]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(m)).sort()).toEqual(['mask-00.png', 'mask-01.png', 'mask-07.png']);
  });

  it('a later output that fails while being written (over the file-size limit) leaves no earlier one: exit 1, folder unchanged', async () => {
    tried();
    const dir = await folder();
    const noisy = path.join(dir, 'noise.png');
    await writeFile(noisy, await noisePng(200, 200, 3));
    const before = await snapshotFolder(dir);
    // The recoloured image (1 colour) is a few hundred bytes; the overlay (the noise itself) ~120 KB: past `ulimit -f 16`.
    const r = await runCli([noisy, '-k', '1', '-o', path.join(dir, 'small.png'), '--overlay', path.join(dir, 'big.png')],
      { shellPrefix: 'ulimit -f 16' });
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain('EFBIG');
    await expectFolderUnchanged(dir, before);
  });

  it('a full disk while writing the masks: no mask, no image elsewhere, no temporary file, and the masks folder made for the run is gone', async (ctx) => {
    const t = await tmpfs('16k');
    if ('skip' in t) { skipWith(`full-disk case: ${t.skip}`); ctx.skip(); return; }
    tried();
    const dir = await folder();
    const noisy = path.join(dir, 'noise.png');
    await writeFile(noisy, await noisePng(200, 200, 4));
    const before = await snapshotFolder(dir);
    // Four masks of noise, several KB each: past 16 KiB. The recoloured image goes to a roomy folder first.
    const r = await runMain([noisy, '-k', '4', '--init', 'random', '--max-iter', '1', '-o', path.join(dir, 'x.png'), '--masks', path.join(t.dir, 'm', 'sub')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('ENOSPC');
    expect(await readdir(t.dir)).toEqual([]);
    await expectFolderUnchanged(dir, before);
  });

  it('--force keeps the mode of each file it replaces', async () => {
    tried();
    const dir = await folder();
    const out = path.join(dir, 'x.png'), pal = path.join(dir, 'p.json');
    await writeFile(out, 'old', { mode: 0o640 });
    await writeFile(pal, 'old', { mode: 0o600 });
    execFileSync('chmod', ['0640', out]); execFileSync('chmod', ['0600', pal]); // whatever the umask
    const r = await runMain([input, '-k', '2', '-o', out, '--palette', pal, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(out)).mode & 0o777).toBe(0o640);
    expect((await lstat(pal)).mode & 0o777).toBe(0o600);
  });
});

describe('sweep and apply: all or nothing too', () => {
  it('sweep with a chart in a read-only folder: ERR_WRITE before any clustering, no sheet', async (ctx) => {
    const ro = await readOnlyFolder({});
    if ('skip' in ro) { skipWith(ro.skip); ctx.skip(); return; }
    tried();
    const rw = await folder();
    await refused(['sweep', input, '-k', '1,2', '-o', path.join(rw, 'sheet.png'), '--cost', path.join(ro.dir, 'cost')], 1, [rw, ro.dir],
      'cost chart', ro.errno);
  });

  it('sweep whose chart is a link to the sheet: refused as one file, even with --force', async () => {
    tried();
    const dir = await folder();
    await symlink('sheet.png', path.join(dir, 'd.png'));
    await refused(['sweep', input, '-k', '1,2', '-o', path.join(dir, 'sheet.png'), '--distortion', path.join(dir, 'd'), '--force'], 2, [dir], 'same file');
  });

  it('sweep under a file-size limit that the sheet fits and a chart does not: no file at all', async () => {
    tried();
    const dir = await folder();
    const before = await snapshotFolder(dir);
    const r = await runCli(['sweep', input, '-k', '1,2,3', '-o', path.join(dir, 'sheet.png'), '--tile-width', '8'], { shellPrefix: 'ulimit -f 16' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('EFBIG');
    await expectFolderUnchanged(dir, before);
  });

  it('apply: an output too large for its format fails, and the other image is not written either', async () => {
    tried();
    const dir = await folder();
    const palette = path.join(dir, 'p.json');
    expect((await runMain([input, '-k', '2', '--palette', palette])).code).toBe(0);
    await writeFile(path.join(dir, 'a.png'), await solid(4, 4, '#ff0000').png().toBuffer());
    await writeFile(path.join(dir, 'b.png'), await solid(65501, 2, '#00ff00').png().toBuffer());
    const out = path.join(dir, 'out');
    const r = await runMain(['apply', '--palette', palette, path.join(dir, 'a.png'), path.join(dir, 'b.png'), '-o', out, '--format', 'jpg']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('65500');
    expect(r.stderr).toContain('nothing was written');
    expect(existsSync(out)).toBe(false);
  });
});
