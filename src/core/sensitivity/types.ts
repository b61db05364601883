/** Types shared by sweep planning, execution, results, the predictor and the allocator. */
import type { Criterion } from '../prune/importance.ts';
import type { CalibrationMethod } from '../quant/calibrate.ts';
import type { Granularity, Rounding, ScaleType } from '../quant/grid.ts';

/** What one sweep curve varies. */
export type SweepKind = 'prune' | 'weight-bits' | 'act-bits';
export const SWEEP_KINDS: readonly SweepKind[] = ['prune', 'weight-bits', 'act-bits'];

export const DEFAULT_RATIOS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const DEFAULT_BITS: readonly number[] = [2, 3, 4, 5, 6, 8];

/** The quantization scheme of bit-width sweeps (the same knobs as the compression config's `quant`). */
export interface QuantScheme {
  granularity: Granularity;
  scale: ScaleType;
  rounding: Rounding;
  /** Activation sweeps only: how clipping ranges are chosen from the calibration split. */
  calibration: { method: CalibrationMethod; percentile: number; images?: number };
}

export const DEFAULT_SCHEME: QuantScheme = {
  granularity: 'per-channel',
  scale: 'float',
  rounding: 'half-even',
  calibration: { method: 'minmax', percentile: 99.99 },
};

/** What to sweep. Omitted sections are not swept. */
export interface SweepRequest {
  prune?: {
    ratios: number[];
    roundTo?: number;
    criterion?: Criterion;
    /** Only these group ids (default: every prunable group). */
    groups?: string[];
  };
  weightBits?: { bits: number[]; layers?: string[] };
  activationBits?: { bits: number[]; layers?: string[] };
  scheme?: Partial<QuantScheme>;
  /** Images of the dataset split to use (default: all). */
  limit?: number;
  /** Images per onnxruntime run (default: autoBatchSize, at most 100). */
  batchSize?: number;
  /**
   * Stop a curve once a point's top-1 has dropped more than `maxDrop` (a fraction, 0.05 = 5 pp)
   * below the baseline; the remaining, harsher points are reported as skipped (as NNI did).
   */
  earlyStop?: { maxDrop: number };
}

/** One point: one layer (or channel group) modified at one value, everything else untouched. */
export interface SweepPoint {
  kind: SweepKind;
  /** Channel-group id (prune) or layer name (bit widths). */
  target: string;
  /** Layer shown in the CSV: the group's first producer (prune) or the layer itself. */
  layer: string;
  /** Prune ratio, or bits. */
  value: number;
  /** Prune: channels kept (after roundTo) of `size`. */
  keep?: number;
  size?: number;
  /**
   * Identifies the modified model: points with equal keys are the same model (e.g. ratio 0 is the
   * baseline; two ratios that round to the same kept count), evaluated once.
   */
  modelKey: string;
}

export interface PointMetrics {
  top1: number;
  top5: number;
  /** Mean cross-entropy (nats). */
  loss: number;
  n: number;
  /** 95 % Wilson interval of top-1. */
  ci95: [number, number];
}

export type PointStatus = 'complete' | 'skipped';

export interface PointResult extends SweepPoint {
  status: PointStatus;
  /** Present when status is 'complete'. */
  metrics?: PointMetrics;
  /** Came from the cache rather than this run. */
  cached?: boolean;
}

/** A unit of work: every point of one curve, sharing one prefix. */
export interface SweepUnit {
  id: string;
  kind: SweepKind | 'baseline';
  target: string;
  /** The model the points modify: the original, or the BN-folded one (quantization folds BN first). */
  base: 'original' | 'folded';
  /** Topological index (in the base graph) of the first node any point changes. */
  cutIndex: number;
  /** Distinct models to evaluate, in order of increasing severity. */
  points: SweepPoint[];
  /** Estimated work (MACs per image of the prefix and of every point's suffix), for scheduling. */
  cost: number;
  /** MACs per image in front of where each point's suffix starts (the prefix). */
  prefixCost: number;
  /** MACs per image of one point's suffix. */
  pointCost: number;
}

/**
 * What one worker runs at a time: one or more curves of the same base model, sharing one prefix
 * (the activations every curve is cut at are computed once per batch). The scheduler merges
 * curves whose cuts are close; early stop runs one curve per task.
 */
export interface SweepTask {
  id: string;
  units: SweepUnit[];
  /** Estimated work (MACs per image), for scheduling. */
  cost: number;
}

export interface GroupInfo {
  id: string;
  size: number;
  producers: string[];
  /** Compute layers whose weights the group touches. */
  layers: string[];
}

export interface LayerCost {
  name: string;
  kind: string;
  macs: number;
  params: number;
  /** Weights only (no bias): what weight bits multiply. */
  weights: number;
  /** Group of the output channels, group of the input channels (prunable groups only). */
  outGroup?: string;
  inGroup?: string;
  /** Depthwise: output and input channels are the same group, counted once. */
  depthwise: boolean;
  /** Whether bit widths can be swept on it. */
  quantizable: boolean;
}

export interface SweepSettings {
  prune: { ratios: number[]; roundTo: number; criterion: Criterion } | null;
  weightBits: number[] | null;
  activationBits: number[] | null;
  scheme: QuantScheme;
  batchSize: number;
  earlyStop: { maxDrop: number } | null;
}

export interface SweepProgress {
  pointsDone: number;
  pointsTotal: number;
  /** Images x evaluated models: the unit of work. */
  workDone: number;
  workTotal: number;
  elapsedSeconds: number;
  /** Estimated seconds left (null until there is a rate to go by). */
  etaSeconds: number | null;
}

/** The JSON document a sweep produces (and `edgefold allocate --sweep` reads). */
export interface SweepResult {
  format: 'edgefold-sensitivity';
  version: 1;
  model: { name: string; hash: string; params: number; macs: number };
  data: { name: string; split: string; n: number; hash: string; classes: number };
  engine: string;
  settings: SweepSettings;
  baseline: PointMetrics;
  groups: GroupInfo[];
  layers: LayerCost[];
  points: PointResult[];
  /** False only for a sweep cut short (never written by a cancelled run). */
  complete: boolean;
  /** `hosts`: the machines whose workers measured the points, when the sweep ran on a job queue. */
  stats: { seconds: number; evaluated: number; cached: number; skipped: number; workers: number; hosts?: string[] };
}
