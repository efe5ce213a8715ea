// A peer of the file2file suite, run as its own process: sharp's palette PNG (libimagequant), the
// way a sharp user writes a 16-colour PNG. Usage: node bench/sharp-palette.mjs <in.png> <out.png> <colours>
import sharp from 'sharp';

const [input, output, colours] = process.argv.slice(2);
if (!input || !output || !colours) {
  console.error('usage: node bench/sharp-palette.mjs <in.png> <out.png> <colours>');
  process.exit(2);
}
await sharp(input, { limitInputPixels: false }).png({ palette: true, colours: Number(colours), dither: 0 }).toFile(output);
