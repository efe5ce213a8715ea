// `npm run bench:images [-- 1mp 12mp 50mp photo-12mp batch]`: generate the benchmark inputs into
// bench/images/ (skipped when present) and report their distinct colour counts.
import { ensureBatch } from './batch-images.js';
import { RECIPES, ensureImage, type ImageName } from './images.js';

const known = [...Object.keys(RECIPES), 'batch'];
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of names) {
  if (!known.includes(name)) {
    console.error(`Unknown image ${JSON.stringify(name)}: expected one of ${known.join(', ')}`);
    process.exit(2);
  }
}
console.log('Benchmark images from ../shared/images/ (lanczos3 resize; photo-12mp and batch with seeded noise):');
for (const name of names.length ? names : known) {
  if (name === 'batch') await ensureBatch();
  else await ensureImage(name as ImageName);
}
