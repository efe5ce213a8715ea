/**
 * No writer replaces a special file (issue 11, defect 5): a FIFO, a device node, a socket, or a
 * symbolic link to one is refused even with --force / force: true, by every command and every save*.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeImage } from '../../src/io/encode.js';
import { refuseNonRegular } from '../../src/io/output-path.js';
import { saveLabels } from '../../src/outputs/label-map.js';
import { saveMasks } from '../../src/outputs/masks.js';
import { saveOverlay } from '../../src/outputs/overlay.js';
import { applyPalette } from '../../src/palette/apply.js';
import { savePalette } from '../../src/palette/write.js';
import { segment } from '../../src/segment.js';
import { sweep } from '../../src/sweep/sweep.js';
import { folder, IS_ROOT, noisePng, rejects, runMain, scratch, skipWith, tried, useScratch } from '../hostile.js';

useScratch('special-files.test.ts');

type Kind = 'fifo' | 'device' | 'socket' | 'link to fifo' | 'link to device';
interface Special { path: string; kind: Kind; isSpecial: () => Promise<boolean> }

let input: string;
let canMknod = false;
beforeAll(async () => {
  input = path.join(scratch(), 'in.png');
  await writeFile(input, await noisePng(6, 4, 2));
  if (IS_ROOT) {
    try {
      const probe = path.join(scratch(), 'probe-null');
      execFileSync('mknod', [probe, 'c', '1', '3'], { stdio: 'pipe' }); // a null device of our own: never /dev/null itself
      canMknod = true;
    } catch { /* not permitted here: the device cases are skipped */ }
  }
  if (!canMknod) skipWith('mknod is not permitted (or not root): the device-node cases are left out');
});

/** Make a special file named `name` in `dir`, of `kind`; its check says whether it is still that special file. */
async function special(dir: string, name: string, kind: Kind): Promise<Special> {
  const file = path.join(dir, name);
  const target = kind.startsWith('link') ? path.join(dir, `.${name}.target`) : file;
  if (kind.endsWith('fifo')) execFileSync('mkfifo', [target]);
  else if (kind.endsWith('device')) execFileSync('mknod', [target, 'c', '1', '3']);
  else await new Promise<void>((resolve) => { const s = net.createServer().listen(target, () => { s.unref(); resolve(); }); });
  if (target !== file) await symlink(target, file);
  const isSpecial = async (): Promise<boolean> => {
    const l = await lstat(file);
    const t = await lstat(target);
    const ok = kind.endsWith('fifo') ? t.isFIFO() : kind.endsWith('device') ? t.isCharacterDevice() : t.isSocket();
    return ok && (target === file || l.isSymbolicLink());
  };
  return { path: file, kind, isSpecial };
}

const kinds = (): Kind[] => ['fifo', 'socket', 'link to fifo', ...(canMknod ? ['device', 'link to device'] as Kind[] : [])];

describe('refuseNonRegular, the one check every writer (batch and its report included) calls', () => {
  it('passes nothing and a regular file; refuses each special kind, naming what it is and pointing to stdout as not yet supported', async () => {
    const dir = await folder();
    await refuseNonRegular(path.join(dir, 'none.png'));
    await writeFile(path.join(dir, 'plain.png'), 'x');
    await refuseNonRegular(path.join(dir, 'plain.png'));
    await symlink('nowhere.png', path.join(dir, 'dangling.png'));
    await refuseNonRegular(path.join(dir, 'dangling.png'));
    for (const kind of kinds()) {
      tried();
      const s = await special(dir, `${kind.replace(/ /g, '-')}.png`, kind);
      const what = kind.endsWith('fifo') ? 'FIFO' : kind.endsWith('device') ? 'character device' : 'socket';
      await rejects(refuseNonRegular(s.path, 'report'), 'ERR_OUTPUT_EXISTS', `The report ${JSON.stringify(s.path)}`, what,
        'not a regular file', 'even with --force', 'stdout (-) is not supported yet', ...(kind.startsWith('link') ? ['symbolic link'] : []));
    }
    await mkdir(path.join(dir, 'sub'));
    await rejects(refuseNonRegular(path.join(dir, 'sub')), 'ERR_OUTPUT_EXISTS', 'directory');
  });
});

describe('the commands refuse a special output even with --force, and leave it as it was', () => {
  const commands: [string, (file: string, dir: string) => string[]][] = [
    ['-o', (f) => [input, '-k', '2', '-o', f]],
    ['--labels', (f) => [input, '-k', '2', '--labels', f]],
    ['--palette', (f) => [input, '-k', '2', '--palette', f]],
    ['--overlay', (f) => [input, '-k', '2', '--overlay', f]],
    ['--masks (a mask)', (f, dir) => [input, '-k', '2', '--masks', path.dirname(f), '-o', path.join(dir, 'beside.png')]],
    ['sweep -o', (f) => ['sweep', input, '-k', '1,2', '-o', f]],
    ['sweep --cost (its .png)', (f, dir) => ['sweep', input, '-k', '1,2', '-o', path.join(dir, 'sheet.png'), '--cost', f.replace(/\.png$/, '')]],
    ['apply -o', (f, dir) => ['apply', '--palette', path.join(dir, 'p.json'), input, '-o', f]],
  ];
  for (const [name, args] of commands) {
    it(`${name}`, async () => {
      for (const kind of kinds()) {
        tried();
        const dir = await folder();
        if (name.startsWith('apply')) expect((await runMain([input, '-k', '2', '--palette', path.join(dir, 'p.json')])).code).toBe(0);
        const file = name.startsWith('--masks') ? path.join(dir, 'm', 'mask-00.png') : path.join(dir, 'out.png');
        await mkdir(path.dirname(file), { recursive: true });
        const s = await special(path.dirname(file), path.basename(file), kind);
        const r = await runMain([...args(s.path, dir), '--force']);
        expect(r.code, `${kind}: ${r.stderr}`).toBe(1);
        expect(r.stderr, kind).toContain('not a regular file');
        expect(r.stderr).toContain('stdout (-)');
        expect(await s.isSpecial(), `${kind} is left as it was`).toBe(true);
      }
    });
  }
});

describe('the API refuses a special output even with force: true', () => {
  it('encodeImage, save(), saveLabels, saveMasks, saveOverlay, savePalette, saveSweep and applyPalette().save', async () => {
    const result = await segment(input, { k: 2 });
    const original = { data: new Uint8Array(6 * 4 * 4).fill(255), width: 6, height: 4 };
    const swept = await sweep(input, { ks: [1, 2] });
    const applied = await applyPalette(input, { palette: [{ hex: '#000000' }, { hex: '#ffffff' }] });
    const writers: [string, (file: string) => Promise<unknown>][] = [
      ['encodeImage', (f) => encodeImage(result.toRGBA(), 6, 4, f, { force: true })],
      ['segment().save', (f) => result.save(f, { force: true })],
      ['saveLabels', (f) => saveLabels(result, f, { force: true })],
      ['saveMasks', (f) => saveMasks(result, path.dirname(f), { force: true })],
      ['saveOverlay', (f) => saveOverlay(original, result, f, { force: true })],
      ['savePalette', (f) => savePalette(result, f, { force: true })],
      ['saveSweep', (f) => swept.save(f, { force: true })],
      ['applyPalette().save', (f) => applied.save(f, { force: true })],
    ];
    for (const [name, write] of writers) {
      for (const kind of kinds()) {
        tried();
        const dir = await folder();
        const s = await special(dir, name === 'saveMasks' ? 'mask-00.png' : 'out.png', kind);
        await rejects(write(s.path), 'ERR_OUTPUT_EXISTS', 'not a regular file');
        expect(await s.isSpecial(), `${name}, ${kind}: left as it was`).toBe(true);
      }
    }
  });
});
