/**
 * Augmentation on a tiny two-channel dataset whose every pixel is known: the shift and flip as
 * torchvision's RandomCrop(padding, fill 0) + RandomHorizontalFlip define them, the zero fill per
 * channel, and which random draws decide what.
 */
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../eval/dataset.ts';
import { augmentedBatch, NO_AUGMENT } from './augment.ts';

// 2 images x 2 channels x 3 rows x 4 columns; pixel value = 100 image + 10 channel + (4 row + column).
const [C, H, W] = [2, 3, 4];
const data: Dataset = {
  name: 'tiny',
  split: 'train',
  count: 2,
  shape: [C, H, W],
  classes: ['a', 'b'],
  pixels: Uint8Array.from({ length: 2 * C * H * W }, (_, i) => 100 * Math.floor(i / 24) + 10 * (Math.floor(i / 12) % 2) + (i % 12)),
  labels: Uint8Array.from([0, 1]),
  // value = (pixel / 2 - mean[c]) / std[c]
  preprocessing: { scale: 0.5, mean: [1, 3], std: [2, 4] },
};
const norm = (p: number, c: number) => (p * 0.5 - [1, 3][c]) / [2, 4][c];
const zero = [-0.5, -0.75]; // (0 - 1) / 2 and (0 - 3) / 4
const at = (out: Float32Array, b: number, c: number, y: number, x: number) => out[((b * C + c) * H + y) * W + x];
const draws = (...values: number[]) => {
  const left = [...values];
  return () => {
    if (!left.length) throw new Error('more random draws than expected');
    return left.shift()!;
  };
};

describe('augmentedBatch', () => {
  it('without augmentation: the preprocessed images in the order asked, no random draw', () => {
    const out = augmentedBatch(data, [1, 0], NO_AUGMENT, draws());
    expect(out).toHaveLength(2 * 24);
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          expect(at(out, 0, c, y, x)).toBeCloseTo(norm(100 + 10 * c + 4 * y + x, c), 6);
          expect(at(out, 1, c, y, x)).toBeCloseTo(norm(10 * c + 4 * y + x, c), 6);
        }
      }
    }
  });

  it('a shift of up to pad pixels each way, zero-filled per channel; dy from the first draw, dx from the second', () => {
    // pad 1: shift = floor(r x 3) - 1. r = 0.9 -> dy = +1 (row y shows row y + 1); r = 0.1 -> dx = -1 (column x shows x - 1).
    const out = augmentedBatch(data, [0], { pad: 1, flip: false }, draws(0.9, 0.1));
    for (let c = 0; c < C; c++) {
      expect(at(out, 0, c, 0, 1)).toBeCloseTo(norm(10 * c + 4 * 1 + 0, c), 6); // row 1, column 0
      expect(at(out, 0, c, 1, 3)).toBeCloseTo(norm(10 * c + 4 * 2 + 2, c), 6); // row 2, column 2
      expect(at(out, 0, c, 0, 0)).toBeCloseTo(zero[c], 6); // column -1
      expect(at(out, 0, c, 2, 2)).toBeCloseTo(zero[c], 6); // row 3
    }
    // the other way: r = 0 -> dy = -1, r = 0.99 -> dx = +1
    const back = augmentedBatch(data, [1], { pad: 1, flip: false }, draws(0, 0.99));
    expect(at(back, 0, 1, 0, 0)).toBeCloseTo(zero[1], 6); // row -1
    expect(at(back, 0, 1, 1, 2)).toBeCloseTo(norm(100 + 10 + 4 * 0 + 3, 1), 6); // row 0, column 3
    expect(at(back, 0, 1, 1, 3)).toBeCloseTo(zero[1], 6); // column 4
    // pad 2 reaches two pixels: r = 0.99 -> floor(4.95) - 2 = +2
    const far = augmentedBatch(data, [0], { pad: 2, flip: false }, draws(0.5, 0.99));
    expect(at(far, 0, 0, 1, 1)).toBeCloseTo(norm(4 * 1 + 3, 0), 6); // dy 0, dx +2: column 3
    expect(at(far, 0, 0, 1, 2)).toBeCloseTo(zero[0], 6); // column 4
  });

  it('flips left-right when the third draw is below 1/2, before shifting', () => {
    const flipped = augmentedBatch(data, [0], { pad: 0, flip: true }, draws(0.49));
    for (let x = 0; x < W; x++) expect(at(flipped, 0, 1, 2, x)).toBeCloseTo(norm(10 + 8 + (3 - x), 1), 6);
    const kept = augmentedBatch(data, [0], { pad: 0, flip: true }, draws(0.5));
    for (let x = 0; x < W; x++) expect(at(kept, 0, 1, 2, x)).toBeCloseTo(norm(10 + 8 + x, 1), 6);
    // flip then shift: out[y][x] = img[y + dy][(W - 1 - x) + dx]; dy 0 (r 0.5), dx +1 (r 0.9): x = 0 reads column 4 -> zero
    const both = augmentedBatch(data, [0], { pad: 1, flip: true }, draws(0.5, 0.9, 0.1));
    expect(at(both, 0, 0, 1, 0)).toBeCloseTo(zero[0], 6);
    expect(at(both, 0, 0, 1, 1)).toBeCloseTo(norm(4 + 3, 0), 6);
    expect(at(both, 0, 0, 1, 3)).toBeCloseTo(norm(4 + 1, 0), 6);
  });
});
