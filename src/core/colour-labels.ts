/**
 * What a run without positions knew of its colours (each distinct colour, its count and its label),
 * kept for the caller that asked, so the quality figures need no pass over the pixels. Invariant:
 * only a run whose image was asked for keeps anything, and only until it is handed over.
 */
import type { Labels, RGBAImage } from '../types.js';

/**
 * Every distinct visible colour of an original once: its key (keyOf), its pixel count and the label
 * its pixels got. Without positions a pixel's label is a function of its colour, so the figures are
 * sums over these, weighted by the counts: far fewer terms than the pixels of a photo.
 */
export interface ColourLabels {
  keys: Uint32Array;
  counts: Uint32Array;
  labels: Uint16Array | Uint32Array;
  /** Distinct colours: the first n entries of each array count. */
  n: number;
}

// Runs whose caller will want the quality figures (wantColours), and what fitKMeans knew of their
// colours when it ended (offerColours), keyed by the run's per-pixel labels (the one array a result
// and its copies share): qualityOfColours then needs no pass over the pixels. Only wanted runs are
// kept, so no other result holds on to its colours.
const wanted = new WeakSet<RGBAImage>();
const remembered = new WeakMap<Labels, ColourLabels>();

/** Ask the next run of kmeans on `image` to keep its colours for takeColours. */
export function wantColours(image: RGBAImage): void {
  wanted.add(image);
}

/** A run on `copy` (a roi's masked copy of `image`) keeps its colours when a run on `image` was asked to. */
export function passWanted(image: RGBAImage, copy: RGBAImage): void {
  if (wanted.delete(image)) wanted.add(copy);
}

/** For the K-means driver: the colours of a run on `image` without positions, kept when they were wanted. */
export function offerColours(image: RGBAImage, labels: Labels, colours: ColourLabels): void {
  if (!wanted.delete(image)) return;
  remembered.set(labels, colours);
}

/** The colours kept for the run whose labels are `labels` (see wantColours), if any, forgotten as they are handed over. */
export function takeColours(labels: Labels): ColourLabels | undefined {
  const colours = remembered.get(labels);
  remembered.delete(labels);
  return colours;
}
