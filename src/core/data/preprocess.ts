import { badInput, EdgefoldError, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import type { Preprocessing } from '../eval/dataset.ts';
import type { Shape } from '../graph/layer.ts';
import { imageAt, imageCount, originOf } from './source.ts';
import type { DecodedImage, ImportedDataset, ValueRange } from './types.ts';

export type ResizeMode = 'none' | 'stretch' | 'center-crop';
export type ColorMode = 'grayscale' | 'rgb';
export type Layout = 'NCHW' | 'NHWC';

/**
 * What the user sees and edits: the geometry the model wants (resize, colour, layout) and the
 * arithmetic on values: input = (value * scale - mean[c]) / std[c], where value is the source
 * value (0..255 for 8-bit images, the stored float for float arrays).
 */
export interface PreprocessSpec {
  width: number;
  height: number;
  resize: ResizeMode;
  color: ColorMode;
  scale: number;
  mean: number[];
  std: number[];
  /** Layout of the model input; the dataset itself is always stored NCHW. */
  layout: Layout;
}

export const channelsOf = (spec: Pick<PreprocessSpec, 'color'>): 1 | 3 => (spec.color === 'rgb' ? 3 : 1);

/** The model's input as [C, H, W] and its layout, from a 4-D input shape. */
export function modelInputGeometry(inputShape: Shape): { channels: number; height: number; width: number; layout: Layout } {
  const fail = () =>
    badInput(`the model input [${inputShape.map((d) => d ?? 'N').join(', ')}] is not an image batch (N x C x H x W or N x H x W x C with C = 1 or 3).`, 'input');
  if (inputShape.length !== 4) throw fail();
  const [, a, b, c] = inputShape;
  const isChannels = (d: number | null) => d === 1 || d === 3;
  if (isChannels(a) && b !== null && c !== null && !(isChannels(c) && a! > c)) return { channels: a!, height: b, width: c, layout: 'NCHW' };
  if (isChannels(c) && a !== null && b !== null) return { channels: c!, height: a, width: b, layout: 'NHWC' };
  throw fail();
}

/**
 * Preprocessing pre-filled from the model's input shape and what the data looks like. `hint` is
 * the normalisation the model was trained with (e.g. the bundled manifest's) when known.
 */
export function defaultPreprocessing(
  inputShape: Shape,
  data?: Pick<ImportedDataset, 'images' | 'values' | 'preprocessingHint'>,
  hint?: Preprocessing,
): PreprocessSpec {
  const { channels, height, width, layout } = modelInputGeometry(inputShape);
  const color: ColorMode = channels === 3 ? 'rgb' : 'grayscale';
  let resize: ResizeMode = 'none';
  if (data) {
    const n = imageCount(data.images);
    for (let i = 0; i < n; i++) {
      const im = imageAt(data.images, i);
      if (im.width !== width || im.height !== height) {
        resize = 'stretch';
        break;
      }
    }
  }
  const known = hint ?? data?.preprocessingHint;
  const kind = data?.values.kind ?? 'pixels';
  const fits = known && known.mean.length === channels;
  // A known normalisation is stated for 0..255 pixels; a [0, 1] float source needs scale 1 instead.
  const scale = kind === 'pixels' ? (known?.scale ?? 1 / 255) : kind === 'unit' ? (known ? known.scale * 255 : 1) : 1;
  const useKnown = fits && kind !== 'other';
  return {
    width,
    height,
    resize,
    color,
    scale,
    mean: useKnown ? [...known!.mean] : new Array(channels).fill(0),
    std: useKnown ? [...known!.std] : new Array(channels).fill(1),
    layout,
  };
}

/** Checks a spec on its own and against the model input; messages name the field. */
export function validatePreprocessing(spec: PreprocessSpec, inputShape?: Shape): void {
  const c = channelsOf(spec);
  if (!(Number.isInteger(spec.width) && spec.width > 0 && Number.isInteger(spec.height) && spec.height > 0)) {
    throw badInput(`preprocessing: width and height must be positive integers (got ${spec.width} x ${spec.height}).`, 'preprocessing.size');
  }
  if (!['none', 'stretch', 'center-crop'].includes(spec.resize)) throw badInput(`preprocessing: unknown resize "${spec.resize}".`, 'preprocessing.resize');
  if (!['grayscale', 'rgb'].includes(spec.color)) throw badInput(`preprocessing: unknown colour mode "${spec.color}".`, 'preprocessing.color');
  if (!Number.isFinite(spec.scale) || spec.scale === 0) throw badInput('preprocessing: scale must be a non-zero number.', 'preprocessing.scale');
  if (spec.mean.length !== c || spec.mean.some((m) => !Number.isFinite(m))) {
    throw badInput(`preprocessing: mean needs ${c} number(s), one per channel (got [${spec.mean.join(', ')}]).`, 'preprocessing.mean');
  }
  if (spec.std.length !== c || spec.std.some((s) => !(Number.isFinite(s) && s !== 0))) {
    throw badInput(`preprocessing: std needs ${c} non-zero number(s), one per channel (got [${spec.std.join(', ')}]).`, 'preprocessing.std');
  }
  if (inputShape) {
    const model = modelInputGeometry(inputShape);
    if (model.channels !== c || model.height !== spec.height || model.width !== spec.width || model.layout !== spec.layout) {
      throw badInput(
        `preprocessing gives ${c}x${spec.height}x${spec.width} (${spec.layout}) but the model takes ${model.channels}x${model.height}x${model.width} (${model.layout}).`,
        'preprocessing',
      );
    }
  }
}

/** The per-batch arithmetic the evaluation core applies to the stored 8-bit codes. */
export function datasetPreprocessing(spec: PreprocessSpec, values: ValueRange): Preprocessing {
  // value = lo + code * step, so (value * scale - mean) / std = (code * step * scale - (mean - lo * scale)) / std
  return {
    scale: values.step * spec.scale,
    mean: spec.mean.map((m) => m - values.lo * spec.scale),
    std: [...spec.std],
  };
}

// ---- pixels ------------------------------------------------------------------------------

/** One image converted to `channels` planes (CHW, float) at its own size. */
function toPlanes(im: DecodedImage, channels: 1 | 3): Float32Array[] {
  const n = im.width * im.height;
  const src = im.data;
  const c = im.channels;
  const planes = Array.from({ length: channels }, () => new Float32Array(n));
  for (let p = 0; p < n; p++) {
    const o = p * c;
    if (c <= 2) {
      for (const plane of planes) plane[p] = src[o];
    } else if (channels === 3) {
      planes[0][p] = src[o];
      planes[1][p] = src[o + 1];
      planes[2][p] = src[o + 2];
    } else {
      // ITU-R BT.601 luma in integers, so gray content stored as RGB comes back unchanged
      planes[0][p] = Math.floor((299 * src[o] + 587 * src[o + 1] + 114 * src[o + 2] + 500) / 1000);
    }
  }
  return planes;
}

/** Resampling weights for one axis (triangle filter widened when shrinking, as PIL's bilinear). */
function axisWeights(srcSize: number, start: number, length: number, outSize: number) {
  const scale = length / outSize;
  const support = Math.max(1, scale);
  const first = new Int32Array(outSize);
  const weights: Float32Array[] = [];
  for (let i = 0; i < outSize; i++) {
    const centre = start + (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(srcSize - 1, Math.ceil(centre + support));
    const w = new Float32Array(hi - lo + 1);
    let sum = 0;
    for (let j = lo; j <= hi; j++) {
      const t = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / support);
      w[j - lo] = t;
      sum += t;
    }
    if (sum === 0) {
      const nearest = Math.min(srcSize - 1, Math.max(0, Math.floor(centre)));
      first[i] = nearest;
      weights.push(Float32Array.of(1));
      continue;
    }
    for (let k = 0; k < w.length; k++) w[k] /= sum;
    first[i] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/** Resamples a plane's region [x0, x0 + rw) x [y0, y0 + rh) to outW x outH. */
function resample(plane: Float32Array, w: number, h: number, roi: [number, number, number, number], outW: number, outH: number): Float32Array {
  const [x0, y0, rw, rh] = roi;
  const hx = axisWeights(w, x0, rw, outW);
  const vy = axisWeights(h, y0, rh, outH);
  const tmp = new Float32Array(outW * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < outW; x++) {
      const wt = hx.weights[x];
      const f = hx.first[x];
      let s = 0;
      for (let k = 0; k < wt.length; k++) s += wt[k] * plane[y * w + f + k];
      tmp[y * outW + x] = s;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const wt = vy.weights[y];
    const f = vy.first[y];
    for (let x = 0; x < outW; x++) {
      let s = 0;
      for (let k = 0; k < wt.length; k++) s += wt[k] * tmp[(f + k) * outW + x];
      out[y * outW + x] = s;
    }
  }
  return out;
}

/** The source region a resize mode reads from. */
function regionOf(mode: ResizeMode, w: number, h: number, outW: number, outH: number): [number, number, number, number] {
  if (mode !== 'center-crop') return [0, 0, w, h];
  const scale = Math.min(w / outW, h / outH);
  const rw = outW * scale;
  const rh = outH * scale;
  return [(w - rw) / 2, (h - rh) / 2, rw, rh];
}

/** Converts image i to the spec's size and colour: 8-bit CHW written at `out[offset...]`. */
export function preprocessImage(im: DecodedImage, spec: PreprocessSpec, out: Uint8Array, offset: number): void {
  const c = channelsOf(spec);
  const planes = toPlanes(im, c);
  const size = spec.width * spec.height;
  const same = im.width === spec.width && im.height === spec.height;
  for (let ch = 0; ch < c; ch++) {
    const plane = same || spec.resize === 'none' ? planes[ch] : resample(planes[ch], im.width, im.height, regionOf(spec.resize, im.width, im.height, spec.width, spec.height), spec.width, spec.height);
    const base = offset + ch * size;
    for (let p = 0; p < size; p++) out[base + p] = Math.min(255, Math.max(0, Math.round(plane[p])));
  }
}

/** When resize is "none", every image must already have the model's size; names the first that doesn't. */
export function checkSizes(data: ImportedDataset, spec: PreprocessSpec): void {
  if (spec.resize !== 'none') return;
  const n = imageCount(data.images);
  const first = imageAt(data.images, 0);
  for (let i = 0; i < n; i++) {
    const im = imageAt(data.images, i);
    if (im.width !== first.width || im.height !== first.height) {
      throw badInput(
        `images differ in size: ${originOf(data, 0)} is ${first.width}x${first.height}, ${originOf(data, i)} is ${im.width}x${im.height}. ` +
          'Choose a resize mode (stretch or center-crop) to bring them to the model size.',
        'preprocessing.resize',
      );
    }
  }
  if (first.width !== spec.width || first.height !== spec.height) {
    throw badInput(
      `${originOf(data, 0)} is ${first.width}x${first.height} but the model takes ${spec.width}x${spec.height}. Choose a resize mode (stretch or center-crop).`,
      'preprocessing.resize',
    );
  }
}

/** Applies the geometric part of the spec to every image: 8-bit [N, C, H, W]. */
export async function preprocessAll(
  data: ImportedDataset,
  spec: PreprocessSpec,
  options: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void } = {},
): Promise<Uint8Array> {
  validatePreprocessing(spec);
  checkSizes(data, spec);
  const n = imageCount(data.images);
  const size = channelsOf(spec) * spec.width * spec.height;
  if (n * size > 2 ** 31) throw new EdgefoldError('unsupported', `${n} images of ${size} values do not fit in memory; use fewer or smaller images.`, 'images');
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    preprocessImage(imageAt(data.images, i), spec, out, i * size);
    if ((i + 1) % 1000 === 0) {
      options.onProgress?.({ done: i + 1, total: n });
      // let a worker see a cancel message between chunks
      await nextMacrotask();
      throwIfAborted(options.signal);
    }
  }
  options.onProgress?.({ done: n, total: n });
  return out;
}
