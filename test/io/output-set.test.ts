/**
 * OutputSet, the all-or-nothing writer of a run's outputs: reservations that see through links,
 * staged files invisible until the commit, and a discard that leaves the folders as they were.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputSet, writeOutputFile } from '../../src/io/output-set.js';
import { couldBeMaskName, maskName } from '../../src/outputs/masks.js';
import { folder, rejects, ROOT, tried, useScratch } from '../hostile.js';

useScratch('output-set.test.ts');

describe('OutputSet', () => {
  it('reserve: one file however spelled (relative, a linked folder, a dangling link) is refused the second time', async () => {
    tried(3);
    const dir = await folder();
    await mkdir(path.join(dir, 'real'));
    await symlink('real', path.join(dir, 'alias'));
    await symlink(path.join(dir, 'real', 'b.png'), path.join(dir, 'dangling.png'));
    const set = new OutputSet();
    await set.reserve(path.join(dir, 'real', 'a.png'), 'output');
    await set.reserve(path.join(dir, 'real', 'b.png'), 'label map');
    await rejects(set.reserve(path.join(dir, 'alias', 'a.png'), 'overlay'), 'ERR_INVALID_OPTION', 'the overlay', 'same file');
    await rejects(set.reserve(path.relative(process.cwd(), path.join(dir, 'real', 'a.png')), 'palette'), 'ERR_INVALID_OPTION', 'same file');
    await rejects(set.reserve(path.join(dir, 'dangling.png'), 'mask'), 'ERR_INVALID_OPTION', 'The label map', 'symbolic link');
  });

  it('stage then commit: nothing appears under the names until the commit, then all of them; no temporary file is left', async () => {
    const dir = await folder();
    const set = new OutputSet();
    await set.plan(path.join(dir, 'a.bin'), 'output');
    await set.plan(path.join(dir, 'b.bin'), 'output');
    await set.stage(path.join(dir, 'a.bin'), Uint8Array.from([1]));
    await set.stage(path.join(dir, 'b.bin'), Uint8Array.from([2]));
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual([]);
    await set.commit();
    expect((await readdir(dir)).sort()).toEqual(['a.bin', 'b.bin']);
    expect([...await readFile(path.join(dir, 'b.bin'))]).toEqual([2]);
  });

  it('run: a failure after some files were staged discards them all, and removes the folders the set made (parents too)', async () => {
    tried();
    const dir = await folder();
    await writeFile(path.join(dir, 'keep.bin'), 'old');
    const set = new OutputSet();
    const failure = set.run(async () => {
      await set.stage(path.join(dir, 'keep.bin'), Uint8Array.from([9]));
      await set.makeFolder(path.join(dir, 'new', 'deeper'));
      await set.stage(path.join(dir, 'new', 'deeper', 'x.bin'), Uint8Array.from([1]));
      throw new Error('the third output failed');
    });
    await expect(failure).rejects.toThrow('the third output failed');
    expect(await readdir(dir)).toEqual(['keep.bin']);
    expect(await readFile(path.join(dir, 'keep.bin'), 'utf8')).toBe('old');
  });

  it('makeFolder leaves a folder that existed before, and discard never removes one that is not empty', async () => {
    const dir = await folder();
    await mkdir(path.join(dir, 'there'));
    const set = new OutputSet();
    await set.makeFolder(path.join(dir, 'there'));
    await set.makeFolder(path.join(dir, 'made'));
    await writeFile(path.join(dir, 'made', 'someone-elses.txt'), 'x');
    await set.discard();
    expect(existsSync(path.join(dir, 'there'))).toBe(true);
    expect(existsSync(path.join(dir, 'made', 'someone-elses.txt'))).toBe(true);
  });

  it('writeOutputFile keeps the mode of the file it replaces, and a new file gets the usual one', async () => {
    const dir = await folder();
    const file = path.join(dir, 'x.bin');
    await writeFile(file, 'old');
    await chmod(file, 0o604);
    await writeOutputFile(file, Uint8Array.from([1, 2]));
    expect((await stat(file)).mode & 0o777).toBe(0o604);
    await writeOutputFile(path.join(dir, 'new.bin'), Uint8Array.from([1]));
    expect((await stat(path.join(dir, 'new.bin'))).mode & 0o777).toBe(0o666 & ~process.umask());
  });
});

describe('couldBeMaskName: the names a mask of a run with k (or a smaller k, once reduced) can take', () => {
  it('matches maskName for every label and every k up to the one asked, and nothing else', () => {
    for (const k of [1, 2, 10, 100, 101, 1000, 1001]) {
      const names = new Set<string>();
      for (let kk = 1; kk <= k; kk++) for (const j of [0, kk - 1]) names.add(maskName(j, kk));
      for (const name of names) expect(couldBeMaskName(name, k), `${name}, k ${k}`).toBe(true);
    }
    expect(couldBeMaskName('mask-01.png', 2)).toBe(true);
    expect(couldBeMaskName('mask-02.png', 2)).toBe(false);
    expect(couldBeMaskName('mask-000.png', 100)).toBe(false);
    expect(couldBeMaskName('mask-000.png', 101)).toBe(true);
    expect(couldBeMaskName('mask-05.png', 101)).toBe(true);
    expect(couldBeMaskName('mask-5.png', 101)).toBe(false);
    expect(couldBeMaskName('mask-0100.png', 101)).toBe(false);
    expect(couldBeMaskName('masks-00.png', 101)).toBe(false);
  });
});

describe('a signal while staged files and a writeFileAtomic write are both pending', () => {
  for (const order of ['staged first', 'writeFileAtomic first'] as const) {
    it(`SIGINT (${order}): both temporary files are removed and the process ends by SIGINT`, async () => {
      tried();
      const dir = await folder();
      const script = path.join(dir, 'both.mjs');
      const dist = (m: string): string => JSON.stringify(path.join(ROOT, 'dist', 'io', m));
      await writeFile(script, `
import { open } from 'node:fs/promises';
import { writeFileAtomic } from ${dist('atomic-write.js')};
import { OutputSet } from ${dist('output-set.js')};
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
const proto = Object.getPrototypeOf(handle);
await handle.close();
const sync = proto.sync;
const set = new OutputSet();
const stage = () => set.stage(${JSON.stringify(path.join(dir, 'a.bin'))}, new Uint8Array(10));
${order === 'staged first' ? 'await stage();' : ''}
proto.sync = function () { proto.sync = sync; process.stderr.write('stalled\\n'); return new Promise(() => {}); };
void writeFileAtomic(${JSON.stringify(path.join(dir, 'b.bin'))}, new Uint8Array(10));
${order === 'staged first' ? '' : 'await new Promise((r) => setTimeout(r, 50)); await stage(); process.stderr.write(\'staged\\n\');'}
setInterval(() => {}, 1000);
`);
      const r = await new Promise<{ signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [script]);
        let stderr = '';
        const ready = order === 'staged first' ? 'stalled' : 'staged';
        child.stderr.on('data', (d) => { stderr += d; if (stderr.includes(ready) && !child.killed) child.kill('SIGINT'); });
        const stop = setTimeout(() => child.kill('SIGKILL'), 20_000); // a signal swallowed: fail, and leave no process behind
        child.on('close', (_code, signal) => { clearTimeout(stop); resolve({ signal, stderr }); });
      });
      expect(r.signal, r.stderr).toBe('SIGINT');
      expect(await readdir(dir)).toEqual(['both.mjs']);
    });
  }
});
