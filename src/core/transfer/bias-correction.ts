import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { badInput, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { planInput } from '../eval/evaluate.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { attrFloat, Graph } from '../graph/graph.ts';
import { analyzeModel } from '../graph/index.ts';
import { cloneModel, decodeModel, encodeModel, type ModelProto, type NodeProto } from '../onnx/model.ts';
import { DataType, floatTensor, tensorDims, tensorValues } from '../onnx/tensor.ts';
import { cutAt } from './graph-edit.ts';

export interface BiasCorrectionProgress {
  /** Measurement runs over the calibration data done / planned. */
  done: number;
  total: number;
  layer?: string;
}

export interface BiasCorrectionOptions {
  /**
   * 'sequential' (default): correct layer by layer, each measured after the corrections before it,
   * as empirical bias correction does. 'all-at-once': measure once, correct every layer.
   */
  mode?: 'sequential' | 'all-at-once';
  /** Node names of the layers to correct; default every Conv / Gemm both models have. */
  layers?: string[];
  /** For a pruned layer: the float model's channel index for each channel the compressed layer kept. */
  channelMaps?: Record<string, number[]>;
  /** Use the first N calibration images. */
  limit?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: BiasCorrectionProgress) => void;
}

export interface ShiftStats {
  /** Mean over channels of |E[float] - E[compressed]|. */
  meanAbs: number;
  maxAbs: number;
}

export interface LayerCorrection {
  layer: string;
  op: string;
  channels: number;
  applied: boolean;
  /** Why a layer was left alone. */
  reason?: string;
  /** The per-channel output mean shift before this layer was corrected. */
  before?: ShiftStats;
  /** The shift left after every correction (measured on the corrected model). */
  after?: ShiftStats;
  /** What was added to the bias, per channel. */
  delta?: number[];
}

export interface BiasCorrectionResult {
  modelBytes: Uint8Array<ArrayBuffer>;
  layers: LayerCorrection[];
  images: number;
  runs: number;
}

/** Per-channel means of tensors (axis 1; [N, C, ...] for Conv, [N, K] for Gemm) over a dataset. */
export async function channelMeans(
  ort: OrtModule,
  model: ModelProto,
  data: Dataset,
  tensors: string[],
  options: { limit?: number; batchSize?: number; signal?: AbortSignal } = {},
): Promise<Map<string, Float64Array>> {
  const inputShape = analyzeModel(model).summary.inputs[0]?.shape ?? [];
  const plan = planInput(inputShape, data);
  const cut = cloneModel(model);
  cutAt(cut, tensors);
  const session = await ort.InferenceSession.create(encodeModel(cut), { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const total = Math.min(options.limit ?? data.count, data.count);
  const batch = plan.fixedBatch ?? Math.max(1, options.batchSize ?? 100);
  const [c, h, w] = data.shape;
  const sums = new Map<string, Float64Array>();
  const counts = new Map<string, number>();
  try {
    for (let start = 0; start + (plan.fixedBatch ?? 1) <= total; start += batch) {
      await nextMacrotask(); // lets a worker handle a cancel between batches
      throwIfAborted(options.signal);
      const count = Math.min(batch, total - start);
      const dims = plan.layout === 'NCHW' ? [count, c, h, w] : [count, h, w, c];
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', batchTensor(data, start, count, plan.layout), dims) });
      for (const name of tensors) {
        const t = result[name];
        const values = t.data as Float32Array;
        const channels = t.dims[1] ?? 1;
        const inner = t.dims.slice(2).reduce((a, b) => a * b, 1);
        const sum = sums.get(name) ?? new Float64Array(channels);
        for (let b = 0; b < t.dims[0]; b++) {
          for (let ch = 0; ch < channels; ch++) {
            const off = (b * channels + ch) * inner;
            let s = 0;
            for (let p = 0; p < inner; p++) s += values[off + p];
            sum[ch] += s;
          }
        }
        sums.set(name, sum);
        counts.set(name, (counts.get(name) ?? 0) + t.dims[0] * inner);
      }
      for (const t of Object.values(result)) t.dispose?.();
    }
  } finally {
    await session.release();
  }
  if (!sums.size) throw badInput('no calibration images to measure on.', 'calibration');
  return new Map([...sums].map(([name, sum]) => [name, sum.map((v) => v / counts.get(name)!)]));
}

function int32Tensor(name: string, dims: number[], values: ArrayLike<number>) {
  const data = Int32Array.from(values);
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: DataType.INT32, rawData: new Uint8Array(data.buffer) });
}

/** Adds `delta` (per output channel) to the bias of a Conv / Gemm, in place; returns why not, if it cannot. */
export function addToBias(model: ModelProto, nodeName: string, delta: ArrayLike<number>): string | undefined {
  const graph = new Graph(model);
  const node = graph.node(nodeName);
  if (!node) return `no node "${nodeName}"`;
  const proto: NodeProto = node.proto;
  const g = model.graph!;
  const k = delta.length;
  const beta = node.op === 'Gemm' ? attrFloat(node, 'beta', 1) : 1;
  const biasName = proto.input[2];
  const used = new Set([...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => [...n.input, ...n.output])]);
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    return name;
  };
  if (!biasName) {
    const name = fresh(`${nodeName}.bias_corrected`);
    g.initializer.push(floatTensor(name, [k], Array.from(delta, (d) => d / beta)));
    while (proto.input.length < 2) proto.input.push('');
    proto.input[2] = name;
    return undefined;
  }
  const shared = (graph.consumers.get(biasName) ?? []).length > 1;
  const init = graph.initializers.get(biasName);
  if (init && (init.dataType === DataType.FLOAT || init.dataType === DataType.DOUBLE || init.dataType === DataType.FLOAT16)) {
    const old = tensorValues(init);
    const dims = tensorDims(init);
    if (old.length !== k && old.length !== 1) return `its bias has ${old.length} values for ${k} channels`;
    const values = Array.from({ length: k }, (_, c) => old[old.length === 1 ? 0 : c] + delta[c] / beta);
    const name = shared ? fresh(`${nodeName}.bias_corrected`) : biasName;
    const tensor = floatTensor(name, old.length === 1 ? [k] : dims, values);
    if (shared) g.initializer.push(tensor);
    else g.initializer[g.initializer.indexOf(init)] = tensor;
    proto.input[2] = name;
    return undefined;
  }
  const dq = graph.producer.get(biasName);
  if (dq?.op === 'DequantizeLinear' && graph.isInitializer(dq.inputs[0]) && graph.constant(dq.inputs[1])) {
    const q = graph.initializers.get(dq.inputs[0])!;
    if (q.dataType !== DataType.INT32) return 'its quantized bias is not int32';
    if ((graph.consumers.get(dq.inputs[0]) ?? []).length > 1 || shared) return 'its quantized bias is shared with other layers';
    const scale = graph.constant(dq.inputs[1])!.values;
    const zero = dq.inputs[2] ? graph.constant(dq.inputs[2])?.values : undefined;
    const old = tensorValues(q);
    if (old.length !== k) return `its bias has ${old.length} values for ${k} channels`;
    const values = Array.from({ length: k }, (_, c) => {
      const s = scale[scale.length === 1 ? 0 : c];
      const z = zero ? zero[zero.length === 1 ? 0 : c] : 0;
      return Math.round(old[c] - z + delta[c] / beta / s) + z;
    });
    g.initializer[g.initializer.indexOf(q)] = int32Tensor(q.name, tensorDims(q), values);
    return undefined;
  }
  return 'its bias is computed at run time';
}

const stats = (shift: ArrayLike<number>): ShiftStats => {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < shift.length; i++) {
    sum += Math.abs(shift[i]);
    max = Math.max(max, Math.abs(shift[i]));
  }
  return { meanAbs: shift.length ? sum / shift.length : 0, maxAbs: max };
};

/**
 * Bias correction (as in DFQ / AIMET's empirical bias correction): for each Conv / Gemm, the
 * per-channel mean of its output on calibration data is measured in the float model and in the
 * compressed one, and the difference is added to the compressed layer's bias. Layers are matched
 * by node name; a pruned layer needs a channel map, else it is left alone with a reason.
 */
export async function biasCorrect(
  ort: OrtModule,
  floatBytes: Uint8Array,
  compressedBytes: Uint8Array,
  calibration: Dataset,
  options: BiasCorrectionOptions = {},
): Promise<BiasCorrectionResult> {
  const floatModel = decodeModel(floatBytes, 'float model');
  const model = decodeModel(compressedBytes, 'compressed model');
  const floatGraph = new Graph(floatModel);
  const graph = new Graph(model);
  const wanted = options.layers && new Set(options.layers);
  const targets = graph.nodes.filter((n) => (n.op === 'Conv' || n.op === 'Gemm') && (!wanted || wanted.has(n.name)));
  if (wanted) {
    const missing = options.layers!.find((name) => !targets.some((t) => t.name === name));
    if (missing) throw badInput(`layer "${missing}" is not a Conv or Gemm of the compressed model.`, missing);
  }
  const layers: LayerCorrection[] = [];
  const pairs: { node: (typeof targets)[number]; floatTensor: string; report: LayerCorrection }[] = [];
  for (const node of targets) {
    const twin = floatGraph.node(node.name);
    const report: LayerCorrection = { layer: node.name, op: node.op, channels: 0, applied: false };
    layers.push(report);
    if (!twin || twin.op !== node.op) report.reason = 'the float model has no layer of that name and type';
    else pairs.push({ node, floatTensor: twin.outputs[0], report });
  }
  const mode = options.mode ?? 'sequential';
  const measure = { limit: options.limit, batchSize: options.batchSize, signal: options.signal };
  const total = 1 + (mode === 'sequential' ? pairs.length : 1) + 1;
  let runs = 0;
  const progress = (layer?: string) => options.onProgress?.({ done: runs, total, layer });
  progress();
  const floatMeans = pairs.length ? await channelMeans(ort, floatModel, calibration, pairs.map((p) => p.floatTensor), measure) : new Map();
  runs++;
  progress();

  const reference = (pair: (typeof pairs)[number], measured: Float64Array): Float64Array | string => {
    const f = floatMeans.get(pair.floatTensor)!;
    const map = options.channelMaps?.[pair.node.name];
    if (map) {
      if (map.length !== measured.length) return `its channel map lists ${map.length} channels, the layer has ${measured.length}`;
      if (map.some((c) => !(c >= 0 && c < f.length))) return 'its channel map points outside the float layer';
      return Float64Array.from(map, (c) => f[c]);
    }
    if (f.length !== measured.length) return `it has ${measured.length} channels, the float layer ${f.length} (pruned?): pass a channel map`;
    return f;
  };
  const correct = (pair: (typeof pairs)[number], measured: Float64Array) => {
    pair.report.channels = measured.length;
    const ref = reference(pair, measured);
    if (typeof ref === 'string') {
      pair.report.reason = ref;
      return;
    }
    const delta = Array.from(measured, (m, c) => ref[c] - m);
    pair.report.before = stats(delta);
    const why = addToBias(model, pair.node.name, delta);
    if (why) pair.report.reason = why;
    else {
      pair.report.applied = true;
      pair.report.delta = delta;
    }
  };

  if (mode === 'sequential') {
    for (const pair of pairs) {
      const tensor = pair.node.outputs[0];
      const measured = (await channelMeans(ort, model, calibration, [tensor], measure)).get(tensor)!;
      runs++;
      correct(pair, measured);
      progress(pair.node.name);
    }
  } else if (pairs.length) {
    const measured = await channelMeans(ort, model, calibration, pairs.map((p) => p.node.outputs[0]), measure);
    runs++;
    for (const pair of pairs) correct(pair, measured.get(pair.node.outputs[0])!);
    progress();
  }
  const applied = pairs.filter((p) => p.report.applied);
  if (applied.length) {
    const after = await channelMeans(ort, model, calibration, applied.map((p) => p.node.outputs[0]), measure);
    for (const pair of applied) {
      const ref = reference(pair, after.get(pair.node.outputs[0])!) as Float64Array;
      pair.report.after = stats(Array.from(after.get(pair.node.outputs[0])!, (m, c) => ref[c] - m));
    }
  }
  runs++;
  progress();
  return { modelBytes: encodeModel(model), layers, images: Math.min(options.limit ?? calibration.count, calibration.count), runs };
}
