/**
 * Layer-wise least-squares reconstruction of a pruned model (He et al. 2017, "Channel Pruning for
 * Accelerating Very Deep Neural Networks"; Luo et al. 2017, ThiNet), without gradients.
 *
 * Front to back, every pointwise conv (1x1, group 1, stride 1, no padding) and every Gemm / MatMul
 * whose input channels were pruned gets new weights and bias by ridge least squares, so that its
 * pre-activation output on calibration images matches the unpruned float model's (the kept output
 * channels of it), with as inputs what the pruned model itself feeds the layer after the layers
 * before it were reconstructed. Each layer costs one streamed pass over the calibration images
 * (pruned model cut at the layer's input, float model cut at its target); only the normal
 * equations are kept (ridge.ts), never the activations.
 *
 * BatchNormalization: the target is the float model's BN output when a BN follows the conv, and a
 * BN after the compressed conv (float designs keep theirs) is part of the fitted map: the fit is of
 * BN(conv(x)), and the conv's weights and bias are written so that the unchanged BN gives it.
 * Quantized designs (BN folded): the input is the layer's quantized input; the solved weights are
 * quantized again with the layer's spec, the bias is re-solved for the quantized weights and put on
 * the accumulator grid (input scale x new weight scale).
 */
import { badInput, EdgefoldError, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { planInput } from '../eval/evaluate.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { attrFloat, attrInt, attrInts, Graph, type GraphNode } from '../graph/graph.ts';
import { analyzeModel } from '../graph/index.ts';
import { cloneModel, decodeModel, encodeModel, onnxOpset, type ModelProto } from '../onnx/model.ts';
import { buildModel, node as onnxNode, tensorInfo } from '../onnx/builder.ts';
import { DataType, floatTensor, int64Tensor } from '../onnx/tensor.ts';
import { quantizeWeights, roundHalfEven } from '../quant/grid.ts';
import type { LayerQuantSpec } from '../quant/quantize.ts';
import { cutAt } from './graph-edit.ts';
import { RidgeAccumulator } from './ridge.ts';

/** Ridge strength relative to the mean of diag(XᵀX) (see docs/recovery-results.md for how it was chosen). */
export const DEFAULT_RIDGE = 1e-3;

export interface ReconstructProgress {
  /** Calibration images pushed through the layers so far / planned (images x layers). */
  done: number;
  total: number;
  layer?: string;
}

/** How a reconstructed layer goes back on its grid: its spec and (quantized input) activation scale. */
export interface ReconstructQuant {
  spec: LayerQuantSpec;
  activationScale?: number;
}

export interface ReconstructOptions {
  /** λ = ridge x mean(diag XᵀX); default DEFAULT_RIDGE. */
  ridge?: number;
  /** Node names to reconstruct; default every eligible layer whose input channels were pruned. */
  layers?: string[];
  /** For a layer whose outputs were pruned: the float model's channel for each kept channel. */
  channelMaps?: Record<string, number[]>;
  /** Quantized layers: weights are quantized again with this spec after solving. */
  quant?: Record<string, ReconstructQuant>;
  limit?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: ReconstructProgress) => void;
}

export interface LayerReconstruction {
  layer: string;
  op: string;
  /** Input channels of the compressed layer and of the float one. */
  inputs: number;
  floatInputs: number;
  outputs: number;
  applied: boolean;
  reason?: string;
  /** Residual Σ(y - ŷ)² of the layer's pre-activation output against the float model's, over Σ(y - ȳ)², before and after. */
  errorBefore?: number;
  errorAfter?: number;
  lambda?: number;
  /** Quantized again: the new weight scales (one per output channel or one) and SQNR. */
  weightScales?: number[];
  weightFracBits?: number[];
  weightSqnrDb?: number;
  biasOnGrid?: boolean;
}

export interface ReconstructionResult {
  modelBytes: Uint8Array<ArrayBuffer>;
  layers: LayerReconstruction[];
  images: number;
}

/** y_k = scale_k Σ_i x_i w[i][k] + biasScale_k b_k + shift_k: how the stored weights map to the fitted output. */
interface LayerPlan {
  node: GraphNode;
  report: LayerReconstruction;
  inputTensor: string;
  floatTensor: string;
  /** Float output channel of each compressed output channel. */
  map: number[];
  /** Stored weight layout: [out, in] (Conv, Gemm transB) or [in, out] (Gemm, MatMul). */
  outMajor: boolean;
  weightDims: number[];
  intercept: boolean;
  scale: Float64Array;
  biasScale: Float64Array;
  shift: Float64Array;
}


/** Inference-mode BN right after `tensor` (its only reader), or undefined. */
function followingBatchNorm(graph: Graph, tensor: string): GraphNode | undefined {
  const readers = graph.consumers.get(tensor) ?? [];
  if (readers.length !== 1 || readers[0].op !== 'BatchNormalization' || graph.outputs.some((o) => o.name === tensor)) return undefined;
  const bn = readers[0];
  return bn.outputs.slice(1).some(Boolean) ? undefined : bn;
}

/** Per-channel scale and shift of an inference-mode BN, or a reason it has none. */
function batchNormAffine(graph: Graph, bn: GraphNode): { scale: Float64Array; shift: Float64Array } | string {
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((p) => graph.constant(p)?.values);
  if (!gamma || !beta || !mean || !variance) return `its BatchNormalization "${bn.name}" has parameters computed at run time`;
  const eps = attrFloat(bn, 'epsilon', 1e-5);
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + eps));
  return { scale, shift: beta.map((b, c) => b - mean[c] * scale[c]) };
}

/** Input channels a Conv / Gemm / MatMul reads (from its weight's shape). */
function inputChannels(graph: Graph, node: GraphNode): number | undefined {
  const w = graph.constant(node.inputs[1]);
  if (!w) return undefined;
  if (node.op === 'Conv') return w.dims[1] * attrInt(node, 'group', 1);
  if (node.op === 'Gemm') return attrInt(node, 'transB', 0) ? w.dims[1] : w.dims[0];
  return w.dims.length === 2 ? w.dims[0] : undefined;
}

/** Plans one layer, or returns why it cannot be reconstructed. */
function planLayer(graph: Graph, floatGraph: Graph, node: GraphNode, report: LayerReconstruction, channelMap?: number[]): LayerPlan | string {
  const twin = floatGraph.node(node.name);
  if (!twin || twin.op !== node.op) return 'the float model has no layer of that name and type';
  const weight = graph.constant(node.inputs[1]);
  const weightInit = graph.initializers.get(node.inputs[1]);
  if (!weight || !weightInit) return 'its weights are not a float initializer (int8-qdq stores them as int8: reconstruct the float or qcdq format)';
  if (node.op === 'Conv') {
    const kernel = weight.dims.slice(2);
    const strides = attrInts(node, 'strides') ?? [];
    const pads = attrInts(node, 'pads') ?? [];
    if (attrInt(node, 'group', 1) !== 1 || kernel.some((k) => k !== 1) || strides.some((s) => s !== 1) || pads.some((p) => p !== 0)) {
      return 'not a pointwise conv (1x1, group 1, stride 1, no padding)';
    }
  }
  if (node.op === 'Gemm' && attrInt(node, 'transA', 0) !== 0) return 'a Gemm with transA';
  if (node.op === 'Gemm' && node.inputs[2] && attrFloat(node, 'beta', 1) === 0) return 'a Gemm with beta = 0';
  if (node.op === 'MatMul' && weight.dims.length !== 2) return 'a MatMul whose weight is not 2-D';
  const outMajor = node.op === 'Conv' || (node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1);
  const outputs = outMajor ? weight.dims[0] : weight.dims[1];
  report.outputs = outputs;
  const floatWeight = floatGraph.constant(twin.inputs[1]);
  const floatOutputs = floatWeight ? (outMajor ? floatWeight.dims[0] : floatWeight.dims[1]) : 0;
  const map = channelMap ?? Array.from({ length: outputs }, (_, k) => k);
  if (map.length !== outputs) return `its channel map lists ${map.length} channels, the layer has ${outputs}`;
  if (map.some((c) => !(c >= 0 && c < floatOutputs))) return 'its channel map points outside the float layer';
  const floatBn = twin.op === 'Conv' ? followingBatchNorm(floatGraph, twin.outputs[0]) : undefined;
  const bn = node.op === 'Conv' ? followingBatchNorm(graph, node.outputs[0]) : undefined;
  let scale: Float64Array = new Float64Array(outputs).fill(1);
  let shift: Float64Array = new Float64Array(outputs);
  let biasScale = new Float64Array(outputs).fill(1);
  if (bn) {
    const affine = batchNormAffine(graph, bn);
    if (typeof affine === 'string') return affine;
    if (affine.scale.length !== outputs) return `its BatchNormalization has ${affine.scale.length} channels, the conv ${outputs}`;
    ({ scale, shift } = affine);
    biasScale = scale.slice();
  }
  if (node.op === 'Gemm') {
    scale.fill(attrFloat(node, 'alpha', 1));
    biasScale.fill(attrFloat(node, 'beta', 1));
  }
  return {
    node,
    report,
    inputTensor: node.inputs[0],
    floatTensor: (floatBn ?? twin).outputs[0],
    map,
    outMajor,
    weightDims: weight.dims,
    intercept: node.op !== 'MatMul',
    scale,
    biasScale,
    shift,
  };
}

/** Writes a float initializer for input `index` of a node: in place when only it reads it, else under a fresh name. */
function writeInput(model: ModelProto, graph: Graph, node: GraphNode, index: number, dims: number[], values: ArrayLike<number>): void {
  const g = model.graph!;
  const name = node.inputs[index];
  const init = name ? graph.initializers.get(name) : undefined;
  if (init && (graph.consumers.get(name) ?? []).length === 1) {
    g.initializer[g.initializer.indexOf(init)] = floatTensor(name, dims, values);
    return;
  }
  const used = new Set([...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => [...n.input, ...n.output])]);
  const base = `${node.name}.${index === 1 ? 'weight' : 'bias'}_reconstructed`;
  let fresh = base;
  for (let i = 1; used.has(fresh); i++) fresh = `${base}_${i}`;
  g.initializer.push(floatTensor(fresh, dims, values));
  while (node.proto.input.length <= index) node.proto.input.push('');
  node.proto.input[index] = fresh;
}

/**
 * One model per layer: the compressed model cut at the layer's input, the float model cut at its
 * target (tensors and initializers renamed under "reference/", both read the same image input),
 * and the products of the two (productNodes) as the only outputs. One onnxruntime run per batch;
 * the activations never leave the session.
 */
export function layerModel(model: ModelProto, floatModel: ModelProto, inputTensor: string, floatTensor: string, inputs: number, map: readonly number[]): ModelProto {
  const merged = cloneModel(model);
  cutAt(merged, [inputTensor]);
  const reference = cloneModel(floatModel);
  cutAt(reference, [floatTensor]);
  const g = merged.graph!;
  const r = reference.graph!;
  if (r.node.some((n) => n.attribute.some((a) => a.g || a.graphs.length))) throw new EdgefoldError('unsupported', 'reconstruction does not handle models with subgraphs (If / Loop).');
  const imageInput = new Graph(merged).inputs[0]?.name;
  const referenceInput = new Graph(reference).inputs[0]?.name;
  if (!imageInput || !referenceInput) throw badInput('the models have no image input.', 'input');
  const rename = (name: string) => (!name ? name : name === referenceInput ? imageInput : `reference/${name}`);
  for (const [i, n] of r.node.entries()) {
    n.name = `reference/${i}/${n.name || n.opType}`;
    n.input = n.input.map(rename);
    n.output = n.output.map(rename);
    g.node.push(n);
  }
  for (const t of r.initializer) {
    t.name = rename(t.name);
    g.initializer.push(t);
  }
  const opset = Math.max(onnxOpset(merged) ?? 13, onnxOpset(reference) ?? 13);
  const products = productNodes(inputTensor, rename(floatTensor), inputs, map, opset);
  g.node.push(...products.nodes);
  g.initializer.push(...products.initializers);
  g.output = PRODUCT_OUTPUTS.map((name) => tensorInfo(name, undefined, name === 'pixels' ? DataType.INT64 : DataType.FLOAT));
  g.valueInfo = [];
  for (const o of merged.opsetImport) if (!o.domain || o.domain === 'ai.onnx') o.version = BigInt(opset);
  for (const o of reference.opsetImport) if (o.domain && o.domain !== 'ai.onnx' && !merged.opsetImport.some((m) => m.domain === o.domain)) merged.opsetImport.push(o);
  // IR 4 and later need no graph input per initializer
  merged.irVersion = merged.irVersion > reference.irVersion ? merged.irVersion : reference.irVersion;
  if (merged.irVersion < 4n) merged.irVersion = 4n;
  g.input = g.input.filter((i) => i.name === imageInput);
  return merged;
}

const PRODUCT_OUTPUTS = ['xx', 'xy', 'xs', 'ys', 'yy', 'pixels'] as const;

/**
 * Nodes computing the products one image contributes to the normal equations (float32 sums over
 * one image's pixels; ridge.ts adds the images up in float64): x [N, C, ...] is the layer's input,
 * y [N, C', ...] the float model's output, of which the channels `map` are fitted. Outputs
 * xx [N, C, C], xy [N, C, K], xs [N, C] (Σx), ys [N, K] (Σy), yy [N, K] (Σy²), pixels (x's shape
 * as [N, C, pixels per image]). ReduceSum's axes are an input from opset 13, an attribute before.
 */
function productNodes(x: string, y: string, inputs: number, map: readonly number[], opset: number) {
  const k = map.length;
  const sum = (input: string, output: string) =>
    opset >= 13 ? onnxNode('ReduceSum', [input, 'products/axis2'], [output], { keepdims: 0 }) : onnxNode('ReduceSum', [input], [output], { axes: [2], keepdims: 0 });
  return {
    initializers: [
      int64Tensor('products/x_shape', [3], [0, inputs, -1]),
      int64Tensor('products/y_shape', [3], [0, k, -1]),
      int64Tensor('products/kept', [k], map),
      int64Tensor('products/axis2', [1], [2]),
    ],
    nodes: [
      onnxNode('Reshape', [x, 'products/x_shape'], ['products/x3']),
      onnxNode('Gather', [y, 'products/kept'], ['products/y_kept'], { axis: 1 }),
      onnxNode('Reshape', ['products/y_kept', 'products/y_shape'], ['products/y3']),
      onnxNode('Transpose', ['products/x3'], ['products/xt'], { perm: [0, 2, 1] }),
      onnxNode('Transpose', ['products/y3'], ['products/yt'], { perm: [0, 2, 1] }),
      onnxNode('MatMul', ['products/x3', 'products/xt'], ['xx']),
      onnxNode('MatMul', ['products/x3', 'products/yt'], ['xy']),
      sum('products/x3', 'xs'),
      sum('products/y3', 'ys'),
      onnxNode('Mul', ['products/y3', 'products/y3'], ['products/y_squared']),
      sum('products/y_squared', 'yy'),
      onnxNode('Shape', ['products/x3'], ['pixels']),
    ],
  };
}

/** The products alone, for inputs x and y (tests compare them with direct sums). */
export function productsModel(inputs: number, map: readonly number[]): ModelProto {
  const { nodes, initializers } = productNodes('x', 'y', inputs, map, 13);
  return buildModel({
    name: 'reconstruction-products',
    opset: 13,
    inputs: [tensorInfo('x'), tensorInfo('y')],
    outputs: PRODUCT_OUTPUTS.map((name) => tensorInfo(name, undefined, name === 'pixels' ? DataType.INT64 : DataType.FLOAT)),
    initializers,
    nodes,
  });
}

/**
 * Reconstructs the layers of `compressedBytes` whose input channels were pruned, front to back,
 * against `floatBytes` (the unpruned float model; same node names). Cancelling throws 'cancelled'.
 */
export async function reconstruct(
  ort: OrtModule,
  floatBytes: Uint8Array,
  compressedBytes: Uint8Array,
  calibration: Dataset,
  options: ReconstructOptions = {},
): Promise<ReconstructionResult> {
  const floatModel = decodeModel(floatBytes, 'float model');
  const model = decodeModel(compressedBytes, 'compressed model');
  const floatGraph = new Graph(floatModel);
  let graph = new Graph(model);
  const ridge = options.ridge ?? DEFAULT_RIDGE;
  if (!(ridge >= 0)) throw badInput(`the ridge strength must be >= 0, got ${ridge}.`, 'ridge');
  const wanted = options.layers && new Set(options.layers);
  if (wanted) {
    const missing = options.layers!.find((name) => !graph.nodes.some((n) => n.name === name && (n.op === 'Conv' || n.op === 'Gemm' || n.op === 'MatMul')));
    if (missing) throw badInput(`layer "${missing}" is not a Conv, Gemm or MatMul of the compressed model.`, missing);
  }
  const layers: LayerReconstruction[] = [];
  const plans: LayerPlan[] = [];
  for (const node of graph.nodes) {
    if (node.op !== 'Conv' && node.op !== 'Gemm' && node.op !== 'MatMul') continue;
    if (wanted && !wanted.has(node.name)) continue;
    // depthwise and grouped convs are channel-local: pruning removes whole channels of them, nothing to re-solve
    if (!wanted && node.op === 'Conv' && attrInt(node, 'group', 1) > 1) continue;
    const inputs = inputChannels(graph, node);
    const twin = floatGraph.node(node.name);
    const floatInputs = twin ? inputChannels(floatGraph, twin) : undefined;
    // only layers whose inputs lost channels (a MatMul with a computed weight is not a layer here)
    if (inputs === undefined || (!wanted && (floatInputs === undefined || floatInputs === inputs))) continue;
    const report: LayerReconstruction = { layer: node.name, op: node.op, inputs, floatInputs: floatInputs ?? 0, outputs: 0, applied: false };
    layers.push(report);
    const plan = planLayer(graph, floatGraph, node, report, options.channelMaps?.[node.name]);
    if (typeof plan === 'string') report.reason = plan;
    else plans.push(plan);
  }

  const inputShape = analyzeModel(model).summary.inputs[0]?.shape ?? [];
  const plan = planInput(inputShape, calibration);
  const total = Math.min(options.limit ?? calibration.count, calibration.count);
  const batch = plan.fixedBatch ?? Math.max(1, options.batchSize ?? 100);
  const [c, h, w] = calibration.shape;
  const imagesPerPass = plan.fixedBatch ? Math.floor(total / plan.fixedBatch) * plan.fixedBatch : total;
  if (plans.length && !imagesPerPass) throw badInput('no calibration images to reconstruct with.', 'calibration');
  let done = 0;
  const progress = (layer?: string) => options.onProgress?.({ done, total: imagesPerPass * plans.length, layer });
  progress();

  for (const layer of plans) {
    throwIfAborted(options.signal);
    // the node as it is now (an earlier layer's write may have renamed nothing here, but re-read)
    const node = graph.node(layer.node.name)!;
    const merged = layerModel(model, floatModel, layer.inputTensor, layer.floatTensor, layer.report.inputs, layer.map);
    // QDQ chains run as written (onnxruntime's QDQ fusions would change the numbers)
    const quantized = merged.graph!.node.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
    const session = await ort.InferenceSession.create(encodeModel(merged), { graphOptimizationLevel: quantized ? 'disabled' : 'all', logSeverityLevel: 3 });
    const acc = new RidgeAccumulator(layer.report.inputs, layer.map.length, layer.intercept);
    try {
      for (let start = 0; start + (plan.fixedBatch ?? 1) <= total; start += batch) {
        await nextMacrotask(); // lets a worker handle a cancel between batches
        throwIfAborted(options.signal);
        const count = Math.min(batch, total - start);
        const dims = plan.layout === 'NCHW' ? [count, c, h, w] : [count, h, w, c];
        const input = new ort.Tensor('float32', batchTensor(calibration, start, count, plan.layout), dims);
        const p = await session.run({ [session.inputNames[0]]: input });
        const [images, , pixels] = Array.from(p.pixels.data as BigInt64Array, Number);
        acc.addProducts(
          { xx: p.xx.data as Float32Array, xy: p.xy.data as Float32Array, x: p.xs.data as Float32Array, y: p.ys.data as Float32Array, yy: p.yy.data as Float32Array },
          images,
          images * pixels,
        );
        for (const t of Object.values(p)) t.dispose?.();
        done += count;
        progress(node.name);
      }
    } finally {
      await session.release();
    }
    solveAndWrite(model, graph, node, layer, acc, ridge, options.quant?.[node.name]);
    graph = new Graph(model);
  }
  return { modelBytes: encodeModel(model), layers, images: imagesPerPass };
}

function solveAndWrite(model: ModelProto, graph: Graph, node: GraphNode, layer: LayerPlan, acc: RidgeAccumulator, ridge: number, quant?: ReconstructQuant): void {
  const { report, scale, biasScale, shift, intercept, outMajor, weightDims } = layer;
  const n = acc.inputs;
  const m = acc.outputs;
  const rows = acc.size;
  const stored = graph.constant(node.inputs[1])!.values;
  const storedAt = (i: number, k: number) => stored[outMajor ? k * n + i : i * m + k];
  const oldBias = intercept && node.inputs[2] ? graph.constant(node.inputs[2])?.values : undefined;
  if (intercept && node.inputs[2] && !oldBias) {
    report.reason = 'its bias is computed at run time';
    return;
  }
  // the current weights as the fitted map sees them
  const current = new Float64Array(rows * m);
  for (let k = 0; k < m; k++) {
    for (let i = 0; i < n; i++) current[i * m + k] = scale[k] * storedAt(i, k);
    if (intercept) current[n * m + k] = biasScale[k] * (oldBias ? oldBias[oldBias.length === 1 ? 0 : k] : 0) + shift[k];
  }
  const variation = acc.totalVariation() || 1;
  report.errorBefore = acc.residual(current) / variation;
  let solution;
  try {
    solution = acc.solve(ridge);
  } catch (error) {
    report.reason = (error as Error).message;
    return;
  }
  report.lambda = solution.lambda;
  const theta = solution.theta;
  // an output whose BN scale is 0 is constant: its weights stay
  const live = (k: number) => scale[k] !== 0 && biasScale[k] !== 0;
  const weights = new Float64Array(n * m);
  for (let k = 0; k < m; k++) for (let i = 0; i < n; i++) weights[outMajor ? k * n + i : i * m + k] = live(k) ? theta[i * m + k] / scale[k] : storedAt(i, k);
  let written: ArrayLike<number> = weights;
  if (quant) {
    const axis = quant.spec.granularity === 'per-channel' ? (outMajor ? 0 : 1) : null;
    const q = quantizeWeights(weights, weightDims, axis, quant.spec.weightBits, quant.spec.scale, quant.spec.rounding);
    written = q.values;
    report.weightScales = q.scales;
    if (q.fracBits) report.weightFracBits = q.fracBits;
    report.weightSqnrDb = q.sqnrDb;
  }
  const final = new Float64Array(rows * m);
  for (let k = 0; k < m; k++) for (let i = 0; i < n; i++) final[i * m + k] = scale[k] * written[outMajor ? k * n + i : i * m + k];
  let bias: number[] | undefined;
  if (intercept) {
    // with quantized weights the best bias moves: re-solve it for the weights as written
    const effective = quant ? acc.interceptFor(final) : theta.subarray(n * m);
    bias = Array.from({ length: m }, (_, k) => (live(k) ? (effective[k] - shift[k]) / biasScale[k] : oldBias ? oldBias[oldBias.length === 1 ? 0 : k] : 0));
    if (quant?.activationScale !== undefined && quant.spec.activationBits !== null && report.weightScales) {
      const ws = report.weightScales;
      const lsb = (k: number) => Math.fround(quant.activationScale! * ws[ws.length === 1 ? 0 : k]);
      bias = bias.map((b, k) => roundHalfEven(b / lsb(k)) * lsb(k));
      report.biasOnGrid = true;
    }
    for (let k = 0; k < m; k++) final[n * m + k] = biasScale[k] * Math.fround(bias[k]) + shift[k];
  }
  report.errorAfter = acc.residual(final) / variation;
  if (!(report.errorAfter < report.errorBefore)) {
    report.reason = `no improvement (relative error ${report.errorBefore.toPrecision(3)} → ${report.errorAfter.toPrecision(3)})`;
    return;
  }
  writeInput(model, graph, node, 1, weightDims, written);
  if (bias) writeInput(model, graph, node, 2, [m], bias);
  report.applied = true;
}
