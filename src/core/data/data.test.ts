import { createHash } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { importIdx, importLoadedDatasets, importNpy, importNpz } from './arrays.ts';
import { detectFormat } from './detect.ts';
import { importImageFolder, importImageZip } from './image-folder.ts';
import { datasetForModel, defaultLabelMapping } from './labels.ts';
import { decodeImageNode, encodePng } from './node-decoder.ts';
import { encodeNpy, parseNpy, parseNpz } from './npy.ts';
import { prepareDataset, previewTiles } from './prepare.ts';
import { defaultPreprocessing, modelInputGeometry, preprocessImage, validatePreprocessing, type PreprocessSpec } from './preprocess.ts';
import { canonicalJson, sha256Hex } from './sha256.ts';
import { summarizeImported } from './source.ts';
import { DEFAULT_SPLIT, splitIndices } from './split.ts';
import type { ImportedDataset } from './types.ts';

/** A hand-written .npy v1 header around raw little-endian data (independent of encodeNpy). */
function rawNpy(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(strToU8(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

function unicodeNpy(strings: string[], width: number): Uint8Array {
  const body = new Uint8Array(strings.length * width * 4);
  const view = new DataView(body.buffer);
  strings.forEach((s, i) => [...s].forEach((ch, c) => view.setUint32((i * width + c) * 4, ch.codePointAt(0)!, true)));
  return rawNpy(`<U${width}`, [strings.length], body);
}

const float32Bytes = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

/** 6 images of 4x4 RGB (NHWC); image i has red = 10 i, green = pixel index, blue = 200. */
function rgbImages(n = 6, h = 4, w = 4): Uint8Array {
  const x = new Uint8Array(n * h * w * 3);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) x.set([10 * i, p, 200], (i * h * w + p) * 3);
  return x;
}

const model28: (number | null)[] = [null, 1, 28, 28];

describe('npy / npz', () => {
  it('reads numeric and string arrays written by hand, and round-trips encodeNpy', () => {
    const f = parseNpy(rawNpy('<f4', [2, 2], float32Bytes([1.5, -2, 0.25, 3])), 'f.npy');
    expect(f.shape).toEqual([2, 2]);
    expect(Array.from(f.data as Float32Array)).toEqual([1.5, -2, 0.25, 3]);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setInt32(0, -7, false);
    new DataView(big.buffer).setInt32(4, 300, false);
    expect(Array.from(parseNpy(rawNpy('>i4', [2], big), 'b.npy').data as Int32Array)).toEqual([-7, 300]);
    expect(parseNpy(unicodeNpy(['coat', 'bag'], 5), 's.npy').data).toEqual(['coat', 'bag']);
    const back = parseNpy(encodeNpy([1, 2, 3, 4, 5, 6], [2, 3], '<i8'), 'r.npy');
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(parseNpy(encodeNpy([0.5, -1], [2], '<f4'), 'r.npy').data as Float32Array)).toEqual([0.5, -1]);
  });

  it('names the file when an array is broken or of an unreadable dtype', () => {
    expect(() => parseNpy(strToU8('not numpy at all'), 'junk.npy')).toThrow(/junk.npy is not a .npy file/);
    expect(() => parseNpy(rawNpy('<f4', [4], float32Bytes([1, 2])), 'short.npy')).toThrow(/short.npy: holds 8 data bytes.*needs 16/);
    expect(() => parseNpy(rawNpy('|O', [1], new Uint8Array(8)), 'obj.npy')).toThrow(/obj.npy holds pickled Python objects/);
    expect(() => parseNpz(strToU8('PK nonsense'), 'bad.npz')).toThrow(/bad.npz is not a readable .npz/);
  });

  it('imports an npz with NHWC uint8 images, integer labels and class names', () => {
    const npz = zipSync({
      'x.npy': rawNpy('|u1', [6, 4, 4, 3], rgbImages()),
      'y.npy': encodeNpy([0, 1, 2, 0, 1, 2], [6], '<i8'),
      'classes.npy': unicodeNpy(['ant', 'bee', 'cow'], 3),
    });
    const data = importNpz(npz, 'zoo.npz');
    expect(data).toMatchObject({ name: 'zoo', format: 'npz', count: 6, classes: ['ant', 'bee', 'cow'] });
    expect(data.images).toMatchObject({ kind: 'uniform', width: 4, height: 4, channels: 3 });
    expect(Array.from(data.labels)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(data.values.kind).toBe('pixels');
    const summary = summarizeImported(data);
    expect(summary.perClass).toEqual([2, 2, 2]);
    expect(summary.grayscale).toBe(false);
    expect(summary.sizes).toEqual([{ width: 4, height: 4, channels: 3, count: 6 }]);
  });

  it('reads NCHW float images in [0, 1] exactly, and float images of any range within half a code', async () => {
    const n = 4;
    const x = new Float32Array(n * 3 * 2 * 2);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 37) % 256) / 255;
    const npz = zipSync({ 'images.npy': rawNpy('<f4', [n, 3, 2, 2], new Uint8Array(x.buffer)), 'labels.npy': encodeNpy([0, 1, 0, 1], [4], '<i4') });
    const data = importNpz(npz, 'unit.npz');
    expect(data.values).toMatchObject({ kind: 'unit', lo: 0 });
    const spec = defaultPreprocessing([null, 3, 2, 2], data);
    expect(spec).toMatchObject({ scale: 1, mean: [0, 0, 0], std: [1, 1, 1], resize: 'none', color: 'rgb', layout: 'NCHW' });
    const prepared = await prepareDataset(data, spec, { seed: 1, calibration: 0, training: 1, validation: 0 });
    const batch = batchTensor(prepared.all, 0, n);
    for (let i = 0; i < x.length; i++) expect(batch[i]).toBeCloseTo(x[i], 6);

    // already-normalised values (negative, arbitrary range): stored as 8-bit codes over the range
    const z = Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => Math.sin(i) * 2.5 - 0.3);
    const normed = importNpy(rawNpy('<f4', [2, 3, 3], new Uint8Array(z.buffer)), 'z.npy', encodeNpy([3, 7], [2], '<i8'), 'zy.npy');
    expect(normed.values.kind).toBe('other');
    expect(normed.classes).toEqual(['3', '7']);
    expect(normed.classIds).toEqual([3, 7]);
    const step = normed.values.step;
    expect(normed.values.quantizationError).toBeLessThanOrEqual(step / 2 + 1e-9);
    const s2 = defaultPreprocessing([null, 1, 3, 3], normed);
    expect(s2).toMatchObject({ scale: 1, mean: [0], std: [1] });
    const p2 = await prepareDataset(normed, s2, { seed: 1, calibration: 0, training: 1, validation: 0 });
    const b2 = batchTensor(p2.all, 0, 2);
    for (let i = 0; i < z.length; i++) expect(Math.abs(b2[i] - z[i])).toBeLessThanOrEqual(step / 2 + 1e-5);
  });

  it('gives clear errors naming the array: labels out of range, count mismatch, empty class, shapes, NaN, missing arrays', () => {
    const x = rawNpy('|u1', [6, 4, 4, 3], rgbImages());
    const npz = (entries: Record<string, Uint8Array>) => zipSync(entries);
    const names = unicodeNpy(['ant', 'bee', 'cow'], 3);
    expect(() => importNpz(npz({ 'x.npy': x, 'y.npy': encodeNpy([0, 1, 2, 0, 5, 2], [6], '<i8'), 'classes.npy': names }), 'd.npz')).toThrow(
      /d.npz:y: label 5 at index 4 is out of range \(3 classes/,
    );
    expect(() => importNpz(npz({ 'x.npy': x, 'y.npy': encodeNpy([0, 1, 0, 0, 1, 0], [6], '<i8'), 'classes.npy': names }), 'd.npz')).toThrow(
      /class "cow" \(label 2\) has no images in d.npz:y/,
    );
    expect(() => importNpz(npz({ 'x.npy': x, 'y.npy': encodeNpy([0, 1, 0], [3], '<i8') }), 'd.npz')).toThrow(/d.npz:y has 3 labels for 6 images/);
    expect(() => importNpz(npz({ 'x.npy': x, 'y.npy': encodeNpy([0, -1, 0, 1, 1, 0], [6], '<i8') }), 'd.npz')).toThrow(/label -1 at index 1/);
    expect(() => importNpz(npz({ 'x.npy': x, 'y.npy': encodeNpy([1, 1, 1, 1, 1, 1], [6], '<i8') }), 'd.npz')).toThrow(/at least two classes/);
    expect(() => importNpz(npz({ 'x.npy': rawNpy('|u1', [2, 5, 6, 6], new Uint8Array(360)), 'y.npy': encodeNpy([0, 1], [2], '<i8') }), 'd.npz')).toThrow(
      /d.npz:x has shape \[2, 5, 6, 6\]; images must be/,
    );
    expect(() => importNpz(npz({ 'x.npy': rawNpy('<f4', [1, 2, 2], float32Bytes([0, NaN, 1, 1])), 'y.npy': encodeNpy([0], [1], '<i8') }), 'd.npz')).toThrow(
      /d.npz:x: value NaN at flat index 1/,
    );
    expect(() => importNpz(npz({ 'pixels.npy': x, 'y.npy': encodeNpy([0], [1], '<i8') }), 'd.npz')).toThrow(/d.npz has no image array \(looked for x, .*it has: pixels, y\)/);
    expect(() => importNpz(npz({ 'x.npy': x, 'y.npy': rawNpy('<f4', [6], float32Bytes([0, 1, 0.5, 1, 0, 1])) }), 'd.npz')).toThrow(/label 0.5 at index 2 is not an integer/);
  });
});

describe('image folders', () => {
  const square = (w: number, h: number, rgb: [number, number, number]) =>
    encodePng(w, h, 3, Uint8Array.from({ length: w * h * 3 }, (_, i) => rgb[i % 3]));
  const gray = (w: number, h: number, f: (x: number, y: number) => number) =>
    encodePng(w, h, 1, Uint8Array.from({ length: w * h }, (_, i) => f(i % w, Math.floor(i / w))));

  it('imports a zipped ImageFolder of PNGs (through a wrapping folder), skipping junk, classes sorted by name', async () => {
    const zip = zipSync({
      'pets/dog/b.png': square(3, 2, [0, 0, 255]),
      'pets/cat/2.png': square(3, 2, [255, 0, 0]),
      'pets/cat/1.png': square(3, 2, [250, 10, 0]),
      'pets/dog/a.png': square(3, 2, [0, 5, 250]),
      'pets/README.txt': strToU8('hello'),
      '__MACOSX/pets/cat/._1.png': strToU8('junk'),
      'pets/cat/.DS_Store': strToU8('junk'),
    });
    const progress: number[] = [];
    const data = await importImageZip(zip, 'pets.zip', decodeImageNode, { onProgress: (p) => progress.push(p.done) });
    expect(data).toMatchObject({ name: 'pets', format: 'image-folder', count: 4, classes: ['cat', 'dog'] });
    expect(data.origins).toEqual(['pets/cat/1.png', 'pets/cat/2.png', 'pets/dog/a.png', 'pets/dog/b.png']);
    expect(Array.from(data.labels)).toEqual([0, 0, 1, 1]);
    expect(data.warnings.join()).toMatch(/ignored 1 file\(s\).*README.txt/);
    expect(progress.at(-1)).toBe(4);
    const img = data.images.kind === 'uniform' ? data.images.data : new Uint8Array();
    expect(Array.from(img.subarray(0, 4))).toEqual([250, 10, 0, 255]); // RGBA of cat/1.png

    // RGB model: pixels come through unchanged, NCHW
    const prepared = await prepareDataset(data, defaultPreprocessing([null, 3, 2, 3], data), { seed: 3, calibration: 0, training: 0.5, validation: 0.5 });
    expect(prepared.all.shape).toEqual([3, 2, 3]);
    expect(Array.from(prepared.all.pixels.subarray(0, 13))).toEqual([250, 250, 250, 250, 250, 250, 10, 10, 10, 10, 10, 10, 0]);
    expect(prepared.identity.counts).toMatchObject({ total: 4, perClass: [2, 2], training: 2, validation: 2, calibration: 0 });
  });

  it('decodes JPEG as well, and keeps gray PNG content exact when converting to grayscale', async () => {
    const rgba = Uint8Array.from({ length: 8 * 8 * 4 }, (_, i) => (i % 4 === 3 ? 255 : 128));
    const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: rgba }, 95).data);
    const pattern = (x: number, y: number) => (x * 31 + y * 7) % 256;
    const data = await importImageFolder(
      [
        { path: 'a/1.jpg', bytes: jpg },
        { path: 'b/1.png', bytes: gray(8, 8, pattern) },
      ],
      decodeImageNode,
    );
    const first = data.images.kind === 'uniform' ? data.images.data : new Uint8Array();
    expect(Math.abs(first[0] - 128)).toBeLessThanOrEqual(2);
    const prepared = await prepareDataset(data, defaultPreprocessing([null, 1, 8, 8], data), { seed: 1, calibration: 0, training: 1, validation: 0 });
    const pngPixels = Array.from(prepared.all.pixels.subarray(64, 128));
    expect(pngPixels).toEqual(Array.from({ length: 64 }, (_, i) => pattern(i % 8, Math.floor(i / 8))));
  });

  it('says which file is wrong: unreadable, loose, empty class, mixed sizes, a size the model does not take', async () => {
    const good = square(4, 4, [9, 9, 9]);
    await expect(importImageFolder([{ path: 'a/x.png', bytes: good }, { path: 'b/broken.png', bytes: strToU8('not a png') }], decodeImageNode)).rejects.toThrow(
      /b\/broken.png could not be read as an image/,
    );
    await expect(importImageFolder([{ path: 'a/x.png', bytes: good }, { path: 'loose.png', bytes: good }], decodeImageNode)).rejects.toThrow(
      /loose.png is not inside a class folder/,
    );
    const zip = zipSync({ 'set/a/1.png': good, 'set/b/1.png': good, 'set/empty/': new Uint8Array() });
    await expect(importImageZip(zip, 'set.zip', decodeImageNode)).rejects.toThrow(/set.zip: class folder "set\/empty" holds no images/);
    await expect(importImageFolder([{ path: 'notes/a.txt', bytes: good }], decodeImageNode)).rejects.toThrow(/no images found/);

    const mixed = await importImageFolder(
      [
        { path: 'a/small.png', bytes: good },
        { path: 'b/big.png', bytes: square(6, 5, [1, 2, 3]) },
      ],
      decodeImageNode,
    );
    expect(mixed.images.kind).toBe('list');
    expect(summarizeImported(mixed).sizes).toHaveLength(2);
    const spec = defaultPreprocessing([null, 1, 4, 4], mixed);
    expect(spec.resize).toBe('stretch');
    await expect(prepareDataset(mixed, { ...spec, resize: 'none' }, DEFAULT_SPLIT)).rejects.toThrow(
      /images differ in size: a\/small.png is 4x4, b\/big.png is 6x5/,
    );
    const prepared = await prepareDataset(mixed, spec, DEFAULT_SPLIT);
    expect(prepared.all.shape).toEqual([1, 4, 4]);
    const same = await importImageFolder([{ path: 'a/1.png', bytes: good }, { path: 'b/1.png', bytes: good }], decodeImageNode);
    await expect(prepareDataset(same, { ...defaultPreprocessing([null, 1, 8, 8], same), resize: 'none' }, DEFAULT_SPLIT)).rejects.toThrow(
      /a\/1.png is 4x4 but the model takes 8x8/,
    );
  });
});

describe('preprocessing', () => {
  const image = (w: number, h: number, values: number[]) => ({ width: w, height: h, channels: 1 as const, data: Uint8Array.from(values) });
  const spec = (w: number, h: number, resize: PreprocessSpec['resize']): PreprocessSpec => ({
    width: w,
    height: h,
    resize,
    color: 'grayscale',
    scale: 1 / 255,
    mean: [0],
    std: [1],
    layout: 'NCHW',
  });

  it('shrinks by averaging, keeps constants constant, and crops the centre', () => {
    // 4x4 made of four 2x2 blocks 0, 40, 80, 120. Halving uses PIL's antialiased bilinear: a
    // triangle of radius 2 source pixels, weights (.75, .75, .25) / 1.75 over the three nearest
    // rows / columns, e.g. out[0] = ((0 + 0) * .75 + 40 * .25) / 1.75 down the columns of rows
    // 0, 1 and ((80 + 80) * .75 + 120 * .25) / 1.75 on row 2, then the same across the rows = 17.14.
    const blocks = image(4, 4, [0, 0, 40, 40, 0, 0, 40, 40, 80, 80, 120, 120, 80, 80, 120, 120]);
    const out = new Uint8Array(4);
    preprocessImage(blocks, spec(2, 2, 'stretch'), out, 0);
    expect(Array.from(out)).toEqual([17, 46, 74, 103]);
    const flat = new Uint8Array(9 * 5);
    preprocessImage(image(7, 3, new Array(21).fill(77)), spec(9, 5, 'stretch'), flat, 0);
    expect(new Set(flat)).toEqual(new Set([77]));
    // 6x2 image, columns 0..5 valued 10 * column: centre-crop to 2x2 keeps columns 2 and 3
    const wide = image(6, 2, [0, 10, 20, 30, 40, 50, 0, 10, 20, 30, 40, 50]);
    const crop = new Uint8Array(4);
    preprocessImage(wide, spec(2, 2, 'center-crop'), crop, 0);
    expect(Array.from(crop)).toEqual([20, 30, 20, 30]);
    // an upscaled ramp stays monotone and within range
    const up = new Uint8Array(8);
    preprocessImage(image(2, 1, [0, 200]), spec(8, 1, 'stretch'), up, 0);
    for (let i = 1; i < 8; i++) expect(up[i]).toBeGreaterThanOrEqual(up[i - 1]);
    expect(up[0]).toBe(0);
    expect(up[7]).toBe(200);
  });

  it('pre-fills from the model input (NCHW or NHWC, gray or RGB) and a known normalisation', () => {
    expect(modelInputGeometry([null, 1, 28, 28])).toEqual({ channels: 1, height: 28, width: 28, layout: 'NCHW' });
    expect(modelInputGeometry([1, 32, 32, 3])).toEqual({ channels: 3, height: 32, width: 32, layout: 'NHWC' });
    expect(() => modelInputGeometry([1, 49, 10])).toThrow(/not an image batch/);
    expect(defaultPreprocessing(model28, undefined, { scale: 1 / 255, mean: [0.286], std: [0.353] })).toEqual({
      width: 28,
      height: 28,
      resize: 'none',
      color: 'grayscale',
      scale: 1 / 255,
      mean: [0.286],
      std: [0.353],
      layout: 'NCHW',
    });
    const base = defaultPreprocessing(model28);
    expect(() => validatePreprocessing({ ...base, mean: [0, 0, 0] })).toThrow(/mean needs 1 number/);
    expect(() => validatePreprocessing({ ...base, std: [0] })).toThrow(/std needs 1 non-zero/);
    expect(() => validatePreprocessing({ ...base, color: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] }, model28)).toThrow(
      /preprocessing gives 3x28x28 \(NCHW\) but the model takes 1x28x28/,
    );
  });
});

describe('splits, identity, label mapping', () => {
  const labels = Int32Array.from({ length: 203 }, (_, i) => (i < 100 ? 0 : i < 200 ? 1 : 2));

  it('splits every class by the fractions with a fixed seed: disjoint, complete, reproducible', () => {
    const a = splitIndices(labels, 3, { seed: 42, calibration: 0.1, training: 0.7, validation: 0.2 });
    const b = splitIndices(labels, 3, { seed: 42, calibration: 0.1, training: 0.7, validation: 0.2 });
    const c = splitIndices(labels, 3, { seed: 43, calibration: 0.1, training: 0.7, validation: 0.2 });
    expect(a).toEqual(b);
    expect(Array.from(a.training)).not.toEqual(Array.from(c.training));
    const all = [...a.calibration, ...a.training, ...a.validation].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 203 }, (_, i) => i));
    const perClass = (idx: Int32Array) => [0, 1, 2].map((k) => Array.from(idx).filter((i) => labels[i] === k).length);
    expect(perClass(a.calibration)).toEqual([10, 10, 1]);
    expect(perClass(a.validation)).toEqual([20, 20, 1]);
    expect(perClass(a.training)).toEqual([70, 70, 1]);
    expect(() => splitIndices(labels, 3, { seed: 1, calibration: 0.5, training: 0.5, validation: 0.5 })).toThrow(/add up to 1.500/);
  });

  it('identity changes with content, preprocessing and split, and not otherwise', async () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const big = new Uint8Array(1_000_003).fill(7);
    expect(sha256Hex(big)).toBe(createHash('sha256').update(big).digest('hex'));
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    const make = (tweak = 0) => {
      const x = rgbImages();
      x[5] += tweak;
      return importNpz(zipSync({ 'x.npy': rawNpy('|u1', [6, 4, 4, 3], x), 'y.npy': encodeNpy([0, 1, 0, 1, 0, 1], [6], '<i8') }), 'd.npz');
    };
    const data = make();
    const spec = defaultPreprocessing([null, 3, 4, 4], data);
    const id = (await prepareDataset(data, spec, DEFAULT_SPLIT)).identity;
    expect((await prepareDataset(make(), spec, DEFAULT_SPLIT)).identity.id).toBe(id.id);
    expect(make(1).contentSha256).not.toBe(data.contentSha256);
    expect((await prepareDataset(make(1), spec, DEFAULT_SPLIT)).identity.id).not.toBe(id.id);
    expect((await prepareDataset(data, { ...spec, mean: [0.5, 0, 0] }, DEFAULT_SPLIT)).identity.id).not.toBe(id.id);
    expect((await prepareDataset(data, spec, { ...DEFAULT_SPLIT, seed: 2 })).identity.id).not.toBe(id.id);
    expect(id.counts.total).toBe(6);
    expect(id.preprocessing).toEqual(spec);
  });

  it('maps dataset classes to model outputs by name, by label value, or one to one', () => {
    const fmnist = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    expect(defaultLabelMapping({ classes: ['bag', 'ankle_boot', 'hat'] }, 10, fmnist)).toMatchObject({ toModel: [8, 9, -1], basis: 'names' });
    expect(defaultLabelMapping({ classes: ['2', '5'], classIds: [2, 5] }, 10)).toMatchObject({ toModel: [2, 5], basis: 'label-values' });
    expect(defaultLabelMapping({ classes: ['x', 'y'] }, 2)).toMatchObject({ toModel: [0, 1], basis: 'identity' });
    expect(defaultLabelMapping({ classes: ['x', 'y', 'z'] }, 2).basis).toBe('none');

    const data: Dataset = {
      name: 'd',
      split: 'all',
      count: 3,
      shape: [1, 1, 2],
      classes: ['bag', 'hat'],
      pixels: Uint8Array.from([1, 2, 3, 4, 5, 6]),
      labels: Uint8Array.from([0, 1, 0]),
      preprocessing: { scale: 1, mean: [0], std: [1] },
    };
    const forModel = datasetForModel(data, defaultLabelMapping(data, 10, fmnist));
    expect(forModel).toMatchObject({ count: 2, dropped: 1, classes: fmnist });
    expect(Array.from(forModel.labels)).toEqual([8, 8]);
    expect(Array.from(forModel.pixels)).toEqual([1, 2, 5, 6]);
    expect(() => datasetForModel(data, { toModel: [-1, -1], modelClasses: fmnist, basis: 'none' })).toThrow(/no class of d maps/);
  });
});

describe('other sources', () => {
  const idx = (dims: number[], data: ArrayLike<number>) => {
    const header = new Uint8Array(4 + 4 * dims.length);
    header[2] = 0x08;
    header[3] = dims.length;
    dims.forEach((d, i) => new DataView(header.buffer).setUint32(4 + 4 * i, d, false));
    return Uint8Array.from([...header, ...Array.from(data)]);
  };

  it('imports IDX pairs and manifest datasets, and picks preview tiles from every class', async () => {
    const images = idx([4, 2, 2], Array.from({ length: 16 }, (_, i) => i * 10));
    const data = importIdx(images, 'toy-images-idx3-ubyte', idx([4], [1, 0, 1, 0]), 'toy-labels-idx1-ubyte', { classes: ['off', 'on'] });
    expect(data).toMatchObject({ format: 'idx', count: 4, classes: ['off', 'on'], name: 'toy' });
    expect(detectFormat('toy-images-idx3-ubyte.gz', new Uint8Array([0x1f, 0x8b]))).toBe('idx');
    expect(detectFormat('x.bin', zipSync({ 'x.npy': new Uint8Array(1) }))).toBe('npz');
    expect(detectFormat('pets.zip', zipSync({ 'a/1.png': new Uint8Array(1) }))).toBe('zip');
    expect(() => importIdx(images, 'i.idx', idx([4], [0, 3, 1, 0]), 'l.idx', { classes: ['off', 'on'] })).toThrow(/l.idx: label 3 at index 1 is out of range/);

    const part = (split: string, labels: number[]): Dataset => ({
      name: 'm',
      split,
      count: labels.length,
      shape: [1, 2, 2],
      classes: ['a', 'b'],
      pixels: Uint8Array.from({ length: labels.length * 4 }, (_, i) => i),
      labels: Uint8Array.from(labels),
      preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.25] },
    });
    const merged = importLoadedDatasets([part('test', [0, 1]), part('calib', [1])]);
    expect(merged.count).toBe(3);
    expect(defaultPreprocessing([null, 1, 2, 2], merged)).toMatchObject({ mean: [0.5], std: [0.25], scale: 1 / 255 });

    const prepared = await prepareDataset(merged, defaultPreprocessing([null, 1, 2, 2], merged), DEFAULT_SPLIT);
    const tiles = previewTiles(prepared.all, 3);
    expect(tiles.map((t) => t.className)).toEqual(['a', 'b', 'b']);
    expect(Array.from(tiles[0].rgba.subarray(0, 8))).toEqual([0, 0, 0, 255, 1, 1, 1, 255]);
  });
});

export type { ImportedDataset };
