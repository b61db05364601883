/**
 * Image decoding for Node (CLI, tests): PNG with pngjs, JPEG with jpeg-js, both pure JavaScript.
 * Node only (pngjs needs Buffer and zlib); the browser decodes in workers/dataset.worker.ts.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { EdgefoldError } from '../errors.ts';
import { checkImageSize, imageHeaderSize } from './image-header.ts';
import type { DecodedImage, ImageDecoder } from './types.ts';

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;

export const decodeImageNode: ImageDecoder = (bytes, fileName): DecodedImage => {
  if (isPng(bytes) || isJpeg(bytes)) checkImageSize(imageHeaderSize(bytes), fileName);
  if (isPng(bytes)) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  if (isJpeg(bytes)) {
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
    return { width: image.width, height: image.height, channels: 4, data: image.data };
  }
  throw new EdgefoldError('unsupported', `${fileName}: only PNG and JPEG images can be read on the command line.`, fileName);
};

/** Encodes 8-bit gray or RGB(A) pixels as PNG (tests and tools build image folders with it). */
export function encodePng(width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array): Uint8Array {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) png.data[4 * p + k] = data[p * channels + (channels === 1 ? 0 : k)];
    png.data[4 * p + 3] = channels === 4 ? data[p * 4 + 3] : 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}
