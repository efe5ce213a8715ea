/**
 * The warning for an image written as JPEG from pixels that have alpha: JPEG has no alpha channel, so
 * the encoder flattens transparent and translucent pixels onto white. Said, never silent.
 */
import { imageFormatOf } from '../io/output-path.js';

/**
 * One warning per JPEG output among `files` when `hasAlpha` (some pixel of the input has alpha below 255).
 * `files` maps each output's flag to its path ("-o", "--overlay").
 */
export function jpegAlphaWarnings(files: Record<string, string | undefined>, hasAlpha: boolean): string[] {
  if (!hasAlpha) return [];
  return Object.entries(files)
    .filter(([, file]) => file !== undefined && imageFormatOf(file) === 'jpeg')
    .map(([flag, file]) => `${flag} ${file}: JPEG has no alpha, so the transparent and translucent pixels were flattened onto white; write .png or .webp to keep them`);
}
