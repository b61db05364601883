/**
 * Activation calibration. The model is run (by a caller-supplied `BatchSource`, e.g. the
 * onnxruntime adapter in ort-calibration.ts) with the tensors to calibrate added as extra graph
 * outputs. Two passes: the first finds each tensor's range, the second fills a histogram of |x|
 * over that range. Clipping ranges (min/max, percentile, MSE-optimal) are then computed from the
 * histograms for any bit width without running the model again.
 */
import { attrInt, Graph } from '../graph/graph.ts';
import { badInput, throwIfAborted } from '../errors.ts';
import { tensorInfo } from '../onnx/builder.ts';
import { cloneModel, type ModelProto } from '../onnx/model.ts';
import { sqnr, type Rounding } from './grid.ts';

export const HIST_BINS = 2048;

export interface TensorStats {
  min: number;
  max: number;
  absMax: number;
  /** Number of values seen. */
  count: number;
  /** Counts of |x| in HIST_BINS equal bins over [0, absMax]. */
  hist: number[];
}

/** Serializable calibration statistics (cache them, pass them to applyConfig). */
export interface CalibrationData {
  version: 1;
  /** Images the statistics were gathered on. */
  images: number;
  /** Identifies the model they were gathered on (see compression config: the pruning it used). */
  key: string;
  tensors: Record<string, TensorStats>;
}

/** One calibration batch: how many images it holds and the requested tensors (graph inputs included). */
export interface CalibrationBatch {
  count: number;
  values: Record<string, Float32Array>;
}

/** Runs a model (bytes) over the calibration images, batch by batch, yielding the named tensors. */
export type BatchSource = (model: Uint8Array, outputs: string[]) => AsyncIterable<CalibrationBatch>;

export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'mse'];

/** The activations compute layers read: input 0 of every Conv, Gemm and MatMul with constant weights. */
export function activationTaps(graph: Graph): string[] {
  const taps: string[] = [];
  for (const node of graph.nodes) {
    if (!isComputeLayer(graph, node.name)) continue;
    const x = node.inputs[0];
    if (!taps.includes(x)) taps.push(x);
  }
  return taps;
}

/** Conv / Gemm / MatMul whose weight (input 1) is constant and whose input 0 is an activation. */
export function isComputeLayer(graph: Graph, name: string): boolean {
  const node = graph.node(name);
  if (!node || (node.domain !== '' && node.domain !== 'ai.onnx')) return false;
  if (node.op !== 'Conv' && node.op !== 'Gemm' && node.op !== 'MatMul') return false;
  if (node.op === 'Gemm' && attrInt(node, 'transA', 0) === 1) return false;
  return Boolean(graph.constant(node.inputs[1])) && !graph.constant(node.inputs[0]);
}

/** A copy of the model that also outputs `names` (float tensors). */
export function withOutputs(model: ModelProto, names: readonly string[]): ModelProto {
  const out = cloneModel(model);
  const g = out.graph!;
  const present = new Set([...g.output.map((o) => o.name), ...g.input.map((i) => i.name)]);
  for (const name of names) if (!present.has(name)) g.output.push(tensorInfo(name));
  return out;
}

function emptyStats(): TensorStats {
  return { min: Infinity, max: -Infinity, absMax: 0, count: 0, hist: new Array<number>(HIST_BINS).fill(0) };
}

/**
 * Gathers statistics for `taps` on `model`. `encode` turns the tapped model into bytes (pass
 * encodeModel; a parameter so this module stays free of serialization choices). With
 * `maxImages`, whole batches are used until at least that many images have been seen.
 */
export async function calibrate(
  model: ModelProto,
  taps: readonly string[],
  source: BatchSource,
  encode: (m: ModelProto) => Uint8Array,
  options: { key?: string; signal?: AbortSignal; maxImages?: number } = {},
): Promise<CalibrationData> {
  const bytes = encode(withOutputs(model, taps));
  const stats: Record<string, TensorStats> = Object.fromEntries(taps.map((t) => [t, emptyStats()]));
  let images = 0;
  let batches = 0;
  for await (const batch of source(bytes, [...taps])) {
    throwIfAborted(options.signal);
    if (options.maxImages !== undefined && images >= options.maxImages) break;
    batches++;
    for (const t of taps) {
      const data = batch.values[t];
      if (!data) throw badInput(`Calibration produced no values for tensor "${t}".`, t);
      const s = stats[t];
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
      }
      s.count += data.length;
    }
    images += batch.count;
  }
  if (images === 0) throw badInput('The calibration data is empty.', 'calibration');
  for (const s of Object.values(stats)) s.absMax = Math.max(Math.abs(s.min), Math.abs(s.max));
  let seen = 0;
  for await (const batch of source(bytes, [...taps])) {
    throwIfAborted(options.signal);
    if (seen++ === batches) break; // the same batches as the first pass
    for (const t of taps) {
      const data = batch.values[t];
      const s = stats[t];
      if (s.absMax === 0) {
        s.hist[0] += data.length;
        continue;
      }
      const k = HIST_BINS / s.absMax;
      for (let i = 0; i < data.length; i++) s.hist[Math.min(HIST_BINS - 1, Math.floor(Math.abs(data[i]) * k))]++;
    }
  }
  return { version: 1, images, key: options.key ?? '', tensors: stats };
}

export interface ClipChoice {
  /** Largest magnitude kept. */
  limit: number;
  /** Expected SQNR of the quantized activation over the calibration data (from the histogram). */
  sqnrDb: number;
}

/**
 * The clipping limit for a tensor: 'minmax' keeps the largest magnitude seen; 'percentile' the
 * given percentile of |x| (e.g. 99.99); 'mse' the limit minimizing expected squared error for
 * this bit width (uniform rounding noise inside the range, clipping error outside).
 * `fixedLimit` skips the choice (e.g. the frozen range observer of quantization-aware training)
 * and only reports the SQNR at that limit.
 */
export function chooseClip(
  stats: TensorStats,
  method: CalibrationMethod,
  bits: number,
  signed: boolean,
  rounding: Rounding,
  percentile = 99.99,
  fixedLimit?: number,
): ClipChoice {
  const top = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const width = stats.absMax / HIST_BINS;
  const center = (i: number) => (i + 0.5) * width;
  const noiseAt = (limit: number) => {
    const s = limit / top;
    const inside = rounding === 'floor' ? (s * s) / 3 : (s * s) / 12;
    let noise = 0;
    for (let i = 0; i < HIST_BINS; i++) {
      const c = stats.hist[i];
      if (!c) continue;
      const x = center(i);
      noise += c * (x <= limit ? inside : (x - limit) ** 2 + inside);
    }
    return noise;
  };
  let signal = 0;
  for (let i = 0; i < HIST_BINS; i++) signal += stats.hist[i] * center(i) ** 2;
  if (fixedLimit !== undefined) return { limit: fixedLimit, sqnrDb: sqnr(signal, noiseAt(fixedLimit)) };
  if (stats.absMax === 0) return { limit: 0, sqnrDb: Infinity };
  let limit = stats.absMax;
  if (method === 'percentile') {
    // percentile x count first: (99.9 / 100) * 1000 is 999.0000000000001 and would skip past the 999th value
    const target = (percentile * stats.count) / 100;
    let seen = 0;
    for (let i = 0; i < HIST_BINS; i++) {
      if (seen + stats.hist[i] >= target) {
        const frac = stats.hist[i] ? (target - seen) / stats.hist[i] : 1;
        limit = (i + frac) * width;
        break;
      }
      seen += stats.hist[i];
    }
  } else if (method === 'mse') {
    let best = noiseAt(limit);
    // Candidates on bin edges from 1 % to 100 % of the range (coarse grid then refine around the best).
    const step = 8;
    let bestEdge = HIST_BINS;
    for (let e = step; e < HIST_BINS; e += step) {
      const n = noiseAt(e * width);
      if (n < best) {
        best = n;
        bestEdge = e;
      }
    }
    for (let e = Math.max(1, bestEdge - step); e <= Math.min(HIST_BINS, bestEdge + step); e++) {
      const n = noiseAt(e * width);
      if (n < best) {
        best = n;
        bestEdge = e;
      }
    }
    limit = bestEdge * width;
  }
  return { limit: Math.max(limit, width), sqnrDb: sqnr(signal, noiseAt(Math.max(limit, width))) };
}
