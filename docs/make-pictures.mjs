// Makes the pictures of README.md and docs/*.md in docs/pictures/ (committed, each under 150 KB) with the
// CLI, from ../shared/images/coffee.png (CC0) and astronaut.png (public domain, NASA) only: no other image,
// so nothing of a copyrighted picture can reach the repository. Run it with `npm run docs` (it builds first).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGES = path.join(ROOT, '../shared/images');
const PICTURES = 'docs/pictures';
const SCRATCH = 'docs/scratch'; // gitignored: the scaled input, palettes, outputs no page shows
const MAX_BYTES = 150 * 1024;

/** Runs the CLI as a user would, printing the command first. */
function cli(...args) {
  console.log(`\n$ kmeans-seg ${args.join(' ')}`);
  execFileSync(process.execPath, ['bin/kmeans-seg.js', ...args, '--force'], { cwd: ROOT, stdio: 'inherit' });
}

process.chdir(ROOT);
rmSync(PICTURES, { recursive: true, force: true });
rmSync(SCRATCH, { recursive: true, force: true });
mkdirSync(PICTURES, { recursive: true });
mkdirSync(SCRATCH, { recursive: true });

// coffee.png is 600 x 400; its border overlays, as JPEG, pass 150 KB at that size, so every coffee picture
// is made from one copy scaled to 400 px wide (lanczos3: the same bytes on every run).
const coffee = `${SCRATCH}/coffee.png`;
await sharp(path.join(IMAGES, 'coffee.png')).resize({ width: 400, kernel: 'lanczos3' }).png().toFile(coffee);
const astronaut = '../shared/images/astronaut.png';

// The README's picture and the sweep page: the contact sheet (lossless WebP) and the two charts (SVG).
cli('sweep', astronaut, '-k', '1,2,3,4,10,32,64', '--seed', '1', '--tile-width', '180',
  '-o', `${PICTURES}/astronaut-sweep.webp`);
for (const chart of ['distortion', 'cost']) rmSync(`${PICTURES}/astronaut-sweep-${chart}.png`); // the pages show the SVGs

// The outputs page: 6 colours clustered in OKLab, and their borders over the original.
cli(coffee, '-k', '6', '--seed', '1', '--color-space', 'oklab', '-o', `${PICTURES}/coffee-k6-oklab.png`,
  '--overlay', `${PICTURES}/coffee-k6-oklab-borders.jpg`, '--palette', `${SCRATCH}/coffee-k6-oklab.gpl`);

// The spatial page: borders of colour alone, then with positions.
cli(coffee, '-k', '6', '--seed', '1', '--overlay', `${PICTURES}/coffee-k6-borders.jpg`);
cli(coffee, '-k', '6', '--seed', '1', '--spatial-weight', '1.5', '--overlay', `${PICTURES}/coffee-k6-spatial-borders.jpg`);

// The regions page: every region outlined, then the same run with the regions under 30 pixels merged.
cli(coffee, '-k', '6', '--seed', '1', '--spatial-weight', '1.5', '--overlay', `${PICTURES}/coffee-k6-spatial-regions.jpg`,
  '--overlay-regions', '--regions', `${SCRATCH}/coffee-k6-spatial-regions.json`);
cli(coffee, '-k', '6', '--seed', '1', '--spatial-weight', '1.5', '--min-region', '30', '--overlay', `${PICTURES}/coffee-k6-spatial-min-region.jpg`,
  '--overlay-regions', '--regions', `${SCRATCH}/coffee-k6-spatial-min-region.json`);

// The palette page: coffee painted with the astronaut's 6 colours.
cli(astronaut, '-k', '6', '--seed', '1', '--color-space', 'oklab', '--palette', `${SCRATCH}/astronaut-k6.json`);
cli('apply', '--palette', `${SCRATCH}/astronaut-k6.json`, coffee, '-o', `${PICTURES}/coffee-astronaut-palette.png`);

// The segments page: 4 colours, without and with Floyd-Steinberg dithering; then a region of interest,
// an ellipse around the cup (a grey mask made here), clustered alone with the wood kept as it is.
cli(coffee, '-k', '4', '--seed', '1', '-o', `${PICTURES}/coffee-k4.png`);
cli(coffee, '-k', '4', '--seed', '1', '--dither', 'floyd-steinberg', '-o', `${PICTURES}/coffee-k4-dither.png`);
const cupMask = `${SCRATCH}/cup-mask.png`;
{
  const { width, height } = await sharp(coffee).metadata();
  const grey = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) grey[y * width + x] = ((x - width / 2) / (width / 3.6)) ** 2 + ((y - height / 2) / (height / 2.3)) ** 2 < 1 ? 255 : 0;
  }
  await sharp(grey, { raw: { width, height, channels: 1 } }).png().toFile(cupMask);
}
cli(coffee, '-k', '4', '--seed', '1', '--roi', cupMask, '-o', `${PICTURES}/coffee-k4-roi.jpg`);

let tooLarge = 0;
console.log('');
for (const name of readdirSync(PICTURES).sort()) {
  const bytes = statSync(path.join(PICTURES, name)).size;
  console.log(`${PICTURES}/${name}: ${(bytes / 1024).toFixed(1)} KB${bytes > MAX_BYTES ? ' (over 150 KB: make it smaller)' : ''}`);
  if (bytes > MAX_BYTES) tooLarge++;
}
if (tooLarge) process.exit(1);
