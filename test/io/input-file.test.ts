/**
 * How an input file is read (issue 11, defects 6 and 11): opened once without blocking and read from
 * that descriptor, so a FIFO swapped in cannot hang the run; a file past the read limit is ERR_TOO_LARGE.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode.js';
import { MAX_INPUT_FILE_BYTES } from '../../src/limits.js';
import { expectOneLineError, folder, noisePng, rejects, ROOT, runCli, tried, useScratch } from '../hostile.js';

useScratch('input-file.test.ts');

describe('an input swapped for a FIFO while it is being opened', () => {
  it('never hangs: 300 decodes while another process swaps the path between an image and a FIFO each end in a result or ERR_INPUT_NOT_FILE', async () => {
    tried(300);
    const dir = await folder();
    await writeFile(path.join(dir, 'real.png'), await noisePng(4, 4, 1));
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    await copyFile(path.join(dir, 'real.png'), path.join(dir, 'in.png'));
    // Swaps atomically (a hard link renamed over the path), as fast as it can, until killed.
    const swapper = spawn(process.execPath, ['-e', `
const { linkSync, renameSync, rmSync } = require('node:fs');
const dir = ${JSON.stringify(dir)};
for (let i = 0; ; i++) {
  try { rmSync(dir + '/tmp', { force: true }); linkSync(dir + (i % 2 ? '/pipe' : '/real.png'), dir + '/tmp'); renameSync(dir + '/tmp', dir + '/in.png'); } catch {}
}`], { stdio: 'ignore' });
    const reader = `
const { decodeImage } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'io', 'decode.js'))});
const outcomes = {};
for (let i = 0; i < 300; i++) {
  const key = await decodeImage(${JSON.stringify(path.join(dir, 'in.png'))}).then(() => 'decoded', (e) => e.code ?? e.message);
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}
console.log(JSON.stringify(outcomes));`;
    try {
      // The old code (stat, then read by path) blocked forever in open() on a FIFO: the timeout is the failure.
      const result = await new Promise<{ error: Error | null; stdout: string }>((resolve) => {
        execFile(process.execPath, ['--input-type=module', '-e', reader], { timeout: 45_000, encoding: 'utf8' }, (error, stdout) => resolve({ error, stdout }));
      });
      expect(result.error, 'the reader finished (a hang is killed at 45 s)').toBeNull();
      const outcomes = JSON.parse(result.stdout) as Record<string, number>;
      console.log(`input race outcomes: ${result.stdout.trim()}`);
      expect(Object.keys(outcomes).filter((k) => k !== 'decoded' && k !== 'ERR_INPUT_NOT_FILE'), result.stdout).toEqual([]);
    } finally {
      swapper.kill('SIGKILL');
    }
  }, 60_000);

  it('a FIFO given as the input is refused at once (ERR_INPUT_NOT_FILE), with no writer on its other end', async () => {
    tried();
    const dir = await folder();
    const fifo = path.join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    await rejects(decodeImage(fifo), 'ERR_INPUT_NOT_FILE', JSON.stringify(fifo), 'not a regular file');
  });
});

describe('an input file larger than the read limit', () => {
  it(`API: ERR_TOO_LARGE naming the size and the limit of ${MAX_INPUT_FILE_BYTES} bytes, from the file's size alone (a sparse file)`, async () => {
    tried(2);
    const dir = await folder();
    const file = path.join(dir, 'huge.png');
    await writeFile(file, await noisePng(4, 4, 2));
    await truncate(file, MAX_INPUT_FILE_BYTES + 1); // exactly 2 GiB: fs.readFile's old limit was one byte less
    await rejects(decodeImage(file), 'ERR_TOO_LARGE', JSON.stringify(file), String(MAX_INPUT_FILE_BYTES + 1), String(MAX_INPUT_FILE_BYTES), '2 GiB');
    await truncate(file, 3 * 2 ** 30);
    await rejects(decodeImage(file), 'ERR_TOO_LARGE', '3.00 GiB');
  });

  it('CLI: exit 1, one line saying ERR_TOO_LARGE\'s limit, not "check the path, its permissions, and the disk"', async () => {
    tried();
    const dir = await folder();
    const file = path.join(dir, 'huge.png');
    await writeFile(file, await noisePng(4, 4, 3));
    await truncate(file, 3 * 2 ** 30);
    const r = await runCli([file, '-k', '2', '-o', path.join(dir, 'out.png')]);
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(String(MAX_INPUT_FILE_BYTES));
    expect(r.stderr).not.toContain('permissions');
  });
});
