// The two charts of a K sweep (distortion against K with its knee, cost per iteration) as SVG text,
// and their PNG rendering. Invariant: the same numbers always give the same SVG, byte for byte.
import type { Knee } from './knee.js';
import { loadSharp } from '../io/sharp.js';
import { checkHelperOptions, checkInteger, checkNumber, checkNumbers, invalidOption } from '../validate.js';

// The charts are SVG written by hand (a few dozen elements: axes, ticks, polylines, a legend), which
// needs no chart library, stays reproducible, and renders to PNG with the sharp (librsvg) the package
// already depends on, loaded on first use so that the SVG functions work without its native binary.
// Text uses DejaVu Sans, with sans-serif as the fallback.

/** @internal The font of every chart and of the contact sheet's captions. */
export const FONT = "DejaVu Sans, sans-serif";
/** Tableau 10: distinct on screen and in print, and still told apart by most colour-blind readers. */
const SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export interface ChartOptions {
  /** Width of the SVG in pixels, an integer 320-100000 (the plot needs room beside its axis labels and legend). Default 640. */
  width?: number;
  /** Height of the plot's SVG in pixels, an integer 200-100000 (the cost chart grows to fit its legend). Default 400. */
  height?: number;
  /** Title above the plot. */
  title?: string;
}

export interface DistortionPoint { k: number; inertia: number }
export interface CostSeries { k: number; history: readonly number[] }

/**
 * Inertia against K, with the chord and the knee marked (see findKnee). `points` ascending in K.
 * @throws {KMeansSegError} ERR_INVALID_OPTION for points that are not { k, inertia } of finite
 * numbers in increasing K, a knee that is not one of theirs, or bad options.
 */
export function distortionChartSVG(points: readonly DistortionPoint[], knee: Knee | null, options: ChartOptions = {}): string {
  checkSeries(points, 'points', (p, name, i) => {
    checkNumber(p.k, `${name}.k`);
    checkNumber(p.inertia, `${name}.inertia`);
    if (i > 0 && !(p.k > points[i - 1]!.k)) throw invalidOption(`${name}.k`, `a K above points[${i - 1}].k (${points[i - 1]!.k})`, p.k, 'pass the points in increasing K');
  });
  // A knee lies strictly inside the curve (findKnee never returns an end point), at its own K.
  if (knee !== null && knee !== undefined && (typeof knee !== 'object' || !Number.isInteger(knee.index) ||
    !(knee.index > 0 && knee.index < points.length - 1) || points[knee.index]!.k !== knee.k)) {
    throw invalidOption('knee', 'null or what findKnee returned for these points', knee, 'pass findKnee(ks, inertias), or null for no knee');
  }
  const { width = 640, height = 400 } = checkChartOptions(options, 'distortionChartSVG');
  const title = options.title ?? 'Distortion (inertia) against K';
  const plot = { left: 84, right: width - 24, top: 44, bottom: height - 52 };
  const ks = points.map((p) => p.k);
  const xTicks = niceTicks(0, Math.max(...ks, 1), 8);
  const yTicks = niceTicks(0, Math.max(...points.map((p) => p.inertia), 1), 6);
  const x = linear(0, xTicks.at(-1)!, plot.left, plot.right);
  const y = linear(0, yTicks.at(-1)!, plot.bottom, plot.top);
  const out = header(width, height, title);
  out.push(...axes(plot, xTicks.map((t) => [x(t), formatNumber(t)]), yTicks.map((t) => [y(t), formatNumber(t)]),
    'K (colours)', 'inertia (sum of squared distances)'));
  if (points.length >= 2) {
    const first = points[0]!, last = points.at(-1)!;
    out.push(`<line x1="${r(x(first.k))}" y1="${r(y(first.inertia))}" x2="${r(x(last.k))}" y2="${r(y(last.inertia))}" stroke="#999" stroke-dasharray="5 4"/>`);
  }
  out.push(`<polyline fill="none" stroke="${SERIES_COLOURS[0]}" stroke-width="2" points="${points.map((p) => `${r(x(p.k))},${r(y(p.inertia))}`).join(' ')}"/>`);
  for (const p of points) out.push(`<circle cx="${r(x(p.k))}" cy="${r(y(p.inertia))}" r="3.5" fill="${SERIES_COLOURS[0]}"><title>K = ${p.k}: ${formatNumber(p.inertia)}</title></circle>`);
  if (knee) {
    const p = points[knee.index]!;
    const first = points[0]!, last = points.at(-1)!;
    const chordY = first.inertia + ((last.inertia - first.inertia) * (p.k - first.k)) / (last.k - first.k);
    const cx = r(x(p.k)), cy = r(y(p.inertia));
    out.push(`<line x1="${cx}" y1="${cy}" x2="${cx}" y2="${r(y(chordY))}" stroke="#e15759" stroke-dasharray="2 3"/>`);
    out.push(`<circle cx="${cx}" cy="${cy}" r="8" fill="none" stroke="#e15759" stroke-width="2.5"/>`);
    out.push(`<text x="${r(x(p.k) + 12)}" y="${r(y(p.inertia) - 12)}" font-family="${FONT}" font-size="14" fill="#e15759">knee: K = ${p.k}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Inertia after every iteration, one line per K, on a log scale (costs differ by decades across K).
 * @throws {KMeansSegError} ERR_INVALID_OPTION for series that are not { k, history } of finite numbers, or bad options.
 */
export function costChartSVG(series: readonly CostSeries[], options: ChartOptions = {}): string {
  checkSeries(series, 'series', (s, name) => {
    checkNumber(s.k, `${name}.k`);
    checkNumbers(s.history, `${name}.history`, undefined, 'pass result.history');
  });
  const width = checkChartOptions(options, 'costChartSVG').width ?? 640;
  const legendWidth = 130;
  const title = options.title ?? 'Cost (inertia) per iteration';
  const legendRows = series.length;
  const height = Math.max(options.height ?? 400, 44 + 20 * legendRows + 60);
  const plot = { left: 84, right: width - 24 - legendWidth, top: 44, bottom: height - 52 };
  const maxIter = Math.max(1, ...series.map((s) => s.history.length));
  const xTicks = niceTicks(0, maxIter, 8);
  const positive = series.flatMap((s) => s.history.filter((v) => v > 0));
  const lo = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
  const hi = Math.max(lo + 1, positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 1);
  const yTicks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    yTicks.push(10 ** e);
    if (hi - lo <= 2 && e < hi) yTicks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  yTicks.sort((a, b) => a - b);
  const x = linear(0, xTicks.at(-1)!, plot.left, plot.right);
  const ly = linear(lo, hi, plot.bottom, plot.top);
  // A zero cost (a perfect fit) cannot sit on a log axis: it is drawn on the axis' floor.
  const y = (v: number): number => ly(Math.log10(Math.max(v, 10 ** lo)));
  const out = header(width, height, title);
  out.push(...axes(plot, xTicks.map((t) => [x(t), formatNumber(t)]), yTicks.map((t) => [y(t), formatNumber(t)]),
    'iteration', 'inertia (log scale)'));
  series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    const pts = s.history.map((v, it) => `${r(x(it + 1))},${r(y(v))}`);
    if (pts.length === 1) out.push(`<circle cx="${pts[0]!.split(',')[0]}" cy="${pts[0]!.split(',')[1]}" r="3" fill="${colour}"/>`);
    else out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(' ')}"/>`);
    const top = plot.top + 8 + 20 * i;
    out.push(`<line x1="${plot.right + 16}" y1="${top}" x2="${plot.right + 40}" y2="${top}" stroke="${colour}" stroke-width="3"/>`);
    out.push(`<text x="${plot.right + 46}" y="${top + 5}" font-family="${FONT}" font-size="13" fill="#222">K = ${s.k} (${s.history.length} it.)</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Render an SVG string to PNG bytes with sharp (librsvg). `density` 72 keeps the SVG's pixel size.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION for an svg that is no non-empty string or a density
 * outside 1-100000; ERR_BACKEND when sharp cannot be loaded.
 */
export async function svgToPNG(svg: string, density = 72): Promise<Buffer> {
  if (typeof svg !== 'string' || svg === '') throw invalidOption('svg', 'the text of an SVG image', svg, 'pass what distortionChartSVG or costChartSVG returned');
  checkNumber(density, 'density', 1, 100000, "dots per inch; 72 keeps the SVG's pixel size");
  const sharp = await loadSharp();
  return sharp(Buffer.from(svg, 'utf8'), { density }).png({ compressionLevel: 9 }).toBuffer();
}

/** An array of objects, each checked by `check` with its name ("points[2]") and index. */
function checkSeries<T>(value: readonly T[], name: string, check: (item: T, name: string, index: number) => void): void {
  if (!Array.isArray(value)) throw invalidOption(name, 'an array', value);
  value.forEach((item: unknown, i) => {
    if (item === null || typeof item !== 'object') throw invalidOption(`${name}[${i}]`, 'an object', item);
    check(item as T, `${name}[${i}]`, i);
  });
}

function checkChartOptions(options: ChartOptions | undefined, where: string): ChartOptions {
  const opts = checkHelperOptions(options, ['width', 'height', 'title'], where, "{ width: 640, title: 'Inertia' }");
  if (opts.width !== undefined) checkInteger(opts.width, 'width', 320, 100000);
  if (opts.height !== undefined) checkInteger(opts.height, 'height', 200, 100000);
  if (opts.title !== undefined && typeof opts.title !== 'string') throw invalidOption('title', 'a string', opts.title);
  return opts;
}

function header(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-family="${FONT}" font-size="17" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
  ];
}

interface Box { left: number; right: number; top: number; bottom: number }

function axes(plot: Box, xTicks: [number, string][], yTicks: [number, string][], xLabel: string, yLabel: string): string[] {
  const out: string[] = [];
  for (const [py, label] of yTicks) {
    out.push(`<line x1="${plot.left}" y1="${r(py)}" x2="${plot.right}" y2="${r(py)}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${plot.left - 8}" y="${r(py + 4)}" text-anchor="end" font-family="${FONT}" font-size="12" fill="#444">${label}</text>`);
  }
  for (const [px, label] of xTicks) {
    out.push(`<line x1="${r(px)}" y1="${plot.bottom}" x2="${r(px)}" y2="${plot.bottom + 5}" stroke="#444"/>`);
    out.push(`<text x="${r(px)}" y="${plot.bottom + 19}" text-anchor="middle" font-family="${FONT}" font-size="12" fill="#444">${label}</text>`);
  }
  out.push(`<polyline fill="none" stroke="#444" points="${plot.left},${plot.top} ${plot.left},${plot.bottom} ${plot.right},${plot.bottom}"/>`);
  out.push(`<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 42}" text-anchor="middle" font-family="${FONT}" font-size="13" fill="#222">${escapeXml(xLabel)}</text>`);
  const cy = (plot.top + plot.bottom) / 2;
  out.push(`<text x="18" y="${cy}" transform="rotate(-90 18 ${cy})" text-anchor="middle" font-family="${FONT}" font-size="13" fill="#222">${escapeXml(yLabel)}</text>`);
  return out;
}

const linear = (d0: number, d1: number, r0: number, r1: number) => (v: number): number => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0);
const r = (v: number): string => String(Math.round(v * 10) / 10);

/** Ticks from `lo` up to the first multiple of a 1-2-5 step at or above `hi`, about `count` of them. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = Math.max(hi - lo, Number.MIN_VALUE);
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  const start = Math.floor(lo / step) * step;
  for (let i = 0; ; i++) {
    const t = start + i * step;
    ticks.push(Number(t.toPrecision(12)));
    if (t >= hi) break;
  }
  return ticks;
}

/** 3 significant digits with an SI suffix: 1250000 -> "1.25M", 0.5 -> "0.5". */
export function formatNumber(v: number): string {
  const a = Math.abs(v);
  for (const [limit, suffix] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (a >= limit) return `${Number((v / limit).toPrecision(3))}${suffix}`;
  }
  return String(Number(v.toPrecision(3)));
}

/** @internal Escape text for an SVG element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
