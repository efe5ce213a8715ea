/**
 * The command line's side of a region of interest and dithering: the table options the commands
 * take, the mask file read with the other checks (before the input), and the summary's fields.
 */
import type { OptionName } from '../core/option-table.js';
import { resolveLimitInputPixels } from '../io/decode.js';
import { loadRoi } from '../io/roi-file.js';
import type { SegmentOptions } from '../segment.js';

export { keptOutside, roiQualityImage } from '../core/roi.js';

/** The roi and dither flags of the main command, apply and batch, in the order their help lists them. */
export const ROI_DITHER_OPTIONS: readonly OptionName[] = ['roi', 'roiOutside', 'dither', 'serpentine', 'ditherStrength'];

/**
 * `--roi FILE`: the mask decoded now, with the other checks, so a missing or bad mask fails before
 * the input is read. Returns the options, the mask as pixels.
 * @throws those of decodeImage, "roi mask: " in front.
 */
export async function withRoiMask<T extends Pick<SegmentOptions, 'roi' | 'limitInputPixels'>>(options: T): Promise<T> {
  if (options.roi !== undefined) options.roi = await loadRoi(options.roi, resolveLimitInputPixels(options.limitInputPixels));
  return options;
}

/** The summary's fields: the dithering, and the mask's inside pixels (the quality figures count only them). */
export function roiDitherJSON(options: SegmentOptions): { dither: string; roiOutside?: string } {
  const dither = options.dither ?? 'none';
  return options.roi === undefined ? { dither } : { dither, roiOutside: options.roiOutside ?? 'keep' };
}

/** The text summary's lines for them, '' when neither is used: the figures above them are the dithered output's, over the mask's inside. */
export function roiDitherLines(options: SegmentOptions): string {
  const { dither = 'none', serpentine = true, ditherStrength = 1 } = options;
  const lines = [
    dither !== 'none' && `  dither: ${dither}${dither === 'floyd-steinberg' ? `${serpentine ? ', serpentine' : ''}, strength ${ditherStrength}` : ''} (the labels, counts and quality are the dithered output's)\n`,
    options.roi !== undefined && `  roi: the palette and quality figures count only the pixels inside the mask; outside ${options.roiOutside === 'transparent' ? 'made transparent' : 'kept as they were'}\n`,
  ];
  return lines.filter(Boolean).join('');
}
