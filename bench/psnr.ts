// The one PSNR every file-producing suite quotes: both images decoded by sharp to sRGB, alpha dropped, the
// mean squared error over R, G and B in f64. The same function for every tool, so the figures compare.
import sharp from 'sharp';

async function rgb(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file, { limitInputPixels: false }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: decoded to ${info.channels} channels, expected 3`);
  return { data, width: info.width, height: info.height };
}

/** PSNR in dB of `output` against `input` (Infinity when identical); throws when their sizes differ. */
export async function psnr(input: string, output: string): Promise<number> {
  const [a, b] = await Promise.all([rgb(input), rgb(output)]);
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${output} is ${b.width} x ${b.height}, its input ${input} is ${a.width} x ${a.height}`);
  }
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) { const d = a.data[i]! - b.data[i]!; sum += d * d; }
  const mse = sum / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
