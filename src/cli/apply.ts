/**
 * `kmeans-seg apply`: paint images with a fixed palette. `main` gets the arguments after the word
 * `apply` and returns the exit code: 0 done, 1 a file failed (read, decode, write) or the palette is
 * unreadable, 2 usage error. Results go to stdout; errors and warnings to stderr, one line each.
 * Flags, numbers and errors are read with cli.ts's helpers, as in every subcommand.
 */
import { promises as fs } from 'node:fs';
import { applyPalette, readPalette, type ApplyOptions } from '../palette/apply.js';
import { expandInputs, makeFolder, planOutputs } from '../batch/batch.js';
import { KMEANS_FLAGS, kmeansOptionsFrom, oneOf, parseCommandLine, reportError, UsageError, type FlagSpec, runCommand, stringFlag } from './main.js';
import { KMeansSegError } from '../errors.js';
import { checkOutputPath } from '../io/image-io.js';
import { DEFAULT_LIMIT_INPUT_PIXELS } from '../limits.js';

const USAGE = `Usage: kmeans-seg apply --palette <file> <input>... -o <output> [options]

Paint images with a fixed palette: every pixel takes its nearest palette colour (exactly as K-means
assigns pixels to centroids), so a batch of photos or the frames of a video share one set of colours.

  --palette <file>           the palette: JSON as "kmeans-seg <image> --palette FILE" writes, or a
                             GIMP palette (.gpl) (required)
  <input>...                 images to read: JPEG, PNG, WebP, AVIF, TIFF or GIF; a quoted pattern
                             such as 'frames/*.png' is expanded by kmeans-seg
  -o, --output <path>        one input: the image to write (.png, .jpg, .jpeg or .webp; its folder
                             must exist), or a folder; several inputs: a folder, created if missing,
                             that gets one output per input named after it (required)

Options:
  --color-space <space>      rgb, linear-rgb, lab or oklab: where "nearest" is measured (default: the
                             space the palette JSON records, else rgb). In the palette's own space its
                             exact centroids are used, so its source image gets the very same labels
  --format <format>          png (default), jpg or webp: the outputs' format when -o is a folder
  --backend <name>           auto (default), wasm or js: same result, different speed
  --threads <n>              threads for the wasm kernel, 1-32 (default: all cores); same result
  --limit-input-pixels <n>   refuse larger images (default ${DEFAULT_LIMIT_INPUT_PIXELS}); 0 for no limit
  --force                    overwrite existing outputs (checked for every output before any work)
  --json                     print a JSON summary per image on stdout
  --verbose                  print stack traces with errors
  -h, --help                 show this help

Exit codes: 0 done, 1 failed (palette, read, decode, write), 2 usage error.

Examples:
  kmeans-seg frame-0001.png -k 8 -o key.png --palette palette.json
  kmeans-seg apply --palette palette.json frames/*.png -o out/
`;

const { 'color-space': colorSpace, backend, threads, 'limit-input-pixels': limit, force, json, verbose, help } = KMEANS_FLAGS;
const OPTIONS: FlagSpec = {
  palette: { type: 'string' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  'color-space': colorSpace, backend, threads, 'limit-input-pixels': limit, force, json, verbose, help,
};

const FORMATS = ['png', 'jpg', 'jpeg', 'webp'] as const;

export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, 'kmeans-seg apply');
  const text = (name: string): string | undefined => stringFlag(values, name);
  const paletteFile = text('palette'), output = text('output'), formatText = text('format');
  if (paletteFile === undefined || paletteFile === '') {
    throw new UsageError('Missing --palette: pass the palette to apply, e.g. --palette palette.json (kmeans-seg <image> --palette FILE writes one)');
  }
  if (positionals.length === 0) throw new UsageError('Missing the input images: usage: kmeans-seg apply --palette <file> <input>... -o <output>');
  if (output === undefined || output === '') {
    throw new UsageError('Missing -o/--output: pass the image to write for one input, or a folder, e.g. -o out/');
  }
  // The flags apply shares with the other commands, read the same way (the rest are not in OPTIONS).
  const { colorSpace, backend, threads, limitInputPixels } = kmeansOptionsFrom(values);
  const options: ApplyOptions = { colorSpace, backend, threads, limitInputPixels };
  const format = formatText === undefined ? 'png' : oneOf('--format', formatText, FORMATS);
  const force = values.force === true;

  // Everything that can fail for the whole command is checked before the first image is read:
  // the palette, the inputs, every output.
  const palette = await readPalette(paletteFile);
  const inputs = await expandInputs(positionals);
  const outStat = await fs.stat(output).catch(() => undefined);
  const toFolder = inputs.length > 1 || /[\\/]$/.test(output) || outStat?.isDirectory() === true;
  let outputs: string[];
  if (toFolder) {
    if (inputs.length > 1 && outStat === undefined && /\.(png|jpe?g|webp)$/i.test(output)) {
      throw new UsageError(`-o ${JSON.stringify(output)} names an image, but ${inputs.length} inputs need a folder: pass a folder, e.g. -o ${JSON.stringify(output.replace(/\.[^.]+$/, '') + '/')}`);
    }
    outputs = await planOutputs(inputs, output, `.${format}`);
    await makeFolder(output);
  } else {
    if (formatText !== undefined) throw new UsageError(`--format applies when -o is a folder; for one output file the extension of -o (${JSON.stringify(output)}) sets the format`);
    outputs = [output];
  }
  for (let i = 0; i < inputs.length; i++) await checkOutputPath(outputs[i]!, { force, inputPath: inputs[i] });

  let failed = 0;
  const warned = new Set<string>();
  const summaries: object[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!, out = outputs[i]!;
    const t0 = performance.now();
    try {
      const result = await applyPalette(input, palette, options);
      await result.save(out, { force });
      const ms = performance.now() - t0;
      for (const w of result.warnings) if (!warned.has(w)) { warned.add(w); process.stderr.write(`kmeans-seg: warning: ${w}\n`); }
      if (values.json) {
        summaries.push({
          input, output: out, width: result.width, height: result.height, k: result.k, colorSpace: result.colorSpace, exactCentroids: result.exactCentroids,
          palette: result.palette.map((p) => ({ hex: p.hex, share: p.share, count: p.count })),
          inertia: result.inertia, backend: result.backend, ms: Math.round(ms * 100) / 100,
        });
      } else {
        process.stdout.write(`${input} -> ${out}: ${result.width}x${result.height}, ${result.k} colour${result.k === 1 ? '' : 's'}, ${result.backend}, ${Math.round(ms)} ms\n`);
        if (inputs.length === 1) {
          process.stdout.write(result.palette.map((p) => `  ${p.hex}  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.count} px\n`).join(''));
        }
      }
    } catch (error) {
      failed++;
      if (values.json) summaries.push({ input, output: out, error: { code: error instanceof KMeansSegError ? error.code : null, message: (error as Error).message } });
      reportError(error, values.verbose === true);
    }
  }
  if (values.json) process.stdout.write(JSON.stringify(summaries, null, 2) + '\n');
  if (failed > 0 && inputs.length > 1) process.stderr.write(`kmeans-seg: error: ${failed} of ${inputs.length} images failed (see above)\n`);
  return failed > 0 ? 1 : 0;
}


