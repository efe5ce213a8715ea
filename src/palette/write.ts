/**
 * Palette files written: JSON (which `kmeans-seg apply --palette` reads back) and GIMP .gpl.
 * Invariant: what parse.ts reads is what is written here, colour for colour.
 */
import path from 'node:path';
import type { ColorSpace } from '../core/colorspace.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { checkOutputPath, type WriteOptions } from '../io/output-path.js';
import type { KMeansResult } from '../types.js';

export interface PaletteFileOptions {
  /** The space the result was clustered in; when given, the JSON also holds `colorSpace` and the exact `centroids` in that space. */
  colorSpace?: ColorSpace;
  /** GIMP palette name. Default "kmeans-seg k=<k>". */
  name?: string;
}

type Paletted = Pick<KMeansResult, 'k' | 'palette' | 'centroids'>;

/**
 * The palette as JSON: `{ k, palette: [{ hex, rgb, count, share }, ...] }`, plus `colorSpace` and
 * `centroids` when `colorSpace` is given. `kmeans-seg apply --palette` reads it back.
 */
export function paletteJSON(result: Paletted, options: PaletteFileOptions = {}): string {
  // Written by hand rather than JSON.stringify(doc, null, 2) so each colour stays on one line:
  // readable, and it diffs well. Every value still goes through JSON.stringify.
  const entry = ({ hex, rgb, count, share }: Paletted['palette'][number]): string =>
    `    { "hex": ${JSON.stringify(hex)}, "rgb": [${rgb.join(', ')}], "count": ${count}, "share": ${JSON.stringify(share)} }`;
  const lines = ['{', `  "k": ${result.k},`];
  if (options.colorSpace !== undefined) lines.push(`  "colorSpace": ${JSON.stringify(options.colorSpace)},`);
  lines.push('  "palette": [', result.palette.map(entry).join(',\n'), options.colorSpace === undefined ? '  ]' : '  ],');
  if (options.colorSpace !== undefined) {
    lines.push('  "centroids": [', result.centroids.map((c) => `    [${c.map((v) => JSON.stringify(v)).join(', ')}]`).join(',\n'), '  ]');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * The palette as a GIMP palette (.gpl): a "GIMP Palette" header, then one "R G B<TAB>name" line per
 * colour, named by its hex and share.
 */
export function paletteGPL(result: Paletted, options: PaletteFileOptions = {}): string {
  const name = (options.name ?? `kmeans-seg k=${result.k}`).replace(/[\r\n]+/g, ' ');
  const lines = ['GIMP Palette', `Name: ${name}`, `Columns: ${Math.min(result.k, 16)}`, '#'];
  for (const p of result.palette) {
    lines.push(`${p.rgb.map((v) => String(v).padStart(3)).join(' ')}\t${p.hex} ${(p.share * 100).toFixed(1)}%`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Write the palette to `file`: a GIMP palette when it ends in .gpl, JSON otherwise.
 *
 * @throws the errors of checkOutputPath; ERR_WRITE when the file cannot be written.
 */
export async function savePalette(result: Paletted, file: string, options: WriteOptions & PaletteFileOptions = {}): Promise<void> {
  await checkOutputPath(file, { ...options, what: 'palette' });
  const gpl = path.extname(file).toLowerCase() === '.gpl';
  const name = options.name ?? (options.inputPath ? `${path.basename(options.inputPath)} k=${result.k}` : undefined);
  const text = gpl ? paletteGPL(result, { ...options, name }) : paletteJSON(result, options);
  await writeFileAtomic(file, Buffer.from(text, 'utf8'));
}
