import { badInput } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { checkImageSize } from './image-header.ts';
import { parseIdx, type Dataset, type Preprocessing } from '../eval/dataset.ts';
import { parseNpy, parseNpz, type NpyArray } from './npy.ts';
import { checkLabels, contentHash } from './source.ts';
import type { DatasetFormat, ImportedDataset, ImportOptions, SourceImages, ValueRange } from './types.ts';

export type ArrayLayout = 'auto' | 'NCHW' | 'NHWC';

export interface ArrayImportOptions extends ImportOptions {
  /** Layout of a 4-D image array; 'auto' finds the axis of size 1, 3 or 4. */
  layout?: ArrayLayout;
  /** Class names; label values index this list. Without it, the distinct label values are the classes. */
  classes?: string[];
}

export interface NpzImportOptions extends ArrayImportOptions {
  /** Name of the image array; found among x, images, data, ... when not given. */
  x?: string;
  /** Name of the label array; found among y, labels, targets, ... when not given. */
  y?: string;
}

const X_NAMES = ['x', 'X', 'images', 'x_train', 'data', 'inputs', 'features'];
const Y_NAMES = ['y', 'Y', 'labels', 'y_train', 'targets', 'label', 'target'];
const CLASS_NAMES = ['classes', 'class_names', 'label_names', 'names'];
const CHANNELS = new Set([1, 3, 4]);

interface NumericArray {
  shape: number[];
  data: ArrayLike<number>;
}

function numeric(array: NpyArray, field: string): NumericArray {
  if (Array.isArray(array.data)) throw badInput(`${field} holds strings (${array.dtype}); it must hold numbers.`, field);
  return { shape: array.shape, data: array.data as ArrayLike<number> };
}

/** Works out [N, H, W, C] and the axis order of an image array, or says why it is not images. */
function imageGeometry(shape: number[], field: string, layout: ArrayLayout, warnings: string[]) {
  const bad = () =>
    badInput(
      `${field} has shape [${shape.join(', ')}]; images must be N x H x W, N x C x H x W or N x H x W x C with C = 1, 3 or 4.`,
      field,
    );
  if (shape.length === 3) return { n: shape[0], h: shape[1], w: shape[2], c: 1, nchw: false };
  if (shape.length === 2) {
    const side = Math.round(Math.sqrt(shape[1]));
    if (side * side !== shape[1] || side < 2) throw bad();
    warnings.push(`${field} is N x ${shape[1]}; read as ${side}x${side} grayscale images.`);
    return { n: shape[0], h: side, w: side, c: 1, nchw: false };
  }
  if (shape.length !== 4) throw bad();
  const [n, a, b, d] = shape;
  const first = CHANNELS.has(a);
  const last = CHANNELS.has(d);
  let nchw: boolean;
  if (layout === 'NCHW') nchw = true;
  else if (layout === 'NHWC') nchw = false;
  else if (first && !last) nchw = true;
  else if (last && !first) nchw = false;
  else if (first && last) {
    nchw = a <= d;
    warnings.push(`${field} shape [${shape.join(', ')}] could be NCHW or NHWC; read as ${nchw ? 'NCHW' : 'NHWC'} (choose the layout to change it).`);
  } else throw bad();
  const c = nchw ? a : d;
  if (!CHANNELS.has(c)) throw bad();
  return nchw ? { n, h: b, w: d, c, nchw } : { n, h: a, w: b, c, nchw };
}

/** Maps array values to 8-bit codes: integers 0..255 as they are, floats over their range. */
function valueRange(data: ArrayLike<number>, field: string): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw badInput(`${field}: value ${v} at flat index ${i} is not a finite number.`, field);
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && v !== Math.round(v)) integral = false;
  }
  if (data.length === 0) return { lo: 0, step: 1, quantizationError: 0, kind: 'pixels' };
  if (integral && min >= 0 && max <= 255) return { lo: 0, step: 1, quantizationError: 0, kind: 'pixels' };
  if (min >= 0 && max <= 1) return { lo: 0, step: 1 / 255, quantizationError: 0, kind: 'unit' };
  return { lo: min, step: max > min ? (max - min) / 255 : 1, quantizationError: 0, kind: 'other' };
}

/** Converts an image array to 8-bit HWC images, whatever its dtype and layout. */
export function imagesFromArray(
  array: NumericArray,
  field: string,
  layout: ArrayLayout = 'auto',
): { images: SourceImages & { kind: 'uniform' }; values: ValueRange; warnings: string[] } {
  const warnings: string[] = [];
  const { n, h, w, c, nchw } = imageGeometry(array.shape, field, layout, warnings);
  if (n === 0) throw badInput(`${field} holds no images (shape [${array.shape.join(', ')}]).`, field);
  if (n > LIMITS.data.images) throw badInput(`${field} holds ${n.toLocaleString('en-US')} images; edgefold imports up to ${LIMITS.data.images.toLocaleString('en-US')} per dataset (docs/limits.md).`, field);
  checkImageSize({ width: w, height: h }, `${field} (shape [${array.shape.join(', ')}])`);
  const values = valueRange(array.data, field);
  const out = new Uint8Array(n * h * w * c);
  const plane = h * w;
  const src = array.data;
  let maxError = 0;
  const code = (v: number) => {
    const q = Math.min(255, Math.max(0, Math.round((v - values.lo) / values.step)));
    const err = Math.abs(v - (values.lo + q * values.step));
    if (err > maxError) maxError = err;
    return q;
  };
  for (let i = 0; i < n; i++) {
    const base = i * plane * c;
    if (!nchw || c === 1) {
      for (let k = 0; k < plane * c; k++) out[base + k] = code(src[base + k]);
    } else {
      for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) out[base + p * c + ch] = code(src[base + ch * plane + p]);
    }
  }
  values.quantizationError = maxError;
  if (values.kind !== 'pixels' && maxError > values.step * 0.01) {
    warnings.push(`${field}: float values stored as 8-bit codes over [${values.lo}, ${values.lo + 255 * values.step}]; largest rounding error ${maxError.toPrecision(3)}.`);
  }
  return { images: { kind: 'uniform', count: n, width: w, height: h, channels: c as 1 | 2 | 3 | 4, data: out }, values, warnings };
}

/** Reads integer labels (N, N x 1, or one-hot N x K) and builds the class list. */
export function labelsFromArray(
  array: NumericArray,
  count: number,
  field: string,
  classNames?: string[],
): { labels: Int32Array; classes: string[]; classIds?: number[]; perClass: number[] } {
  const { shape, data } = array;
  let raw: Float64Array;
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
    raw = Float64Array.from(data);
  } else if (shape.length === 2) {
    // one-hot (or scores): take the arg-max of each row
    const k = shape[1];
    raw = new Float64Array(shape[0]);
    for (let i = 0; i < shape[0]; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (data[i * k + j] > data[i * k + best]) best = j;
      raw[i] = best;
    }
  } else {
    throw badInput(`${field} has shape [${shape.join(', ')}]; labels must be N integers.`, field);
  }
  if (raw.length !== count) throw badInput(`${field} has ${raw.length} labels for ${count} images.`, field);
  for (let i = 0; i < raw.length; i++) {
    if (!Number.isInteger(raw[i])) throw badInput(`${field}: label ${raw[i]} at index ${i} is not an integer.`, field);
    if (raw[i] < 0) throw badInput(`${field}: label ${raw[i]} at index ${i} is out of range (labels start at 0).`, field);
  }
  if (classNames) {
    const labels = Int32Array.from(raw);
    const perClass = checkLabels(labels, classNames, field);
    return { labels, classes: classNames, perClass };
  }
  const ids = [...new Set(raw)].sort((a, b) => a - b);
  const index = new Map(ids.map((v, i) => [v, i]));
  const labels = Int32Array.from(raw, (v) => index.get(v)!);
  const classes = ids.map(String);
  const perClass = checkLabels(labels, classes, field);
  return { labels, classes, classIds: ids, perClass };
}

export function importArrays(
  x: NumericArray,
  y: NumericArray,
  fields: { x: string; y: string; name: string; format: DatasetFormat },
  options: ArrayImportOptions = {},
): ImportedDataset {
  const { images, values, warnings } = imagesFromArray(x, fields.x, options.layout);
  const { labels, classes, classIds } = labelsFromArray(y, images.count, fields.y, options.classes);
  return {
    name: options.name ?? fields.name,
    format: fields.format,
    count: images.count,
    classes,
    classIds,
    labels,
    images,
    values,
    contentSha256: contentHash(images, labels, classes, values),
    warnings,
  };
}

const baseName = (fileName: string) => {
  let name = fileName.split(/[\\/]/).pop()!;
  for (let before = ''; before !== name; ) {
    before = name;
    name = name.replace(/(\.gz|\.npz|\.npy|\.idx|[.-]idx\d-ubyte|\.ubyte)$/i, '');
  }
  return name;
};

/** Imports an .npz holding images (x) and integer labels (y), and optionally class names. */
export function importNpz(bytes: Uint8Array, fileName: string, options: NpzImportOptions = {}): ImportedDataset {
  const arrays = parseNpz(bytes, fileName);
  const pick = (wanted: string | undefined, names: string[], what: string) => {
    if (wanted) {
      if (!arrays.has(wanted)) throw badInput(`${fileName} has no array "${wanted}" (it has: ${[...arrays.keys()].join(', ')}).`, wanted);
      return wanted;
    }
    const found = names.find((k) => arrays.has(k));
    if (!found) {
      throw badInput(`${fileName} has no ${what} array (looked for ${names.join(', ')}; it has: ${[...arrays.keys()].join(', ')}).`, fileName);
    }
    return found;
  };
  const xKey = pick(options.x, X_NAMES, 'image');
  const yKey = pick(options.y, Y_NAMES, 'label');
  let classes = options.classes;
  const classKey = CLASS_NAMES.find((k) => arrays.has(k));
  if (!classes && classKey) {
    const names = arrays.get(classKey)!.data;
    if (!Array.isArray(names)) throw badInput(`${fileName}:${classKey} must hold class names as strings.`, classKey);
    classes = names;
  }
  return importArrays(
    numeric(arrays.get(xKey)!, `${fileName}:${xKey}`),
    numeric(arrays.get(yKey)!, `${fileName}:${yKey}`),
    { x: `${fileName}:${xKey}`, y: `${fileName}:${yKey}`, name: baseName(fileName), format: 'npz' },
    { ...options, classes },
  );
}

/** Imports a pair of .npy files (images, labels). */
export function importNpy(xBytes: Uint8Array, xName: string, yBytes: Uint8Array, yName: string, options: ArrayImportOptions = {}): ImportedDataset {
  return importArrays(numeric(parseNpy(xBytes, xName), xName), numeric(parseNpy(yBytes, yName), yName), {
    x: xName,
    y: yName,
    name: baseName(xName),
    format: 'npy',
  }, options);
}

/** Imports a pair of IDX files (gzip or plain), as in MNIST / Fashion-MNIST. */
export function importIdx(imagesBytes: Uint8Array, imagesName: string, labelsBytes: Uint8Array, labelsName: string, options: ArrayImportOptions = {}): ImportedDataset {
  const images = parseIdx(imagesBytes, imagesName);
  const labels = parseIdx(labelsBytes, labelsName);
  return importArrays({ shape: images.dims, data: images.data }, { shape: labels.dims, data: labels.data }, {
    x: imagesName,
    y: labelsName,
    name: baseName(imagesName).replace(/[-_]?images?$/i, '') || baseName(imagesName),
    format: 'idx',
  }, options);
}

/** Wraps datasets read through a manifest (public/data/*.json); several splits are concatenated. */
export function importLoadedDatasets(parts: Dataset[], options: { name?: string } = {}): ImportedDataset {
  if (!parts.length) throw badInput('no dataset split to import.', 'split');
  const [c, h, w] = parts[0].shape;
  const mismatch = parts.find((p) => p.shape.join() !== parts[0].shape.join() || p.classes.join() !== parts[0].classes.join());
  if (mismatch) throw badInput(`split "${mismatch.split}" does not match split "${parts[0].split}" in shape or classes.`, mismatch.split);
  const count = parts.reduce((n, p) => n + p.count, 0);
  const plane = h * w;
  const data = new Uint8Array(count * c * plane);
  const labels = new Int32Array(count);
  let i = 0;
  for (const part of parts) {
    for (let k = 0; k < part.count; k++, i++) {
      labels[i] = part.labels[k];
      const src = k * c * plane;
      const dst = i * c * plane;
      if (c === 1) data.set(part.pixels.subarray(src, src + plane), dst);
      else for (let ch = 0; ch < c; ch++) for (let p = 0; p < plane; p++) data[dst + p * c + ch] = part.pixels[src + ch * plane + p];
    }
  }
  const images: SourceImages = { kind: 'uniform', count, width: w, height: h, channels: c as 1 | 3, data };
  const classes = parts[0].classes;
  checkLabels(labels, classes, `${parts[0].name} labels`);
  const values: ValueRange = { lo: 0, step: 1, quantizationError: 0, kind: 'pixels' };
  const hint: Preprocessing = parts[0].preprocessing;
  return {
    name: options.name ?? parts[0].name,
    format: 'manifest',
    count,
    classes,
    labels,
    images,
    values,
    contentSha256: contentHash(images, labels, classes, values),
    preprocessingHint: hint,
    warnings: [],
  };
}
