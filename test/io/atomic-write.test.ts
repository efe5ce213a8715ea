/**
 * Nothing lost: no partial or temporary file after a read-only folder, a full disk or an interrupted
 * run (signals, kill), and the input is never touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { encodeImage } from '../../src/io/encode.js';
import { ROOT, BIN, tried, folder, rejects, solid, noise, noisePng, type Run, runCli, expectOneLineError, snapshotFolder, expectFolderUnchanged, tmpfs, readOnlyFolder, skipWith, scratch, useScratch } from '../hostile.js';

useScratch('atomic-write.test.ts');

// =============================================================================================
// 2. Nothing lost

describe('a read-only output folder', () => {
  it('API: ERR_WRITE naming the output and the cause; the folder and its files unchanged, even with force', async (ctx) => {
    const old = await solid(2, 2, '#000000').png().toBuffer();
    const ro = await readOnlyFolder({ 'keep.png': old });
    if ('skip' in ro) { skipWith(ro.skip); ctx.skip(); return; }
    tried(3);
    const before = await snapshotFolder(ro.dir);
    const pixels = noise(8, 8, 2).data;
    await rejects(encodeImage(pixels, 8, 8, path.join(ro.dir, 'new.png')), 'ERR_WRITE', JSON.stringify(path.join(ro.dir, 'new.png')), ro.errno);
    await rejects(encodeImage(pixels, 8, 8, path.join(ro.dir, 'keep.png'), { force: true }), 'ERR_WRITE', ro.errno);
    await rejects(writeFileAtomic(path.join(ro.dir, 'raw.bin'), Uint8Array.from([1, 2, 3])), 'ERR_WRITE', ro.errno, /write elsewhere/);
    await expectFolderUnchanged(ro.dir, before);
  });

  it('CLI: exit 1, one line naming the output and the cause', async (ctx) => {
    const ro = await readOnlyFolder({});
    if ('skip' in ro) { skipWith(ro.skip); ctx.skip(); return; }
    tried();
    const input = path.join(scratch(), 'ro-in.png');
    await writeFile(input, await noisePng(10, 10, 1));
    const out = path.join(ro.dir, 'out.png');
    const r = await runCli([input, '-k', '3', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(JSON.stringify(out));
    expect(r.stderr).toContain(ro.errno);
    expect(await readdir(ro.dir)).toEqual([]);
  });
});


describe('a full disk', () => {
  it('API on a 64 KiB tmpfs: ERR_WRITE (ENOSPC), no partial file, no temporary file; a small file still fits', async (ctx) => {
    const t = await tmpfs('64k');
    if ('skip' in t) { skipWith(`full-disk case: ${t.skip}`); ctx.skip(); return; }
    tried(2);
    const big = noise(200, 200, 7); // ~120 KB as PNG: cannot fit
    const out = path.join(t.dir, 'big.png');
    await rejects(encodeImage(big.data, 200, 200, out), 'ERR_WRITE', JSON.stringify(out), 'ENOSPC', 'disk (or your quota) is full');
    expect(await readdir(t.dir)).toEqual([]);
    // Replacing an existing file that fits with one that does not keeps the old file whole.
    const small = noise(4, 4, 1);
    await encodeImage(small.data, 4, 4, out);
    const kept = await readFile(out);
    await rejects(encodeImage(big.data, 200, 200, out, { force: true }), 'ERR_WRITE', 'ENOSPC');
    expect(await readFile(out)).toEqual(kept);
    expect(await readdir(t.dir)).toEqual(['big.png']);
  });

  it('CLI on a 64 KiB tmpfs: exit 1, one line, nothing left', async (ctx) => {
    const t = await tmpfs('64k');
    if ('skip' in t) { skipWith(`full-disk case: ${t.skip}`); ctx.skip(); return; }
    tried();
    const input = path.join(scratch(), 'full-in.png');
    await writeFile(input, await noisePng(200, 200, 8));
    const out = path.join(t.dir, 'out.png');
    // Truecolour: the indexed PNG of these 200 colours would fit in the 64 KiB.
    const r = await runCli([input, '-k', '200', '--init', 'random', '--max-iter', '1', '--png-colors', 'truecolour', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(JSON.stringify(out));
    expect(r.stderr).toContain('ENOSPC');
    expect(await readdir(t.dir)).toEqual([]);
  });

  it('CLI under a file-size limit (ulimit -f, no privileges needed): exit 1 (EFBIG), nothing left', async () => {
    tried();
    const dir = await folder();
    const input = path.join(dir, 'in.png');
    await writeFile(input, await noisePng(200, 200, 8));
    const before = await snapshotFolder(dir);
    // 16 blocks (8-16 KB depending on the shell) is more than the input but less than the output.
    const r = await runCli([input, '-k', '200', '--init', 'random', '--max-iter', '1', '-o', path.join(dir, 'out.png')], { shellPrefix: 'ulimit -f 16' });
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain('EFBIG');
    await expectFolderUnchanged(dir, before);
  });
});


describe('an interrupted run', () => {
  /** Spawn the CLI and resolve with how it ended; `onStart` and `onStderr` may kill it. */
  function spawnCli(
    args: string[], nodeArgs: string[],
    hooks: { onStart?: (child: ChildProcess) => void; onStderr?: (text: string, child: ChildProcess) => void },
  ): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; hooks.onStderr?.(stderr, child); });
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      hooks.onStart?.(child);
    });
  }

  /**
   * Loaded with --import into the CLI: holds every FileHandle.sync (the flush before the rename)
   * for a minute, after saying so on stderr, so a signal can be sent while the temporary file exists.
   */
  let stallPreload: string;
  beforeAll(async () => {
    stallPreload = path.join(scratch(), 'stall-sync.mjs');
    await writeFile(stallPreload, `
import { open } from 'node:fs/promises';
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
const proto = Object.getPrototypeOf(handle);
await handle.close();
proto.sync = function () {
  process.stderr.write('test-preload: sync stalled\\n');
  return new Promise(() => { setTimeout(() => {}, 60_000); });
};
`);
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} while the output is being written: the temporary file is removed and the process ends by ${signal}`, async () => {
      tried();
      const dir = await folder();
      const input = path.join(dir, 'in.png');
      await writeFile(input, await noisePng(40, 30, 5));
      let sawTemp = false;
      const r = await spawnCli([input, '-k', '4', '-o', path.join(dir, 'out.png')], ['--import', stallPreload], {
        onStderr: (text, child) => {
          if (!text.includes('test-preload: sync stalled') || child.killed) return;
          void readdir(dir).then((names) => {
            sawTemp = names.some((n) => /^\.out\.png\.[A-Za-z0-9_-]+\.\d+\.[0-9a-f]{12}\.tmp$/.test(n)); // .<name>.<host>.<pid>.<random>.tmp
            child.kill(signal);
          });
        },
      });
      expect(sawTemp, 'the temporary file existed when the signal was sent').toBe(true);
      expect(r.signal, r.stderr).toBe(signal);
      expect(await readdir(dir)).toEqual(['in.png']);
    });
  }

  it('process.exit() while writing (an embedding app): the temporary file is removed', async () => {
    tried();
    const dir = await folder();
    const script = path.join(dir, 'exit-mid-write.mjs');
    await writeFile(script, `
import { open } from 'node:fs/promises';
import { writeFileAtomic } from ${JSON.stringify(path.join(ROOT, 'dist', 'io', 'atomic-write.js'))};
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
Object.getPrototypeOf(handle).sync = function () { process.exit(3); };
await handle.close();
await writeFileAtomic(${JSON.stringify(path.join(dir, 'out.bin'))}, new Uint8Array(1000));
`);
    const r = await new Promise<{ code: number | null }>((resolve) => execFile(process.execPath, [script], (e) => resolve({ code: e ? (e as { code?: number }).code ?? null : 0 })));
    expect(r.code).toBe(3);
    expect(await readdir(dir)).toEqual(['exit-mid-write.mjs']);
  });

  it("an application's own SIGINT listener keeps control: the write goes on and completes", async () => {
    tried();
    const dir = await folder();
    const script = path.join(dir, 'own-handler.mjs');
    await writeFile(script, `
import { open } from 'node:fs/promises';
import { writeFileAtomic } from ${JSON.stringify(path.join(ROOT, 'dist', 'io', 'atomic-write.js'))};
process.on('SIGINT', () => { process.stderr.write('app: SIGINT\\n'); });
const keepAlive = setInterval(() => {}, 1000); // signal listeners alone do not keep a process running
const handle = await open(${JSON.stringify(process.execPath)}, 'r');
const proto = Object.getPrototypeOf(handle);
const sync = proto.sync;
proto.sync = async function () {
  process.stderr.write('test: sync stalled\\n');
  await new Promise((r) => process.once('SIGINT', () => setTimeout(r, 50)));
  return sync.call(this);
};
await handle.close();
await writeFileAtomic(${JSON.stringify(path.join(dir, 'out.bin'))}, new Uint8Array(1000).fill(7));
clearInterval(keepAlive);
`);
    const r = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [script]);
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; if (stderr.includes('sync stalled') && !child.killed) child.kill('SIGINT'); });
      child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('app: SIGINT');
    expect((await readdir(dir)).sort()).toEqual(['out.bin', 'own-handler.mjs']);
    expect(await readFile(path.join(dir, 'out.bin'))).toEqual(Buffer.alloc(1000, 7));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} in the middle of clustering a larger image: no output, no temporary file`, async () => {
      tried();
      const dir = await folder();
      const input = path.join(dir, 'big.png');
      await writeFile(input, await noisePng(600, 600, 11));
      const before = await snapshotFolder(dir);
      // 360 000 distinct colours, K = 256, run until no label changes: many seconds of passes.
      const r = await spawnCli([input, '-k', '256', '--tolerance', '0', '--max-iter', '100000', '-o', path.join(dir, 'out.png')], [], {
        onStart: (child) => { setTimeout(() => child.kill(signal), 1500); },
      });
      expect(r.signal, `still running when the signal came (${r.stdout}${r.stderr})`).toBe(signal);
      await expectFolderUnchanged(dir, before);
    }, 30_000);
  }
});
