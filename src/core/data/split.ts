import { badInput } from '../errors.ts';
import { mulberry32, shuffleInPlace, subSeed } from './random.ts';

export type SplitName = 'calibration' | 'training' | 'validation';
export const SPLIT_NAMES: SplitName[] = ['calibration', 'training', 'validation'];

/** Fractions of each class that go to each split (they may sum to less than 1), and the seed. */
export interface SplitSpec {
  seed: number;
  calibration: number;
  training: number;
  validation: number;
}

export const DEFAULT_SPLIT: SplitSpec = { seed: 1, calibration: 0.1, training: 0.7, validation: 0.2 };

export function validateSplit(spec: SplitSpec): void {
  for (const name of SPLIT_NAMES) {
    const f = spec[name];
    if (!(Number.isFinite(f) && f >= 0 && f <= 1)) throw badInput(`split: ${name} must be a fraction between 0 and 1 (got ${f}).`, `split.${name}`);
  }
  const sum = spec.calibration + spec.training + spec.validation;
  if (sum > 1 + 1e-9) throw badInput(`split: the fractions add up to ${sum.toFixed(3)}, more than 1.`, 'split');
  if (!(Number.isInteger(spec.seed) && spec.seed >= 0 && spec.seed < 2 ** 32)) throw badInput(`split: seed must be an integer from 0 to 2^32 - 1 (got ${spec.seed}).`, 'split.seed');
}

/**
 * A stratified, seeded split into disjoint index sets. Each class is shuffled with its own stream
 * of the seed, then cut by the fractions (rounded; every non-zero split gets an image of a class
 * that has enough). Indices come back in ascending order. Same labels + spec, same split.
 */
export function splitIndices(labels: ArrayLike<number>, numClasses: number, spec: SplitSpec): Record<SplitName, Int32Array> {
  validateSplit(spec);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const out: Record<SplitName, number[]> = { calibration: [], training: [], validation: [] };
  const exhaustive = Math.abs(spec.calibration + spec.training + spec.validation - 1) < 1e-9;
  byClass.forEach((indices, c) => {
    const n = indices.length;
    shuffleInPlace(indices, mulberry32(subSeed(spec.seed, c)));
    const want = (f: number, min: number) => (f > 0 ? Math.max(min, Math.round(f * n)) : 0);
    // priority: training, then validation, then calibration, each at least one image when possible
    let train = want(spec.training, 1);
    let val = want(spec.validation, n >= 2 ? 1 : 0);
    let cal = want(spec.calibration, n >= 3 ? 1 : 0);
    if (exhaustive) {
      if (spec.training > 0) train = Math.max(0, n - val - cal);
      else if (spec.validation > 0) val = Math.max(0, n - cal);
      else cal = n;
    }
    // trim when rounding asked for more than there is
    while (train + val + cal > n) {
      if (cal > (n >= 3 && spec.calibration > 0 ? 1 : 0)) cal--;
      else if (val > (n >= 2 && spec.validation > 0 ? 1 : 0)) val--;
      else if (train > 0) train--;
      else if (val > 0) val--;
      else cal--;
    }
    out.training.push(...indices.slice(0, train));
    out.validation.push(...indices.slice(train, train + val));
    out.calibration.push(...indices.slice(train + val, train + val + cal));
  });
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { calibration: sorted(out.calibration), training: sorted(out.training), validation: sorted(out.validation) };
}
