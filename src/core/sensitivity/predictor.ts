/**
 * Accuracy predictor: the top-1 of a full compression config estimated from single-layer curves.
 * Each layer's top-1 is read off its curve by linear interpolation (prune curves over the fraction
 * of channels actually removed, bit curves over bits); the layers' effects are then added in the
 * log-odds of the accuracy above chance (see combineTop1). Pure: needs only the sweep JSON and the
 * config.
 */
import type { CompressionConfig } from '../config/compression.ts';
import { keptCount } from '../prune/plan.ts';
import type { PointResult, SweepKind, SweepResult } from './types.ts';

export interface PredictionTerm {
  kind: SweepKind;
  /** Group id (prune) or layer name. */
  target: string;
  /** Effective prune ratio (channels removed / size) or bits. */
  value: number;
  /** Baseline top-1 minus the curve's top-1 at `value` (may be slightly negative: noise). */
  drop: number;
}

export interface Prediction {
  baseline: number;
  top1: number;
  /** Baseline minus the predicted top-1 (the terms' drops combined by combineTop1, not summed). */
  drop: number;
  terms: PredictionTerm[];
  /** Things the curves could not cover (a value outside the swept range, a missing curve...). */
  warnings: string[];
}

/** One curve: x ascending, y = top-1. */
export interface Curve {
  x: number[];
  y: number[];
  /** A point beyond the last x was skipped by early stop: the curve is known to fall further. */
  truncated: boolean;
}

/**
 * Combines single-layer results into one prediction: each layer's top-1, rescaled to the accuracy
 * above chance p = (top1 - 1/classes) / (1 - 1/classes), moves the log-odds log(p / (1 - p)) away
 * from the baseline's, and the moves add up. One layer alone gives back its own top-1; small drops
 * add almost linearly; larger ones compound (two layers that each cost 4 points from 94 % cost
 * about 10 together) and the prediction never falls below chance. Why: summing drops missed
 * harsh configs of the default model by 13 points on average, this rule by 8 (docs/sensitivity.md).
 * Falls back to summing drops when the baseline is not above chance.
 */
export function combineTop1(baseline: number, singles: readonly number[], classes: number): number {
  if (!singles.length) return baseline;
  const chance = classes > 1 ? 1 / classes : 0;
  if (!(baseline > chance + 1e-9) || baseline >= 1) return Math.min(1, Math.max(0, baseline - singles.reduce((n, s) => n + baseline - s, 0)));
  const odds = (top1: number) => {
    const p = Math.min(1 - 1e-9, Math.max(1e-9, (top1 - chance) / (1 - chance)));
    return Math.log(p / (1 - p));
  };
  const z0 = odds(baseline);
  const z = singles.reduce((n, s) => n + odds(s) - z0, z0);
  return chance + (1 - chance) / (1 + Math.exp(-z));
}

/** Linear interpolation; outside the range the nearest end is used (`clamped` says so). */
export function interpolate(curve: Curve, x: number): { y: number; clamped: 'below' | 'above' | null } {
  const { x: xs, y: ys } = curve;
  if (x <= xs[0]) return { y: ys[0], clamped: x < xs[0] ? 'below' : null };
  const last = xs.length - 1;
  if (x >= xs[last]) return { y: ys[last], clamped: x > xs[last] ? 'above' : null };
  let i = 1;
  while (xs[i] < x) i++;
  const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return { y: ys[i - 1] + t * (ys[i] - ys[i - 1]), clamped: null };
}

/** The measured curves of a sweep, by kind and target. Prune curves include (0, baseline); bit curves include (32, baseline) for float. */
export function sweepCurves(sweep: SweepResult): Map<string, Curve> {
  const byKey = new Map<string, PointResult[]>();
  for (const p of sweep.points) {
    const key = `${p.kind}|${p.target}`;
    byKey.set(key, [...(byKey.get(key) ?? []), p]);
  }
  const curves = new Map<string, Curve>();
  for (const [key, points] of byKey) {
    const kind = points[0].kind;
    const xy = new Map<number, number>();
    xy.set(kind === 'prune' ? 0 : 32, sweep.baseline.top1);
    for (const p of points) {
      if (p.status !== 'complete' || !p.metrics) continue;
      const x = kind === 'prune' ? 1 - (p.keep ?? 0) / (p.size ?? 1) : p.value;
      xy.set(x, p.metrics.top1);
    }
    const xs = [...xy.keys()].sort((a, b) => a - b);
    curves.set(key, { x: xs, y: xs.map((x) => xy.get(x)!), truncated: points.some((p) => p.status === 'skipped') });
  }
  return curves;
}

/** Effective per-group prune ratios and per-layer bits a config asks for (as applyConfig would resolve them). */
export function configSettings(sweep: SweepResult, config: CompressionConfig): { prune: Map<string, number>; weightBits: Map<string, number>; activationBits: Map<string, number> } {
  const prune = new Map<string, number>();
  const roundTo = config.prune?.roundTo ?? 1;
  const groupOfLayer = (name: string) => sweep.groups.find((g) => g.producers.includes(name))?.id ?? sweep.layers.find((l) => l.name === name)?.outGroup;
  const requests = new Map<string, { ratio?: number; keep?: number }>();
  for (const [name, entry] of Object.entries(config.layers ?? {})) {
    const g = entry.prune ? groupOfLayer(name) : undefined;
    if (g) requests.set(g, entry.prune!);
  }
  for (const g of sweep.groups) {
    const req = requests.get(g.id);
    const kept = req?.keep ?? keptCount(g.size, req?.ratio ?? config.prune?.ratio ?? 0, roundTo);
    if (kept < g.size) prune.set(g.id, 1 - kept / g.size);
  }
  const weightBits = new Map<string, number>();
  const activationBits = new Map<string, number>();
  if (config.quant) {
    const q = config.quant;
    for (const l of sweep.layers) {
      const entry = config.layers?.[l.name] ?? {};
      if (entry.quantize === false || !l.quantizable) continue;
      weightBits.set(l.name, entry.weightBits ?? q.weightBits ?? 8);
      const a = entry.activationBits !== undefined ? entry.activationBits : (q.activationBits ?? null);
      if (a !== null) activationBits.set(l.name, a);
    }
  }
  return { prune, weightBits, activationBits };
}

/**
 * Predicted top-1 of `config` applied to the swept model: the single-layer top-1s combined by
 * combineTop1. The sweep must be on the same model (same layer and group names).
 */
export function predictAccuracy(sweep: SweepResult, config: CompressionConfig): Prediction {
  const curves = sweepCurves(sweep);
  const base = sweep.baseline.top1;
  const terms: PredictionTerm[] = [];
  const warnings: string[] = [];
  const { prune, weightBits, activationBits } = configSettings(sweep, config);
  const add = (kind: SweepKind, target: string, value: number, what: string) => {
    const curve = curves.get(`${kind}|${target}`);
    if (!curve) {
      warnings.push(`No ${kind} curve for ${target}: its ${what} is not counted.`);
      return;
    }
    const { y, clamped } = interpolate(curve, value);
    if (clamped === 'above' && kind === 'prune') warnings.push(`${target}: ratio ${value.toFixed(2)} is beyond the swept range (up to ${curve.x.at(-1)!.toFixed(2)}); the drop there is used${curve.truncated ? ' (the curve stopped early, so the real drop is larger)' : ''}.`);
    if (clamped === 'below' && kind !== 'prune') warnings.push(`${target}: ${value} bits is below the swept range (from ${curve.x[0]}); the drop at ${curve.x[0]} bits is used.`);
    terms.push({ kind, target, value, drop: base - y });
  };
  for (const [g, r] of prune) add('prune', g, r, `pruning (${(100 * r).toFixed(0)} %)`);
  for (const [l, b] of weightBits) add('weight-bits', l, b, `${b}-bit weights`);
  for (const [l, b] of activationBits) add('act-bits', l, b, `${b}-bit activations`);
  const q = config.quant;
  const s = sweep.settings.scheme;
  if (q && ((q.granularity ?? 'per-channel') !== s.granularity || (q.scale ?? 'float') !== s.scale || (q.rounding ?? 'half-even') !== s.rounding)) {
    warnings.push(`The config quantizes with ${q.granularity ?? 'per-channel'}/${q.scale ?? 'float'}/${q.rounding ?? 'half-even'}, the curves were measured with ${s.granularity}/${s.scale}/${s.rounding}.`);
  }
  if (config.prune?.criterion && sweep.settings.prune && config.prune.criterion !== sweep.settings.prune.criterion) {
    warnings.push(`The config ranks channels by ${config.prune.criterion}, the curves by ${sweep.settings.prune.criterion}.`);
  }
  const top1 = combineTop1(base, terms.map((t) => base - t.drop), sweep.data.classes);
  return { baseline: base, top1, drop: base - top1, terms, warnings };
}
