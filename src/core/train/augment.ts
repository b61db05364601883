/**
 * Light augmentation for small grey/colour images, done on the uint8 pixels before preprocessing
 * (like torchvision's RandomCrop(padding, fill 0) + RandomHorizontalFlip, which trained the
 * default model): a random shift of up to `pad` pixels each way with zeros filling in, and a
 * horizontal flip with probability 1/2. Seeded: the same generator gives the same batch.
 */
import type { Dataset } from '../eval/dataset.ts';

export interface AugmentOptions {
  /** Largest shift in pixels (0: none). */
  pad: number;
  flip: boolean;
}

export const NO_AUGMENT: AugmentOptions = { pad: 0, flip: false };

/** A preprocessed NCHW batch of the images at `indices`, each shifted/flipped at random. */
export function augmentedBatch(data: Dataset, indices: ArrayLike<number>, augment: AugmentOptions, random: () => number): Float32Array {
  const [c, h, w] = data.shape;
  const plane = h * w;
  const size = c * plane;
  const out = new Float32Array(indices.length * size);
  const { scale, mean, std } = data.preprocessing;
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * size;
    const dy = augment.pad ? Math.floor(random() * (2 * augment.pad + 1)) - augment.pad : 0;
    const dx = augment.pad ? Math.floor(random() * (2 * augment.pad + 1)) - augment.pad : 0;
    const flip = augment.flip && random() < 0.5;
    for (let ch = 0; ch < c; ch++) {
      const zero = (0 * scale - mean[ch]) / std[ch];
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        for (let x = 0; x < w; x++) {
          const sx = (flip ? w - 1 - x : x) + dx;
          const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          out[b * size + ch * plane + y * w + x] = inside ? (data.pixels[src + ch * plane + sy * w + sx] * scale - mean[ch]) / std[ch] : zero;
        }
      }
    }
  }
  return out;
}
