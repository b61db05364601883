/**
 * Quantization edges (issue 14) with expectations from outside the code under test: BN folding
 * checked against onnxruntime running the unfolded BatchNormalization (variances far from 1, so
 * where epsilon goes matters) and against a hand-folded channel; calibrate() statistics on
 * asymmetric signed data worked by hand; quantize -> dequantize error bounds as properties.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../graph/graph.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { encodeModel } from '../onnx/model.ts';
import { floatTensor, tensorValues } from '../onnx/tensor.ts';
import { randomValues, seeded } from '../prune/testing.ts';
import { HIST_BINS, calibrate, chooseClip, type BatchSource } from './calibrate.ts';
import { foldBatchNorm } from './fold.ts';
import { activationQuantizer, chooseScale, fakeQuantize, intRange, quantizeWeights } from './grid.ts';

ort.env.logLevel = 'error';

async function run(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: 'disabled' });
  try {
    return (await session.run({ x: new ort.Tensor('float32', x, dims) })).y.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('BatchNormalization folding with variances far from 1', () => {
  // Conv 2 -> 4 (3x3) + BN(epsilon 1e-3) -> Conv 4 -> 3 (1x1, no bias) + BN(default epsilon 1e-5).
  // Variances span 1e-6 .. 1e3: with var = 1e-6 and eps = 1e-5, sqrt(var + eps) = 3.3e-3 but
  // sqrt(var) + eps = 1.01e-3 and sqrt(var) = 1e-3, so a misplaced or missing epsilon is 3x off.
  const var1 = [1e-4, 2.5e-3, 40, 900];
  const var2 = [1e-6, 0.02, 1e3];
  const model = buildModel({
    inputs: [tensorInfo('x', ['N', 2, 5, 5])],
    outputs: [tensorInfo('y', ['N', 3, 5, 5])],
    initializers: [
      floatTensor('w1', [4, 2, 3, 3], randomValues(seeded(1), 72, 0.5)),
      floatTensor('b1', [4], [0.1, -0.2, 0.3, 0.05]),
      floatTensor('g1', [4], [1.5, 0.5, 2, 0.8]),
      floatTensor('be1', [4], [0.1, 0.2, -0.3, 0.4]),
      floatTensor('m1', [4], [0.05, -0.1, 0.2, 1]),
      floatTensor('v1', [4], var1),
      floatTensor('w2', [3, 4, 1, 1], randomValues(seeded(2), 12, 0.5)),
      floatTensor('g2', [3], [0.9, 1.1, 0.01]),
      floatTensor('be2', [3], [0, 0.5, -0.5]),
      floatTensor('m2', [3], [0.01, -0.3, 2]),
      floatTensor('v2', [3], var2),
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      node('BatchNormalization', ['c1', 'g1', 'be1', 'm1', 'v1'], ['n1'], { epsilon: { float: 1e-3 } }, 'bn1'),
      node('Relu', ['n1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], { kernel_shape: [1, 1] }, 'conv2'),
      node('BatchNormalization', ['c2', 'g2', 'be2', 'm2', 'v2'], ['y'], {}, 'bn2'),
    ],
  });

  it('the folded model computes what onnxruntime computes with the BN nodes', async () => {
    const { model: folded } = foldBatchNorm(model);
    expect(folded.graph!.node.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Conv']);
    const x = Float32Array.from(randomValues(seeded(3), 2 * 2 * 25, 2));
    const [want, got] = [await run(encodeModel(model), x, [2, 2, 5, 5]), await run(encodeModel(folded), x, [2, 2, 5, 5])];
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + 1e-3));
    expect(worst).toBeLessThan(1e-4);
  });

  it('folded weights and bias of one channel, by hand', () => {
    const { model: folded } = foldBatchNorm(model);
    const g = new Graph(folded);
    const conv2 = g.node('conv2')!;
    const w = tensorValues(folded.graph!.initializer.find((t) => t.name === conv2.inputs[1])!);
    const b = tensorValues(folded.graph!.initializer.find((t) => t.name === conv2.inputs[2])!);
    const w2 = randomValues(seeded(2), 12, 0.5).map(Math.fround);
    // channel 0: k = 0.9 / sqrt(1e-6 + 1e-5) = 0.9 / 0.0033166 = 271.36; no conv bias: b' = (0 - 0.01) * k + 0
    const k0 = 0.9 / Math.sqrt(1.1e-5);
    expect(k0).toBeCloseTo(271.3602, 3);
    for (let i = 0; i < 4; i++) expect(w[i]).toBeCloseTo(w2[i] * k0, 3);
    expect(b[0]).toBeCloseTo(-2.713602, 4);
    // channel 2: k = 0.01 / sqrt(1000 + 1e-5) = 3.1623e-4; b' = (0 - 2) * k - 0.5 = -0.500632
    expect(b[2]).toBeCloseTo(-0.5006325, 6);
  });
});

/** A BatchSource that yields fixed batches for the graph input 'x' (calibrate asks for taps by name). */
function fixedSource(batches: number[][]): BatchSource & { passes: number; yielded: number } {
  const source = async function* (_bytes: Uint8Array, outputs: string[]) {
    source.passes++;
    for (const b of batches) {
      source.yielded++;
      yield { count: 1, values: Object.fromEntries(outputs.map((o) => [o, Float32Array.from(b)])) };
    }
  };
  source.passes = 0;
  source.yielded = 0;
  return source;
}

describe('calibrate() on asymmetric signed ranges', () => {
  const model = buildModel({ inputs: [tensorInfo('x', [1, 4])], outputs: [tensorInfo('y', [1, 4])], nodes: [node('Relu', ['x'], ['y'])] });

  it('min, max, |max|, count and the |x| histogram, by hand', async () => {
    const source = fixedSource([
      [-3, -1, 0.5, 2],
      [-0.25, 1.5, 0, 0.75],
    ]);
    const data = await calibrate(model, ['x'], source, encodeModel, { key: 'k' });
    const s = data.tensors.x;
    expect(data).toMatchObject({ version: 1, images: 2, key: 'k' });
    expect([s.min, s.max, s.absMax, s.count]).toEqual([-3, 2, 3, 8]);
    // bins of width 3/2048: floor(|x| * 2048/3): 3 -> 2048 -> last bin 2047; 1 -> 682; 0.5 -> 341;
    // 2 -> 1365; 0.25 -> 170; 1.5 -> 1024; 0 -> 0; 0.75 -> 512
    const filled = Object.fromEntries(s.hist.flatMap((c, i) => (c ? [[i, c]] : [])));
    expect(filled).toEqual({ 0: 1, 170: 1, 341: 1, 512: 1, 682: 1, 1024: 1, 1365: 1, 2047: 1 });
    expect(s.hist).toHaveLength(HIST_BINS);
    expect(source.passes).toBe(2);
  });

  it('a range that is mostly positive keeps the magnitude of its negative tail, and the reverse', async () => {
    const pos = await calibrate(model, ['x'], fixedSource([[-0.5, 4, 3.9, 1]]), encodeModel);
    expect([pos.tensors.x.min, pos.tensors.x.max, pos.tensors.x.absMax]).toEqual([-0.5, 4, 4]);
    const neg = await calibrate(model, ['x'], fixedSource([[-6, 0.1, -2, 1]]), encodeModel);
    expect([neg.tensors.x.min, neg.tensors.x.max, neg.tensors.x.absMax]).toEqual([-6, 1, 6]);
    // minmax keeps |min| = 6; signed 8-bit: scale 6/127
    const clip = chooseClip(neg.tensors.x, 'minmax', 8, true, 'half-even');
    expect(clip.limit).toBe(6);
    expect(activationQuantizer(clip.limit, 8, true, 'float', 'half-even').scale).toBeCloseTo(6 / 127, 7);
  });

  it('maxImages stops both passes after the same batches', async () => {
    const source = fixedSource([[1, 2], [3, 4], [50, -60]]);
    const data = await calibrate(model, ['x'], source, encodeModel, { maxImages: 2 });
    // first pass reads batches 1-2 and stops at the third; the second pass reads the same two
    expect(data.images).toBe(2);
    expect([data.tensors.x.min, data.tensors.x.max, data.tensors.x.count]).toEqual([1, 4, 4]);
    expect(data.tensors.x.hist.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('an all-zero tensor puts every value in bin 0; empty data is refused', async () => {
    const zero = await calibrate(model, ['x'], fixedSource([[0, 0, 0]]), encodeModel);
    expect(zero.tensors.x.hist[0]).toBe(3);
    expect(zero.tensors.x.absMax).toBe(0);
    await expect(calibrate(model, ['x'], fixedSource([]), encodeModel)).rejects.toThrow(/calibration data is empty/);
    await expect(calibrate(model, ['x'], fixedSource([]), encodeModel)).rejects.toMatchObject({ code: 'bad-input', field: 'calibration' });
  });

  it('percentile: the clip lands inside the bin that crosses the target count', async () => {
    // 1000 values: 999 at 1.0 and one at 10 -> bins of width 10/2048; 1.0 sits in bin 204
    const values = [...Array<number>(999).fill(1), 10];
    const data = await calibrate(model, ['x'], fixedSource([values]), encodeModel);
    const clip = chooseClip(data.tensors.x, 'percentile', 8, true, 'half-even', 99.9);
    // target 999 values: reached inside bin 204, fraction 999/999 = 1 -> limit (204 + 1) * 10/2048 = 1.0009765625
    expect(clip.limit).toBeCloseTo(1.0009765625, 10);
  });
});

describe('quantize -> dequantize bounds (fast-check, fixed seed)', () => {
  // magnitudes below 1e-6 are written as 0: subnormal weights would need scales below float32's range
  const weights = fc.array(fc.double({ min: -8, max: 8, noNaN: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : Math.fround(v))), { minLength: 1, maxLength: 40 });
  const bitsArb = fc.integer({ min: 2, max: 12 });

  it('half-even: |w - q(w)| <= scale/2, integers in range, the largest magnitude on the top integer (float scales)', () => {
    fc.assert(
      fc.property(weights, bitsArb, (w, bits) => {
        const q = quantizeWeights(w, [w.length], null, bits, 'float', 'half-even');
        const s = q.scales[0];
        const { min, max } = intRange(bits, true);
        const limit = Math.max(...w.map(Math.abs));
        w.forEach((v, i) => {
          expect(q.ints[i]).toBeGreaterThanOrEqual(min);
          expect(q.ints[i]).toBeLessThanOrEqual(max);
          expect(Math.abs(v - q.ints[i] * s)).toBeLessThanOrEqual(s / 2 + 1e-12 * limit);
        });
        if (limit > 0) expect(Math.max(...Array.from(q.ints, Math.abs))).toBe(max);
      }),
      { seed: 141, numRuns: 300 },
    );
  });

  it('floor: 0 <= w - q(w) < scale; po2 scales are the largest 2^-f that do not clip', () => {
    fc.assert(
      fc.property(weights, bitsArb, (w, bits) => {
        const q = quantizeWeights(w, [w.length], null, bits, 'po2', 'floor');
        const s = q.scales[0];
        const { max } = intRange(bits, true);
        const limit = Math.max(...w.map(Math.abs));
        expect(s).toBe(2 ** -q.fracBits![0]);
        if (limit > 0) {
          expect(limit / s).toBeLessThanOrEqual(max);
          expect((2 * limit) / s).toBeGreaterThan(max); // one more fractional bit would clip
        }
        w.forEach((v, i) => {
          const err = v - q.ints[i] * s;
          if (q.ints[i] > intRange(bits, true).min) {
            expect(err).toBeGreaterThanOrEqual(0);
            expect(err).toBeLessThan(s);
          }
        });
      }),
      { seed: 142, numRuns: 300 },
    );
  });

  it('per-channel: each channel has its own scale from its own largest magnitude', () => {
    // [2, 3]: channel 0 max 3.5 -> 3.5/7 = 0.5 (4-bit), channel 1 max 1.75 -> 0.25 (both exact in float32)
    const w = [1.25, -3.5, 0.75, 1.75, 0.375, -0.625];
    const q = quantizeWeights(w, [2, 3], 0, 4, 'float', 'half-even');
    expect(q.scales).toEqual([0.5, 0.25]);
    // 1.25/0.5 = 2.5 -> 2 (half to even); -7; 1.5 -> 2; 7; 1.5 -> 2; -2.5 -> -2
    expect(Array.from(q.ints)).toEqual([2, -7, 2, 7, 2, -2]);
    // 4-bit floor: 2.5 -> 2; -7; 1.5 -> 1; 7; 1.5 -> 1; -2.5 -> -3
    expect(Array.from(quantizeWeights(w, [2, 3], 0, 4, 'float', 'floor').ints)).toEqual([2, -7, 1, 7, 1, -3]);
    // axis 1 (columns): maxima 1.75, 3.5, 0.75 -> scales 0.25, 0.5, 0.75/7
    const cols = quantizeWeights(w, [2, 3], 1, 4, 'float', 'half-even');
    expect(cols.scales[0]).toBe(0.25);
    expect(cols.scales[1]).toBe(0.5);
    expect(cols.scales[2]).toBeCloseTo(0.75 / 7, 7);
    // per tensor: one scale from 3.5
    expect(quantizeWeights(w, [2, 3], null, 4, 'float', 'half-even').scales).toEqual([0.5]);
  });

  it('activation fake-quant: clip(round(x/s)) * s stays within s/2 inside the range and clips outside', () => {
    fc.assert(
      fc.property(fc.float({ min: -20, max: 20, noNaN: true }), fc.float({ min: Math.fround(0.1), max: 10, noNaN: true }), bitsArb, fc.boolean(), (x, limit, bits, signed) => {
        const q = activationQuantizer(limit, bits, signed, 'float', 'half-even');
        const y = fakeQuantize(x, q);
        const [lo, hi] = q.clip;
        const inside = Math.min(hi, Math.max(lo, x));
        expect(Math.abs(y - inside)).toBeLessThanOrEqual(q.scale / 2 + 1e-6 * Math.abs(inside) + 1e-7);
        expect(y).toBeGreaterThanOrEqual(lo);
        expect(y).toBeLessThanOrEqual(hi);
      }),
      { seed: 143, numRuns: 300 },
    );
  });

  it('chooseScale: zero, negative and infinite limits give scale 1; 8-bit po2 for 1.0 is 2^-6', () => {
    expect(chooseScale(0, 127, 'float')).toEqual({ scale: 1 });
    expect(chooseScale(-1, 127, 'po2')).toEqual({ scale: 1, fracBits: 0 });
    expect(chooseScale(Infinity, 127, 'float')).toEqual({ scale: 1 });
    // 1.0 * 2^6 = 64 <= 127 and 1.0 * 2^7 = 128 > 127 -> f = 6
    expect(chooseScale(1, 127, 'po2')).toEqual({ scale: 2 ** -6, fracBits: 6 });
    // 127 exactly: f = 0; 127.5: f = -1 (scale 2)
    expect(chooseScale(127, 127, 'po2')).toEqual({ scale: 1, fracBits: 0 });
    expect(chooseScale(127.5, 127, 'po2')).toEqual({ scale: 2, fracBits: -1 });
  });
});
