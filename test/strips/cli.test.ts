/**
 * The main command on the strip path, run in this process from the sources: --strips true gives the
 * in-memory run's files, a non-PNG output is refused naming .png, an interlaced PNG goes to the
 * in-memory path with a warning, stdin is spooled, and the strip flags are checked.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { takeStripFlags } from '../../src/cli/strips.js';

let dir: string, input: string, interlaced: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-strips-cli-'));
  const width = 45, height = 31, data = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set([(p % width) * 5, Math.floor(p / width) * 8, (p * 7) & 255], p * 3);
  input = path.join(dir, 'in.png');
  interlaced = path.join(dir, 'interlaced.png');
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(input);
  await sharp(data, { raw: { width, height, channels: 3 } }).png({ progressive: true }).toFile(interlaced);
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

/** Run the CLI in this process; stdout and stderr captured. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => { out += String(c); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => { err += String(c); return true; });
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore(); e.mockRestore();
  }
}

describe('kmeans-seg --strips', () => {
  it('writes the files of the in-memory run, at 4 rows a strip', async () => {
    const f = (n: string): string => path.join(dir, n);
    const s = await cli([input, '-k', '6', '--strips', 'true', '--strip-rows', '4', '-o', f('s.png'), '--labels', f('s-l.png'), '--masks', f('s-m'), '--palette', f('s.json')]);
    expect(s.code, s.err).toBe(0);
    expect(s.out).toMatch(/strips of 4 rows/);
    const m = await cli([input, '-k', '6', '--strips', 'false', '-o', f('m.png'), '--labels', f('m-l.png'), '--masks', f('m-m'), '--palette', f('m.json')]);
    expect(m.code, m.err).toBe(0);
    expect(m.out).not.toMatch(/strips of/);
    for (const [a, b] of [['s.png', 'm.png'], ['s-l.png', 'm-l.png'], ['s-m/mask-05.png', 'm-m/mask-05.png']]) {
      expect((await readFile(f(a!))).equals(await readFile(f(b!))), a).toBe(true);
    }
    expect(JSON.parse(await readFile(f('s.json'), 'utf8')).palette).toEqual(JSON.parse(await readFile(f('m.json'), 'utf8')).palette);
  });

  it('refuses a JPEG output on the strip path, naming .png, and writes nothing', async () => {
    const r = await cli([input, '--strips', 'true', '-o', path.join(dir, 'x.jpg'), '--labels', path.join(dir, 'x-l.png')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/PNG only.*\.png/);
    expect((await readdir(dir)).filter((n) => n.startsWith('x'))).toEqual([]);
  });

  it('reads an interlaced PNG in memory, with a warning', async () => {
    const r = await cli([interlaced, '--strips', 'true', '-o', path.join(dir, 'i.png')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/read in memory, not in strips: it is an interlaced PNG/);
  });

  it('spools standard input to a file for the two passes', async () => {
    const stdin = Object.defineProperty(Readable.from([await readFile(input)]), 'isTTY', { value: false });
    const spy = vi.spyOn(process, 'stdin', 'get').mockReturnValue(stdin as unknown as typeof process.stdin);
    try {
      const r = await cli(['-', '-k', '6', '--strips', 'true', '--labels', path.join(dir, 'stdin-l.png')]);
      expect(r.code, r.err).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect((await readFile(path.join(dir, 'stdin-l.png'))).equals(await readFile(path.join(dir, 's-l.png')))).toBe(true);
  });

  it('takes --strips and --strip-rows in both spellings, and checks them', () => {
    expect(takeStripFlags(['a.png', '--strips=true', '--strip-rows', '9', '-o', 'b.png'])).toEqual({ rest: ['a.png', '-o', 'b.png'], strips: true, stripRows: 9 });
    expect(takeStripFlags(['a.png'])).toMatchObject({ strips: 'auto', stripRows: 256 });
    expect(() => takeStripFlags(['--strips', 'yes'])).toThrow(/--strips/);
    expect(() => takeStripFlags(['--strip-rows', '0'])).toThrow(/--strip-rows/);
  });
});
