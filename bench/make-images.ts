// `npm run bench:images [-- 1mp 12mp 50mp]`: generate the benchmark inputs into bench/images/
// (skipped when present) and report their distinct colour counts.
import { SIZES, SOURCE, ensureImage, type ImageName } from './images.js';

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of names) {
  if (!(name in SIZES)) {
    console.error(`Unknown image ${JSON.stringify(name)}: expected one of ${Object.keys(SIZES).join(', ')}`);
    process.exit(2);
  }
}
console.log(`Benchmark images from ../shared/images/${SOURCE} (lanczos3 upscale):`);
for (const name of (names.length ? names : Object.keys(SIZES)) as ImageName[]) await ensureImage(name);
