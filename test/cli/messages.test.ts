/**
 * Hardening II (issue 11), the CLI's messages: a closed stdout ends a command quietly, no message
 * carries a raw terminal escape, a mistyped command or a repeated flag is named, and a damaged file
 * is named for what it is. Each fails on main at 54ce481 (the note of issue 11 has the old output).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import type { ErrorCode } from '../../src/errors.js';
import { encodeImage } from '../../src/io/encode.js';
import { saveLabels } from '../../src/outputs/label-map.js';
import { saveMasks } from '../../src/outputs/masks.js';
import { BIN, ROOT, folder, noise, noisePng, pngChunk, rejects, runCli, runMain, expectOneLineError, scratch, tried, useScratch } from '../hostile.js';

useScratch('cli/messages.test.ts');

/** Control, invisible and line-breaking characters a terminal may act on. */
const UNPRINTABLE = /[\0-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
let input: string;
beforeAll(async () => {
  input = path.join(scratch(), 'in.png');
  await writeFile(input, await noisePng(16, 12, 4));
});

/**
 * The write end of a pipe whose read end is already closed: every write to it fails with EPIPE, as
 * after `| head -c 100` has read its fill and gone. A FIFO, so there is no race with the reader.
 */
function closedPipe(): number {
  const fifo = path.join(scratch(), `fifo-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  closeSync(reader);
  return writer;
}

function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const stdout = closedPipe();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', stdout, 'pipe'] });
  closeSync(stdout);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a closed stdout ends the command quietly (EPIPE)', () => {
  it('the main command with --json, and --help and --version of every command: exit 0, nothing on stderr', async () => {
    const dir = await folder();
    const runs = [
      [input, '-k', '3', '--json', '-o', path.join(dir, 'out.png')],
      ['--help'], ['--version'], ['sweep', '--help'], ['apply', '--help'], ['batch', '--help'],
    ];
    tried(runs.length);
    for (const args of runs) {
      // On 54ce481: Node's "Error: write EPIPE" stack trace on stderr, exit 1.
      const { code, stderr } = await runIntoClosedPipe(args);
      expect(stderr, args.join(' ')).toBe('');
      expect(code, args.join(' ')).toBe(0);
    }
    expect(existsSync(path.join(dir, 'out.png')), 'the work is done: the output is written').toBe(true);
  });
});

describe('no message carries a raw terminal escape', () => {
  const esc = '\x1b[2J\x1b]0;pwned\x07\u009b31m\u202e';

  it('a missing input, a missing palette (the "looked for" path), a bad .gpl line, a JSON snippet, a name in a flag', async () => {
    const dir = await folder();
    const gpl = path.join(dir, 'bad.gpl');
    await writeFile(gpl, `GIMP Palette\n1 2 3\n${esc} x\n`);
    const json = path.join(dir, 'bad.json');
    await writeFile(json, `zz${esc}`); // V8's "is not valid JSON" message quotes the text
    const runs: [string[], string][] = [
      [[path.join(dir, `no${esc}.png`), '-o', path.join(dir, 'o.png')], 'not found (looked for "'],
      [['apply', input, '--palette', path.join(dir, `no${esc}.json`), '-o', path.join(dir, 'o.png')], 'not found (looked for "'],
      [['apply', input, '--palette', gpl, '-o', path.join(dir, 'o.png')], 'line 3'],
      [['apply', input, '--palette', json, '-o', path.join(dir, 'o.png')], 'is not valid JSON'],
      [[input, '--backend', esc, '-o', path.join(dir, 'o.png')], 'Invalid value'],
      [[input, esc, '-o', path.join(dir, 'o.png')], 'Expected one input image'],
    ];
    tried(runs.length);
    for (const [args, mention] of runs) {
      // On 54ce481 the "looked for" path and V8's snippet went out raw: ESC[2J cleared the terminal.
      const { stderr } = await runMain(args);
      expectOneLineError(stderr);
      expect(stderr).toContain(mention);
      expect(stderr.trimEnd(), args.join(' ')).not.toMatch(UNPRINTABLE);
      expect(stderr).toContain('\\u001b[2J');
    }
  });

  it('the API\'s refusals of an output path: an existing image, a masks "folder" that is a file, a mask that exists', async () => {
    // On f440c4f these quoted the path with JSON.stringify, which leaves ESC and U+202E raw.
    const dir = path.join(await folder(), `out${esc}`);
    await mkdir(dir);
    const pixels = new Uint8Array(4 * 4 * 3).fill(200);
    const existing = path.join(dir, `taken${esc}.png`);
    await writeFile(existing, 'x');
    const result = await kmeans(noise(8, 6, 3), { k: 2, seed: 1 });
    await saveMasks(result, path.join(dir, 'masks'));
    const cases: [() => Promise<unknown>, ErrorCode, string][] = [
      [() => encodeImage(pixels, 4, 3, existing), 'ERR_OUTPUT_EXISTS', 'already exists'],
      [() => saveLabels(result, existing), 'ERR_OUTPUT_EXISTS', 'already exists'],
      [() => saveMasks(result, existing), 'ERR_OUTPUT_DIR', 'is a file, not a folder'],
      [() => saveMasks(result, path.join(dir, 'masks')), 'ERR_OUTPUT_EXISTS', 'already exists'],
    ];
    tried(cases.length);
    for (const [call, code, mention] of cases) {
      const { message } = await rejects(call(), code, mention, '\\u001b[2J', '\\u202e');
      expect(message).not.toMatch(UNPRINTABLE);
    }
  });
});

describe('a mistyped command is named', () => {
  it('swep, bach, aply: did you mean ...? (exit 2); a file of that name is still an image', async () => {
    const cases: [string, string][] = [['swep', 'sweep'], ['bach', 'batch'], ['aply', 'apply'], ['sweeps', 'sweep']];
    tried(cases.length + 1);
    for (const [typed, meant] of cases) {
      // On 54ce481: "Expected one input image but received 2" (or "Missing -o/--output").
      const run = await runMain([typed, input, '-k', '2']);
      expect(run.code).toBe(2);
      expectOneLineError(run.stderr);
      expect(run.stderr).toContain(`Unknown command "${typed}": did you mean kmeans-seg ${meant}?`);
    }
    const dir = await folder();
    await writeFile(path.join(dir, 'swep'), await noisePng(4, 4, 1));
    const run = await runCli(['swep', '-k', '2', '-o', 'out.png'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('a flag that takes a value is given once', () => {
  it('-o a.png -o b.png, -k 3 --k=4, --palette twice: exit 2, nothing written; a repeated switch is fine', async () => {
    const dir = await folder();
    const [a, b] = [path.join(dir, 'a.png'), path.join(dir, 'b.png')];
    const runs: [string[], string][] = [
      [[input, '-o', a, '-o', b], `-o/--output is given twice (${JSON.stringify(a)} and ${JSON.stringify(b)})`],
      [[input, '-k', '3', '--k=4', '-o', a], '-k/--k is given twice ("3" and "4")'],
      [[input, '-o', a, '--palette', path.join(dir, 'p.json'), '--palette', path.join(dir, 'q.json')], '--palette is given twice'],
      [['sweep', input, '-k', '2,3', '-o', a, '--output', b], '-o/--output is given twice'],
    ];
    tried(runs.length + 1);
    for (const [args, mention] of runs) {
      // On 54ce481 the last value silently won: b.png was written, exit 0.
      const run = await runMain(args);
      expect(run.code, run.stderr).toBe(2);
      expectOneLineError(run.stderr);
      expect(run.stderr).toContain(mention);
    }
    for (const f of [a, b, path.join(dir, 'p.json'), path.join(dir, 'q.json')]) expect(existsSync(f), f).toBe(false);
    const ok = await runMain([input, '-k', '2', '-o', a, '--force', '--force']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('a damaged file is named for what it is', () => {
  const ihdr = (width: number, height: number): Buffer => {
    const d = Buffer.alloc(13);
    d.writeUInt32BE(width, 0); d.writeUInt32BE(height, 4); d[8] = 8; d[9] = 2;
    return d;
  };
  const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  it('one byte 0x89, a PNG with bad CRCs, a PNG whose IHDR says 0 x 0', async () => {
    const dir = await folder();
    const badCrc = Buffer.concat([SIGNATURE, pngChunk('IHDR', ihdr(2, 2)), pngChunk('IDAT', deflateSync(Buffer.alloc(14))), pngChunk('IEND', Buffer.alloc(0))]);
    badCrc.writeUInt32BE(0xdeadbeef, 8 + 8 + 13); // IHDR's CRC
    const files: [string, Buffer, (string | RegExp)[], (string | RegExp)[]][] = [
      // On 54ce481: "is not an image kmeans-seg can read; it starts with text, not image data".
      ['one.png', Buffer.from([0x89]), ['is not an image kmeans-seg can read', 'only 1 byte long'], ['starts with text']],
      // On 54ce481: "could not be decoded as PNG (Unknown error)".
      ['crc.png', badCrc, ['could not be decoded as PNG', 'the CRC checksum of chunk IHDR at byte 8 does not match'], ['Unknown error']],
      // On 54ce481: "is not an image kmeans-seg can read (Input buffer has corrupt header:)".
      ['zero.png', Buffer.concat([SIGNATURE, pngChunk('IHDR', ihdr(0, 0)), pngChunk('IEND', Buffer.alloc(0))]), ['is a PNG file that cannot be read', 'gives a size of 0 x 0 pixels'], ['not an image', 'header:)']],
    ];
    tried(files.length);
    for (const [name, bytes, mentions, not] of files) {
      await writeFile(path.join(dir, name), bytes);
      const run = await runMain([path.join(dir, name), '-o', path.join(dir, 'out.png')]);
      expect(run.code, name).toBe(1);
      expectOneLineError(run.stderr);
      for (const m of mentions) expect(run.stderr, name).toContain(m);
      for (const m of not) expect(run.stderr, name).not.toContain(m);
    }
  });
});

describe('spatialWeight on the command line', () => {
  it('--spatial-weight 258 is refused naming 257 and why; 257 runs', async () => {
    tried(2);
    const dir = await folder();
    // On 54ce481 any finite weight ran, 1e20 to inertia Infinity and one-pixel clusters.
    const run = await runMain([input, '-k', '2', '--spatial-weight', '258', '-o', path.join(dir, 'o.png')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Invalid value "258" for --spatial-weight: expected a number from 0 to 257 (positions sit on a 1/256 grid in float32');
    const ok = await runMain([input, '-k', '2', '--spatial-weight', '257', '-o', path.join(dir, 'o.png')]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
