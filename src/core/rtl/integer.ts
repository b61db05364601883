/**
 * The integer semantics of a quantized network, defined once: what the generated accelerator
 * computes, bit for bit, and the TypeScript reference the simulation is compared with.
 *
 * Built from the model quantizeModel saw (pruned, BatchNorm folded) and its QuantReport:
 * - weights: the integers quantizeWeights gives (the same call quantizeModel makes);
 * - biases: integers in units of (input scale x weight scale), the accumulator's LSB
 *   (biasToInt, shared with the ONNX export);
 * - accumulators: exact integer sums (JavaScript numbers are exact below 2^53);
 * - requantisation of an accumulator to the next layer's input grid:
 *     q = clip(round((acc + bias_c) * m_c / 2^shift), qmin, qmax)
 *   with m_c = round(s_in * s_w[c] / s_out * 2^shift) < 2^MULTIPLIER_BITS and one shift per layer
 *   (the largest that keeps every m_c below 2^MULTIPLIER_BITS), and round = the layer's rounding
 *   ('half-even' or 'floor'). A ReLU before an unsigned quantizer is the clip at qmin = 0.
 * - global average pooling: the integer sum over the map, requantised with m = s_prev / (H W s_out).
 * - max pooling: the maximum of the integers in the window (padding never wins). The layer before
 *   it requantises straight onto the grid of the pool's output (the next layer's input grid):
 *   quantizing is monotone, so max(q(x)) = q(max(x)) and the pool needs no requantiser.
 * The float ONNX model computes s_in s_w (acc + bias) / s_out in float32 and rounds that; the
 * multiplier here is a 16-bit fixed-point approximation of that ratio, so the two can differ by
 * one step where the ratio is not a power of two (see docs/rtl.md).
 */
import { badInput } from '../errors.ts';
import { attrInt, attrInts, Graph, type GraphNode } from '../graph/graph.ts';
import { inferShapes } from '../graph/shapes.ts';
import { windowGeometry } from '../graph/shape-rules.ts';
import type { ModelProto } from '../onnx/model.ts';
import { chooseClip, type CalibrationData, type CalibrationMethod } from '../quant/calibrate.ts';
import { activationQuantizer, biasToInt, quantizeWeights, roundWith, type Rounding, type ScaleType } from '../quant/grid.ts';
import type { LayerQuantSpec, QuantReport } from '../quant/quantize.ts';

/** Width of the unsigned per-channel requantisation multiplier (the estimator's 16-bit scale). */
export const MULTIPLIER_BITS = 16;

/** A quantizer on an activation tensor (the grid the stream carries). */
export interface IntQuantizer {
  bits: number;
  signed: boolean;
  scale: number;
  scaleType: ScaleType;
  rounding: Rounding;
  qmin: number;
  qmax: number;
}

/** Requantisation of an integer stream (accumulators or sums) onto an activation grid. */
export interface Requant {
  /** Per channel, in accumulator units (zeros for pooling). */
  bias: number[];
  /** Per channel, unsigned, < 2^MULTIPLIER_BITS. */
  multiplier: number[];
  shift: number;
  rounding: Rounding;
  out: IntQuantizer;
}

interface OpBase {
  /** Node name (the layer view's name; the estimator's folding is keyed by it). */
  name: string;
  /** Input map [H, W] and channels. */
  inDim: [number, number];
  inChannels: number;
  outDim: [number, number];
  outChannels: number;
  /** Grid of the input stream. */
  input: IntQuantizer;
  /** Requantisation of the output onto the next op's grid; null for the last layer (integer logits). */
  requant: Requant | null;
}

export interface IntConv extends OpBase {
  kind: 'conv' | 'pointwise' | 'depthwise' | 'fc';
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right]. */
  pads: [number, number, number, number];
  weightBits: number;
  /**
   * Integer weights. conv / pointwise / fc: [out][ky][kx][in] (row = output channel, the input
   * index runs ky, kx, then channel, the sliding window's order); depthwise: [channel][ky][kx].
   */
  weights: Int32Array;
  bias: number[];
  /** Real value of one accumulator LSB per output channel (s_in x s_w[c]): dequantizes logits. */
  accScale: number[];
  /** Accumulator width of the estimator (engines/common.ts accumulatorBits). */
  fanIn: number;
}

export interface IntGlobalPool extends OpBase {
  kind: 'global-avg-pool';
}

/**
 * Residual join (AddStreams): the chain's stream (the branch, requantised onto the skip's scale
 * with one more bit, signed) plus the skip stream of op `skipFrom` (-1: the network input); the
 * sum (skip scale) is requantised onto the next grid.
 */
export interface IntAdd extends OpBase {
  kind: 'add';
  skipFrom: number;
  /** Grid of the skip stream and of the branch stream. */
  skip: IntQuantizer;
  branch: IntQuantizer;
}

/** Max pooling on the integers of its input grid (the same grid out; `requant` is null). */
export interface IntMaxPool extends OpBase {
  kind: 'max-pool';
  kernel: [number, number];
  stride: [number, number];
  /** [top, left, bottom, right]. */
  pads: [number, number, number, number];
}

export type IntOp = IntConv | IntGlobalPool | IntAdd | IntMaxPool;

export interface IntegerNetwork {
  ops: IntOp[];
  /** Quantizer of the network input (applied to the preprocessed float image). */
  input: IntQuantizer;
  inputShape: [number, number, number];
  classes: number;
  notes: string[];
}

const RESHAPES = new Set(['Relu', 'Flatten', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Dropout']);

function quantizerOf(report: { bits: number; signed: boolean; scale: number }, scaleType: ScaleType, rounding: Rounding): IntQuantizer {
  const top = report.signed ? 2 ** (report.bits - 1) - 1 : 2 ** report.bits - 1;
  return { bits: report.bits, signed: report.signed, scale: report.scale, scaleType, rounding, qmin: report.signed ? -top - 1 : 0, qmax: top };
}

/**
 * The tensor whose grid a layer producing `next` requantises onto: `next` itself, or, when a
 * MaxPool reads it, the tensor after the pool (max commutes with the monotone quantizer).
 */
function gridTensor(graph: Graph, next: { tensor: string; node: GraphNode | null; relu: boolean }): { tensor: string; relu: boolean } {
  if (next.node?.op !== 'MaxPool') return next;
  const after = nextConsumer(graph, next.node.outputs[0]);
  return { tensor: after.tensor, relu: next.relu || after.relu };
}

/** Follows ReLU / reshapes forward from a tensor: the tensor the next real op reads, and that op. */
function nextConsumer(graph: Graph, tensor: string): { tensor: string; node: GraphNode | null; relu: boolean } {
  let t = tensor;
  let relu = false;
  for (let guard = 0; guard < 64; guard++) {
    const consumers = graph.consumers.get(t) ?? [];
    if (consumers.length !== 1) return { tensor: t, node: consumers[0] ?? null, relu };
    const c = consumers[0];
    if (!RESHAPES.has(c.op)) return { tensor: t, node: c, relu };
    if (c.op === 'Relu') relu = true;
    t = c.outputs[0];
  }
  return { tensor: t, node: null, relu };
}

/** Fixed-point multiplier and shared shift for real ratios `ratios` (all > 0). */
export function fixedPointMultipliers(ratios: number[]): { multiplier: number[]; shift: number } {
  const max = Math.max(...ratios);
  if (!(max > 0) || !Number.isFinite(max)) throw badInput(`requantisation ratio ${max} is not a positive number.`, 'quant');
  const limit = 2 ** MULTIPLIER_BITS - 1;
  let shift = Math.floor(Math.log2(limit / max));
  while (Math.round(max * 2 ** shift) > limit) shift--;
  if (shift < 0) throw badInput(`requantisation ratio ${max} needs a multiplier wider than ${MULTIPLIER_BITS} bits.`, 'quant');
  shift = Math.min(shift, 48);
  return { multiplier: ratios.map((r) => Math.round(r * 2 ** shift)), shift };
}

/** The requantisation of one value, as the hardware does it: clip(round((x + bias) * m / 2^shift)). */
export function requantize(x: number, channel: number, r: Requant): number {
  const p = (x + r.bias[channel]) * r.multiplier[channel];
  const unit = 2 ** r.shift;
  let q = Math.floor(p / unit);
  if (r.rounding === 'half-even' && r.shift > 0) {
    const rest = p - q * unit;
    const half = unit / 2;
    if (rest > half || (rest === half && q % 2 !== 0)) q += 1;
  }
  return Math.min(r.out.qmax, Math.max(r.out.qmin, q));
}

/** Quantizes one preprocessed float input value exactly as the ONNX input quantizer does (float32). */
export function quantizeInputValue(x: number, q: IntQuantizer): number {
  const t = Math.fround(Math.fround(x) / q.scale);
  return Math.min(q.qmax, Math.max(q.qmin, roundWith(q.rounding)(t)));
}

export interface IntegerNetworkInput {
  /** The model quantizeModel was given (pruned, BatchNorm folded): calibrationPlan(...).model. */
  model: ModelProto;
  quant: Record<string, LayerQuantSpec>;
  report: QuantReport;
  /**
   * Statistics for tensors the ONNX export leaves float but the stream carries as integers
   * (a global pool's input): see integerTaps.
   */
  calibration?: CalibrationData;
  method?: CalibrationMethod;
  percentile?: number;
}

/** The branch of a residual Add: the skip's scale, one more bit, signed (covers the skip's magnitude either sign). */
export function branchGrid(skip: IntQuantizer): IntQuantizer {
  const bits = skip.bits + (skip.signed ? 0 : 1);
  return { ...skip, bits, signed: true, qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 };
}

/** Tensors the integer network needs calibrated beyond the ONNX export's taps: inputs of global pools. */
export function integerTaps(model: ModelProto): string[] {
  const graph = new Graph(model);
  return graph.nodes.filter((n) => n.op === 'GlobalAveragePool').map((n) => n.inputs[0]);
}

function chw(graph: Graph, tensor: string): [number, number, number] {
  const s = graph.shapes.get(tensor);
  if (!s) throw badInput(`tensor "${tensor}" has no known shape.`, 'model');
  const d = s.slice(1).map(Number);
  if (d.some((v) => !(v > 0))) throw badInput(`tensor "${tensor}" has a dynamic shape [${s.join(',')}].`, 'model');
  return [d[0], d[1] ?? 1, d[2] ?? 1];
}

/**
 * Builds the integer network of a quantized chain (Conv / depthwise Conv / Gemm / MatMul with
 * ReLU, GlobalAveragePool, Flatten). Every compute layer must be quantized with activations.
 * Throws a bad-input error naming what the generator cannot build.
 */
export function integerNetwork(input: IntegerNetworkInput): IntegerNetwork {
  const graph = new Graph(input.model);
  inferShapes(graph);
  const reports = new Map(input.report.layers.map((l) => [l.layer, l]));
  const notes: string[] = [];
  // Activation grid of every tensor a quantized layer reads.
  const grids = new Map<string, IntQuantizer>();
  for (const l of input.report.layers) {
    if (!l.activation) throw badInput(`layer "${l.layer}" keeps float activations; the accelerator needs every compute layer's input quantized (set quant.activationBits).`, `layers.${l.layer}`);
    grids.set(l.activation.tensor, quantizerOf(l.activation, l.scaleType, l.rounding));
  }
  const gridFor = (tensor: string, like: IntQuantizer, relu: boolean): IntQuantizer => {
    const known = grids.get(tensor);
    if (known) return known;
    const stats = input.calibration?.tensors[tensor];
    if (!stats) throw badInput(`tensor "${tensor}" is carried as integers by the accelerator but has no calibration statistics (calibrate integerTaps too).`, 'calibration');
    const signed = !relu && stats.min < 0;
    const clip = chooseClip(stats, input.method ?? 'minmax', like.bits, signed, like.rounding, input.percentile ?? 99.99);
    const a = activationQuantizer(clip.limit, like.bits, signed, like.scaleType, like.rounding);
    const q = quantizerOf({ bits: a.bits, signed, scale: a.scale }, like.scaleType, like.rounding);
    grids.set(tensor, q);
    notes.push(`${tensor}: quantized to ${q.bits} bits (scale ${q.scale.toPrecision(5)}) for the stream; the ONNX export leaves it float.`);
    return q;
  };

  const ops: IntOp[] = [];
  const graphInput = graph.inputs[0]?.name;
  if (!graphInput) throw badInput('the model has no input.', 'model');
  let current = graphInput;
  const first = nextConsumer(graph, current);
  const inputGrid = grids.get(first.tensor);
  if (!inputGrid) throw badInput('the first layer does not quantize its input; the accelerator needs integer inputs.', 'quant');
  const [c0, h0, w0] = chw(graph, graphInput);

  // Tensor (after ReLU / reshapes) each op's output stream carries, to find a residual's skip.
  const streamTensor: string[] = [];
  // Skip tensors read by an Add further on: the op producing one requantises onto its grid and the
  // chain's branch before the Add requantises onto branchGrid of it.
  const addNodes = graph.nodes.filter((n) => n.op === 'Add' || n.op === 'Sum');
  for (const node of graph.nodes) {
    if (RESHAPES.has(node.op)) continue;
    const chainInput = node.inputs.find((t) => t === current) ?? (nextConsumer(graph, current).node === node ? node.inputs[0] : undefined);
    if (chainInput === undefined) {
      throw badInput(`"${node.name}" (${node.op}) does not continue the chain the generator builds (only residual Adds may join a branch).`, node.name);
    }
    if (node.op === 'Add' || node.op === 'Sum') {
      if (node.inputs.length !== 2) throw badInput(`"${node.name}": only two-input Adds are generated.`, node.name);
      const skipTensor = node.inputs.find((t) => t !== chainInput)!;
      const skipFrom = skipTensor === graphInput ? -1 : streamTensor.lastIndexOf(skipTensor);
      const skip = grids.get(skipTensor);
      if ((skipFrom < 0 && skipTensor !== graphInput) || !skip) throw badInput(`"${node.name}": its skip input "${skipTensor}" is not an integer stream of the chain.`, node.name);
      const [c, h, w] = chw(graph, node.outputs[0]);
      const next = nextConsumer(graph, node.outputs[0]);
      if (next.node === null) throw badInput(`"${node.name}": an Add cannot be the network's last layer here.`, node.name);
      const branch = branchGrid(skip);
      const target = gridTensor(graph, next);
      const out = gridFor(target.tensor, skip, target.relu);
      if (target.tensor !== next.tensor) grids.set(next.tensor, out);
      const { multiplier, shift } = fixedPointMultipliers(new Array(c).fill(skip.scale / out.scale));
      ops.push({ kind: 'add', name: node.name, inDim: [h, w], inChannels: c, outDim: [h, w], outChannels: c, input: branch, skip, branch, skipFrom, requant: { bias: new Array(c).fill(0), multiplier, shift, rounding: out.rounding, out } });
      streamTensor.push(next.tensor);
      current = next.tensor;
      continue;
    }
    const inTensor = chainInput;
    const inGrid = grids.get(inTensor);
    if (!inGrid) throw badInput(`"${node.name}" reads "${inTensor}", which is not on an integer grid.`, node.name);
    const [cin, h, w] = chw(graph, inTensor);
    const outTensor = node.outputs[0];
    const [cout, ho, wo] = chw(graph, outTensor);
    const next = nextConsumer(graph, outTensor);
    const isLast = next.node === null;
    if (node.op === 'Conv' || node.op === 'Gemm' || node.op === 'MatMul') {
      const rep = reports.get(node.name);
      const spec = input.quant[node.name];
      if (!rep || !spec) throw badInput(`compute layer "${node.name}" is not quantized; the accelerator needs every layer quantized.`, `layers.${node.name}`);
      const wc = graph.constant(node.inputs[1])!;
      const transB = node.op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
      const outAxis = node.op === 'Conv' || transB ? 0 : 1;
      const axis = spec.granularity === 'per-channel' ? outAxis : null;
      const wq = quantizeWeights(wc.values, wc.dims, axis, spec.weightBits, spec.scale, spec.rounding);
      const sw = (c: number) => wq.scales[axis === null ? 0 : c];
      const group = node.op === 'Conv' ? attrInt(node, 'group', 1) : 1;
      let kind: IntConv['kind'];
      let kernel: [number, number] = [1, 1];
      let stride: [number, number] = [1, 1];
      let pads: [number, number, number, number] = [0, 0, 0, 0];
      let weights: Int32Array;
      if (node.op === 'Conv') {
        const [, , kh, kw] = wc.dims;
        kernel = [kh, kw];
        const s = attrInts(node, 'strides') ?? [1, 1];
        stride = [s[0], s[1]];
        const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
        pads = [p[0], p[1], p[2], p[3]];
        if ((attrInts(node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw badInput(`"${node.name}": dilated convolutions are not generated.`, node.name);
        if (group === cin && cout === cin && cin > 1) {
          kind = 'depthwise';
          weights = Int32Array.from(wq.ints);
        } else if (group === 1) {
          kind = kh === 1 && kw === 1 ? 'pointwise' : 'conv';
          weights = new Int32Array(cout * kh * kw * cin);
          for (let o = 0; o < cout; o++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++)
                for (let i = 0; i < cin; i++) weights[((o * kh + ky) * kw + kx) * cin + i] = wq.ints[((o * cin + i) * kh + ky) * kw + kx];
        } else {
          throw badInput(`"${node.name}": grouped convolution (group ${group}) has no engine.`, node.name);
        }
      } else {
        kind = 'fc';
        const [d0, d1] = wc.dims;
        const inF = outAxis === 0 ? d1 : d0;
        const outF = outAxis === 0 ? d0 : d1;
        weights = new Int32Array(outF * inF);
        for (let o = 0; o < outF; o++) for (let i = 0; i < inF; i++) weights[o * inF + i] = outAxis === 0 ? wq.ints[o * inF + i] : wq.ints[i * outF + o];
      }
      const bName = node.op !== 'MatMul' ? node.inputs[2] : undefined;
      const b = bName ? graph.constant(bName) : undefined;
      const bias = Array.from({ length: cout }, (_, c) => (b ? biasToInt(b.values[c], inGrid.scale, sw(c)) : 0));
      const accScale = Array.from({ length: cout }, (_, c) => inGrid.scale * sw(c));
      let requant: Requant | null = null;
      if (!isLast) {
        const add = next.node && addNodes.includes(next.node) ? next.node : null;
        const skipOfAdd = add ? grids.get(add.inputs.find((t) => t !== next.tensor) ?? '') : undefined;
        if (add && !skipOfAdd) throw badInput(`"${add.name}": its skip input is not an integer stream.`, add.name);
        const target = gridTensor(graph, next);
        const out = skipOfAdd ? branchGrid(skipOfAdd) : gridFor(target.tensor, inGrid, target.relu);
        // A max pool after this layer reads the same grid (the pool's own input tensor).
        if (target.tensor !== next.tensor) grids.set(next.tensor, out);
        const { multiplier, shift } = fixedPointMultipliers(accScale.map((s) => s / out.scale));
        requant = { bias, multiplier, shift, rounding: out.rounding, out };
      }
      const fanIn = kind === 'depthwise' ? kernel[0] * kernel[1] : weights.length / cout;
      ops.push({ kind, name: node.name, inDim: [h, w], inChannels: cin, outDim: [ho, wo], outChannels: cout, input: inGrid, requant, kernel, stride, pads, weightBits: spec.weightBits, weights, bias, accScale, fanIn });
      streamTensor.push(next.tensor);
    } else if (node.op === 'GlobalAveragePool') {
      if (isLast) throw badInput(`"${node.name}": a global pool cannot be the network's last layer here.`, node.name);
      const out = gridFor(next.tensor, inGrid, next.relu || inGrid.qmin >= 0);
      const { multiplier, shift } = fixedPointMultipliers(new Array(cin).fill(inGrid.scale / (h * w * out.scale)));
      streamTensor.push(next.tensor);
      ops.push({ kind: 'global-avg-pool', name: node.name, inDim: [h, w], inChannels: cin, outDim: [1, 1], outChannels: cin, input: inGrid, requant: { bias: new Array(cin).fill(0), multiplier, shift, rounding: out.rounding, out } });
    } else if (node.op === 'MaxPool') {
      if (isLast) throw badInput(`"${node.name}": a max pool cannot be the network's last layer here.`, node.name);
      if (node.outputs.length > 1 && node.outputs[1]) throw badInput(`"${node.name}": a MaxPool whose Indices output is used is not generated.`, node.name);
      const kernelAttr = attrInts(node, 'kernel_shape');
      if (kernelAttr?.length !== 2) throw badInput(`"${node.name}": only 2-D max pooling is generated.`, node.name);
      const g = windowGeometry(node, [h, w], kernelAttr);
      if (g.dilation.some((d) => d !== 1)) throw badInput(`"${node.name}": dilated max pooling is not generated.`, node.name);
      const pads: [number, number, number, number] = [g.pads[0], g.pads[1], g.pads[2], g.pads[3]];
      if (pads.some((p, i) => p >= kernelAttr[i % 2])) throw badInput(`"${node.name}": max pooling with padding as wide as the window is not generated.`, node.name);
      const floorDim = (size: number, i: 0 | 1) => Math.floor((size + pads[i] + pads[i + 2] - kernelAttr[i]) / g.stride[i]) + 1;
      if (floorDim(h, 0) !== ho || floorDim(w, 1) !== wo) throw badInput(`"${node.name}": ceil_mode pooling (a window past the padded edge) is not generated.`, node.name);
      if (cout !== cin) throw badInput(`"${node.name}": max pool changes the channel count.`, node.name);
      streamTensor.push(next.tensor);
      ops.push({ kind: 'max-pool', name: node.name, inDim: [h, w], inChannels: cin, outDim: [ho, wo], outChannels: cin, input: inGrid, requant: null, kernel: [kernelAttr[0], kernelAttr[1]], stride: [g.stride[0], g.stride[1]], pads });
    } else {
      throw badInput(`"${node.name}": operator ${node.op} has no engine in the generator (supported: Conv, depthwise Conv, Gemm, MatMul, Relu, GlobalAveragePool, MaxPool, Flatten).`, node.name);
    }
    current = isLast ? '' : next.tensor;
  }
  const last = ops.at(-1);
  if (!last || last.requant !== null || last.kind === 'max-pool') throw badInput('the network must end with a Conv, Gemm or MatMul layer (its accumulators are the logits).', 'model');
  return { ops, input: inputGrid, inputShape: [c0, h0, w0], classes: last.outChannels, notes };
}

/** Quantizes a preprocessed float image (CHW) to the stream's order (HWC) and grid. */
export function quantizeImage(net: IntegerNetwork, chwImage: ArrayLike<number>): Int32Array {
  const [c, h, w] = net.inputShape;
  const out = new Int32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = quantizeInputValue(chwImage[(k * h + y) * w + x], net.input);
  return out;
}

/** Runs one op on an HWC integer tensor; returns the HWC output (requantised, or accumulators + bias). */
export function runOp(op: IntConv | IntGlobalPool | IntMaxPool, x: Int32Array): Int32Array {
  const [h, w] = op.inDim;
  const cin = op.inChannels;
  const [ho, wo] = op.outDim;
  const cout = op.outChannels;
  const out = new Int32Array(ho * wo * cout);
  const finish = (v: number, c: number) => (op.requant ? requantize(v, c, op.requant) : v + (op.kind === 'global-avg-pool' || op.kind === 'max-pool' ? 0 : op.bias[c]));
  if (op.kind === 'global-avg-pool') {
    for (let c = 0; c < cin; c++) {
      let s = 0;
      for (let p = 0; p < h * w; p++) s += x[p * cin + c];
      out[c] = finish(s, c);
    }
    return out;
  }
  const [kh, kw] = op.kernel;
  const [sh, sw] = op.stride;
  const [pt, pl] = op.pads;
  if (op.kind === 'max-pool') {
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let c = 0; c < cin; c++) {
          let m = -Infinity;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const y = oy * sh - pt + ky;
              const xx = ox * sw - pl + kx;
              if (y >= 0 && y < h && xx >= 0 && xx < w) m = Math.max(m, x[(y * w + xx) * cin + c]);
            }
          out[(oy * wo + ox) * cout + c] = m;
        }
    return out;
  }
  const at = (y: number, xx: number, c: number) => (y < 0 || y >= h || xx < 0 || xx >= w ? 0 : x[(y * w + xx) * cin + c]);
  for (let oy = 0; oy < ho; oy++)
    for (let ox = 0; ox < wo; ox++)
      for (let o = 0; o < cout; o++) {
        let acc = 0;
        if (op.kind === 'depthwise') {
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) acc += op.weights[(o * kh + ky) * kw + kx] * at(oy * sh - pt + ky, ox * sw - pl + kx, o);
        } else if (op.kind === 'fc') {
          for (let i = 0; i < cin * h * w; i++) acc += op.weights[o * cin * h * w + i] * x[i];
        } else {
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              for (let i = 0; i < cin; i++) acc += op.weights[((o * kh + ky) * kw + kx) * cin + i] * at(oy * sh - pt + ky, ox * sw - pl + kx, i);
        }
        out[(oy * wo + ox) * cout + o] = finish(acc, o);
      }
  return out;
}

/** Integer logits of one quantized image (HWC integers from quantizeImage). */
export function integerLogits(net: IntegerNetwork, image: Int32Array): Int32Array {
  const outputs: Int32Array[] = [];
  let x = image;
  for (const op of net.ops) {
    if (op.kind === 'add') {
      const skip = op.skipFrom < 0 ? image : outputs[op.skipFrom];
      const y = new Int32Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = requantize(x[i] + skip[i], i % op.outChannels, op.requant!);
      x = y;
    } else {
      x = runOp(op, x);
    }
    outputs.push(x);
  }
  return x;
}

/** Top-1 of integer logits: argmax of the dequantized values (per-channel accumulator scales). */
export function integerTop1(net: IntegerNetwork, logits: ArrayLike<number>): number {
  const last = net.ops.at(-1) as IntConv;
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] * last.accScale[i] > logits[best] * last.accScale[best]) best = i;
  return best;
}
