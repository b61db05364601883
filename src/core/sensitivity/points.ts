/**
 * A sweep point as a compression config (so anyone can reproduce it with applyConfig), and the
 * same model built directly from the shared analyses (what the sweep evaluates; a test checks
 * the two are byte-identical).
 */
import type { CompressionConfig } from '../config/compression.ts';
import { EdgefoldError } from '../errors.ts';
import { attrInt } from '../graph/graph.ts';
import { COMPUTE_KINDS } from '../graph/layer.ts';
import { layerView } from '../graph/layers.ts';
import type { ModelProto } from '../onnx/model.ts';
import { applyPruning, makePrunePlan } from '../prune/index.ts';
import type { CalibrationData } from '../quant/calibrate.ts';
import { quantizeWeights } from '../quant/grid.ts';
import { quantizeModel, type LayerQuantSpec } from '../quant/quantize.ts';
import type { SweepModel } from './plan.ts';
import type { SweepPoint, SweepSettings } from './types.ts';

/** Bits used for the weights of a layer whose activations are swept (close to lossless). */
export const ACT_SWEEP_WEIGHT_BITS = 16;

/** The compression config whose applyConfig result is exactly the point's model. */
export function pointConfig(sm: SweepModel, settings: SweepSettings, point: SweepPoint): CompressionConfig {
  if (point.modelKey === 'baseline') return { version: 1 };
  if (point.kind === 'prune') {
    const prune = settings.prune!;
    const layer = sm.analysis.groups.find((g) => g.id === point.target)!.producers[0];
    return { version: 1, prune: { criterion: prune.criterion, roundTo: prune.roundTo }, layers: { [layer]: { prune: { ratio: point.value } } } };
  }
  const s = settings.scheme;
  const others = Object.fromEntries(allComputeLayers(sm).filter((n) => n !== point.target).map((n) => [n, { quantize: false }]));
  const quant: CompressionConfig['quant'] = { granularity: s.granularity, scale: s.scale, rounding: s.rounding, format: 'float' };
  if (point.kind === 'weight-bits') return { version: 1, quant: { weightBits: point.value, ...quant }, layers: others };
  return {
    version: 1,
    quant: {
      weightBits: ACT_SWEEP_WEIGHT_BITS,
      activationBits: point.value,
      ...quant,
      calibration: { method: s.calibration.method, percentile: s.calibration.percentile, ...(s.calibration.images ? { images: s.calibration.images } : {}) },
    },
    layers: others,
  };
}

/** Every layer resolveConfig would quantize (compute kinds of the layer view). */
function allComputeLayers(sm: SweepModel): string[] {
  return layerView(sm.originalGraph).filter((l) => COMPUTE_KINDS.has(l.kind)).map((l) => l.name);
}

function specOf(settings: SweepSettings, point: SweepPoint): LayerQuantSpec {
  const s = settings.scheme;
  return point.kind === 'weight-bits'
    ? { weightBits: point.value, activationBits: null, granularity: s.granularity, scale: s.scale, rounding: s.rounding }
    : { weightBits: ACT_SWEEP_WEIGHT_BITS, activationBits: point.value, granularity: s.granularity, scale: s.scale, rounding: s.rounding };
}

/** A prune point's kept channel indices (group id -> indices), as applyConfig would choose them. */
export function prunedChannels(sm: SweepModel, settings: SweepSettings, point: SweepPoint): ReadonlyMap<string, readonly number[]> {
  const prune = settings.prune!;
  return makePrunePlan(sm.analysis, { criterion: prune.criterion, roundTo: prune.roundTo, groups: { [point.target]: { ratio: point.value } } }).keep;
}

/** Builds the point's model from the shared analyses (no re-analysis of the original). */
export function buildPointModel(sm: SweepModel, settings: SweepSettings, point: SweepPoint, calibration?: CalibrationData): ModelProto {
  if (point.modelKey === 'baseline') return sm.original;
  if (point.kind === 'prune') {
    const keep = prunedChannels(sm, settings, point);
    return keep.size ? applyPruning(sm.original, sm.analysis, keep) : sm.original;
  }
  if (point.kind === 'act-bits' && !calibration) throw new EdgefoldError('internal', 'Activation sweeps need calibration statistics.');
  const s = settings.scheme.calibration;
  return quantizeModel(sm.folded.model, {
    layers: { [point.target]: specOf(settings, point) },
    format: 'float',
    calibration,
    method: point.kind === 'act-bits' ? s.method : 'minmax',
    percentile: point.kind === 'act-bits' ? s.percentile : 99.99,
  }).model;
}

/**
 * Weight-only points change nothing but one initializer: the quantized weights of the layer,
 * computed here exactly as quantizeModel computes them. `name` is the initializer's name in the
 * point model (the same for every width).
 */
export function quantizedWeights(sm: SweepModel, settings: SweepSettings, layer: string, bits: number): Float32Array {
  const graph = sm.folded.graph;
  const node = graph.node(layer)!;
  const w = graph.constant(node.inputs[1])!;
  const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  const outAxis = node.op === 'Conv' || transB ? 0 : 1;
  const s = settings.scheme;
  return quantizeWeights(w.values, w.dims, s.granularity === 'per-channel' ? outAxis : null, bits, s.scale, s.rounding).values;
}

/** The name of the layer's weight input in a point model (after quantizeModel renamed it). */
export function weightInputName(point: ModelProto, layer: string): string {
  const node = point.graph!.node.find((n) => n.name === layer);
  const name = node?.input[1];
  if (!name || !point.graph!.initializer.some((t) => t.name === name)) {
    throw new EdgefoldError('internal', `Layer "${layer}" has no weight initializer in the point model.`);
  }
  return name;
}
