/**
 * What the bytes of an input that failed to decode say about it, for decode's messages only: its
 * format by signature, whether it is text, and the first defect of a PNG's chunks. Never throws.
 */
import { printable } from '../validate.js';

/**
 * The rest of the message, after the input's name, when sharp cannot read even the header: a file
 * with an image's signature is that image, corrupt (not "not an image"); else it is not an image,
 * said with why (too short, text, libvips' reason) and `expected`, the formats read.
 */
export function unreadableHeader(bytes: Uint8Array, libvips: string, expected: string): string {
  const format = signatureOf(bytes);
  const damage = pngDamage(bytes);
  if (damage !== undefined) return `is a PNG file that cannot be read: ${damage}; re-export or re-download it`;
  if (format !== undefined) return `is a ${format} file whose header cannot be read (${libvipsReason(libvips)}): the file is truncated or corrupt; re-export or re-download it`;
  const why = bytes.length < 8 ? `; it is only ${bytes.length} byte${bytes.length === 1 ? '' : 's'} long, too short for any image`
    : looksLikeText(bytes) ? '; it starts with text, not image data'
    : /unsupported image format/.test(libvips) ? '' : ` (${libvipsReason(libvips)})`;
  return `is not an image kmeans-seg can read${why}: ${expected}`;
}

/** Why the pixels of an image whose header was read could not be decoded: a PNG's first defect, or libvips' reason. */
export function undecodable(bytes: Uint8Array, libvips: string): string {
  return pngDamage(bytes) ?? libvipsReason(libvips);
}

/** libvips' reason tidied: "Input buffer has corrupt header:" loses its colon; "Unknown error" says so. */
function libvipsReason(line: string): string {
  const text = line.replace(/[\s:]+$/, '');
  return text === '' || /^unknown error$/i.test(text) ? 'libvips gives no reason' : `libvips: ${printable(text)}`;
}

/** The container a file's first bytes announce, by signature; undefined for none we know. */
export function signatureOf(bytes: Uint8Array): string | undefined {
  const at = (offset: number, ...values: number[]): boolean => values.every((v, i) => bytes[offset + i] === v);
  const ascii = (offset: number, text: string): boolean => at(offset, ...Array.from(text, (c) => c.charCodeAt(0)));
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'PNG';
  if (at(0, 0xff, 0xd8, 0xff)) return 'JPEG';
  if (ascii(0, 'GIF8')) return 'GIF';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'WebP';
  if (ascii(0, 'II*\0') || ascii(0, 'MM\0*')) return 'TIFF';
  if (ascii(4, 'ftyp')) return 'AVIF or HEIF';
  return undefined;
}

/**
 * Text in the first bytes, as a text file renamed to .png is: valid UTF-8 (a sequence cut at the end
 * of the sample aside) without control characters but tab, newline and carriage return.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 64);
  if (head.length === 0) return false;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  return text.length > 0 && !/[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/.test(text);
}

const CRC_TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The first defect of a PNG's chunk structure, in words ("the CRC of chunk IDAT at byte 33 does not
 * match its data"), or undefined when the chunks are sound (the defect is then in the pixel data).
 */
export function pngDamage(bytes: Uint8Array): string | undefined {
  if (signatureOf(bytes) !== 'PNG') return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let seenData = false;
  for (let offset = 8, first = true; ; first = false) {
    if (offset + 12 > bytes.length) return `it ends at byte ${bytes.length}, inside a chunk header: the file is truncated`;
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)).replace(/[^A-Za-z]/g, '?');
    if (offset + 12 + length > bytes.length) return `chunk ${type} at byte ${offset} runs past the end of the file (${bytes.length} bytes): the file is truncated`;
    if (first && type !== 'IHDR') return `its first chunk is ${type}, not IHDR`;
    if (type === 'IHDR' && length >= 8 && (view.getUint32(offset + 8) === 0 || view.getUint32(offset + 12) === 0)) {
      return `its IHDR gives a size of ${view.getUint32(offset + 8)} x ${view.getUint32(offset + 12)} pixels, and an image needs at least 1 x 1`;
    }
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) {
      return `the CRC checksum of chunk ${type} at byte ${offset} does not match its data`;
    }
    if (type === 'IEND') return seenData ? undefined : 'it has no IDAT chunk, so no pixel data';
    seenData ||= type === 'IDAT';
    offset += 12 + length;
  }
}
