/**
 * Image width and height read from the file header, before any decoder allocates pixels: a
 * 400 KB PNG can claim 20000 x 20000 pixels (1.6 GB of RGBA).
 */
import { badInput } from '../errors.ts';
import { LIMITS, quote } from '../limits.ts';

export interface ImageSize {
  width: number;
  height: number;
}

/** Width and height from a PNG, JPEG, GIF, BMP or WebP header, or undefined when not found. */
export function imageHeaderSize(b: Uint8Array): ImageSize | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const has = (n: number) => b.length >= n;
  // PNG: signature, then the IHDR chunk (width, height big-endian at 16 and 20).
  if (has(24) && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    return { width: view.getUint32(16, false), height: view.getUint32(20, false) };
  }
  // JPEG: walk the marker segments to the first start-of-frame.
  if (has(4) && b[0] === 0xff && b[1] === 0xd8) {
    let at = 2;
    while (at + 9 < b.length) {
      if (b[at] !== 0xff) return undefined;
      const marker = b[at + 1];
      if (marker === 0xff) {
        at++;
        continue;
      }
      const length = view.getUint16(at + 2, false);
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) return { height: view.getUint16(at + 5, false), width: view.getUint16(at + 7, false) };
      if (length < 2) return undefined;
      at += 2 + length;
    }
    return undefined;
  }
  // GIF: logical screen width and height, little-endian at 6 and 8.
  if (has(10) && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  // BMP: BITMAPINFOHEADER width and height (height negative for top-down rows).
  if (has(26) && b[0] === 0x42 && b[1] === 0x4d) return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
  // WebP: RIFF....WEBP then a VP8, VP8L or VP8X chunk.
  if (has(30) && view.getUint32(0, false) === 0x52494646 && view.getUint32(8, false) === 0x57454250) {
    const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
    if (chunk === 'VP8X') return { width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
    if (chunk === 'VP8L') {
      const bits = view.getUint32(21, true);
      return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8 ') return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  return undefined;
}

/** Refuses an image whose size is unreadable, empty or over the limits, naming the file. */
export function checkImageSize(size: ImageSize | undefined, path: string): ImageSize {
  const { imageSide, imagePixels } = LIMITS.data;
  if (!size) throw badInput(`${quote(path)}: the image size could not be read from its header (damaged, or not PNG / JPEG / GIF / BMP / WebP).`, path);
  const { width, height } = size;
  if (!(width >= 1 && height >= 1)) throw badInput(`${quote(path)}: the image is ${width} x ${height} pixels; it has no pixels.`, path);
  if (width > imageSide || height > imageSide || width * height > imagePixels) {
    throw badInput(
      `${quote(path)}: the image is ${width} x ${height} pixels; edgefold reads images up to ${imageSide} pixels a side and ${imagePixels.toLocaleString('en-US')} pixels in all (docs/limits.md).`,
      path,
    );
  }
  return size;
}
