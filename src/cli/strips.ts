/**
 * The main command on the strip path (--strips, --strip-rows; docs/huge-images.md): chosen before
 * the in-memory path decodes anything. Invariant: a run the strip path cannot do exactly goes to the
 * in-memory path when it fits, else fails with a typed error, and every check runs before pass 1.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants as bufferConstants } from 'node:buffer';
import { resolveOptions } from '../core/options.js';
import { KMeansSegError } from '../errors.js';
import { resolveLimitInputPixels } from '../io/decode.js';
import { resolvePngColors } from '../io/encode.js';
import { checkStripLimit, checkStripOutputs } from '../io/strips/api.js';
import { checkStripOptions } from '../io/strips/cluster.js';
import { runStrips, type StripOutputs, type StripRun } from '../io/strips/pipeline.js';
import { openStripSource, readMeta, stripRefusal } from '../io/strips/source.js';
import { guardTemp } from '../io/temp-guard.js';
import { DEFAULT_STRIP_ROWS, STRIP_THRESHOLD_PIXELS } from '../limits.js';
import { quote } from '../validate.js';
import { optionValue } from './flags.js';
import { optionLines } from './help.js';
import { ms, paletteJSON, paletteLines, plural, qualityJSON, qualityLine, warn, writeOut } from './report.js';
import { RunProgressView } from './run-progress.js';
import type { parseSegmentCommand } from './segment.js';

/** The strip flags' lines of the main command's --help. */
export const STRIP_HELP = optionLines(['strips', 'stripRows']);

type Command = ReturnType<typeof parseSegmentCommand>;

/** --strips and --strip-rows taken out of argv (both `--flag v` and `--flag=v`), their values checked. */
export function takeStripFlags(argv: readonly string[]): { rest: string[]; strips: 'auto' | boolean; stripRows: number } {
  const rest: string[] = [];
  const found: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(strips|strip-rows)(?:=(.*))?$/.exec(a);
    if (m === null || argv.includes('--')) { rest.push(a); continue; }
    found[m[1]!] = m[2] ?? argv[++i] ?? '';
  }
  const strips = found.strips === undefined ? 'auto' : optionValue('strips', found.strips) as 'auto' | boolean;
  const stripRows = found['strip-rows'] === undefined ? DEFAULT_STRIP_ROWS : optionValue('stripRows', found['strip-rows']) as number;
  return { rest, strips, stripRows };
}

/**
 * Run the main command on the strip path when --strips (or, by default, the input's size) asks for
 * it: returns the exit code, or the argv for the in-memory path (the strip flags taken out). `parse`
 * is the main command's parser (passed in: segment.ts imports this file).
 * @throws {UsageError} or a KMeansSegError, as runSegment.
 */
export async function stripCommand(argv: string[], parse: typeof parseSegmentCommand): Promise<{ code: number } | { argv: string[] }> {
  if (argv.includes('-h') || argv.includes('--help') || argv.includes('--version')) return { argv };
  const { rest, strips, stripRows } = takeStripFlags(argv);
  if (strips === false) return { argv: rest };
  const cmd = parse(rest);
  if (cmd.stdio.stdin && strips !== true) return { argv: rest }; // the size is unknown until read: --strips true spools it
  const spooled = cmd.stdio.stdin ? await spoolStdin() : undefined;
  try {
    const file = spooled?.file ?? cmd.input;
    const name = cmd.stdio.stdin ? 'Standard input' : `Input file ${quote(cmd.input)}`;
    // A file sharp cannot open (missing, a folder, not an image): the in-memory path names the problem.
    const meta = await readMeta(file, name).catch(() => undefined);
    if (meta === undefined && spooled === undefined) return { argv: rest };
    if (meta === undefined) throw new KMeansSegError('ERR_DECODE', 'Standard input is not an image sharp can read: pipe a JPEG, PNG, TIFF, WebP or GIF');
    const pixels = (meta.width ?? 0) * (meta.height ?? 0);
    if (strips === 'auto' && pixels <= STRIP_THRESHOLD_PIXELS) return { argv: rest };
    const refusal = stripRefusal(meta);
    if (refusal !== undefined) {
      if (spooled === undefined && pixels * 4 <= bufferConstants.MAX_LENGTH) {
        if (!cmd.stdio.quiet) warn(`${name} is read in memory, not in strips: ${refusal}`);
        return { argv: rest };
      }
      const why = spooled === undefined ? `and its ${pixels} pixels do not fit in memory` : 'and standard input is read once';
      throw new KMeansSegError('ERR_TOO_LARGE', `${name} cannot be read in strips (${refusal}), ${why}: convert it to a non-interlaced 8-bit sRGB PNG first${spooled === undefined ? '' : ', or leave out --strips true'}`);
    }
    // Above the threshold on its own account, a run the strip path cannot do (a JPEG output, regions,
    // ...) that fits in memory runs there; with --strips true, or when it does not fit, its error stands.
    if (strips === 'auto' && spooled === undefined && pixels * 4 <= bufferConstants.MAX_LENGTH &&
        (await checkStripRun(cmd, pixels, name).then(() => false, () => true))) return { argv: rest };
    return { code: await runStripPath(cmd, file, name, meta, pixels, stripRows) };
  } finally {
    await spooled?.remove();
  }
}

/** Standard input copied to a temporary file, which the strip path reads twice. */
async function spoolStdin(): Promise<{ file: string; remove: () => Promise<void> }> {
  const file = path.join(os.tmpdir(), `kmeans-seg-stdin-${process.pid}-${randomBytes(6).toString('hex')}`);
  const release = guardTemp(file); // a file, not a folder: the signal handlers can remove it
  const remove = async (): Promise<void> => { await fs.rm(file, { force: true }).catch(() => undefined); release(); };
  try {
    await pipeline(process.stdin, createWriteStream(file));
  } catch (error) {
    await remove();
    throw new KMeansSegError('ERR_READ', `Could not read standard input into ${quote(file)}: ${String(error)}`, { cause: error });
  }
  return { file, remove };
}

/** Every check the strip path needs before pass 1: options, PNG-only outputs, paths. */
async function checkStripRun(cmd: Command, pixels: number, name: string): Promise<{ outputs: StripOutputs; resolved: ReturnType<typeof resolveOptions> }> {
  const { limitInputPixels, pngColors: _png, ...kmeansOptions } = cmd.options;
  const resolved = resolveOptions(kmeansOptions);
  checkStripOptions(resolved);
  checkStripLimit(pixels, resolveLimitInputPixels(limitInputPixels), name);
  const { outputs, check } = cmd;
  if (cmd.stdio.stdout !== undefined) throw new KMeansSegError('ERR_OUTPUT_FORMAT', 'The strip path writes files, not stdout: pass -o file.png (or --strips false if the image fits in memory)');
  if (outputs.regions !== undefined || outputs['region-map'] !== undefined || cmd.outlineRegions) {
    throw new KMeansSegError('ERR_INVALID_OPTION', 'The strip path does not compute regions (--regions, --region-map, --overlay-regions): leave them out, or pass --strips false');
  }
  await checkStripOutputs(outputs, check);
  return { outputs: { output: outputs.output, labels: outputs.labels, masks: outputs.masks, palette: outputs.palette, overlay: outputs.overlay }, resolved };
}

async function runStripPath(cmd: Command, file: string, name: string, meta: Awaited<ReturnType<typeof readMeta>>, pixels: number, stripRows: number): Promise<number> {
  const t0 = performance.now();
  const { outputs, resolved } = await checkStripRun(cmd, pixels, name);
  const progress = new RunProgressView(process.stderr, { silent: cmd.json || cmd.stdio.quiet });
  const run = await progress.during('decode', async () => {
    const source = await openStripSource(file, meta, name, false);
    try {
      const onProgress = progress.enabled ? (p: Parameters<typeof progress.update>[0]) => progress.update(p) : undefined;
      return await runStrips(source, { ...resolved, onProgress }, outputs, {
        stripRows, pngColors: resolvePngColors(cmd.options.pngColors), borderColor: cmd.borderColor, onProgress, force: cmd.check.force, inputPath: cmd.check.inputPath,
      });
    } finally {
      await source.close();
    }
  });
  if (cmd.stdio.quiet) return 0;
  for (const warning of run.result.warnings) warn(warning);
  const total = performance.now() - t0;
  writeOut(cmd.json ? summaryJSON(cmd, run, run.stripRows, total) : summaryText(cmd, run, run.stripRows, total));
  return 0;
}

function summaryText(cmd: Command, run: StripRun, stripRows: number, total: number): string {
  const { result } = run;
  const { outputs } = cmd;
  const written = [
    outputs.labels && `  labels  -> ${outputs.labels}\n`,
    run.masks && `  masks   -> ${run.masks[0]} ... ${path.basename(run.masks.at(-1)!)} (${run.masks.length})\n`,
    outputs.palette && `  palette -> ${outputs.palette}\n`,
    outputs.overlay && `  overlay -> ${outputs.overlay}\n`,
  ].filter(Boolean).join('');
  return `${cmd.stdio.stdin ? 'stdin' : cmd.input}${outputs.output !== undefined ? ` -> ${outputs.output}` : ''}: ${result.width}x${result.height}, ` +
    `${plural(result.k, 'colour')}, ${plural(result.iterations, 'iteration')} (${result.converged ? 'converged' : 'not converged: raise --max-iter'}), ` +
    `${result.backend}, strips of ${plural(stripRows, 'row')}, ${Math.round(total)} ms\n` + paletteLines(result.palette) + `  ${qualityLine(run.quality)}\n` + written;
}

function summaryJSON(cmd: Command, run: StripRun, stripRows: number, total: number): string {
  const { result } = run;
  const { outputs } = cmd;
  return JSON.stringify({
    input: cmd.input, output: outputs.output ?? null, width: result.width, height: result.height, k: result.k,
    palette: paletteJSON(result.palette), inertia: result.inertia, iterations: result.iterations, converged: result.converged,
    attempts: cmd.options.attempts ?? 1, attempt: result.attempt, backend: result.backend, warnings: result.warnings,
    colorSpace: result.colorSpace, quality: qualityJSON(run.quality), strips: { rows: stripRows },
    outputs: { labels: outputs.labels ?? null, masks: run.masks ?? null, palette: outputs.palette ?? null, overlay: outputs.overlay ?? null },
    timings: { pass1: ms(run.timings.pass1), cluster: ms(run.timings.cluster), pass2: ms(run.timings.pass2), total: ms(total) },
  }, null, 2) + '\n';
}
