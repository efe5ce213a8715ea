/**
 * The quality target's figures at each K tried (PSNR and mean ΔE), cheap per K: each distinct
 * colour's OKLab is computed once for the whole search, so a K costs one square root per entry.
 * Invariant: the same arithmetic, in the same order, as qualityOfColours (core/quality.ts), so the
 * figures are bit for bit those it gives over the same entries.
 */
import { linearToOklab, srgbToLinear } from './colorspace.js';
import { pixelWords, slotOf, type Histogram } from './histogram.js';
import type { PaletteEntry, RGBAImage } from '../types.js';

export interface Figures { psnr: number; deltaE: number }

/**
 * The figures of a labelling, from `labels` (one per entry) and the palette the result will have.
 * Entries are the histogram's colours (weight: their counts) when the points are, else the visible
 * pixels in order (weight 1 each), whose labels need not follow their colour (positions, a sample).
 */
export function figuresOf(hist: Histogram, image: RGBAImage | null): (labels: ArrayLike<number>, palette: readonly PaletteEntry[]) => Figures {
  const lin = Float64Array.from({ length: 256 }, (_, c) => srgbToLinear(c));
  const { keys, counts, n } = hist;
  // OKLab x 100 of each colour, as qualityOfColours writes the formula out (before the palette's value is taken off).
  const lab = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const lr = lin[key & 255]!, lg = lin[(key >>> 8) & 255]!, lb = lin[key >>> 16]!;
    const l = Math.cbrt(0.4122214708 * lr + 0.5363325363 * lg + 0.0514459929 * lb);
    const m = Math.cbrt(0.2119034982 * lr + 0.6806995451 * lg + 0.1073969566 * lb);
    const s = Math.cbrt(0.0883024619 * lr + 0.2817188376 * lg + 0.6299787005 * lb);
    lab[i * 3] = (0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s) * 100;
    lab[i * 3 + 1] = (1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s) * 100;
    lab[i * 3 + 2] = (0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s) * 100;
  }
  const colourOf = image === null ? null : pointColours(image, hist);
  return (labels, palette) => {
    const rgb = Int32Array.from(palette.flatMap((p) => p.rgb));
    const paletteLab = new Float64Array(palette.length * 3);
    palette.forEach((p, j) => {
      const [L, a, b] = linearToOklab(lin[p.rgb[0]]!, lin[p.rgb[1]]!, lin[p.rgb[2]]!);
      paletteLab[j * 3] = L * 100; paletteLab[j * 3 + 1] = a * 100; paletteLab[j * 3 + 2] = b * 100;
    });
    let squared = 0, opaque = 0, sum = 0, lost = 0;
    const entries = colourOf === null ? n : colourOf.length;
    for (let e = 0; e < entries; e++) {
      const i = colourOf === null ? e : colourOf[e]!, w = colourOf === null ? counts[i]! : 1, j = labels[e]! * 3;
      const key = keys[i]!;
      const dr = (key & 255) - rgb[j]!, dg = ((key >>> 8) & 255) - rgb[j + 1]!, db = (key >>> 16) - rgb[j + 2]!;
      squared += (dr * dr + dg * dg + db * db) * w;
      opaque += w;
      const x = lab[i * 3]! - paletteLab[j]!, y = lab[i * 3 + 1]! - paletteLab[j + 1]!, z = lab[i * 3 + 2]! - paletteLab[j + 2]!;
      const term = Math.sqrt(x * x + y * y + z * z) * w, t = sum + term;
      lost += Math.abs(sum) >= Math.abs(term) ? (sum - t) + term : (term - t) + sum;
      sum = t;
    }
    const mse = squared / (3 * opaque);
    return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), deltaE: (sum + lost) / opaque };
  };
}

/** Each visible pixel's colour index in the histogram, in pixel order (the pixel path's points). */
function pointColours(image: RGBAImage, hist: Histogram): Uint32Array {
  const words = pixelWords(image.data, image.width * image.height);
  const out = new Uint32Array(hist.opaque);
  for (let p = 0, i = 0; p < words.length; p++) {
    const v = words[p]!;
    if (v >>> 24 !== 0) out[i++] = hist.table[slotOf(v & 0xffffff)]!;
  }
  return out;
}
