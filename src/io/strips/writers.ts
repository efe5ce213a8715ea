/**
 * The strip path's outputs, each a PNG streamed strip by strip (see PngStream): the segmented image,
 * the label map, the masks, the border overlay. Invariant: the decoded pixels are those of the
 * in-memory outputs, and the bytes too where both use the same encoder (label map, masks, an opaque
 * indexed image).
 */
import { paintRGB, paintRGBA } from '../../core/paint.js';
import type { PaletteEntry } from '../../types.js';
import { rows16 } from '../../outputs/label-map.js';
import { maskPlanes } from '../../outputs/masks.js';
import { indexedHeader, indexLabels } from '../png-indexed.js';
import { packRows, PngStream, type ByteSink } from '../png-writer.js';
import type { PngColors } from '../encode.js';

/** One strip of the image: its rows (RGBA, or RGB for an opaque image), their labels, and the labels of the row below it (none at the bottom). */
export interface Strip {
  rows: number;
  pixels: Uint8Array;
  /** Bytes a pixel: 4, or 3 (alpha 255). An image with alpha (hasAlpha) always has 4. */
  channels: 3 | 4;
  labels: Uint8Array | Uint16Array;
  below: Uint8Array | Uint16Array | undefined;
}

export interface StripWriter {
  push(strip: Strip): Promise<void>;
  end(): Promise<void>;
}

const IDENTITY = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Rows of `bytesPerRow` bytes, each led by filter byte 0. */
function withFilterBytes(bytes: Uint8Array, bytesPerRow: number, rows: number): Uint8Array {
  const out = new Uint8Array((bytesPerRow + 1) * rows);
  for (let y = 0; y < rows; y++) out.set(bytes.subarray(y * bytesPerRow, (y + 1) * bytesPerRow), y * (bytesPerRow + 1) + 1);
  return out;
}

/** What the segmented image's writer needs of the clustering. */
export interface Recolour { width: number; height: number; k: number; palette: readonly PaletteEntry[]; hasAlpha: boolean; pngColors: PngColors }

/**
 * The segmented image: indexed as encodeSegmented writes it when opaque with at most 256 colours
 * (the same bytes), else truecolour RGB, or RGBA when the image has alpha (the indexed file of a
 * translucent image depends on which alphas occur: the same pixels, not the same bytes).
 */
export function recolourWriter(r: Recolour, sink: ByteSink, file: string): StripWriter {
  const ix = !r.hasAlpha && r.pngColors === 'auto' ? indexLabels(new Uint8Array(0), r.k, r.palette, null) : null;
  if (ix !== null) {
    const header = indexedHeader(ix.words, r.width, r.height);
    const stream = new PngStream(header, sink, file);
    return {
      push: (s) => stream.push(packRows(s.labels, ix.map, r.width, s.rows, header.depth as 1 | 2 | 4 | 8)),
      end: () => stream.end(),
    };
  }
  const channels = r.hasAlpha ? 4 : 3;
  const stream = new PngStream({ width: r.width, height: r.height, depth: 8, colorType: r.hasAlpha ? 6 : 2 }, sink, file);
  return {
    push: (s) => {
      const out = new Uint8Array(s.labels.length * channels);
      if (r.hasAlpha) paintRGBA(out, s.labels, r.palette, r.k, s.pixels);
      else paintRGB(out, s.labels, r.palette);
      return stream.push(withFilterBytes(out, r.width * channels, s.rows));
    },
    end: () => stream.end(),
  };
}

/** The label map, as labelsPNG writes it: 8-bit grey for u8 labels, else 16-bit. */
export function labelWriter(width: number, height: number, wide: boolean, sink: ByteSink): StripWriter {
  const stream = new PngStream({ width, height, depth: wide ? 16 : 8, colorType: 0 }, sink, 'the label map');
  return {
    push: (s) => stream.push(s.labels instanceof Uint16Array ? rows16(s.labels, width, s.rows) : packRows(s.labels, IDENTITY, width, s.rows, 8)),
    end: () => stream.end(),
  };
}

/** One 1-bit mask per label, as masksPNG writes them: every mask's stream is open at once. */
export function maskWriter(width: number, height: number, k: number, sinks: readonly ByteSink[]): StripWriter {
  const streams = sinks.map((sink, j) => new PngStream({ width, height, depth: 1, colorType: 0 }, sink, `mask ${j}`));
  return {
    push: async (s) => {
      const planes = maskPlanes(s.labels, width, s.rows, 0, k);
      await Promise.all(planes.map((plane, j) => streams[j]!.push(plane)));
    },
    end: async () => { for (const stream of streams) await stream.end(); },
  };
}

/**
 * The borders over the original, as overlayBorders draws them (a pixel is painted when its right or
 * lower neighbour has another label: the row below the strip is `below`), in RGB, or RGBA when the
 * image has alpha (encodePixels drops an alpha that is all 255): the same pixels.
 */
export function overlayWriter(width: number, height: number, hasAlpha: boolean, color: readonly number[], sink: ByteSink, file: string): StripWriter {
  const channels = hasAlpha ? 4 : 3;
  const stream = new PngStream({ width, height, depth: 8, colorType: hasAlpha ? 6 : 2 }, sink, file);
  const [cr, cg, cb] = color as [number, number, number];
  return {
    push: (s) => {
      const { labels, below, pixels, rows } = s;
      const c = s.channels;
      const stride = width * channels + 1;
      const out = new Uint8Array(stride * rows);
      for (let y = 0, p = 0; y < rows; y++) {
        for (let x = 0, o = y * stride + 1; x < width; x++, p++, o += channels) {
          const l = labels[p];
          const down = y + 1 < rows ? labels[p + width] : below?.[x];
          const border = (x + 1 < width && labels[p + 1] !== l) || (down !== undefined && down !== l);
          if (border) { out[o] = cr; out[o + 1] = cg; out[o + 2] = cb; if (hasAlpha) out[o + 3] = 255; continue; }
          out[o] = pixels[p * c]!; out[o + 1] = pixels[p * c + 1]!; out[o + 2] = pixels[p * c + 2]!;
          if (hasAlpha) out[o + 3] = pixels[p * c + 3]!;
        }
      }
      return stream.push(out);
    },
    end: () => stream.end(),
  };
}
