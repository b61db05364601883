import { badInput } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';
import type { Shape } from '../graph/layer.ts';
import { channelsOf, datasetPreprocessing, preprocessAll, validatePreprocessing, type PreprocessSpec } from './preprocess.ts';
import { canonicalJson, sha256Hex } from './sha256.ts';
import { SPLIT_NAMES, splitIndices, validateSplit, type SplitName, type SplitSpec } from './split.ts';
import type { ImportedDataset } from './types.ts';

/** What identifies a prepared dataset in a deployment config: content, counts, preprocessing, split. */
export interface DatasetIdentity {
  /** sha256 over everything below (canonical JSON). */
  id: string;
  name: string;
  format: ImportedDataset['format'];
  /** sha256 of the decoded images, labels and class names. */
  contentSha256: string;
  classes: string[];
  counts: { total: number; perClass: number[] } & Record<SplitName, number>;
  preprocessing: PreprocessSpec;
  split: SplitSpec;
}

export interface PreparedDataset {
  identity: DatasetIdentity;
  /** Every image, preprocessed (split "all"). */
  all: Dataset;
  calibration: Dataset;
  training: Dataset;
  validation: Dataset;
  warnings: string[];
}

export function datasetIdentity(
  data: Pick<ImportedDataset, 'name' | 'format' | 'contentSha256' | 'classes'>,
  counts: DatasetIdentity['counts'],
  preprocessing: PreprocessSpec,
  split: SplitSpec,
): DatasetIdentity {
  const body = { name: data.name, format: data.format, contentSha256: data.contentSha256, classes: data.classes, counts, preprocessing, split };
  return { id: sha256Hex(canonicalJson(body)), ...body };
}

/** Picks images by index into a new Dataset (pixels copied, so splits stay independent). */
export function subset(data: Dataset, indices: ArrayLike<number>, split: string): Dataset {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    pixels.set(data.pixels.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = data.labels[i];
  }
  return { ...data, split, count: indices.length, pixels, labels };
}

/**
 * Preprocesses an imported dataset and splits it. Throws (naming the field) when the spec does not
 * fit the data or the model; the caller keeps its previous dataset then.
 */
export async function prepareDataset(
  data: ImportedDataset,
  spec: PreprocessSpec,
  split: SplitSpec,
  options: { inputShape?: Shape; signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void } = {},
): Promise<PreparedDataset> {
  validatePreprocessing(spec, options.inputShape);
  validateSplit(split);
  if (data.classes.length > 256) throw badInput(`${data.name} has ${data.classes.length} classes; edgefold datasets hold at most 256.`, 'classes');
  const pixels = await preprocessAll(data, spec, options);
  const all: Dataset = {
    name: data.name,
    split: 'all',
    count: data.count,
    shape: [channelsOf(spec), spec.height, spec.width],
    classes: data.classes,
    pixels,
    labels: Uint8Array.from(data.labels),
    preprocessing: datasetPreprocessing(spec, data.values),
  };
  const indices = splitIndices(data.labels, data.classes.length, split);
  const perClass = new Array<number>(data.classes.length).fill(0);
  for (const l of data.labels) perClass[l]++;
  const parts = Object.fromEntries(SPLIT_NAMES.map((name) => [name, subset(all, indices[name], name)])) as Record<SplitName, Dataset>;
  const counts = { total: data.count, perClass, calibration: parts.calibration.count, training: parts.training.count, validation: parts.validation.count };
  const warnings = [...data.warnings];
  for (const name of SPLIT_NAMES) if (split[name] > 0 && parts[name].count === 0) warnings.push(`the ${name} split is empty.`);
  return { identity: datasetIdentity(data, counts, spec, split), all, ...parts, warnings };
}

/** A preview tile: RGBA pixels (after resize and colour conversion), and its label. */
export interface PreviewTile {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
  label: number;
  className: string;
  index: number;
}

/** Up to `count` images for a preview grid, taking classes in turn so each shows up. */
export function previewTiles(data: Dataset, count = 16): PreviewTile[] {
  const [c, h, w] = data.shape;
  const byClass: number[][] = data.classes.map(() => []);
  for (let i = 0; i < data.count && byClass.some((l) => l.length < count); i++) {
    const list = byClass[data.labels[i]];
    if (list.length < count) list.push(i);
  }
  const picks: number[] = [];
  for (let round = 0; picks.length < count && byClass.some((l) => l.length > round); round++) {
    for (const list of byClass) if (round < list.length && picks.length < count) picks.push(list[round]);
  }
  const plane = h * w;
  return picks.map((i) => {
    const rgba = new Uint8ClampedArray(plane * 4);
    const base = i * c * plane;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < 3; k++) rgba[4 * p + k] = data.pixels[base + (c === 3 ? k * plane : 0) + p];
      rgba[4 * p + 3] = 255;
    }
    return { width: w, height: h, rgba, label: data.labels[i], className: data.classes[data.labels[i]], index: i };
  });
}
