/**
 * Contact sheet captions stay over their own tile: a long caption ("K = 64 (63 used)") under a narrow
 * tile shrinks, and is clipped past the tile and half the padding, so it never runs into a neighbour's.
 */
import { describe, expect, it } from 'vitest';
import { contactSheet, sheetGeometry } from '../../src/sweep/contact-sheet.js';
import { noiseImage } from '../helpers.js';

describe('contact sheet captions', () => {
  for (const tileWidth of [24, 60, 120]) {
    it(`keep to their own column at tile width ${tileWidth}`, async () => {
      const image = noiseImage(200, 100, 1);
      const labels = ['original', 'K = 64 (63 used)', 'K = 128 (127 used)', 'K = 4 (3 used)'];
      const tiles = labels.map((label) => ({ label, image }));
      const options = { tileWidth, columns: 4, padding: 12 };
      const sheet = await contactSheet(tiles, options);
      const g = sheetGeometry(tiles.length, 200, 100, options);
      // Every dark pixel of the caption strip lies within its tile's column: the tile and half the padding either side.
      let inked = 0;
      for (let y = g.cells[0]!.top + g.tileHeight; y < g.height; y++) {
        for (let x = 0; x < g.width; x++) {
          const o = (y * g.width + x) * 4;
          if (sheet.data[o]! > 200) continue;
          inked++;
          const column = g.cells.findIndex((c) => x >= c.left - g.padding / 2 && x < c.left + g.tileWidth + g.padding / 2);
          expect(column, `ink at (${x}, ${y}) outside every tile's column`).toBeGreaterThanOrEqual(0);
        }
      }
      expect(inked, 'the captions are drawn').toBeGreaterThan(40);
    });
  }
});
