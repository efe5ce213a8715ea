import { KMeansSegError, segmentImageData, type ColorSpace, type InitMethod, type SegmentImageDataResult } from 'kmeans-seg/browser';
import { compact, costChart } from './chart';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const fileInput = $<HTMLInputElement>('file');
const kInput = $<HTMLInputElement>('k');
const kRange = $<HTMLInputElement>('k-range');
const seedInput = $<HTMLInputElement>('seed');
const initSelect = $<HTMLSelectElement>('init');
const spaceSelect = $<HTMLSelectElement>('color-space');
const spatialInput = $<HTMLInputElement>('spatial-weight');
const runButton = $<HTMLButtonElement>('run');
const cancelButton = $<HTMLButtonElement>('cancel');
const downloadButton = $<HTMLButtonElement>('download');
const statusLine = $<HTMLParagraphElement>('status');
const errorBox = $<HTMLParagraphElement>('error');
const original = $<HTMLCanvasElement>('original');
const segmented = $<HTMLCanvasElement>('result');
const palette = $<HTMLOListElement>('palette');
const chart = $<HTMLDivElement>('chart');
const facts = $<HTMLParagraphElement>('facts');
const credit = $<HTMLSpanElement>('credit');

// Literal URLs, so that Vite copies the files into the build: the repository's sample photo (CC0,
// see examples/README.md) and the package's own documentation of this API.
const SAMPLE = new URL('../examples/coffee.jpg', import.meta.url);
$<HTMLAnchorElement>('docs-link').href = new URL('../docs/browser.md', import.meta.url).href;

/** For the console and the browser tests: the API, the decoded pixels and the last result. */
const demo = { segmentImageData, image: null as ImageData | null, imageName: '', result: null as SegmentImageDataResult | null, runs: 0 };
Object.assign(window, { kmeansSegDemo: demo });

let pixels: ImageData | null = null;
let imageName = 'image';
let running: AbortController | null = null;

function setState(state: 'empty' | 'ready' | 'running' | 'done' | 'error'): void {
  document.body.dataset.state = state;
  runButton.disabled = pixels === null || state === 'running';
  cancelButton.disabled = state !== 'running';
}

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/**
 * Decode with the browser, without colour management, so the pixels are the file's own bytes (what
 * sharp or libpng would give for an sRGB PNG) and results match Node's for the same file.
 */
async function openFile(file: Blob, name: string, sample = false): Promise<void> {
  clearError();
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    setState(pixels ? 'error' : 'empty');
    showError(`Could not read “${name}” as an image: it is not a PNG, JPEG, WebP, GIF or other format this browser decodes. Choose another file.`);
    statusLine.textContent = pixels ? `Still showing “${imageName}”.` : 'Open an image to begin.';
    return;
  }
  original.width = bitmap.width;
  original.height = bitmap.height;
  const ctx = original.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' })!;
  ctx.clearRect(0, 0, bitmap.width, bitmap.height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  pixels = ctx.getImageData(0, 0, original.width, original.height, { colorSpace: 'srgb' });
  imageName = name;
  demo.image = pixels;
  demo.imageName = name;
  credit.hidden = !sample;
  $('original-size').textContent = `· ${pixels.width} × ${pixels.height}`;
  await run();
}

function readInteger(input: HTMLInputElement, name: string, min: number, max: number): number | null {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    showError(`${name} must be a whole number from ${min} to ${max}; it is “${input.value}”.`);
    input.focus();
    return null;
  }
  return value;
}

function readSpatialWeight(): number | null {
  const value = Number(spatialInput.value);
  if (spatialInput.value.trim() === '' || !Number.isFinite(value) || value < 0 || value > 257) {
    showError(`Spatial weight must be a number from 0 to 257 (try 0.5 to 2); it is “${spatialInput.value}”.`);
    spatialInput.focus();
    return null;
  }
  return value;
}

async function run(): Promise<void> {
  if (!pixels) return;
  clearError();
  const k = readInteger(kInput, 'K', 1, 64);
  const seed = k === null ? null : readInteger(seedInput, 'Seed', 0, 4294967295);
  const spatialWeight = seed === null ? null : readSpatialWeight();
  if (k === null || seed === null || spatialWeight === null) return;
  running?.abort();
  const controller = (running = new AbortController());
  setState('running');
  const started = performance.now();
  const history: number[] = [];
  let frame = 0;
  statusLine.textContent = `Segmenting into ${k} colours…`;
  try {
    const result = await segmentImageData(pixels, {
      k, seed, init: initSelect.value as InitMethod, colorSpace: spaceSelect.value as ColorSpace, spatialWeight, signal: controller.signal,
      onProgress(p) {
        history[p.iteration - 1] = p.inertia;
        // One redraw per frame however fast the passes come.
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          statusLine.textContent = `Iteration ${p.iteration} · cost ${compact(p.inertia)}`;
          chart.replaceChildren(costChart(history.slice(0, p.iteration)));
        });
      },
    });
    cancelAnimationFrame(frame);
    if (controller !== running) return; // a newer run took over
    show(result, performance.now() - started);
    demo.result = result;
    demo.runs++;
    setState('done');
  } catch (err) {
    cancelAnimationFrame(frame);
    if (controller !== running) return;
    if (err instanceof KMeansSegError && err.code === 'ERR_ABORTED') {
      statusLine.textContent = 'Cancelled.';
      setState('ready');
    } else {
      showError((err as Error).message);
      statusLine.textContent = 'Segmentation failed.';
      setState('error');
    }
  } finally {
    if (controller === running) running = null;
  }
}

function show(result: SegmentImageDataResult, ms: number): void {
  segmented.width = result.width;
  segmented.height = result.height;
  segmented.getContext('2d')!.putImageData(result.imageData!, 0, 0);
  $('result-k').textContent = `· ${result.k} colours`;

  const entries = result.palette.map((p, index) => ({ ...p, index })).sort((a, b) => b.count - a.count);
  palette.replaceChildren(...entries.map((p) => {
    const li = document.createElement('li');
    const pct = `${(p.share * 100).toFixed(1)}%`;
    li.innerHTML = `<span class="swatch" style="background:${p.hex}"></span><code>${p.hex}</code>`
      + `<span class="bar" aria-hidden="true"><span style="width:${(p.share * 100).toFixed(2)}%"></span></span><span class="share">${pct}</span>`;
    li.setAttribute('aria-label', `${p.hex}, ${pct} of the pixels`);
    return li;
  }));
  chart.replaceChildren(costChart(result.history));

  const converged = result.converged ? 'converged' : `stopped at the limit of ${result.iterations} iterations`;
  statusLine.textContent = `Done: ${result.iterations} iterations, ${converged}, in ${Math.round(ms)} ms.`;
  facts.textContent = `Kernel: ${result.backend} · cross-origin isolated: ${self.crossOriginIsolated ? 'yes' : 'no'} · `
    + `final cost ${compact(result.inertia)}${result.warnings.length ? ` · ${result.warnings.join('; ')}` : ''}`;
  downloadButton.disabled = false;
}

function download(): void {
  segmented.toBlob((blob) => {
    if (!blob) { showError('The browser could not encode the result as PNG.'); return; }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${imageName.replace(/\.[^.]*$/, '')}-k${demo.result?.k ?? ''}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, 'image/png');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
cancelButton.addEventListener('click', () => running?.abort());
downloadButton.addEventListener('click', download);
fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  fileInput.value = ''; // choosing the same file again still fires 'change'
  if (file) void openFile(file, file.name);
});
kRange.addEventListener('input', () => { kInput.value = kRange.value; });
kInput.addEventListener('input', () => { kRange.value = kInput.value; });

// Drop anywhere: the whole page is the target, the original's panel shows it.
let depth = 0;
document.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; document.body.classList.add('dragging'); });
document.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; document.body.classList.remove('dragging'); } });
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  depth = 0;
  document.body.classList.remove('dragging');
  const file = e.dataTransfer?.files[0];
  if (file) void openFile(file, file.name);
});

/** First visit: the sample photo, segmented at the form's defaults, instead of empty cards. */
async function openSample(): Promise<void> {
  try {
    const res = await fetch(SAMPLE);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const blob = await res.blob();
    if (pixels === null) await openFile(blob, 'coffee.jpg', true); // unless the user was quicker
  } catch {
    if (pixels === null) statusLine.textContent = 'Open an image to begin.';
  }
}

setState('empty');
void openSample();
