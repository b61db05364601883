import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, KWS, ULTRAFACE, defaultModelMissing, readBytes, thirdPartyMissing } from '../../../test/fixtures.ts';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../config/compression.ts';
import { Graph } from '../graph/graph.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.ts';
import { floatTensor, tensorValues } from '../onnx/tensor.ts';
import { arrayBatchSource, maxRelativeDiff, randomValues, residualModel, runOnce, seeded } from '../prune/testing.ts';
import { HIST_BINS, chooseClip, type TensorStats } from './calibrate.ts';
import { foldBatchNorm } from './fold.ts';
import { activationQuantizer, chooseScale, fakeQuantize, intRange, quantizeWeights, roundHalfEven } from './grid.ts';
import type { LayerQuantReport } from './quantize.ts';

ort.env.logLevel = 'error';

const initializer = (model: ModelProto, name: string) => model.graph!.initializer.find((t) => t.name === name)!;
/** A node by its layer name (the ONNX name, or `<op>_<index>` for unnamed nodes). */
const nodeNamed = (model: ModelProto, name: string) => new Graph(model).node(name)!.proto;

/** Checks every weight of a quantized layer is integer x scale with the integer in the signed b-bit range; returns the integers. */
function expectOnGrid(model: ModelProto, layer: LayerQuantReport, exact: boolean): number[] {
  const proto = nodeNamed(model, layer.layer);
  const w = tensorValues(initializer(model, proto.input[1]));
  const channels = layer.weightScales.length;
  const per = w.length / channels;
  const transB = proto.attribute.find((a) => a.name === 'transB')?.i === 1n;
  const lastAxis = layer.op !== 'Conv' && !transB; // Gemm/MatMul [K, N]: output channels are the columns
  const { min, max } = intRange(layer.weightBits, true);
  const ints: number[] = [];
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const c = channels === 1 ? 0 : lastAxis ? i % channels : Math.floor(i / per);
    const q = w[i] / layer.weightScales[c];
    worst = Math.max(worst, Math.abs(q - Math.round(q)));
    ints.push(Math.round(q));
  }
  if (exact) expect(worst).toBe(0);
  else expect(worst).toBeLessThan(1e-3);
  expect(Math.min(...ints)).toBeGreaterThanOrEqual(min);
  expect(Math.max(...ints)).toBeLessThanOrEqual(max);
  return ints;
}

describe('fixed-point grids', () => {
  it('rounds half to even and picks power-of-two scales that do not clip', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, -3]);
    expect(intRange(4, true)).toEqual({ min: -8, max: 7 });
    expect(intRange(4, false)).toEqual({ min: 0, max: 15 });
    expect(chooseScale(0.75, 127, 'po2')).toEqual({ scale: 1 / 128, fracBits: 7 }); // 0.75 * 128 = 96 <= 127 < 192
    expect(chooseScale(100, 7, 'po2')).toEqual({ scale: 16, fracBits: -4 }); // 100 / 16 = 6.25 <= 7
    const { scale } = chooseScale(0.3, 127, 'float');
    expect(scale).toBe(Math.fround(scale));
    expect(0.3 / scale).toBeLessThanOrEqual(127);
  });

  it('quantizes weights per channel or per tensor, rounding half-even or floor', () => {
    const w = [0.22, -0.3, 1, 0.1]; // two output channels of two weights
    const pc = quantizeWeights(w, [2, 2], 0, 4, 'po2', 'half-even');
    expect(pc.scales).toEqual([1 / 16, 1 / 4]); // 0.3 x 16 = 4.8 <= 7 < 9.6; 1 x 4 = 4 <= 7 < 8
    expect(pc.fracBits).toEqual([4, 2]);
    expect(Array.from(pc.ints)).toEqual([4, -5, 4, 0]); // 3.52 -> 4, -4.8 -> -5, 0.4 -> 0
    expect(Array.from(pc.values)).toEqual([0.25, -0.3125, 1, 0]);
    const floor = quantizeWeights(w, [2, 2], 0, 4, 'po2', 'floor');
    expect(Array.from(floor.ints)).toEqual([3, -5, 4, 0]); // floor(3.52) = 3
    const pt = quantizeWeights(w, [2, 2], null, 4, 'po2', 'half-even');
    expect(pt.scales).toEqual([1 / 4]);
    expect(Array.from(pt.ints)).toEqual([1, -1, 4, 0]);
    // The extremes of the supported widths.
    const two = quantizeWeights(w, [2, 2], null, 2, 'float', 'half-even');
    expect(two.scales).toEqual([1]); // max |w| = 1 maps onto 2^(2-1) - 1 = 1
    expect(Array.from(two.ints)).toEqual([0, 0, 1, 0]);
    const sixteen = quantizeWeights(w, [2, 2], 0, 16, 'po2', 'half-even');
    expect(sixteen.fracBits).toEqual([16, 14]); // 0.3 x 2^16 = 19661 <= 32767; 1 x 2^14 = 16384
    expect(sixteen.sqnrDb).toBeGreaterThan(80);
    expect(pt.sqnrDb).toBeLessThan(pc.sqnrDb);
  });

  it('activation quantizers are unsigned after ReLU and clip at qmax x scale', () => {
    const q = activationQuantizer(6, 4, false, 'po2', 'half-even'); // 6 / 15 -> scale 0.5
    expect(q).toMatchObject({ scale: 0.5, fracBits: 1, qmin: 0, qmax: 15, clip: [0, 7.5] });
    expect([-1, 0.24, 0.25, 0.75, 7.4, 9].map((x) => fakeQuantize(x, q))).toEqual([0, 0, 0, 1, 7.5, 7.5]);
    const s = activationQuantizer(1, 3, true, 'po2', 'floor'); // 1 x 2 = 2 <= 3 < 1 x 4: scale 0.5
    expect(s).toMatchObject({ scale: 0.5, fracBits: 1, qmin: -4, qmax: 3, clip: [-2, 1.5] });
    expect([-3, -0.01, 0.9, 2].map((x) => fakeQuantize(x, s))).toEqual([-2, -0.5, 0.5, 1.5]);
  });

  it('calibration ranges: min/max keeps an outlier, percentile drops it, MSE trades range for resolution', () => {
    const rand = seeded(2);
    const values = Array.from({ length: 20000 }, () => rand());
    values.push(40); // one outlier
    const absMax = 40;
    const hist = new Array<number>(HIST_BINS).fill(0);
    for (const v of values) hist[Math.min(HIST_BINS - 1, Math.floor((v / absMax) * HIST_BINS))]++;
    const stats: TensorStats = { min: 0, max: absMax, absMax, count: values.length, hist };
    const minmax = chooseClip(stats, 'minmax', 4, false, 'half-even');
    const pct = chooseClip(stats, 'percentile', 4, false, 'half-even', 99.9);
    const mse = chooseClip(stats, 'mse', 4, false, 'half-even');
    expect(minmax.limit).toBe(40);
    expect(pct.limit).toBeGreaterThan(0.99);
    expect(pct.limit).toBeLessThan(1.03);
    // At 4 bits the squared clipping error of the outlier still matters: the optimum lies in between.
    expect(mse.limit).toBeGreaterThan(pct.limit);
    expect(mse.limit).toBeLessThan(minmax.limit / 4);
    expect(mse.sqnrDb).toBeGreaterThan(minmax.sqnrDb + 5);
    expect(mse.sqnrDb).toBeGreaterThan(pct.sqnrDb);
    // With many more levels the outlier is cheap to keep and the MSE range grows.
    expect(chooseClip(stats, 'mse', 12, false, 'half-even').limit).toBeGreaterThan(mse.limit);
  });
});

/** x[N,2,5,5] -> Conv3x3(3) + bias -> Relu -> Conv1x1(2) + bias -> y. */
function twoConvModel(): ModelProto {
  const r = seeded(9);
  return buildModel({
    inputs: [tensorInfo('x', ['N', 2, 5, 5])],
    outputs: [tensorInfo('y', ['N', 2, 5, 5])],
    initializers: [
      floatTensor('w1', [3, 2, 3, 3], randomValues(r, 54, 0.6)),
      floatTensor('b1', [3], randomValues(r, 3, 0.2)),
      floatTensor('w2', [2, 3, 1, 1], randomValues(r, 6, 0.8)),
      floatTensor('b2', [2], randomValues(r, 2, 0.2)),
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'w2', 'b2'], ['y'], { kernel_shape: [1, 1] }, 'conv2'),
    ],
  });
}

describe('quantized models compute the fixed-point arithmetic', () => {
  const dims = [4, 2, 5, 5];
  const rand = seeded(21);
  const batches = Array.from({ length: 3 }, () => Float32Array.from(randomValues(rand, 200, 2)));
  const config = (format: string, rounding: string): CompressionConfig =>
    ({ version: 1, quant: { weightBits: 5, activationBits: 6, scale: 'po2', rounding, format, granularity: 'per-channel' } }) as CompressionConfig;

  for (const [format, rounding, level] of [
    ['float', 'floor', 'all'],
    ['float', 'half-even', 'all'],
    ['qcdq', 'half-even', 'disabled'],
    ['int8-qdq', 'half-even', 'disabled'],
  ] as const) {
    it(`${format}, ${rounding}: onnxruntime output == integer reference (po2 scales, 5-bit weights, 6-bit activations)`, async () => {
      const model = twoConvModel();
      const cfg = config(format, rounding);
      const calibration = await calibrateConfig(model, cfg, arrayBatchSource(ort, batches, dims));
      const { model: q, bytes, report } = applyConfig(model, cfg, calibration);
      const [l1, l2] = report.quant!.layers;
      expect(l1.activation).toMatchObject({ tensor: 'x', signed: true, bits: 6 });
      expect(l2.activation).toMatchObject({ tensor: 'r1', signed: false, bits: 6 });
      expect(l1.bias).toBe('int32');

      // The reference computes its own scales, integers and rounding from the float model and the
      // calibration batches (nothing from the module under test), then checks the written model.
      const halfEven = (v: number) => {
        const f = Math.floor(v);
        const d = v - f;
        return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
      };
      const round = rounding === 'floor' ? Math.floor : halfEven;
      // po2 scale: 2^-f with the largest f such that limit * 2^f <= top
      const po2 = (limit: number, top: number) => {
        let f = 0;
        while (limit * 2 ** (f + 1) <= top) f++;
        while (limit * 2 ** f > top) f--;
        return 2 ** -f;
      };
      const fw1 = Array.from(tensorValues(initializer(model, 'w1')));
      const fw2 = Array.from(tensorValues(initializer(model, 'w2')));
      const fb1 = Array.from(tensorValues(initializer(model, 'b1')));
      const fb2 = Array.from(tensorValues(initializer(model, 'b2')));
      const perChannel = (w: number[], channels: number) => {
        const per = w.length / channels;
        const scales = Array.from({ length: channels }, (_, c) => po2(Math.max(...w.slice(c * per, (c + 1) * per).map(Math.abs)), 15)); // 5-bit: top 15
        return { scales, ints: w.map((v, i) => Math.min(15, Math.max(-16, round(v / scales[Math.floor(i / per)])))) };
      };
      const q1 = perChannel(fw1, 3);
      const q2 = perChannel(fw2, 2);
      // float conv1 + ReLU over the calibration batches: the range of r1 (minmax calibration)
      const conv1 = (x: ArrayLike<number>, n: number, w: number[], b: number[], relu: boolean) => {
        const out = new Array<number>(75);
        for (let co = 0; co < 3; co++) {
          for (let p = 0; p < 25; p++) {
            const [h, wx] = [Math.floor(p / 5), p % 5];
            let acc = b[co];
            for (let ci = 0; ci < 2; ci++) {
              for (let kh = 0; kh < 3; kh++) {
                for (let kw = 0; kw < 3; kw++) {
                  const [y, xx] = [h + kh - 1, wx + kw - 1];
                  if (y < 0 || y > 4 || xx < 0 || xx > 4) continue;
                  acc += w[((co * 2 + ci) * 3 + kh) * 3 + kw] * x[n * 50 + ci * 25 + y * 5 + xx];
                }
              }
            }
            out[co * 25 + p] = relu ? Math.max(0, acc) : acc;
          }
        }
        return out;
      };
      let xMax = 0;
      let r1Max = 0;
      for (const batch of batches) {
        for (const v of batch) xMax = Math.max(xMax, Math.abs(v));
        for (let n = 0; n < 4; n++) r1Max = Math.max(r1Max, ...conv1(batch, n, fw1, fb1, true));
      }
      const sx = po2(xMax, 31); // signed 6-bit input
      const sa = po2(r1Max, 63); // unsigned 6-bit after ReLU
      expect(l1.activation!.scale).toBe(sx);
      expect(l2.activation!.scale).toBe(sa);
      expect(l1.weightScales).toEqual(q1.scales);
      expect(l2.weightScales).toEqual(q2.scales);
      if (format === 'int8-qdq') {
        const dq = (layer: string) => q.graph!.node.find((n) => n.output[0] === nodeNamed(q, layer).input[1])!;
        expect(Array.from(tensorValues(initializer(q, dq('conv1').input[0])))).toEqual(q1.ints.map((v) => v + 0));
        expect(Array.from(tensorValues(initializer(q, dq('conv2').input[0])))).toEqual(q2.ints.map((v) => v + 0));
      } else {
        // (+ 0 turns the -0 that Math.round gives small negative values into 0)
        expect(expectOnGrid(q, l1, true).map((v) => v + 0)).toEqual(q1.ints.map((v) => v + 0));
        expect(expectOnGrid(q, l2, true).map((v) => v + 0)).toEqual(q2.ints.map((v) => v + 0));
      }
      const [w1, w2] = [q1.ints, q2.ints];
      const b1 = fb1.map((b, c) => halfEven(b / (sx * q1.scales[c])));
      const b2 = fb2.map((b, c) => halfEven(b / (sa * q2.scales[c])));

      const input = batches[0];
      const expected = new Float32Array(4 * 2 * 25);
      for (let n = 0; n < 4; n++) {
        const xq = Array.from({ length: 50 }, (_, i) => Math.min(31, Math.max(-32, round(input[n * 50 + i] / sx))));
        const acc1 = conv1(xq, 0, w1, b1, false); // integer accumulators
        const a = acc1.map((acc, i) => Math.min(63, Math.max(0, round(Math.max(0, acc * sx * q1.scales[Math.floor(i / 25)]) / sa))));
        for (let co = 0; co < 2; co++) {
          for (let p = 0; p < 25; p++) {
            let acc = b2[co];
            for (let ci = 0; ci < 3; ci++) acc += w2[co * 3 + ci] * a[ci * 25 + p];
            expected[n * 50 + co * 25 + p] = acc * sa * q2.scales[co];
          }
        }
      }
      const got = (await runOnce(ort, bytes, input, dims, level)).y;
      expect(Array.from(got)).toEqual(Array.from(expected));
    });
  }

  it('int8-qdq holds int8 weights and int32 biases behind DequantizeLinear; widths above 8 are refused for it', async () => {
    const model = twoConvModel();
    const cfg = { version: 1, quant: { weightBits: 8, activationBits: 8, format: 'int8-qdq' } } as CompressionConfig;
    const calibration = await calibrateConfig(model, cfg, arrayBatchSource(ort, batches, dims));
    const { model: q } = applyConfig(model, cfg, calibration);
    const types = q.graph!.initializer.map((t) => t.dataType);
    expect(types.filter((t) => t === 3).length).toBeGreaterThanOrEqual(2); // int8 weights (+ zero points)
    expect(types.filter((t) => t === 6).length).toBeGreaterThanOrEqual(2); // int32 biases (+ zero points)
    expect(q.graph!.initializer.some((t) => t.name === 'w1')).toBe(false);
    expect(() => applyConfig(model, { version: 1, quant: { weightBits: 10, format: 'int8-qdq' } })).toThrow(/every bit width <= 8/);
    expect(() => applyConfig(model, { version: 1, quant: { rounding: 'floor', format: 'qcdq' } })).toThrow(/rounds half to even/);
  });

  it('activation quantization without calibration statistics is refused', () => {
    expect(() => applyConfig(twoConvModel(), { version: 1, quant: { activationBits: 8 } })).toThrow(/needs calibration statistics for tensor "x"/);
  });
});

describe('BatchNormalization folding', () => {
  it('folds Conv+BN into the conv with the same outputs', async () => {
    const model = residualModel(5);
    const { model: folded, folded: pairs, kept } = foldBatchNorm(model);
    expect(pairs.map((p) => `${p.batchNorm}->${p.conv}`)).toEqual(['stem.bn->stem', 'dw.bn->dw', 'pw.bn->pw']);
    expect(kept).toEqual([]);
    expect(folded.graph!.node.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    expect(nodeNamed(folded, 'pw').input).toHaveLength(3); // a bias was added
    const input = Float32Array.from(randomValues(seeded(4), 2 * 3 * 64, 2));
    const [a, b] = await Promise.all([runOnce(ort, encodeModel(model), input, [2, 3, 8, 8]), runOnce(ort, encodeModel(folded), input, [2, 3, 8, 8])]);
    expect(maxRelativeDiff(b.y, a.y)).toBeLessThan(1e-5);
  });

  it('a model without BN nodes is returned as it is', () => {
    const model = twoConvModel();
    expect(foldBatchNorm(model).model).toBe(model);
  });
});

describe.skipIf(thirdPartyMissing)('third-party models', () => {
  it('KWS: int8 weights behind DequantizeLinear are requantized per channel (weights only)', async () => {
    const model = decodeModel(readBytes(KWS));
    const { model: q, bytes, report } = applyConfig(model, { version: 1, quant: { weightBits: 6, scale: 'po2' } });
    expect(report.quant!.layers).toHaveLength(10);
    for (const layer of report.quant!.layers) expectOnGrid(q, layer, true);
    expect(q.graph!.node.some((n) => n.opType === 'DequantizeLinear')).toBe(false);
    const input = Float32Array.from(randomValues(seeded(8), 490, 1));
    const [a, b] = await Promise.all([runOnce(ort, readBytes(KWS), input, [1, 49, 10, 1]), runOnce(ort, bytes, input, [1, 49, 10, 1])]);
    expect(maxRelativeDiff(b.Identity, a.Identity)).toBeLessThan(0.1);
  });

  it('UltraFace (opset 9): weights-only quantization runs; activation quantization is refused with a reason', async () => {
    const model = decodeModel(readBytes(ULTRAFACE));
    const { bytes, report } = applyConfig(model, { version: 1, quant: { weightBits: 8 } });
    expect(report.quant!.layers).toHaveLength(42);
    const out = await runOnce(ort, bytes, Float32Array.from(randomValues(seeded(3), 3 * 240 * 320, 1)), [1, 3, 240, 320]);
    expect(out.scores).toHaveLength(8840);
    expect(() => applyConfig(model, { version: 1, quant: { activationBits: 8 } })).toThrow(/opset 11 or later; the model has opset 9/);
  });
});

describe.skipIf(defaultModelMissing)('default model on Fashion-MNIST', () => {
  it('4-bit per-channel po2 weights lie exactly on their grid; per-tensor float scales within float32 rounding', () => {
    const model = decodeModel(readBytes(DEFAULT_MODEL));
    const po2 = applyConfig(model, { version: 1, quant: { weightBits: 4, scale: 'po2' } });
    expect(po2.report.quant!.layers).toHaveLength(14);
    for (const layer of po2.report.quant!.layers) {
      // Conv weights [Cout, ...] and the FC weight [10, 256] (transB = 1): one scale per output channel.
      expect(layer.weightScales).toHaveLength(new Graph(model).constant(nodeNamed(model, layer.layer).input[1])!.dims[0]);
      expectOnGrid(po2.model, layer, true);
      layer.weightScales.forEach((s, c) => expect(s).toBe(2 ** -layer.weightFracBits![c]));
    }
    const pt = applyConfig(model, { version: 1, quant: { weightBits: 6, granularity: 'per-tensor' } });
    for (const layer of pt.report.quant!.layers) {
      expect(layer.weightScales).toHaveLength(1);
      expectOnGrid(pt.model, layer, false);
    }
  });
});
