import { badInput } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';

/**
 * How dataset classes map onto a model's outputs: toModel[c] is the output index of dataset class
 * c, or -1 when the model has no output for it (its images are left out of evaluation).
 */
export interface LabelMapping {
  toModel: number[];
  /** Names of the model outputs (from a manifest or the model's metadata; "0", "1", ... otherwise). */
  modelClasses: string[];
  /** How the default was found, for the UI. */
  basis: 'names' | 'label-values' | 'identity' | 'none' | 'user';
}

const normalise = (s: string) => s.trim().toLowerCase().replace(/[\s_\-/]+/g, ' ');

/**
 * A first guess: match class names (case and punctuation ignored); else take integer label values
 * as output indices (a subset of the model's classes keeps its ids); else identity when the class
 * counts agree; else no mapping.
 */
export function defaultLabelMapping(
  data: { classes: string[]; classIds?: number[] },
  modelOutputs: number,
  modelClasses?: string[],
): LabelMapping {
  const names = modelClasses && modelClasses.length === modelOutputs ? modelClasses : Array.from({ length: modelOutputs }, (_, i) => String(i));
  if (modelClasses && modelClasses.length === modelOutputs) {
    const index = new Map(modelClasses.map((n, i) => [normalise(n), i]));
    const toModel = data.classes.map((c) => index.get(normalise(c)) ?? -1);
    if (toModel.some((m) => m >= 0)) return { toModel, modelClasses: names, basis: 'names' };
  }
  if (data.classIds && data.classIds.every((id) => id < modelOutputs)) {
    return { toModel: [...data.classIds], modelClasses: names, basis: 'label-values' };
  }
  if (data.classes.length === modelOutputs) return { toModel: data.classes.map((_, i) => i), modelClasses: names, basis: 'identity' };
  return { toModel: data.classes.map(() => -1), modelClasses: names, basis: 'none' };
}

export function validateLabelMapping(mapping: LabelMapping, datasetClasses: string[]): void {
  if (mapping.toModel.length !== datasetClasses.length) {
    throw badInput(`label mapping lists ${mapping.toModel.length} classes, the dataset has ${datasetClasses.length}.`, 'mapping');
  }
  mapping.toModel.forEach((m, c) => {
    if (!(Number.isInteger(m) && m >= -1 && m < mapping.modelClasses.length)) {
      throw badInput(`label mapping: class "${datasetClasses[c]}" maps to output ${m}, the model has outputs 0 to ${mapping.modelClasses.length - 1}.`, 'mapping');
    }
  });
}

/**
 * The dataset as the model sees it: labels rewritten to model outputs, classes = model outputs,
 * images of unmapped classes left out. Pixels are shared when nothing is left out.
 */
export function datasetForModel(data: Dataset, mapping: LabelMapping): Dataset & { dropped: number } {
  validateLabelMapping(mapping, data.classes);
  if (mapping.modelClasses.length > 256) throw badInput('models with more than 256 outputs cannot be evaluated on an imported dataset.', 'mapping');
  const keep: number[] = [];
  for (let i = 0; i < data.count; i++) if (mapping.toModel[data.labels[i]] >= 0) keep.push(i);
  if (!keep.length) throw badInput(`no class of ${data.name} maps to an output of the model; set the label mapping first.`, 'mapping');
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const all = keep.length === data.count;
  const pixels = all ? data.pixels : new Uint8Array(keep.length * size);
  if (!all) keep.forEach((src, dst) => pixels.set(data.pixels.subarray(src * size, (src + 1) * size), dst * size));
  return {
    ...data,
    count: keep.length,
    classes: mapping.modelClasses,
    pixels,
    labels: Uint8Array.from(keep, (i) => mapping.toModel[data.labels[i]]),
    dropped: data.count - keep.length,
  };
}
