/**
 * quantizeModel's report and written nodes, BN folding's refusals and the calibration helpers,
 * checked on tiny models whose weights are chosen so every scale, integer and bit count can be
 * worked by hand (the arithmetic is in the comments). No onnxruntime: these run in milliseconds,
 * so a mutation run can afford them for every mutant of quantize.ts, fold.ts and calibrate.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import type { ModelProto } from '../onnx/model.ts';
import { floatTensor, tensorValues } from '../onnx/tensor.ts';
import { HIST_BINS, activationTaps, chooseClip, isComputeLayer, withOutputs, type CalibrationData, type TensorStats } from './calibrate.ts';
import { foldBatchNorm, removeUnused } from './fold.ts';
import { biasToInt, chooseScale, quantizeWeights, sqnr } from './grid.ts';
import { nonNegative, quantizeModel, type LayerQuantSpec, type QuantizeOptions } from './quantize.ts';
import { calibrate, type BatchSource } from './calibrate.ts';
import { encodeModel } from '../onnx/model.ts';
import type { EdgefoldError } from '../errors.ts';

/** Statistics of a tensor whose values all lie in one histogram bin (enough for minmax). */
function stats(min: number, max: number, count = 4): TensorStats {
  const hist = new Array<number>(HIST_BINS).fill(0);
  hist[HIST_BINS - 1] = count;
  return { min, max, absMax: Math.max(-min, max), count, hist };
}
const calibration = (tensors: Record<string, TensorStats>): CalibrationData => ({ version: 1, images: 1, key: '', tensors });

const spec = (weightBits: number, activationBits: number | null, extra: Partial<LayerQuantSpec> = {}): LayerQuantSpec => ({
  weightBits,
  activationBits,
  granularity: 'per-channel',
  scale: 'po2',
  rounding: 'half-even',
  ...extra,
});
const options = (layers: Record<string, LayerQuantSpec>, extra: Partial<QuantizeOptions> = {}): QuantizeOptions => ({
  layers,
  format: 'float',
  method: 'minmax',
  percentile: 99.99,
  calibration: calibration({ x: stats(-2, 1.5) }),
  ...extra,
});

// Gemm, transB = 1: W is [N=3, K=4]; output feature c is row c. Row maxima 1, 0.5, 0.25.
const GEMM_W = [1, -0.5, 0.25, 0, 0.5, 0.125, -0.25, 0, 0.25, 0.0625, 0, -0.125];
const GEMM_B = [0.5, -0.25, 0.01];
function gemmModel(opset = 13): ModelProto {
  return buildModel({
    opset,
    inputs: [tensorInfo('x', [1, 4])],
    outputs: [tensorInfo('y', [1, 3])],
    initializers: [floatTensor('w', [3, 4], GEMM_W), floatTensor('b', [3], GEMM_B)],
    nodes: [node('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1 }, 'fc')],
  });
}
// MatMul: W is [K=4, N=3]; output feature c is column c. Column maxima 1, 0.5, 0.25 (the transpose of GEMM_W).
const MATMUL_W = [1, 0.5, 0.25, -0.5, 0.125, 0.0625, 0.25, -0.25, 0, 0, 0, -0.125];
function matmulModel(): ModelProto {
  return buildModel({
    inputs: [tensorInfo('x', [1, 4])],
    outputs: [tensorInfo('y', [1, 3])],
    initializers: [floatTensor('w', [4, 3], MATMUL_W)],
    nodes: [node('MatMul', ['x', 'w'], ['y'], {}, 'mm')],
  });
}
// Conv 2 -> 2, 3x3, no padding, on 3x3: fan-in 2 x 3 x 3 = 18.
function convModel(): ModelProto {
  const w = Array.from({ length: 36 }, (_, i) => ((i % 7) - 3) / 4); // values -0.75 .. 0.75
  return buildModel({
    inputs: [tensorInfo('x', [1, 2, 3, 3])],
    outputs: [tensorInfo('y', [1, 2, 1, 1])],
    initializers: [floatTensor('w', [2, 2, 3, 3], w), floatTensor('b', [2], [0.1, -0.1])],
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [3, 3] }, 'conv')],
  });
}

const init = (m: ModelProto, name: string) => Array.from(tensorValues(m.graph!.initializer.find((t) => t.name === name)!));
const nodeOf = (m: ModelProto, name: string) => m.graph!.node.find((n) => n.name === name)!;

describe('quantizeModel report, by hand', () => {
  it('Gemm (transB = 1): one po2 scale per output row, weights on the grid, float bias without activations', () => {
    const { model, report } = quantizeModel(gemmModel(), options({ fc: spec(4, null) }));
    const [r] = report.layers;
    // 4-bit signed top 7: row max 1 -> 2^-2 (1 x 4 = 4 <= 7 < 8); 0.5 -> 2^-3; 0.25 -> 2^-4
    expect(r).toMatchObject({ layer: 'fc', op: 'Gemm', kind: 'fc', weightBits: 4, weightScales: [0.25, 0.125, 0.0625], weightFracBits: [2, 3, 4] });
    // 12 weights x 4 bits + 3 biases x 32 bits = 48 + 96 = 144
    expect(r).toMatchObject({ weightCount: 12, biasCount: 3, bias: 'float32', weightMemoryBits: 144 });
    expect(r.accumulatorBits).toBeUndefined();
    expect(r.activation).toBeUndefined();
    // every weight here is a multiple of its row's scale already (0.25/0.25 = 1, 0.0625/0.0625 = 1 ...)
    const fc = nodeOf(model, 'fc');
    expect(fc.input[1]).toBe('w_quantized');
    expect(init(model, 'w_quantized')).toEqual(GEMM_W);
    expect(fc.input[2]).toBe('b'); // the float bias stays as it was
    expect(model.graph!.initializer.some((t) => t.name === 'w')).toBe(false); // the float weights are dropped
  });

  it('MatMul: output features are the columns of W; no bias', () => {
    const { report } = quantizeModel(matmulModel(), options({ mm: spec(4, null) }));
    const [r] = report.layers;
    expect(r.weightScales).toEqual([0.25, 0.125, 0.0625]);
    // 12 x 4 = 48 bits, no bias
    expect(r).toMatchObject({ op: 'MatMul', weightCount: 12, biasCount: 0, bias: 'none', weightMemoryBits: 48 });
    // per tensor: one scale from the largest magnitude, 1 -> 2^-2
    expect(quantizeModel(matmulModel(), options({ mm: spec(4, null, { granularity: 'per-tensor' }) })).report.layers[0].weightScales).toEqual([0.25]);
  });

  it('Gemm with 8-bit activations: signed input scale, clip, accumulator bits, bias integers', () => {
    const { model, report } = quantizeModel(gemmModel(), options({ fc: spec(4, 8) }));
    const [r] = report.layers;
    // input x seen in [-2, 1.5], not after a ReLU: signed; minmax limit |min| = 2; top 127:
    // 2 x 2^5 = 64 <= 127 < 128 = 2 x 2^6 -> scale 2^-5, clip [-128/32, 127/32] = [-4, 3.96875]
    expect(r.activation).toEqual({
      tensor: 'x',
      bits: 8,
      signed: true,
      scale: 1 / 32,
      fracBits: 5,
      clip: [-4, 3.96875],
      observed: [-2, 1.5],
      method: 'minmax',
      sqnrDb: expect.any(Number),
    });
    // accumulator: 4 + 8 + ceil(log2(fan-in 4)) = 4 + 8 + 2 = 14
    expect(r.accumulatorBits).toBe(14);
    expect(r.bias).toBe('int32');
    // bias in units of input scale x weight scale: 0.5 / (2^-5 x 2^-2) = 64; -0.25 / (2^-5 x 2^-3) = -64;
    // 0.01 / (2^-5 x 2^-4) = 5.12 -> 5; written back as 64/128 = 0.5, -64/256 = -0.25, 5/512
    expect(init(model, 'b_quantized')).toEqual([0.5, -0.25, 5 / 512]);
    // the quantizer chain: Div(scale) -> Round -> Clip(-128, 127) -> Mul(scale), in front of the Gemm
    expect(model.graph!.node.map((n) => n.opType)).toEqual(['Div', 'Round', 'Clip', 'Mul', 'Gemm']);
    const [div, , clip, mul] = model.graph!.node;
    expect(div.input[0]).toBe('x');
    expect(init(model, div.input[1])).toEqual([1 / 32]);
    expect([init(model, clip.input[1]), init(model, clip.input[2])]).toEqual([[-128], [127]]);
    expect(nodeOf(model, 'fc').input[0]).toBe(mul.output[0]);
    expect(mul.output[0]).toBe('x_q8s');
  });

  it('Conv: fan-in 18 gives ceil(log2 18) = 5 accumulator bits; floor rounding writes Floor', () => {
    const { model, report } = quantizeModel(convModel(), options({ conv: spec(6, 4, { rounding: 'floor' }) }));
    const [r] = report.layers;
    // 6 + 4 + ceil(log2 18) = 6 + 4 + 5 = 15
    expect(r.accumulatorBits).toBe(15);
    // 36 weights x 6 bits + 2 x 32 = 216 + 64 = 280
    expect(r).toMatchObject({ kind: 'conv', weightCount: 36, biasCount: 2, weightMemoryBits: 280 });
    // 4-bit signed input, limit 2, top 7: 2 x 2 = 4 <= 7 < 8 -> scale 2^-1, clip [-8 x 0.5, 7 x 0.5]
    expect(r.activation).toMatchObject({ scale: 0.5, fracBits: 1, clip: [-4, 3.5] });
    expect(model.graph!.node.map((n) => n.opType)).toEqual(['Div', 'Floor', 'Clip', 'Mul', 'Conv']);
  });

  it('a fixed activation limit (QAT) replaces the calibrated range', () => {
    const { report } = quantizeModel(gemmModel(), options({ fc: spec(4, 8) }, { activationLimits: { x: 0.5 } }));
    // 0.5 x 2^7 = 64 <= 127 < 128 -> scale 2^-7
    expect(report.layers[0].activation).toMatchObject({ scale: 1 / 128, fracBits: 7 });
  });

  it('qcdq: QuantizeLinear -> Clip -> DequantizeLinear for 6 bits; no Clip at the full 8 bits', () => {
    const six = quantizeModel(gemmModel(), options({ fc: spec(4, 6) }, { format: 'qcdq' })).model;
    expect(six.graph!.node.map((n) => n.opType)).toEqual(['QuantizeLinear', 'Clip', 'DequantizeLinear', 'Gemm']);
    // 6-bit signed integers: [-32, 31]; limit 2 into top 31: 2 x 2^3 = 16 <= 31 < 32 -> scale 2^-3
    const clip = six.graph!.node[1];
    expect([init(six, clip.input[1]), init(six, clip.input[2])]).toEqual([[-32], [31]]);
    expect(init(six, six.graph!.node[0].input[1])).toEqual([0.125]);
    expect(init(six, six.graph!.node[0].input[2])).toEqual([0]);
    const eight = quantizeModel(gemmModel(), options({ fc: spec(4, 8) }, { format: 'qcdq' })).model;
    expect(eight.graph!.node.map((n) => n.opType)).toEqual(['QuantizeLinear', 'DequantizeLinear', 'Gemm']);
  });

  it('int8-qdq: int8 weights, per-row scales and int32 bias behind DequantizeLinear', () => {
    const { model } = quantizeModel(gemmModel(), options({ fc: spec(4, 8) }, { format: 'int8-qdq' }));
    const fc = nodeOf(model, 'fc');
    const wDq = model.graph!.node.find((n) => n.output[0] === fc.input[1])!;
    const bDq = model.graph!.node.find((n) => n.output[0] === fc.input[2])!;
    // integers: row 0 / 0.25 = [4, -2, 1, 0]; row 1 / 0.125 = [4, 1, -2, 0]; row 2 / 0.0625 = [4, 1, 0, -2]
    expect(init(model, wDq.input[0])).toEqual([4, -2, 1, 0, 4, 1, -2, 0, 4, 1, 0, -2]);
    expect(init(model, wDq.input[1])).toEqual([0.25, 0.125, 0.0625]);
    expect(init(model, wDq.input[2])).toEqual([0, 0, 0]);
    expect(wDq.attribute.find((a) => a.name === 'axis')?.i).toBe(0n);
    expect(init(model, bDq.input[0])).toEqual([64, -64, 5]);
    // bias scale per channel: 2^-5 x [2^-2, 2^-3, 2^-4]
    expect(init(model, bDq.input[1])).toEqual([1 / 128, 1 / 256, 1 / 512]);
    expect(model.graph!.initializer.find((t) => t.name === wDq.input[0])!.dataType).toBe(3); // INT8
    expect(model.graph!.initializer.find((t) => t.name === bDq.input[0])!.dataType).toBe(6); // INT32
    // per tensor: a scalar scale and no axis attribute
    const pt = quantizeModel(gemmModel(), options({ fc: spec(4, null, { granularity: 'per-tensor' }) }, { format: 'int8-qdq' })).model;
    const ptDq = pt.graph!.node.find((n) => n.opType === 'DequantizeLinear')!;
    expect(pt.graph!.initializer.find((t) => t.name === ptDq.input[1])!.dims).toEqual([]);
    expect(ptDq.attribute).toEqual([]);
  });

  it('two layers reading one tensor share one quantizer chain, placed before the first of them', () => {
    const m = buildModel({
      inputs: [tensorInfo('x', [1, 4])],
      outputs: [tensorInfo('ya', [1, 3]), tensorInfo('yb', [1, 3])],
      initializers: [floatTensor('wa', [3, 4], GEMM_W), floatTensor('wb', [3, 4], GEMM_W)],
      nodes: [node('Gemm', ['x', 'wa'], ['ya'], { transB: 1 }, 'a'), node('Gemm', ['x', 'wb'], ['yb'], { transB: 1 }, 'b')],
    });
    const { model } = quantizeModel(m, options({ a: spec(4, 8), b: spec(4, 8) }));
    expect(model.graph!.node.map((n) => n.opType)).toEqual(['Div', 'Round', 'Clip', 'Mul', 'Gemm', 'Gemm']);
    expect(nodeOf(model, 'a').input[0]).toBe(nodeOf(model, 'b').input[0]);
    // different widths need their own chains
    const two = quantizeModel(m, options({ a: spec(4, 8), b: spec(4, 6) })).model;
    expect(two.graph!.node.filter((n) => n.opType === 'Div')).toHaveLength(2);
  });

  it('unnamed nodes get their layer names written into the quantized model', () => {
    const m = gemmModel();
    m.graph!.node[0].name = '';
    const { model, report } = quantizeModel(m, options({ Gemm_0: spec(4, 8) }));
    expect(report.layers[0].layer).toBe('Gemm_0');
    expect(model.graph!.node.at(-1)!.name).toBe('Gemm_0');
  });

  it('refuses what a format or opset cannot express, naming the layer', () => {
    expect(() => quantizeModel(gemmModel(), options({ nope: spec(4, null) }))).toThrow(/"nope" is not a Conv, Gemm or MatMul/);
    expect(() => quantizeModel(gemmModel(12), options({ fc: spec(4, null) }, { format: 'qcdq' }))).toThrow(/needs ONNX opset 13 or later; the model has opset 12/);
    expect(() => quantizeModel(gemmModel(), options({ fc: spec(4, 8, { rounding: 'floor' }) }, { format: 'qcdq' }))).toThrow(/layer "fc" asks for floor rounding/);
    expect(() => quantizeModel(gemmModel(), options({ fc: spec(9, null) }, { format: 'int8-qdq' }))).toThrow(/every bit width <= 8; layer "fc"/);
    expect(() => quantizeModel(gemmModel(), options({ fc: spec(4, 10) }, { format: 'int8-qdq' }))).toThrow(/every bit width <= 8/);
    expect(() => quantizeModel(gemmModel(), options({ fc: spec(4, 10) }, { format: 'qcdq' }))).toThrow(/layer "fc" asks for 10 bits/);
    // 9-bit weights are fine for qcdq (weights stay float values on their grid)
    expect(quantizeModel(gemmModel(), options({ fc: spec(9, 8) }, { format: 'qcdq' })).report.layers[0].weightBits).toBe(9);
    expect(() => quantizeModel(gemmModel(10), options({ fc: spec(4, 8) }))).toThrow(/opset 11 or later; the model has opset 10/);
    // weights only at opset 10 in float format: fine
    expect(quantizeModel(gemmModel(10), options({ fc: spec(4, null) })).report.layers).toHaveLength(1);
    expect(() => quantizeModel(gemmModel(), options({ fc: spec(4, 8) }, { calibration: undefined }))).toThrow(/calibration statistics for tensor "x"/);
  });

  it('each refusal carries the error code and the config field a user fixes', () => {
    const refusal = (run: () => unknown): { code: string; field?: string } => {
      try {
        run();
      } catch (e) {
        const { code, field } = e as EdgefoldError;
        return { code, field };
      }
      throw new Error('not refused');
    };
    const bad = (field: string) => ({ code: 'bad-input', field });
    expect(refusal(() => quantizeModel(gemmModel(), options({ nope: spec(4, null) })))).toEqual(bad('layers.nope'));
    expect(refusal(() => quantizeModel(gemmModel(12), options({ fc: spec(4, null) }, { format: 'qcdq' })))).toEqual({ code: 'unsupported', field: 'quant.format' });
    expect(refusal(() => quantizeModel(gemmModel(), options({ fc: spec(4, 8, { rounding: 'floor' }) }, { format: 'qcdq' })))).toEqual(bad('quant.format'));
    expect(refusal(() => quantizeModel(gemmModel(), options({ fc: spec(9, null) }, { format: 'int8-qdq' })))).toEqual(bad('quant.format'));
    expect(refusal(() => quantizeModel(gemmModel(), options({ fc: spec(4, 10) }, { format: 'qcdq' })))).toEqual(bad('quant.format'));
    expect(refusal(() => quantizeModel(gemmModel(10), options({ fc: spec(4, 8) })))).toEqual({ code: 'unsupported', field: 'quant.activationBits' });
    expect(refusal(() => quantizeModel(gemmModel(), options({ fc: spec(4, 8) }, { calibration: undefined })))).toEqual(bad('calibration'));
  });
});

describe('nonNegative: which tensors are unsigned', () => {
  const graphOf = (nodes: ReturnType<typeof node>[], opset = 13, initializers = [floatTensor('zero', [], [0]), floatTensor('minus', [], [-1]), floatTensor('six', [], [6])]) =>
    new Graph(buildModel({ opset, inputs: [tensorInfo('x', [1, 4]), tensorInfo('z', [1, 4])], outputs: [tensorInfo('y')], initializers, nodes }));

  it('after Relu, Clip(min >= 0), through pooling and reshapes, Concat only when every input is', () => {
    const g = graphOf([
      node('Relu', ['x'], ['r']),
      node('Clip', ['x', 'zero', 'six'], ['c0']),
      node('Clip', ['x', 'minus', 'six'], ['cm']),
      node('Clip', ['x'], ['cn']),
      node('MaxPool', ['r'], ['p'], { kernel_shape: [1] }),
      node('Flatten', ['p'], ['f']),
      node('Concat', ['r', 'c0'], ['cat'], { axis: 1 }),
      node('Concat', ['r', 'x'], ['mixed'], { axis: 1 }),
      node('Sigmoid', ['x'], ['s']),
      node('Add', ['r', 'r'], ['sum']),
    ]);
    const signs = Object.fromEntries(['x', 'r', 'c0', 'cm', 'cn', 'p', 'f', 'cat', 'mixed', 's', 'sum'].map((t) => [t, nonNegative(g, t)]));
    expect(signs).toEqual({ x: false, r: true, c0: true, cm: false, cn: false, p: true, f: true, cat: true, mixed: false, s: false, sum: false });
  });

  it('opset < 11: Clip carries its min as an attribute', () => {
    const g = graphOf([node('Clip', ['x'], ['a'], { min: { float: 0 }, max: { float: 6 } }), node('Clip', ['x'], ['b'], { min: { float: -0.5 } }), node('Clip', ['x'], ['c'])], 10);
    expect([nonNegative(g, 'a'), nonNegative(g, 'b'), nonNegative(g, 'c')]).toEqual([true, false, false]);
  });

  it('a chain deeper than 64 ops is not followed', () => {
    const nodes = [node('Relu', ['x'], ['t0'])];
    for (let i = 1; i <= 70; i++) nodes.push(node('Identity', [`t${i - 1}`], [`t${i}`]));
    const g = graphOf(nodes);
    expect(nonNegative(g, 't64')).toBe(true); // 64 Identity hops, then the Relu at depth 64
    expect(nonNegative(g, 't65')).toBe(false); // the Relu would be at depth 65: past the bound
  });
});

describe('calibration helpers', () => {
  const m = () =>
    buildModel({
      inputs: [tensorInfo('x', [1, 4]), tensorInfo('w2', [4, 3])],
      outputs: [tensorInfo('y', [1, 3])],
      initializers: [floatTensor('w', [4, 3], MATMUL_W), floatTensor('wg', [4, 3], MATMUL_W), floatTensor('c', [1, 4], [1, 2, 3, 4])],
      nodes: [
        node('MatMul', ['x', 'w'], ['a'], {}, 'mm'),
        node('MatMul', ['x', 'wg'], ['a2'], {}, 'mm2'),
        node('MatMul', ['x', 'w2'], ['dyn'], {}, 'dynamic'),
        node('MatMul', ['c', 'w'], ['cst'], {}, 'constant-input'),
        node('Gemm', ['x', 'w'], ['ta'], { transA: 1 }, 'transA'),
        node('Relu', ['a'], ['r']),
        node('Gemm', ['r', 'wg'], ['y'], {}, 'fc'),
      ],
    });

  it('compute layers have constant weights and an activation input; taps are listed once each', () => {
    const g = new Graph(m());
    const layers = ['mm', 'mm2', 'dynamic', 'constant-input', 'transA', 'fc', 'r', 'missing'];
    expect(layers.filter((n) => isComputeLayer(g, n))).toEqual(['mm', 'mm2', 'fc']);
    expect(activationTaps(g)).toEqual(['x', 'r']);
    const custom = m();
    custom.graph!.node[0].domain = 'com.example';
    expect(isComputeLayer(new Graph(custom), 'mm')).toBe(false);
    custom.graph!.node[0].domain = 'ai.onnx';
    expect(isComputeLayer(new Graph(custom), 'mm')).toBe(true);
  });

  it('withOutputs adds the tapped tensors, never an existing output or input', () => {
    const out = withOutputs(m(), ['r', 'y', 'x', 'a']);
    expect(out.graph!.output.map((o) => o.name)).toEqual(['y', 'r', 'a']);
  });

  it('chooseClip: the SQNR at a fixed limit, by hand; floor rounding costs 4x the in-range noise', () => {
    // 10 values in bin 1023 of [0, 4]: width 4/2048 = 1/512, centre 1023.5/512 = 1.9990234375
    const hist = new Array<number>(HIST_BINS).fill(0);
    hist[1023] = 10;
    const s: TensorStats = { min: 0, max: 4, absMax: 4, count: 10, hist };
    const c = 1023.5 / 512;
    // fixed limit 1, 8-bit signed: step 1/127; noise per value (c - 1)^2 + step^2/12 = 0.998048 + 5.17e-6
    // SQNR = 10 log10(c^2 / noise) = 10 log10(3.996095 / 0.998053) = 6.0253 dB
    const fixed = chooseClip(s, 'minmax', 8, true, 'half-even', 99.99, 1);
    expect(fixed.limit).toBe(1);
    expect(fixed.sqnrDb).toBeCloseTo(10 * Math.log10((c * c) / ((c - 1) ** 2 + 1 / 127 ** 2 / 12)), 9);
    expect(fixed.sqnrDb).toBeCloseTo(6.0253, 3);
    // minmax keeps 4: step 4/127, in-range noise step^2/12 = 8.266e-5 (half-even) or step^2/3 = 3.306e-4 (floor)
    // SQNR = 10 log10(3.996095 / 8.266e-5) = 46.843 dB; floor: 6.0206 dB less (factor 4)
    const even = chooseClip(s, 'minmax', 8, true, 'half-even');
    const floor = chooseClip(s, 'minmax', 8, true, 'floor');
    expect(even.limit).toBe(4);
    expect(even.sqnrDb).toBeCloseTo(10 * Math.log10((c * c * 12 * 127 * 127) / 16), 6);
    expect(even.sqnrDb - floor.sqnrDb).toBeCloseTo(10 * Math.log10(4), 9);
    // unsigned: top 255, step 4/255
    expect(chooseClip(s, 'minmax', 8, false, 'half-even').sqnrDb).toBeCloseTo(10 * Math.log10((c * c * 12 * 255 * 255) / 16), 6);
  });

  it('chooseClip mse: one cluster of values and no outliers is clipped just above the cluster', () => {
    // all 10 values at 1.999 of a [0, 4] range: an edge below the values adds clipping error (x - limit)^2,
    // an edge above them only a larger step (limit/15)^2/12. Candidates are bin edges e/512 (coarse every 8, then refined).
    const hist = new Array<number>(HIST_BINS).fill(0);
    hist[1023] = 10;
    const s: TensorStats = { min: 0, max: 4, absMax: 4, count: 10, hist };
    const mse = chooseClip(s, 'mse', 4, false, 'half-even');
    // at 4 bits (top 15) the best edge balances clip error against step^2/12: edges e/512 with e near 1023.5;
    // e = 1024 (limit 2): noise 10 x (2/15)^2/12 = 0.014815; e = 1023: 10 x ((0.5/512)^2 + (1023/512/15)^2/12) = 0.014796
    // e = 1022: 10 x ((1.5/512)^2 + (1022/512/15)^2/12) = 0.014853 -> 1023 wins
    expect(mse.limit).toBe(1023 / 512);
    // an empty tensor: limit 0
    expect(chooseClip({ min: 0, max: 0, absMax: 0, count: 3, hist: new Array<number>(HIST_BINS).fill(0) }, 'mse', 8, false, 'half-even')).toEqual({ limit: 0, sqnrDb: Infinity });
  });

  it('chooseClip percentile: the 50th percentile of two equal bins is the end of the first', () => {
    const hist = new Array<number>(HIST_BINS).fill(0);
    hist[511] = 5;
    hist[1535] = 5;
    const s: TensorStats = { min: -4, max: 4, absMax: 4, count: 10, hist };
    // target 5 values: reached in bin 511 at fraction 5/5 = 1 -> limit 512 x 4/2048 = 1
    expect(chooseClip(s, 'percentile', 8, true, 'half-even', 50).limit).toBe(1);
    // target 2.5: fraction 0.5 of bin 511 -> (511.5) x 4/2048 = 0.9990234375
    expect(chooseClip(s, 'percentile', 8, true, 'half-even', 25).limit).toBe(511.5 / 512);
    // target 7.5: bins 512..1534 are empty (seen 5 + 0 < 7.5), bin 1535 at fraction 0.5 -> 1535.5/512
    expect(chooseClip(s, 'percentile', 8, true, 'half-even', 75).limit).toBe(1535.5 / 512);
    // a limit below one bin width is raised to the width: 0.0001 % of 10 values lands in bin 511 at fraction 2e-6
    expect(chooseClip(s, 'percentile', 8, true, 'half-even', 0.0001).limit).toBeCloseTo((511 + 2e-6) / 512, 12);
  });
});

describe('BatchNormalization folding: what is left alone, and why', () => {
  const bnInits = (prefix: string) => [
    floatTensor(`${prefix}g`, [2], [1, 2]),
    floatTensor(`${prefix}b`, [2], [0, 0.5]),
    floatTensor(`${prefix}m`, [2], [0.1, 0.2]),
    floatTensor(`${prefix}v`, [2], [1, 4]),
  ];
  const bn = (input: string, output: string, name: string, prefix = '', extraOutputs: string[] = []) =>
    node('BatchNormalization', [input, `${prefix}g`, `${prefix}b`, `${prefix}m`, `${prefix}v`], [output, ...extraOutputs], {}, name);
  const base = (nodes: ReturnType<typeof node>[], outputs = ['y'], extraInputs: string[] = []) =>
    buildModel({
      inputs: [tensorInfo('x', [1, 2, 3, 3]), ...extraInputs.map((n) => tensorInfo(n, [2]))],
      outputs: outputs.map((o) => tensorInfo(o)),
      initializers: [floatTensor('w', [2, 2, 1, 1], [1, 0, 0, 1]), ...bnInits('').filter((t) => !extraInputs.includes(t.name))],
      nodes,
    });

  it('after a Relu, after a conv whose output is also read or is a graph output, in training mode, with parameters from inputs', () => {
    const cases: [ModelProto, string][] = [
      [base([node('Relu', ['x'], ['r']), bn('r', 'y', 'bn')]), 'it does not follow a Conv'],
      [base([node('Conv', ['x', 'w'], ['c'], {}, 'conv'), bn('c', 'y', 'bn'), node('Relu', ['c'], ['z'])], ['y', 'z']), 'the conv output is also read elsewhere'],
      [base([node('Conv', ['x', 'w'], ['c'], {}, 'conv'), bn('c', 'y', 'bn')], ['y', 'c']), 'the conv output is also read elsewhere'],
      [base([node('Conv', ['x', 'w'], ['c'], {}, 'conv'), bn('c', 'y', 'bn', '', ['rm', 'rv'])]), 'it is in training mode'],
      [base([node('Conv', ['x', 'w'], ['c'], {}, 'conv'), bn('c', 'y', 'bn')], ['y'], ['v']), 'its parameters or the conv weights are not constant'],
    ];
    for (const [model, reason] of cases) {
      const r = foldBatchNorm(model);
      expect(r.kept).toEqual([{ batchNorm: 'bn', reason }]);
      expect(r.folded).toEqual([]);
      expect(r.model.graph!.node.map((n) => n.opType)).toContain('BatchNormalization');
    }
  });

  it('a conv fed by a non-constant bias is left alone; an unnamed conv keeps its layer name; its stale value_info goes', () => {
    const withBias = buildModel({
      inputs: [tensorInfo('x', [1, 2, 3, 3]), tensorInfo('bias', [2])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('w', [2, 2, 1, 1], [1, 0, 0, 1]), ...bnInits('')],
      nodes: [node('Conv', ['x', 'w', 'bias'], ['c'], {}, 'conv'), bn('c', 'y', 'bn')],
    });
    expect(foldBatchNorm(withBias).kept).toEqual([{ batchNorm: 'bn', reason: 'its parameters or the conv weights are not constant' }]);

    const unnamed = base([node('Conv', ['x', 'w'], ['c'], {}, ''), bn('c', 'y', 'bn')]);
    unnamed.graph!.valueInfo.push(tensorInfo('c', [1, 2, 3, 3]), tensorInfo('y', [1, 2, 3, 3]));
    const { model, folded } = foldBatchNorm(unnamed);
    expect(folded).toEqual([{ batchNorm: 'bn', conv: 'Conv_0' }]);
    expect(model.graph!.node.map((n) => `${n.opType}:${n.name}`)).toEqual(['Conv:Conv_0']);
    expect(model.graph!.node[0].output).toEqual(['y']);
    expect(model.graph!.valueInfo.map((v) => v.name)).toEqual(['y']);
    // identity conv, gamma [1, 2], beta [0, 0.5], mean [0.1, 0.2], var [1, 4], eps 1e-5:
    // k = [1 / sqrt(1.00001), 2 / sqrt(4.00001)] = [0.999995, 0.99999875]; bias = -mean x k + beta = [-0.0999995, 0.30000025]
    const g = new Graph(model);
    const w = g.constant(model.graph!.node[0].input[1])!.values;
    const b = g.constant(model.graph!.node[0].input[2])!.values;
    expect(Array.from(w)).toEqual([1 / Math.sqrt(1 + Math.fround(1e-5)), 0, 0, 2 / Math.sqrt(4 + Math.fround(1e-5))].map(Math.fround));
    expect(b[0]).toBeCloseTo(-0.0999995, 7);
    expect(b[1]).toBeCloseTo(0.30000025, 7);
    // the BN parameters and the old weight are gone
    expect(model.graph!.initializer.map((t) => t.name)).toEqual(['Conv_0_folded_weight', 'Conv_0_folded_bias']);
  });
});

describe('removeUnused', () => {
  it('drops initializers nobody reads, their IR < 4 graph-input entries, and nodes that only fed them', () => {
    const m = buildModel({
      irVersion: 3,
      inputs: [tensorInfo('x', [1, 2]), tensorInfo('used', [2]), tensorInfo('unused', [2])],
      outputs: [tensorInfo('y')],
      initializers: [floatTensor('used', [2], [1, 2]), floatTensor('unused', [2], [3, 4])],
      valueInfo: [tensorInfo('unused', [2]), tensorInfo('dead', [2])],
      nodes: [node('Add', ['x', 'used'], ['y']), node('Neg', ['unused'], ['dead']), node('Relu', ['dead'], ['deader'])],
    });
    // an initializer that is itself a graph output is read
    m.graph!.initializer.push(floatTensor('constant_out', [1], [5]));
    m.graph!.output.push(tensorInfo('constant_out'));
    removeUnused(m);
    expect(m.graph!.initializer.map((t) => t.name)).toContain('constant_out');
    m.graph!.initializer.pop();
    expect(m.graph!.node.map((n) => n.opType)).toEqual(['Add']);
    expect(m.graph!.initializer.map((t) => t.name)).toEqual(['used']);
    expect(m.graph!.input.map((i) => i.name)).toEqual(['x', 'used']);
    expect(m.graph!.valueInfo.map((v) => v.name)).toEqual(['dead']);
  });
});

describe('grid corners', () => {
  it('float scales: a float32 number that never lets the limit pass the top integer, and is the nearest such (fast-check)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 32767 }), (limit, top) => {
        const { scale } = chooseScale(limit, top, 'float');
        expect(scale).toBe(Math.fround(scale));
        expect(limit / scale).toBeLessThanOrEqual(top);
        // at most one float32 step above limit / top (2^-23 relative, plus fround's own half step)
        expect(scale).toBeLessThanOrEqual((limit / top) * (1 + 2 ** -22));
      }),
      { seed: 1401, numRuns: 2000 },
    );
  });

  it('per-channel on a middle axis of a 3-D tensor: channel of element i is floor(i / inner) % channels', () => {
    // dims [2, 3, 2], axis 1: element i belongs to channel floor(i / 2) % 3
    // channel 0: elements 0, 1, 6, 7 = 1, -2, 0.5, 4 -> max 4; channel 1: 2, 3, 8, 9 = 0.25, 1, 2, -1 -> 2;
    // channel 2: 4, 5, 10, 11 = 8, 0, 1, -0.5 -> 8. 4-bit po2 (top 7): 4 -> 2^0 (4 <= 7 < 8); 2 -> 2^-1; 8 -> 2^1 (8/2 = 4 <= 7 < 8)
    const w = [1, -2, 0.25, 1, 8, 0, 0.5, 4, 2, -1, 1, -0.5];
    const q = quantizeWeights(w, [2, 3, 2], 1, 4, 'po2', 'half-even');
    expect(q.scales).toEqual([1, 0.5, 2]);
    expect(q.fracBits).toEqual([0, 1, -1]);
    // 1/1, -2/1, 0.25/0.5 = 0.5 -> 0, 1/0.5 = 2, 8/2 = 4, 0, 0.5/1 -> 0 (half to even), 4, 2/0.5 = 4, -2, 1/2 = 0.5 -> 0, -0.25 -> 0
    expect(Array.from(q.ints, (v) => v + 0)).toEqual([1, -2, 0, 2, 4, 0, 0, 4, 4, -2, 0, 0]);
    // noise: 0.25 (elt 2), 0.5 (elt 6), 1 (elt 10), 0.5 (elt 11) -> 0.0625 + 0.25 + 1 + 0.25 = 1.5625
    // signal: 1 + 4 + 0.0625 + 1 + 64 + 0 + 0.25 + 16 + 4 + 1 + 1 + 0.25 = 92.5625 -> 10 log10(92.5625 / 1.5625) = 17.726 dB
    expect(q.sqnrDb).toBeCloseTo(10 * Math.log10(92.5625 / 1.5625), 9);
    expect(sqnr(1, 0)).toBe(Infinity);
  });

  it('bias integers saturate at the int32 range', () => {
    // 1 / (2^-20 x 2^-20) = 2^40 > 2^31 - 1
    expect(biasToInt(1, 2 ** -20, 2 ** -20)).toBe(2 ** 31 - 1);
    expect(biasToInt(-1, 2 ** -20, 2 ** -20)).toBe(-(2 ** 31));
    // 2.5 units rounds half to even: 2; 3.5 -> 4
    expect(biasToInt(2.5, 1, 1)).toBe(2);
    expect(biasToInt(3.5 * 0.25, 0.5, 0.5)).toBe(4);
  });
});

describe('calibrate() refusals', () => {
  const model = () => buildModel({ inputs: [tensorInfo('x', [1, 2])], outputs: [tensorInfo('y', [1, 2])], nodes: [node('Relu', ['x'], ['y'])] });

  it('a batch without a requested tensor is refused by name; an aborted run stops; the key defaults to empty', async () => {
    const missing: BatchSource = async function* () {
      yield { count: 1, values: { other: Float32Array.of(1) } };
    };
    await expect(calibrate(model(), ['x'], missing, encodeModel)).rejects.toThrow(/no values for tensor "x"/);
    const fine: BatchSource = async function* (_b, outputs) {
      yield { count: 2, values: Object.fromEntries(outputs.map((o) => [o, Float32Array.of(1, -2)])) };
    };
    const data = await calibrate(model(), ['x'], fine, encodeModel);
    expect(data).toMatchObject({ key: '', images: 2 });
    const controller = new AbortController();
    controller.abort();
    await expect(calibrate(model(), ['x'], fine, encodeModel, { signal: controller.signal })).rejects.toThrow();
  });
});

describe('quantizeModel corners (survivors of the first quant mutation run)', () => {
  it('fresh names never collide with existing tensors or nodes', () => {
    const m = gemmModel();
    // a graph output and an initializer already use the names the writer would pick first
    m.graph!.initializer.push(floatTensor('w_quantized', [1], [0]), floatTensor('x_q8s', [1], [0]));
    m.graph!.node.push(node('Identity', ['w_quantized'], ['w_quantized_out'], {}, 'keep1'), node('Identity', ['x_q8s'], ['x_q8s_out'], {}, 'keep2'));
    m.graph!.output.push(tensorInfo('w_quantized_out'), tensorInfo('x_q8s_out'));
    const { model } = quantizeModel(m, options({ fc: spec(4, 8) }));
    const fc = nodeOf(model, 'fc');
    expect(fc.input[1]).toBe('w_quantized_2');
    expect(fc.input[0]).toBe('x_q8s_2');
    expect(init(model, 'w_quantized')).toEqual([0]);
  });

  it('qcdq after a ReLU: uint8 at 8 bits needs no Clip, 6 bits clip to [0, 63]', () => {
    const m = buildModel({
      inputs: [tensorInfo('x', [1, 4])],
      outputs: [tensorInfo('y', [1, 3])],
      initializers: [floatTensor('w', [3, 4], GEMM_W)],
      nodes: [node('Relu', ['x'], ['r']), node('Gemm', ['r', 'w'], ['y'], { transB: 1 }, 'fc')],
    });
    const cal = calibration({ r: stats(0, 2) });
    const eight = quantizeModel(m, options({ fc: spec(4, 8) }, { format: 'qcdq', calibration: cal })).model;
    expect(eight.graph!.node.map((n) => n.opType)).toEqual(['Relu', 'QuantizeLinear', 'DequantizeLinear', 'Gemm']);
    expect(eight.graph!.initializer.find((t) => t.name === eight.graph!.node[1].input[2])!.dataType).toBe(2); // UINT8 zero point
    const six = quantizeModel(m, options({ fc: spec(4, 6) }, { format: 'qcdq', calibration: cal })).model;
    const clip = six.graph!.node.find((n) => n.opType === 'Clip')!;
    expect([init(six, clip.input[1]), init(six, clip.input[2])]).toEqual([[0], [63]]);
  });

  it('Gemm without transB: output features are the columns; a broadcast bias of one value is left alone', () => {
    const m = buildModel({
      inputs: [tensorInfo('x', [1, 4])],
      outputs: [tensorInfo('y', [1, 3])],
      initializers: [floatTensor('w', [4, 3], MATMUL_W), floatTensor('b1', [1], [0.3])],
      nodes: [node('Gemm', ['x', 'w', 'b1'], ['y'], {}, 'fc')],
    });
    const { model, report } = quantizeModel(m, options({ fc: spec(4, 8) }));
    expect(report.layers[0].weightScales).toEqual([0.25, 0.125, 0.0625]);
    // one bias value for three outputs: not a per-channel bias; it stays float and is not counted
    expect(report.layers[0]).toMatchObject({ bias: 'none', biasCount: 0, weightMemoryBits: 48 });
    expect(nodeOf(model, 'fc').input[2]).toBe('b1');
  });

  it('per tensor with activations: every bias integer uses the one weight scale', () => {
    const { model, report } = quantizeModel(gemmModel(), options({ fc: spec(4, 8, { granularity: 'per-tensor' }) }));
    // one scale from max |w| = 1: 2^-2; bias units 2^-5 x 2^-2 = 1/128: 0.5 -> 64, -0.25 -> -32, 0.01 -> 1.28 -> 1
    expect(report.layers[0].weightScales).toEqual([0.25]);
    expect(init(model, 'b_quantized')).toEqual([0.5, -0.25, 1 / 128]);
    // float scales report no fractional bits
    expect(quantizeModel(gemmModel(), options({ fc: spec(4, null, { scale: 'float' }) })).report.layers[0].weightFracBits).toBeUndefined();
  });

  it('quantizer chains land right before their own layer when several layers get one', () => {
    const m = buildModel({
      inputs: [tensorInfo('x', [1, 4])],
      outputs: [tensorInfo('y', [1, 4])],
      initializers: [floatTensor('wa', [4, 4], GEMM_W.concat([1, 0, 0, 0])), floatTensor('wb', [4, 4], GEMM_W.concat([0, 0, 0, 1]))],
      nodes: [node('Gemm', ['x', 'wa'], ['a'], { transB: 1 }, 'a'), node('Relu', ['a'], ['r']), node('Gemm', ['r', 'wb'], ['y'], { transB: 1 }, 'b')],
    });
    const cal = calibration({ x: stats(-2, 1.5), r: stats(0, 3) });
    const { model } = quantizeModel(m, options({ a: spec(4, 8), b: spec(4, 8) }, { calibration: cal }));
    expect(model.graph!.node.map((n) => n.opType)).toEqual(['Div', 'Round', 'Clip', 'Mul', 'Gemm', 'Relu', 'Div', 'Round', 'Clip', 'Mul', 'Gemm']);
    // r is after a ReLU: unsigned 8-bit, 3 x 2^6 = 192 <= 255 < 384 -> 2^-6
    expect(init(model, model.graph!.node[6].input[1])).toEqual([1 / 64]);
    expect(init(model, model.graph!.node[8].input[1])).toEqual([0]);
  });

  it('opset boundaries: activations need 11 (any layer asking is enough); 11 itself is fine', () => {
    const two = (opset: number) =>
      buildModel({
        opset,
        inputs: [tensorInfo('x', [1, 4])],
        outputs: [tensorInfo('ya', [1, 3]), tensorInfo('yb', [1, 3])],
        initializers: [floatTensor('wa', [3, 4], GEMM_W), floatTensor('wb', [3, 4], GEMM_W)],
        nodes: [node('Gemm', ['x', 'wa'], ['ya'], { transB: 1 }, 'a'), node('Gemm', ['x', 'wb'], ['yb'], { transB: 1 }, 'b')],
      });
    expect(() => quantizeModel(two(10), options({ a: spec(4, null), b: spec(4, 8) }))).toThrow(/opset 11 or later/);
    expect(quantizeModel(two(11), options({ a: spec(4, null), b: spec(4, 8) })).report.layers[1].activation?.bits).toBe(8);
  });

  it('nonNegative at opset 11 reads Clip min from its input; a min computed at run time is not known', () => {
    const g11 = new Graph(
      buildModel({
        opset: 11,
        inputs: [tensorInfo('x', [1, 4]), tensorInfo('lo', [])],
        outputs: [tensorInfo('a'), tensorInfo('b')],
        initializers: [floatTensor('zero', [], [0])],
        nodes: [node('Clip', ['x', 'zero'], ['a']), node('Clip', ['x', 'lo'], ['b'])],
      }),
    );
    expect([nonNegative(g11, 'a'), nonNegative(g11, 'b')]).toEqual([true, false]);
  });

  it('an elementwise op with a constant operand is not a compute layer; all-zero weights have infinite SQNR', () => {
    const g = new Graph(
      buildModel({
        inputs: [tensorInfo('x', [1, 4])],
        outputs: [tensorInfo('y', [1, 4])],
        initializers: [floatTensor('k', [4], [1, 2, 3, 4])],
        nodes: [node('Add', ['x', 'k'], ['y'], {}, 'add')],
      }),
    );
    expect(isComputeLayer(g, 'add')).toBe(false);
    expect(quantizeWeights([0, 0, 0], [3], null, 4, 'float', 'half-even').sqnrDb).toBe(Infinity);
  });

  it('po2 scale: a limit one ulp above 127/32 needs one fractional bit less than log2 suggests', () => {
    // 127 / 3.96875 = 32 exactly (f = 5). One ulp above 3.96875, 127 / limit is just below 32 but
    // Math.log2 of it rounds to 5 exactly; 2^5 x limit = 127.00000000000003 > 127, so f must be 4.
    const limit = 3.968750000000001;
    expect(Math.log2(127 / limit)).toBe(5);
    expect(limit * 32).toBeGreaterThan(127);
    expect(chooseScale(limit, 127, 'po2')).toEqual({ scale: 1 / 16, fracBits: 4 });
    expect(chooseScale(3.96875, 127, 'po2')).toEqual({ scale: 1 / 32, fracBits: 5 });
  });

  it('BN folding: a model without BN reports nothing folded or kept; fresh names skip taken ones', () => {
    const none = buildModel({ inputs: [tensorInfo('x', [1, 2])], outputs: [tensorInfo('y')], nodes: [node('Relu', ['x'], ['y'])] });
    expect(foldBatchNorm(none)).toEqual({ model: none, folded: [], kept: [] });
    const m = buildModel({
      inputs: [tensorInfo('x', [1, 2, 3, 3])],
      outputs: [tensorInfo('y'), tensorInfo('z')],
      initializers: [
        floatTensor('w', [2, 2, 1, 1], [1, 0, 0, 1]),
        floatTensor('conv_folded_weight', [1], [7]),
        ...['g', 'b', 'm', 'v'].map((n) => floatTensor(n, [2], [1, 1])),
      ],
      nodes: [node('Conv', ['x', 'w'], ['c'], {}, 'conv'), node('BatchNormalization', ['c', 'g', 'b', 'm', 'v'], ['y'], {}, 'bn'), node('Identity', ['conv_folded_weight'], ['z'], {}, 'id')],
    });
    const { model } = foldBatchNorm(m);
    expect(model.graph!.node.find((n) => n.name === 'conv')!.input).toEqual(['x', 'conv_folded_weight_2', 'conv_folded_bias']);
  });
});
