/**
 * Every function the package exports checks its arguments with the shared validator: a bad argument
 * is a KMeansSegError (ERR_INVALID_OPTION, or ERR_INVALID_IMAGE for pixels) naming it, never a
 * TypeError from deep inside, and nothing is written. A new export without a row here fails.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import type { ErrorCode, KMeansResult } from '../../src/index.js';
import { folder, noise, rejects, tried, useScratch } from '../hostile.js';

useScratch('core/api-arguments.test.ts');

const img = noise(6, 4, 3);
let result: KMeansResult;
let dir: string;
beforeAll(async () => {
  result = await api.kmeans(img, { k: 3, backend: 'js' });
  dir = await folder();
});
const out = (name: string): string => path.join(dir, name);
const entry = { hex: '#010203', rgb: [1, 2, 3] as [number, number, number], count: 1, share: 1 };

/** [what, the call, the code, what the message must name]. Calls are thunks: `result` exists only once beforeAll ran. */
type Row = [string, () => unknown, ErrorCode, string];
const OPTION: ErrorCode = 'ERR_INVALID_OPTION';
const IMAGE: ErrorCode = 'ERR_INVALID_IMAGE';

/**
 * On 54ce481 the rows marked * threw a TypeError or a plain Error, gave another code, returned as if
 * fine, or wrote a file (saveLabels with { forse: true }; savePalette with 'hsv', which apply refuses).
 */
const TABLE: Record<string, Row[]> = {
  kmeans: [['no image', () => api.kmeans(null as never), IMAGE, 'an image'], ['options a string', () => api.kmeans(img, 'k=3' as never), OPTION, 'for options']],
  segment: [['no input', () => api.segment(null as never), OPTION, 'for input'], ['a Map (names what is accepted)', () => api.segment(new Map() as never), OPTION, 'a Readable stream'], ['options null', () => api.segment(out('x.png'), null as never), OPTION, 'for options']],
  segmentStrips: [['no input', () => api.segmentStrips(null as never, { output: out('s.png') }), OPTION, 'an image file path'], ['stripRows 0', () => api.segmentStrips(out('x.png'), { output: out('s.png') }, { stripRows: 0 }), OPTION, 'stripRows']],
  labelsPNG: [['* null', () => api.labelsPNG(null as never), OPTION, 'for result'], ['* labels too short', () => api.labelsPNG({ ...result, labels: new Uint8Array(2) }), OPTION, 'result.labels']],
  saveLabels: [['* null', () => api.saveLabels(null as never, out('l.png')), OPTION, 'for result'], ['* unknown option (it wrote the file)', () => api.saveLabels(result, out('l.png'), { forse: true } as never), OPTION, 'did you mean "force"']],
  masksPNG: [['* k a string', () => api.masksPNG({ ...result, k: 'x' as never }), OPTION, 'result.k'], ['* labels an array', () => api.masksPNG({ ...result, labels: [0] as never }), OPTION, 'result.labels']],
  saveMasks: [['* null', () => api.saveMasks(null as never, out('m')), OPTION, 'for result']],
  maskName: [['* k a string', () => api.maskName(1, 'a' as never), OPTION, 'for k'], ['* label past k', () => api.maskName(5, 3), OPTION, 'for label']],
  overlayBorders: [['* original null', () => api.overlayBorders(null as never, result), IMAGE, 'the original'], ['* result null', () => api.overlayBorders(img, null as never), OPTION, 'for result'], ['* unknown option', () => api.overlayBorders(img, result, { colour: [1, 2, 3] } as never), OPTION, 'did you mean "color"']],
  saveOverlay: [['* result null', () => api.saveOverlay(img, null as never, out('o.png')), OPTION, 'for result']],
  regionMapPNG: [['null', () => api.regionMapPNG(null as never), OPTION, 'for result'], ['a run without regions', () => api.regionMapPNG(result), OPTION, 'regions: true']],
  regionMapU32: [['null', () => api.regionMapU32(null as never), OPTION, 'for result'], ['a width a string', () => api.regionMapU32({ ...result, width: '6' as never }), OPTION, 'result.width']],
  saveRegionMap: [['a run without regions', () => api.saveRegionMap(result, out('r.png')), OPTION, 'regions: true']],
  regionsJSON: [['null', () => api.regionsJSON(null as never), OPTION, 'for result']],
  saveRegions: [['a run without regions', () => api.saveRegions(result, out('r.json')), OPTION, 'regions: true']],
  overlayRegions: [['original null', () => api.overlayRegions(null as never, result), IMAGE, 'the original'], ['result null', () => api.overlayRegions(img, null as never), OPTION, 'for result']],
  saveRegionOverlay: [['unknown option', () => api.saveRegionOverlay(img, result, out('o.png'), { colour: [1, 2, 3] } as never), OPTION, 'did you mean "color"']],
  paletteJSON: [['* null', () => api.paletteJSON(null as never), OPTION, 'for result'], ["* colorSpace 'hsv'", () => api.paletteJSON(result, { colorSpace: 'hsv' as never }), OPTION, 'for colorSpace'], ['* hex of another colour', () => api.paletteJSON({ k: 1, palette: [{ ...entry, hex: '#ffffff' }], centroids: [[1, 2, 3]] }), OPTION, 'result.palette[0].hex']],
  paletteGPL: [['* null', () => api.paletteGPL(null as never), OPTION, 'for result'], ['* name a number', () => api.paletteGPL(result, { name: 5 as never }), OPTION, 'for name'], ['* rgb out of range', () => api.paletteGPL({ k: 1, palette: [{ ...entry, rgb: [1, 2, 300] }], centroids: [[1, 2, 3]] }), OPTION, 'result.palette[0].rgb[2]']],
  paletteBuffer: [['null', () => api.paletteBuffer(null as never), OPTION, 'for result'], ["format 'txt'", () => api.paletteBuffer(result, { format: 'txt' as never }), OPTION, 'for format'], ['unknown option', () => api.paletteBuffer(result, { fromat: 'gpl' } as never), OPTION, 'did you mean "format"']],
  savePalette: [["* colorSpace 'hsv' (apply refused the file)", () => api.savePalette(result, out('p.json'), { colorSpace: 'hsv' as never }), OPTION, 'for colorSpace'], ['* null', () => api.savePalette(null as never, out('p.json')), OPTION, 'for result']],
  qualityOf: [['* result null', () => api.qualityOf(img, null as never), OPTION, 'for result'], ['original null', () => api.qualityOf(null as never, result), IMAGE, 'an image']],
  compareImages: [['other null', () => api.compareImages(img, null as never), IMAGE, 'an image']],
  fromSrgb: [["* 'hsv'", () => api.fromSrgb('hsv' as never, 1, 2, 3), OPTION, 'for colorSpace'], ['* a string channel', () => api.fromSrgb('rgb', '1' as never, 2, 3), OPTION, 'for r']],
  toSrgb: [["* 'hsv'", () => api.toSrgb('hsv' as never, 1, 2, 3), OPTION, 'for colorSpace'], ['* NaN', () => api.toSrgb('lab', NaN, 2, 3), OPTION, 'for x']],
  sweep: [['options null', () => api.sweep(img, null as never), OPTION, 'for options'], ['ks a string', () => api.sweep(img, { ks: '2,4' as never }), OPTION, 'for ks']],
  saveSweep: [['* null', () => api.saveSweep(null as never, out('s.png')), OPTION, 'for result']],
  sweepFiles: [['sheet a number', () => api.sweepFiles(5 as never), OPTION, 'for sheet'], ['* options null', () => api.sweepFiles('s.png', null as never), OPTION, 'for options']],
  checkKs: [['null', () => api.checkKs(null), OPTION, 'for ks']],
  findKnee: [['* null', () => api.findKnee(null as never, null as never), OPTION, 'for xs'], ['* NaN among ys (it returned a knee)', () => api.findKnee([1, 2, 3], [3, NaN, 1]), OPTION, 'for ys[1]']],
  distortionChartSVG: [['* null', () => api.distortionChartSVG(null as never, null), OPTION, 'for points'], ['* a knee of other points', () => api.distortionChartSVG([{ k: 1, inertia: 9 }, { k: 2, inertia: 3 }], { k: 7, index: 5, distance: 1 }), OPTION, 'for knee'], ['* width -1 (it drew the chart)', () => api.distortionChartSVG([], null, { width: -1 }), OPTION, 'for width']],
  costChartSVG: [['* null', () => api.costChartSVG(null as never), OPTION, 'for series'], ['* history with a string', () => api.costChartSVG([{ k: 2, history: ['9' as never] }]), OPTION, 'series[0].history[0]']],
  svgToPNG: [['* null', () => api.svgToPNG(null as never), OPTION, 'for svg'], ['* density 0 (sharp threw a plain Error)', () => api.svgToPNG('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>', 0), OPTION, 'for density']],
  contactSheet: [['* null', () => api.contactSheet(null as never), OPTION, 'for tiles'], ['* a tile without an image', () => api.contactSheet([{ label: 'K = 2' }] as never), IMAGE, 'tiles[0].image'], ['* unknown option', () => api.contactSheet([{ label: 'a', image: img }], { colums: 2 } as never), OPTION, 'did you mean "columns"']],
  sheetGeometry: [['NaN tiles', () => api.sheetGeometry(NaN, 10, 10), OPTION, 'for tiles'], ['* a string width', () => api.sheetGeometry(2, '10' as never, 10), OPTION, 'for imageWidth']],
  applyPalette: [['palette null', () => api.applyPalette(img, null as never), OPTION, 'for palette'], ['options a number', () => api.applyPalette(img, ['#000000'], 3 as never), OPTION, 'for options']],
  readPalette: [['a number', () => api.readPalette(5 as never), OPTION, 'for palette'], ['* a NUL in the path', () => api.readPalette('p\0.json'), OPTION, 'without NUL']],
  parsePalette: [['* null', () => api.parsePalette(null as never), OPTION, 'for text'], ['* options null', () => api.parsePalette('["#000000"]', null as never), OPTION, 'for options'], ['* gpl a string', () => api.parsePalette('["#000000"]', { gpl: 'yes' as never }), OPTION, 'for gpl']],
  checkPalette: [['null', () => api.checkPalette(null), OPTION, 'for palette']],
  batch: [['no inputs', () => api.batch(null as never, { output: out('b') }), OPTION, 'input'], ['options null', () => api.batch([out('x.png')], null as never), OPTION, 'for options']],
  startWorker: [['options null', () => api.startWorker(null as never), OPTION, 'for options'], ['no roots', () => api.startWorker({ connection: 'redis://127.0.0.1:1', roots: [] }), OPTION, 'roots: ['], ['unknown option', () => api.startWorker({ connection: 'redis://127.0.0.1:1', roots: ['.'], concurency: 2 } as never), OPTION, 'did you mean "concurrency"']],
};
/** Exports that take no argument, or are not functions one calls with data. */
const NO_ARGUMENTS = new Set(['terminateWorkers', 'KMeansSegError']);

describe('every exported function refuses bad arguments with a typed error', () => {
  it('the table has a row for every exported function', () => {
    const functions = Object.entries(api).filter(([, v]) => typeof v === 'function').map(([name]) => name);
    expect(functions.filter((name) => !NO_ARGUMENTS.has(name) && !(name in TABLE)), 'exports without a row').toEqual([]);
    expect(Object.keys(TABLE).filter((name) => !functions.includes(name)), 'rows without an export').toEqual([]);
  });

  for (const [name, rows] of Object.entries(TABLE)) {
    it(name, async () => {
      tried(rows.length);
      for (const [what, call, code, mention] of rows) {
        const e = await rejects((async () => call())(), code, mention);
        expect(e.message, `${name}: ${what}`).toMatch(/^(Expected|Unknown option|Option|The |A |Input )/);
      }
      for (const file of ['l.png', 'o.png', 'p.json', 's.png', 'm', 'b']) expect(existsSync(out(file)), `${name} wrote ${file}`).toBe(false);
    });
  }
});
