/**
 * The browser entry checks images with the same rule as Node's kmeans (src/validate.ts), so a bad
 * image gets ERR_INVALID_IMAGE from both. These checks run before any worker or wasm, so Node can run them.
 */
import { describe, expect, it } from 'vitest';
import { segmentImageData } from '../../src/browser.js';
import { kmeans } from '../../src/core/kmeans.js';
import { KMeansSegError } from '../../src/errors.js';

const data = new Uint8Array(16);
const bad: [string, unknown][] = [
  ['a fractional width', { data, width: 1.5, height: 2 }],
  ['a zero width', { data, width: 0, height: 4 }],
  ['a string height', { data, width: 2, height: '2' }],
  ['a negative height', { data, width: 2, height: -2 }],
  ['data that is not bytes', { data: [1, 2, 3, 4], width: 1, height: 1 }],
  ['data of the wrong length', { data: new Uint8Array(12), width: 2, height: 2 }],
  ['null', null],
];

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try { await run(); } catch (err) { return err instanceof KMeansSegError ? err.code : `untyped: ${String(err)}`; }
  return 'no error';
}

describe('segmentImageData rejects a bad image as Node does', () => {
  for (const [what, image] of bad) {
    it(`${what}: ERR_INVALID_IMAGE from both entries`, async () => {
      const browser = await codeOf(() => segmentImageData(image as never, { worker: false, backend: 'js' }));
      const node = await codeOf(() => kmeans(image as never, { backend: 'js' }));
      expect(browser).toBe('ERR_INVALID_IMAGE');
      expect(node).toBe('ERR_INVALID_IMAGE');
    });
  }

  it('names the browser source of pixels in its message', async () => {
    await expect(segmentImageData({ data: [0, 0, 0, 0], width: 1, height: 1 } as never, { worker: false })).rejects.toThrow(/getImageData/);
  });
});
