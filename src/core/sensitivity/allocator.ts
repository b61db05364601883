/**
 * Automatic allocation from sweep curves: per-group prune ratios and per-layer weight bits,
 * chosen greedily (AIMET's greedy compression-ratio selection and NNI's sensitivity pruner work
 * the same way: cheapest accuracy per unit of saving first).
 *
 * - `maxDrop`: compress as far as the predicted top-1 drop allows; the saving counted is bit
 *   operations (MACs x weight bits) when bits are allocated, MACs otherwise.
 * - `targetMacs` / `targetParams`: prune until the count is reached, always taking the step that
 *   costs the least predicted accuracy per MAC (parameter) removed; with `maxDrop` too, weight
 *   bits are then lowered within what is left of the drop budget.
 * Drops are read off each curve made monotone (a harsher setting never counts as better than a
 * milder one), so noise in the curves is not exploited.
 */
import type { CompressionConfig } from '../config/compression.ts';
import { badInput } from '../errors.ts';
import { combineTop1, predictAccuracy, type Prediction } from './predictor.ts';
import type { SweepResult } from './types.ts';
import { keptCount } from '../prune/plan.ts';

export interface AllocationTarget {
  /** Largest acceptable predicted top-1 drop, as a fraction (0.01 = 1 point). */
  maxDrop?: number;
  targetMacs?: number;
  targetParams?: number;
}

export interface AllocationOptions {
  /** Allocate prune ratios (default: when the sweep has prune curves). */
  prune?: boolean;
  /** Allocate weight bits (default: when the sweep has weight-bit curves). */
  bits?: boolean;
  /**
   * Kept channel counts become multiples of this (default: the sweep's). Each swept ratio is
   * rounded the way the design will round it (keptCount), so the allocation never picks a count
   * the design would change, and never a count (a prime, say) that leaves folding only 1 or all.
   */
  roundTo?: number;
}

export interface Allocation {
  config: CompressionConfig;
  prediction: Prediction;
  /** Cost model of the result (layer-view conventions, from the sweep's layer table). */
  predicted: { macs: number; params: number; weightBits: number; bops: number };
  baseline: { macs: number; params: number; weightBits: number; bops: number };
  /** Whether the target was reached within the swept settings. */
  met: boolean;
  steps: string[];
}

interface Option {
  /** Prune: effective ratio and the swept ratio that gives it; bits: the width. */
  value: number;
  sweepValue: number;
  /** Monotone drop. */
  drop: number;
}

export function allocate(sweep: SweepResult, target: AllocationTarget, options: AllocationOptions = {}): Allocation {
  const { maxDrop, targetMacs, targetParams } = target;
  if (maxDrop === undefined && targetMacs === undefined && targetParams === undefined) throw badInput('Give a target: a maximum accuracy drop, a MAC count or a parameter count.', 'target');
  if (maxDrop !== undefined && !(maxDrop >= 0 && maxDrop <= 1)) throw badInput(`The maximum drop is a fraction of top-1 from 0 to 1 (0.01 = 1 point), got ${maxDrop}.`, 'maxDrop');
  for (const [k, v] of [['targetMacs', targetMacs], ['targetParams', targetParams]] as const) {
    if (v !== undefined && !(v > 0)) throw badInput(`${k} must be a positive number, got ${v}.`, k);
  }
  const base = sweep.baseline.top1;
  const usePrune = (options.prune ?? true) && !!sweep.settings.prune;
  const useBits = (options.bits ?? true) && !!sweep.settings.weightBits;
  if ((targetMacs !== undefined || targetParams !== undefined) && !usePrune) throw badInput('A MAC or parameter target needs prune curves in the sweep.', 'sweep');

  // Options per group (ascending ratio) and per layer (descending bits), drops made monotone.
  const groupOptions = new Map<string, Option[]>();
  const layerOptions = new Map<string, Option[]>();
  const monotone = (opts: Option[]) => {
    let worst = -Infinity;
    for (const o of opts) o.drop = worst = Math.max(worst, o.drop);
    return opts;
  };
  const roundTo = options.roundTo ?? sweep.settings.prune?.roundTo ?? 1;
  if (!(Number.isInteger(roundTo) && roundTo >= 1)) throw badInput(`roundTo must be a positive integer, got ${roundTo}.`, 'roundTo');
  if (usePrune) {
    for (const g of sweep.groups) {
      const pts = sweep.points.filter((p) => p.kind === 'prune' && p.target === g.id && p.status === 'complete' && p.metrics);
      const byRatio = new Map<number, Option>([[0, { value: 0, sweepValue: 0, drop: 0 }]]);
      for (const p of pts) {
        // The count the design will keep for this swept ratio with its own multiple; the drop
        // measured at the swept count stands for it (the worse one when two ratios round alike).
        const r = 1 - keptCount(p.size!, p.value, roundTo) / p.size!;
        const drop = base - p.metrics!.top1;
        const known = byRatio.get(r);
        if (!known) byRatio.set(r, { value: r, sweepValue: p.value, drop });
        else if (r > 0 && drop > known.drop) byRatio.set(r, { ...known, drop });
      }
      groupOptions.set(g.id, monotone([...byRatio.values()].sort((a, b) => a.value - b.value)));
    }
  }
  const maxBits = useBits ? Math.max(...sweep.settings.weightBits!) : 32;
  if (useBits) {
    for (const l of sweep.layers) {
      const pts = sweep.points.filter((p) => p.kind === 'weight-bits' && p.target === l.name && p.status === 'complete' && p.metrics);
      if (!pts.length) continue;
      const opts = pts.map((p) => ({ value: p.value, sweepValue: p.value, drop: base - p.metrics!.top1 })).sort((a, b) => b.value - a.value);
      if (opts[0].value !== maxBits) continue;
      layerOptions.set(l.name, monotone(opts));
    }
  }

  const ratioIdx = new Map([...groupOptions.keys()].map((g) => [g, 0]));
  const bitsIdx = new Map([...layerOptions.keys()].map((l) => [l, 0]));
  const fraction = (g: string | undefined) => (g && groupOptions.has(g) ? 1 - groupOptions.get(g)![ratioIdx.get(g)!].value : 1);
  const costs = () => {
    let macs = 0;
    let params = 0;
    let weightBits = 0;
    let bops = 0;
    for (const l of sweep.layers) {
      const fo = fraction(l.outGroup);
      const fi = l.depthwise ? 1 : fraction(l.inGroup);
      const bias = l.params - l.weights;
      const w = l.weights * fo * fi;
      // A layer without a bit curve stays float in the config (toConfig), so it costs 32 bits.
      const bits = layerOptions.has(l.name) ? layerOptions.get(l.name)![bitsIdx.get(l.name)!].value : 32;
      macs += l.macs * fo * fi;
      params += w + bias * fo;
      weightBits += w * bits + bias * fo * 32;
      bops += l.macs * fo * fi * bits;
    }
    return { macs, params, weightBits, bops };
  };
  // The predicted drop of the current choice, combined as predictAccuracy combines it.
  const dropNow = () => {
    const singles = [...[...ratioIdx].map(([g, i]) => groupOptions.get(g)![i].drop), ...[...bitsIdx].map(([l, i]) => layerOptions.get(l)![i].drop)].filter((d) => d !== 0).map((d) => base - d);
    return base - combineTop1(base, singles, sweep.data.classes);
  };
  const baseline = costs();
  const steps: string[] = [];

  type Step = { apply: () => void; undo: () => void; label: string };
  const candidates = (prune: boolean, bits: boolean): Step[] => {
    const out: Step[] = [];
    if (prune) {
      for (const [g, i] of ratioIdx) {
        if (i + 1 >= groupOptions.get(g)!.length) continue;
        out.push({ apply: () => ratioIdx.set(g, i + 1), undo: () => ratioIdx.set(g, i), label: `prune ${g} to ${groupOptions.get(g)![i + 1].sweepValue}` });
      }
    }
    if (bits) {
      for (const [l, i] of bitsIdx) {
        if (i + 1 >= layerOptions.get(l)!.length) continue;
        out.push({ apply: () => bitsIdx.set(l, i + 1), undo: () => bitsIdx.set(l, i), label: `${l} weights to ${layerOptions.get(l)![i + 1].value} bits` });
      }
    }
    return out;
  };
  /** Greedy: best saving per predicted drop; `feasible` decides whether a step may be taken. */
  const greedy = (prune: boolean, bits: boolean, saving: () => number, budget: number, done: () => boolean) => {
    while (!done()) {
      const now = saving();
      const d0 = dropNow();
      let best: { step: Step; score: number } | undefined;
      for (const step of candidates(prune, bits)) {
        step.apply();
        const gain = now - saving();
        const d = dropNow();
        step.undo();
        if (gain <= 0 || d > budget + 1e-12) continue;
        const score = gain / Math.max(d - d0, 1e-4);
        if (!best || score > best.score) best = { step, score };
      }
      if (!best) return;
      best.step.apply();
      steps.push(best.step.label);
    }
  };

  let met = true;
  if (targetMacs !== undefined || targetParams !== undefined) {
    const metric = () => (targetMacs !== undefined ? costs().macs : costs().params);
    const goal = (targetMacs ?? targetParams)!;
    greedy(true, false, metric, Infinity, () => metric() <= goal && (targetParams === undefined || costs().params <= targetParams) && (targetMacs === undefined || costs().macs <= targetMacs));
    met = costs().macs <= (targetMacs ?? Infinity) && costs().params <= (targetParams ?? Infinity);
    if (maxDrop !== undefined) {
      if (dropNow() > maxDrop) met = false;
      else if (useBits) greedy(false, true, () => costs().weightBits, maxDrop, () => false);
    }
  } else {
    greedy(usePrune, useBits, () => (useBits ? costs().bops : costs().macs), maxDrop!, () => false);
  }

  const config = toConfig(sweep, groupOptions, ratioIdx, layerOptions, bitsIdx, useBits, maxBits, roundTo);
  const prediction = predictAccuracy(sweep, config);
  if (maxDrop !== undefined && prediction.drop > maxDrop + 1e-12) met = false;
  return { config, prediction, predicted: costs(), baseline, met, steps };
}

function toConfig(
  sweep: SweepResult,
  groupOptions: Map<string, Option[]>,
  ratioIdx: Map<string, number>,
  layerOptions: Map<string, Option[]>,
  bitsIdx: Map<string, number>,
  useBits: boolean,
  maxBits: number,
  roundTo: number,
): CompressionConfig {
  const config: CompressionConfig = { version: 1 };
  const layers: NonNullable<CompressionConfig['layers']> = {};
  const prune = sweep.settings.prune;
  for (const [g, i] of ratioIdx) {
    if (i === 0) continue;
    const producer = sweep.groups.find((x) => x.id === g)!.producers[0];
    layers[producer] = { prune: { ratio: groupOptions.get(g)![i].sweepValue } };
  }
  // The multiple is kept even when nothing is pruned: the design's later prune edits honour it too.
  if (prune) config.prune = { criterion: prune.criterion, roundTo };
  if (useBits) {
    const s = sweep.settings.scheme;
    config.quant = { weightBits: maxBits, granularity: s.granularity, scale: s.scale, rounding: s.rounding, format: 'float' };
    for (const [l, i] of bitsIdx) {
      const bits = layerOptions.get(l)![i].value;
      if (bits !== maxBits) layers[l] = { ...(layers[l] ?? {}), weightBits: bits };
    }
    // Layers without a bit curve stay float.
    for (const l of sweep.layers) if (!layerOptions.has(l.name)) layers[l.name] = { ...(layers[l.name] ?? {}), quantize: false };
  }
  if (Object.keys(layers).length) config.layers = layers;
  return config;
}
