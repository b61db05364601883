import { badInput } from '../errors.ts';
import { gunzipBounded } from '../data/archive.ts';
import { boundedProduct, clip, LIMITS, quote } from '../limits.ts';

/** Preprocessing applied to uint8 pixels: x = (pixel * scale - mean[c]) / std[c]. */
export interface Preprocessing {
  scale: number;
  mean: number[];
  std: number[];
}

export interface SplitManifest {
  images: string;
  labels: string;
  count: number;
}

/** The JSON manifest that describes an image classification dataset (public/data/fmnist.json). */
export interface DatasetManifest {
  name: string;
  format: 'idx';
  splits: Record<string, SplitManifest>;
  /** [C, H, W] of one image. */
  shape: [number, number, number];
  layout: 'NCHW';
  classes: string[];
  preprocessing: Preprocessing;
}

/** Images kept as uint8 [N, C, H, W]; preprocessing happens per batch so memory stays small. */
export interface Dataset {
  name: string;
  split: string;
  count: number;
  shape: [number, number, number];
  classes: string[];
  pixels: Uint8Array;
  labels: Uint8Array;
  preprocessing: Preprocessing;
}

const IDX_UBYTE = 0x08;

/** Parses an IDX file (gzip or plain) of unsigned bytes; returns its dims and data. */
export function parseIdx(bytes: Uint8Array, fileName: string): { dims: number[]; data: Uint8Array } {
  let raw = bytes;
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipBounded(raw, fileName);
  if (raw.byteLength < 4 || raw[0] !== 0 || raw[1] !== 0) throw badInput(`${fileName} is not an IDX file (bad magic number).`, fileName);
  if (raw[2] !== IDX_UBYTE) throw badInput(`${fileName}: only unsigned-byte IDX files are supported (type 0x${raw[2].toString(16)}).`, fileName);
  const rank = raw[3];
  const offset = 4 + 4 * rank;
  if (raw.byteLength < offset) throw badInput(`${fileName}: the IDX header promises ${rank} dimensions but the file ends after ${raw.byteLength} bytes.`, fileName);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = boundedProduct(dims, LIMITS.data.arrayElements);
  if (count === Infinity) {
    throw badInput(`${fileName}: dims [${clip(dims.join(', '), 80)}] hold more than ${LIMITS.data.arrayElements.toLocaleString('en-US')} elements, the limit per array (docs/limits.md).`, fileName);
  }
  if (raw.byteLength - offset !== count) {
    throw badInput(`${fileName}: header promises ${count} bytes of data, file holds ${raw.byteLength - offset}.`, fileName);
  }
  return { dims, data: raw.subarray(offset) };
}

export function validateManifest(value: unknown, fileName = 'manifest'): DatasetManifest {
  const m = value as Partial<DatasetManifest>;
  const fail = (field: string, what: string) => badInput(`${fileName}: "${field}" ${what}.`, field);
  if (!m || typeof m !== 'object') throw badInput(`${fileName} is not a JSON object.`);
  if (m.format !== 'idx') throw fail('format', 'must be "idx"');
  if (!m.splits || typeof m.splits !== 'object' || !Object.keys(m.splits).length) throw fail('splits', 'must list at least one split');
  if (!Array.isArray(m.shape) || m.shape.length !== 3) throw fail('shape', 'must be [C, H, W]');
  const [c, h, w] = m.shape as unknown[];
  const side = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= LIMITS.data.imageSide;
  if (![1, 3].includes(c as number) || !side(h) || !side(w) || (h as number) * (w as number) > LIMITS.data.imagePixels) {
    throw fail('shape', `must be [C, H, W] with C 1 or 3 and H, W from 1 to ${LIMITS.data.imageSide} (got ${quote(m.shape)})`);
  }
  if (!Array.isArray(m.classes) || m.classes.length < 2) throw fail('classes', 'must name at least two classes');
  const p = m.preprocessing;
  if (!p || typeof p.scale !== 'number' || !Array.isArray(p.mean) || !Array.isArray(p.std)) {
    throw fail('preprocessing', 'must have scale, mean[] and std[]');
  }
  if (p.mean.length !== m.shape[0] || p.std.length !== m.shape[0]) throw fail('preprocessing', 'mean and std need one value per channel');
  return m as DatasetManifest;
}

/** Builds a dataset split from a manifest; `read` fetches a file named relative to the manifest. */
export async function loadDataset(
  manifest: DatasetManifest,
  split: string,
  read: (relativePath: string) => Promise<Uint8Array>,
): Promise<Dataset> {
  const entry = manifest.splits[split];
  if (!entry) throw badInput(`Dataset "${manifest.name}" has no split "${split}" (it has: ${Object.keys(manifest.splits).join(', ')}).`, 'split');
  const [imagesBytes, labelsBytes] = await Promise.all([read(entry.images), read(entry.labels)]);
  const images = parseIdx(imagesBytes, entry.images);
  const labels = parseIdx(labelsBytes, entry.labels);
  const [c, h, w] = manifest.shape;
  const n = images.dims[0];
  if (!(n >= 1 && n <= LIMITS.data.images)) throw badInput(`${entry.images} holds ${n} images; edgefold reads 1 to ${LIMITS.data.images.toLocaleString('en-US')} per split (docs/limits.md).`, entry.images);
  if (labels.dims[0] !== n) throw badInput(`${entry.labels} has ${labels.dims[0]} labels for ${n} images.`, entry.labels);
  if (images.data.length !== n * c * h * w) throw badInput(`${entry.images}: images are not ${c}x${h}x${w}.`, entry.images);
  const bad = labels.data.findIndex((l) => l >= manifest.classes.length);
  if (bad >= 0) throw badInput(`${entry.labels}: label ${labels.data[bad]} at index ${bad} is out of range.`, entry.labels);
  return {
    name: manifest.name,
    split,
    count: n,
    shape: manifest.shape,
    classes: manifest.classes,
    pixels: images.data,
    labels: labels.data,
    preprocessing: manifest.preprocessing,
  };
}

/** Float input for images [start, start + count) in NCHW, or NHWC when the model wants it. */
export function batchTensor(data: Dataset, start: number, count: number, layout: 'NCHW' | 'NHWC' = 'NCHW'): Float32Array {
  const [c, h, w] = data.shape;
  const plane = h * w;
  const size = c * plane;
  const out = new Float32Array(count * size);
  const { scale, mean, std } = data.preprocessing;
  for (let b = 0; b < count; b++) {
    const src = (start + b) * size;
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch];
      const s = std[ch];
      for (let p = 0; p < plane; p++) {
        const value = (data.pixels[src + ch * plane + p] * scale - m) / s;
        out[layout === 'NCHW' ? b * size + ch * plane + p : b * size + p * c + ch] = value;
      }
    }
  }
  return out;
}
