/**
 * The main command in a shell pipeline, spawned as a user runs it: `-` reads stdin, `-o -` and
 * `--palette -` write stdout (the summary then goes to stderr), at most one output is `-`, a failed
 * run writes nothing to stdout, a closed stdout (EPIPE) stays quiet, and --quiet prints nothing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePalette } from '../../src/palette/parse.js';
import { BIN, ROOT, folder, scratch, tried, useScratch } from '../hostile.js';

useScratch('cli/pipes.test.ts');

let dir: string;
let photo: string;
beforeAll(async () => {
  dir = await folder();
  photo = path.join(dir, 'a.png');
  const width = 48, height = 32;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i % 3) * 90 + Math.floor(i / 97) * 13) & 255;
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(photo);
});

/** `sh -c line` in `dir`: what a user types. stdout as bytes. */
function shell(line: string): { code: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('sh', ['-c', line], { cwd: dir, env: { ...process.env, BIN }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('stdin and stdout', () => {
  it('cat a.png | kmeans-seg - -k 8 -o - > b.png: the same bytes as a file run, the summary on stderr', async () => {
    const piped = shell('cat a.png | node "$BIN" - -k 8 -o - > b.png');
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/^stdin -> stdout: 48x32, 8 colours/);
    const file = shell('node "$BIN" a.png -k 8 -o c.png');
    expect(file.code, file.stderr).toBe(0);
    expect((await readFile(path.join(dir, 'b.png'))).equals(await readFile(path.join(dir, 'c.png')))).toBe(true);
  });

  it('--format webp and jpeg on stdout; webp holds the file run\'s pixels', async () => {
    const webp = shell('node "$BIN" - -k 4 -o - --format webp < a.png');
    expect(webp.code, webp.stderr).toBe(0);
    expect((await sharp(webp.stdout).metadata()).format).toBe('webp');
    shell('node "$BIN" a.png -k 4 -o ref.png');
    const [a, b] = await Promise.all([webp.stdout, path.join(dir, 'ref.png')].map((s) => sharp(s).ensureAlpha().raw().toBuffer()));
    expect(a!.equals(b!)).toBe(true);
    const jpeg = shell('node "$BIN" a.png -k 4 -o - --format jpg');
    expect((await sharp(jpeg.stdout).metadata()).format).toBe('jpeg');
  });

  it('--palette - prints the JSON (exact centroids, the run\'s colour space) or, with --palette-format gpl, GIMP', () => {
    const json = shell('node "$BIN" - -k 5 --color-space oklab --palette - -o out.png < a.png');
    expect(json.code, json.stderr).toBe(0);
    const palette = parsePalette(json.stdout.toString());
    expect(palette.colorSpace).toBe('oklab');
    expect(palette.centroids).toHaveLength(5);
    expect(json.stderr).toContain('palette -> stdout');
    const gpl = shell('node "$BIN" a.png -k 3 --palette - --palette-format gpl');
    expect(gpl.code, gpl.stderr).toBe(0);
    expect(gpl.stdout.toString()).toMatch(/^GIMP Palette\nName: a\.png k=3\n/);
  });

  it('usage errors: two outputs on stdout, --json beside one, an output that cannot be -, --format without -o -, --quiet with --json', () => {
    const runs: [string, string][] = [
      ['node "$BIN" a.png -o - --palette -', 'at most one output may be -'],
      ['node "$BIN" a.png -o - --json', 'drop --json'],
      ['node "$BIN" a.png --labels -', 'only -o and --palette write to stdout'],
      ['node "$BIN" a.png -o x.png --format webp', 'takes its format from its extension'],
      ['node "$BIN" a.png --palette p.json --palette-format gpl', 'takes its format from its extension'],
      ['node "$BIN" a.png -o - --format gif', 'expected png, webp or jpeg'],
      ['node "$BIN" a.png -o x.png -q --json', 'contradict'],
    ];
    tried(runs.length);
    for (const [line, text] of runs) {
      const r = shell(line);
      expect(r.code, line).toBe(2);
      expect(r.stderr, line).toContain(text);
      expect(r.stdout.length, line).toBe(0);
    }
  });

  it('a failed run writes nothing to stdout: not an image on stdin, an empty stdin', () => {
    for (const line of ['echo hello | node "$BIN" - -o -', 'node "$BIN" - -o - < /dev/null']) {
      const r = shell(line);
      expect(r.code, line).toBe(1);
      expect(r.stdout.length, line).toBe(0);
      expect(r.stderr, line).toMatch(/Standard input (is empty|.*not)/);
    }
    tried(2);
  });

  it('kmeans-seg sweep - reads stdin too', async () => {
    const r = shell('cat a.png | node "$BIN" sweep - -k 2,4 -o sheet.png');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/^stdin: 48x32, K = 2, 4/);
    expect((await sharp(path.join(dir, 'sheet.png')).metadata()).format).toBe('png');
  });

  it('two inputs, or a quoted glob, point to kmeans-seg batch', () => {
    for (const line of ['node "$BIN" a.png a.png -o x.png', `node "$BIN" '*.png' -o x.png`, `node "$BIN" sweep 'in/*.jpg' -k 2,3 -o s.png`]) {
      const r = shell(line);
      expect(r.code, line).toBe(2);
      expect(r.stderr, line).toContain('kmeans-seg batch');
    }
    tried(3);
  });

  it('--quiet / -q prints nothing, on either stream, and still writes the output', async () => {
    const r = shell('node "$BIN" a.png -k 300 -q -o q.png');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(''); // not even the "k reduced" warning
    expect(r.stdout.length).toBe(0);
    expect((await sharp(path.join(dir, 'q.png')).metadata()).format).toBe('png');
  });

  it('-o - into a closed pipe (| head -c 10 gone): exit 0, nothing on stderr', async () => {
    const fifo = path.join(scratch(), 'fifo-pipes');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    const child = spawn(process.execPath, [BIN, photo, '-k', '3', '-o', '-'], { cwd: ROOT, stdio: ['ignore', writer, 'pipe'] });
    closeSync(writer);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const code = await new Promise((resolve) => child.on('close', resolve));
    // The summary goes to stderr as ever; no EPIPE error or stack.
    expect(stderr).not.toMatch(/EPIPE|error/i);
    expect(code).toBe(0);
  });
});
