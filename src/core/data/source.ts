import { badInput } from '../errors.ts';
import { Sha256 } from './sha256.ts';
import type { DatasetSummary, DecodedImage, ImportedDataset, SourceImages, ValueRange } from './types.ts';

/** Image i of a source as an HWC view (no copy for uniform sources). */
export function imageAt(images: SourceImages, i: number): DecodedImage {
  if (images.kind === 'list') return images.items[i];
  const { width, height, channels } = images;
  const size = width * height * channels;
  return { width, height, channels, data: images.data.subarray(i * size, (i + 1) * size) };
}

export const imageCount = (images: SourceImages): number => (images.kind === 'list' ? images.items.length : images.count);

/** Packs decoded images into one block when they all share a size and channel count. */
export function packImages(items: DecodedImage[]): SourceImages {
  const first = items[0];
  if (!first || items.some((im) => im.width !== first.width || im.height !== first.height || im.channels !== first.channels)) {
    return { kind: 'list', items };
  }
  const size = first.width * first.height * first.channels;
  const data = new Uint8Array(items.length * size);
  items.forEach((im, i) => data.set(im.data.subarray(0, size), i * size));
  return { kind: 'uniform', count: items.length, width: first.width, height: first.height, channels: first.channels, data };
}

/** The origin of image i for messages. */
export const originOf = (data: Pick<ImportedDataset, 'origins'>, i: number, field = 'x'): string => data.origins?.[i] ?? `${field}[${i}]`;

/** sha256 over what the model will see: sizes, pixels, value range, labels and class names. */
export function contentHash(images: SourceImages, labels: Int32Array, classes: string[], values: ValueRange): string {
  const hash = new Sha256();
  hash.update(JSON.stringify({ count: labels.length, classes, lo: values.lo, step: values.step }));
  if (images.kind === 'uniform') {
    hash.update(`${images.width}x${images.height}x${images.channels}`);
    hash.update(images.data);
  } else {
    for (const im of images.items) {
      hash.update(`${im.width}x${im.height}x${im.channels}`);
      hash.update(im.data);
    }
  }
  hash.update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength));
  return hash.digest();
}

/** Checks labels against the class list: in range, and no class left without images. */
export function checkLabels(labels: Int32Array, classes: string[], field: string): number[] {
  if (classes.length < 2) throw badInput(`${field}: a classifier needs at least two classes, the data has ${classes.length} (${classes.join(', ') || 'none'}).`, field);
  const perClass = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(l >= 0 && l < classes.length)) throw badInput(`${field}: label ${l} at index ${i} is out of range (${classes.length} classes, 0 to ${classes.length - 1}).`, field);
    perClass[l]++;
  }
  const empty = perClass.findIndex((n) => n === 0);
  if (empty >= 0) throw badInput(`class "${classes[empty]}" (label ${empty}) has no images in ${field}.`, field);
  return perClass;
}

export function summarizeImported(data: ImportedDataset): DatasetSummary {
  const perClass = new Array<number>(data.classes.length).fill(0);
  for (const l of data.labels) perClass[l]++;
  const sizes = new Map<string, { width: number; height: number; channels: number; count: number }>();
  let grayscale = true;
  const n = imageCount(data.images);
  for (let i = 0; i < n; i++) {
    const im = imageAt(data.images, i);
    const key = `${im.width}x${im.height}x${im.channels}`;
    const entry = sizes.get(key) ?? { width: im.width, height: im.height, channels: im.channels, count: 0 };
    entry.count++;
    sizes.set(key, entry);
    if (grayscale && im.channels >= 3) {
      const d = im.data;
      for (let p = 0; p < d.length; p += im.channels) {
        if (d[p] !== d[p + 1] || d[p] !== d[p + 2]) {
          grayscale = false;
          break;
        }
      }
    }
  }
  return {
    name: data.name,
    format: data.format,
    count: data.count,
    classes: data.classes,
    perClass,
    sizes: [...sizes.values()].sort((a, b) => b.count - a.count),
    grayscale,
    values: data.values,
    contentSha256: data.contentSha256,
    warnings: data.warnings,
  };
}
