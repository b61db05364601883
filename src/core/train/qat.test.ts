/**
 * Quantization-aware training's quantizers: the fake-quant chain's gradients (straight-through
 * with clipping, LSQ's scale gradient) against formulas worked out in float64 here, the
 * moving-average range observers, and that the export uses exactly the frozen / learned ranges.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, dataMissing, readBytes } from '../../../test/fixtures.ts';
import { loadDataset, validateManifest, type Dataset } from '../eval/dataset.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { decodeModel } from '../onnx/model.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { floatTensor, tensorFloat32 } from '../onnx/tensor.ts';
import { HIST_BINS, type CalibrationData } from '../quant/calibrate.ts';
import { activationQuantizer } from '../quant/grid.ts';
import { floatValues, learnedLimits, prepareQat, type QuantSettings } from './qat.ts';
import { DEFAULT_RETRAIN, retrain } from './retrain.ts';
import { createTrainingSession } from './session.ts';
import { train } from './trainer.ts';
import { buildTrainingGraph } from './training-graph.ts';

const ort = ortNode as unknown as OrtModule;
const engine = { ort, sessionOptions: { intraOpNumThreads: 1 } };

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  });
}

// input [N,1,2,2] -> Flatten -> Gemm g1 (float, 4 -> 5) -> h -> [4-bit signed quantizer] -> Gemm g2 (4-bit weights, 5 -> 3)
const W1 = values(20, 1).map((v) => 1.5 * v);
const B1 = values(5, 2).map((v) => 0.2 * v);
const W2 = values(15, 3);
const B2 = values(3, 4).map((v) => 0.1 * v);
const tinyModel = () =>
  buildModel({
    nodes: [
      node('Flatten', ['input'], ['flat'], { axis: 1 }, 'flatten'),
      node('Gemm', ['flat', 'w1', 'b1'], ['h'], { transB: 1 }, 'g1'),
      node('Gemm', ['h', 'w2', 'b2'], ['logits'], { transB: 1 }, 'g2'),
    ],
    inputs: [tensorInfo('input', ['N', 1, 2, 2])],
    outputs: [tensorInfo('logits', ['N', 3])],
    initializers: [floatTensor('w1', [5, 4], W1), floatTensor('b1', [5], B1), floatTensor('w2', [3, 5], W2), floatTensor('b2', [3], B2)],
    opset: 13,
  });

/** Calibration statistics of h with a deliberately small range (1.2), so that some of h is clipped. */
function settings(limit = 1.2): QuantSettings {
  const hist = new Array<number>(HIST_BINS).fill(0);
  hist[HIST_BINS / 2] = 100;
  const calibration: CalibrationData = { version: 1, images: 10, key: '', tensors: { h: { min: -limit, max: limit, absMax: limit, count: 100, hist } } };
  return {
    layers: { g2: { weightBits: 4, activationBits: 4, granularity: 'per-channel', scale: 'float', rounding: 'half-even' } },
    calibration,
    method: 'minmax',
    percentile: 99.99,
    format: 'float',
  };
}

const N = 16;
const tinyData = (): Dataset => ({
  name: 'tiny',
  split: 'train',
  count: N,
  shape: [1, 2, 2],
  classes: ['a', 'b', 'c'],
  pixels: Uint8Array.from(values(N * 4, 5), (v) => Math.floor((v + 1) * 127.9)),
  labels: Uint8Array.from({ length: N }, (_, i) => (i * 7) % 3),
  preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.25] },
});

const roundHalfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

function relErr(got: Float32Array, want: number[]) {
  let num = 0;
  let den = 0;
  want.forEach((w, i) => {
    num += (got[i] - w) ** 2;
    den += w * w;
  });
  return Math.sqrt(num / den);
}

/** Mutation runs (MUTATION_SCOPE set) leave out whole retraining runs (seconds each, for every mutant they cover); `npm test` runs them. */
const mutationRun = Boolean(process.env.MUTATION_SCOPE);

describe('QAT quantizer gradients', () => {
  it('match the straight-through estimator with clipping (PyTorch FakeQuantize) and LSQ scale gradient, worked out in float64', async () => {
    const setup = prepareQat(tinyModel(), settings(), true);
    const scaleBinding = setup.bindings.find((b) => b.value.length === 1)!;
    expect(setup.observers.map((o) => o.tensor)).toEqual(['h']);
    const graph = buildTrainingGraph(setup.model, { trainable: setup.bindings.map((b) => b.name) });
    const session = await createTrainingSession(ort, graph, engine.sessionOptions);
    const data = tinyData();
    const images = Float32Array.from(data.pixels, (p) => (p / 255 - 0.5) / 0.25);
    const labels = new Float32Array(N * 3);
    data.labels.forEach((l, i) => (labels[i * 3 + l] = 1));
    const fed = new Map(setup.bindings.map((b) => [b.name, b.transform?.(b.value) ?? b.value]));
    const out = await session.step({ images, dims: [N, 1, 2, 2], labels, params: fed });
    await session.release();

    const w2name = setup.bindings.find((b) => b.transform && b.value.length === 15)!.name;
    const w2q = fed.get(w2name)!;
    const s = fed.get(scaleBinding.name)![0];
    expect(s).toBe(Math.fround(1.2 / 7));
    // Forward and backward by hand, float64.
    const gW1 = new Array(20).fill(0);
    const gW2 = new Array(15).fill(0);
    let gS = 0;
    let clipped = 0;
    for (let n = 0; n < N; n++) {
      const x = Array.from(images.subarray(n * 4, n * 4 + 4));
      const h = B1.map((b, j) => b + x.reduce((a, xi, i) => a + xi * Math.fround(W1[j * 4 + i]), 0));
      const r = h.map((v) => roundHalfEven(v / s));
      const inside = r.map((v) => v >= -8 && v <= 7);
      const c = r.map((v) => Math.min(7, Math.max(-8, v)));
      const hq = c.map((v) => v * s);
      const z = B2.map((b, k) => b + hq.reduce((a, v, j) => a + v * w2q[k * 5 + j], 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, v) => a + v, 0);
      const dz = e.map((v, k) => (v / sum - labels[n * 3 + k]) / N);
      const dhq = h.map((_, j) => dz.reduce((a, d, k) => a + d * w2q[k * 5 + j], 0));
      dz.forEach((d, k) => hq.forEach((v, j) => (gW2[k * 5 + j] += d * v)));
      // STE: the gradient passes where round(h / s) is inside [qmin, qmax], zero where clipped.
      const dh = dhq.map((g, j) => (inside[j] ? g : 0));
      dh.forEach((g, j) => x.forEach((xi, i) => (gW1[j * 4 + i] += g * xi)));
      // LSQ: d hq / d s = round(h / s) - h / s inside, the clip level outside.
      dhq.forEach((g, j) => (gS += g * (inside[j] ? r[j] - h[j] / s : c[j])));
      clipped += inside.filter((v) => !v).length;
    }
    expect(clipped).toBeGreaterThan(5); // the test covers the clipped branch
    expect(clipped).toBeLessThan(N * 5 - 5); // and the inside branch
    expect(relErr(out.gradients.get('w1')!, gW1)).toBeLessThan(1e-4);
    expect(relErr(out.gradients.get(w2name)!, gW2)).toBeLessThan(1e-4);
    expect(relErr(out.gradients.get(scaleBinding.name)!, [gS])).toBeLessThan(1e-4);
  });
});

describe('QAT range observers', () => {
  it('move the clip limit by an exponential moving average of the batch max |h| (lr 0: h is the same every step)', async () => {
    const setup = prepareQat(tinyModel(), settings());
    const start = setup.observers[0].limit;
    expect(start).toBe(Math.fround(1.2 / 7) * 7);
    const data = tinyData();
    const options = { epochs: 3, batchSize: N, lr: 0, optimizer: { name: 'sgd' as const, weightDecay: 0, momentum: 0 }, seed: 1, augment: { pad: 0, flip: false } };
    const result = await train(engine, setup.model, data, { ...options, observers: setup.observers, observerAveraging: 0.1 }, setup.bindings);
    let maxAbs = 0;
    for (let n = 0; n < N; n++) {
      const x = Array.from(data.pixels.subarray(n * 4, n * 4 + 4), (p) => Math.fround((p / 255 - 0.5) / 0.25));
      for (let j = 0; j < 5; j++) maxAbs = Math.max(maxAbs, Math.abs(B1[j] + x.reduce((a, xi, i) => a + xi * W1[j * 4 + i], 0)));
    }
    expect(maxAbs).toBeGreaterThan(1.3); // the observer has somewhere to go
    const want = start + (1 - 0.9 ** 3) * (maxAbs - start);
    expect(result.limits.get('h')!).toBeCloseTo(want, 5);
    expect(setup.observers[0].limit).toBe(start); // the caller's observers are not modified
  });
});

async function split(name: string): Promise<Dataset> {
  const manifest = validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
  return loadDataset(manifest, name, async (rel) => readBytes(resolve(DATA_MANIFEST, '..', rel)));
}

describe.skipIf(dataMissing)('QAT export of moving-average and learned ranges (default model, W4A4)', () => {
  for (const ranges of ['ema', 'learned'] as const) {
    it.skipIf(mutationRun)(`retrain --ranges ${ranges}: every exported activation scale is the one the frozen range gives, and the ranges moved`, async () => {
      const model = decodeModel(readBytes(DEFAULT_MODEL));
      const [trainSplit, calibration] = await Promise.all([split('train'), split('calibration')]);
      const config = { version: 1, quant: { weightBits: 4, activationBits: 4, calibration: { images: 200 } } };
      const options = { ...DEFAULT_RETRAIN, epochs: 1, limit: 256, qat: true, lr: 3e-3, activationRanges: ranges, rangeAveraging: 0.05 };
      const r = await retrain(engine, { model, config, train: trainSplit, calibration }, options);
      const limits = r.activationLimits!;
      const inits = new Map(r.model.graph!.initializer.map((t) => [t.name, tensorFloat32(t)[0]]));
      let moved = 0;
      for (const layer of r.quant!.layers) {
        const a = layer.activation!;
        const frozen = activationQuantizer(limits[a.tensor], 4, a.signed, 'float', 'half-even').scale;
        expect(a.scale, layer.layer).toBe(frozen);
        // The scale initializer of the exported chain (Div input) holds exactly that value.
        const div = r.model.graph!.node.find((n) => n.opType === 'Div' && n.input[0] === a.tensor)!;
        expect(inits.get(div.input[1])).toBe(frozen);
        const calibrated = activationQuantizer(a.observed[1] > -a.observed[0] ? a.observed[1] : -a.observed[0], 4, a.signed, 'float', 'half-even').scale;
        if (Math.abs(frozen / calibrated - 1) > 1e-3) moved++;
      }
      expect(moved).toBeGreaterThan(7);
    }, 180_000);
  }

  it('learnedLimits gives back the trained scales exactly', () => {
    const setup = prepareQat(tinyModel(), settings(), true);
    const name = setup.observers[0].scales[0].name;
    for (const s of [0.1, 0.17142857, 0.3333, 1e-3]) {
      const v = Math.fround(s);
      const limit = learnedLimits(setup, new Map([[name, Float32Array.of(v)]])).h;
      expect(activationQuantizer(limit, 4, true, 'float', 'half-even').scale).toBe(v);
    }
  });
});

describe('prepareQat corners (no training; each value worked out here)', () => {
  // 4-bit symmetric weights: scale = max |w| of the channel / 7 in float32, q = round-half-even(w / scale) in [-8, 7].
  const onGrid = (w: number[], scale: number) => w.map((v) => Math.fround(Math.min(7, Math.max(-8, roundHalfEven(Math.fround(v) / scale))) * scale));
  const maxAbs = (w: number[]) => Math.max(...w.map((v) => Math.abs(Math.fround(v))));
  const spec = (over: Partial<QuantSettings['layers'][string]> = {}) => ({ ...settings().layers.g2, ...over });

  it('binds float layers and biases as they are, and weights of a quantized layer through its grid', () => {
    const setup = prepareQat(tinyModel(), settings());
    const byFloat = new Map(setup.bindings.map((b) => [setup.floatNames.get(b.name), b]));
    expect([...byFloat.keys()].sort()).toEqual(['b1', 'b2', 'w1', 'w2']);
    for (const [name, want] of [['w1', W1], ['b1', B1], ['b2', B2]] as const) {
      expect(byFloat.get(name)!.transform, name).toBeUndefined();
      expect(Array.from(byFloat.get(name)!.value), name).toEqual(want.map(Math.fround));
    }
    // g2 is per-channel along its output rows (transB = 1: weight [3, 5]); row k's scale is its own max |w| / 7.
    const fed = byFloat.get('w2')!.transform!(byFloat.get('w2')!.value);
    for (let k = 0; k < 3; k++) {
      const row = W2.slice(k * 5, k * 5 + 5);
      Array.from(fed.subarray(k * 5, k * 5 + 5)).forEach((v, j) => expect(v, `row ${k}`).toBeCloseTo(onGrid(row, Math.fround(maxAbs(row) / 7))[j], 6));
    }
    // floatValues renames trained values back to the float model's initializers.
    const renamed = floatValues(setup, new Map(setup.bindings.map((b) => [b.name, b.value])));
    expect([...renamed.keys()].sort()).toEqual(['b1', 'b2', 'w1', 'w2']);
  });

  it('per-tensor weights share one scale; a Gemm with transB = 0 keeps its output channels on axis 1', () => {
    const perTensor = prepareQat(tinyModel(), { ...settings(), layers: { g2: spec({ granularity: 'per-tensor' }) } });
    const w2 = perTensor.bindings.find((b) => b.transform)!;
    const scale = Math.fround(maxAbs(W2) / 7);
    Array.from(w2.transform!(w2.value)).forEach((v, i) => expect(v, `w2[${i}]`).toBeCloseTo(onGrid(W2, scale)[i], 6));

    // The same layer with the weight stored [in 5, out 3] (transB = 0): channel k is column k.
    const w2t = Array.from({ length: 15 }, (_, i) => W2[(i % 3) * 5 + Math.floor(i / 3)]);
    const model = tinyModel();
    const g2 = model.graph!.node.find((n) => n.name === 'g2')!;
    g2.attribute = [];
    const init = model.graph!.initializer.find((t) => t.name === 'w2')!;
    Object.assign(init, floatTensor('w2', [5, 3], w2t));
    const setup = prepareQat(model, settings());
    const bound = setup.bindings.find((b) => b.transform)!;
    const fed = bound.transform!(bound.value);
    for (let k = 0; k < 3; k++) {
      const column = [0, 1, 2, 3, 4].map((j) => w2t[j * 3 + k]);
      const want = onGrid(column, Math.fround(maxAbs(column) / 7));
      [0, 1, 2, 3, 4].forEach((j) => expect(fed[j * 3 + k], `column ${k}`).toBeCloseTo(want[j], 6));
    }
  });

  it('a tensor read at two bit widths: one observer, both scales, the wider limit; learned scales are refused', () => {
    // h feeds g3 (8-bit float scale; written first) and g2 (4-bit power-of-two scale). Calibrated |h| <= 1.2:
    // g3's limit is 1.2 (scale 1.2 / 127), g2's po2 scale is 2^-2 (1.2 x 4 = 4.8 <= 7 < 1.2 x 8), limit 7 / 4 = 1.75.
    const model = buildModel({
      nodes: [
        node('Flatten', ['input'], ['flat'], { axis: 1 }, 'flatten'),
        node('Gemm', ['flat', 'w1', 'b1'], ['h'], { transB: 1 }, 'g1'),
        node('Gemm', ['h', 'w3'], ['z3'], { transB: 1 }, 'g3'),
        node('Gemm', ['h', 'w2', 'b2'], ['z2'], { transB: 1 }, 'g2'),
        node('Add', ['z2', 'z3'], ['logits'], {}, 'add'),
      ],
      inputs: [tensorInfo('input', ['N', 1, 2, 2])],
      outputs: [tensorInfo('logits', ['N', 3])],
      initializers: [floatTensor('w1', [5, 4], W1), floatTensor('b1', [5], B1), floatTensor('w2', [3, 5], W2), floatTensor('b2', [3], B2), floatTensor('w3', [3, 5], W2)],
      opset: 13,
    });
    const quant = { ...settings(), layers: { g3: spec({ weightBits: 8, activationBits: 8 }), g2: spec({ scale: 'po2' }) } };
    const setup = prepareQat(model, quant);
    expect(setup.observers).toHaveLength(1);
    const [o] = setup.observers;
    expect(o.tensor).toBe('h');
    expect(o.limit).toBe(1.75);
    expect(o.scales.map((s) => s.qmax).sort((a, b) => a - b)).toEqual([7, 127]);
    const po2 = o.scales.find((s) => s.qmax === 7)!;
    expect(po2.scaleOf(1.75)).toBe(0.25);
    expect(po2.scaleOf(0.9)).toBe(0.25); // the largest 2^f with limit x 2^f <= 7: 0.9 x 4 = 3.6, 0.9 x 8 = 7.2 > 7
    expect(po2.scaleOf(0.8)).toBe(0.125); // 0.8 x 8 = 6.4 <= 7, 0.8 x 16 = 12.8 > 7
    expect(new Set(o.scales.map((s) => s.name)).size).toBe(2);
    expect(() => prepareQat(model, quant, true)).toThrow('Learned activation scales need one quantizer per tensor; "h" is read at several bit widths.');
    expect(() => prepareQat(model, quant, true)).toThrow(expect.objectContaining({ code: 'bad-input', field: 'quant' }));
  });

  it('a tensor read twice at the same width: one observer with one scale, so scales can be learned', () => {
    // h feeds g3 and g2, both 4-bit with a float scale: one quantizer (limit 1.2, scale 1.2 / 7), one learned scale.
    const model = buildModel({
      nodes: [
        node('Flatten', ['input'], ['flat'], { axis: 1 }, 'flatten'),
        node('Gemm', ['flat', 'w1', 'b1'], ['h'], { transB: 1 }, 'g1'),
        node('Gemm', ['h', 'w3'], ['z3'], { transB: 1 }, 'g3'),
        node('Gemm', ['h', 'w2', 'b2'], ['z2'], { transB: 1 }, 'g2'),
        node('Add', ['z2', 'z3'], ['logits'], {}, 'add'),
      ],
      inputs: [tensorInfo('input', ['N', 1, 2, 2])],
      outputs: [tensorInfo('logits', ['N', 3])],
      initializers: [floatTensor('w1', [5, 4], W1), floatTensor('b1', [5], B1), floatTensor('w2', [3, 5], W2), floatTensor('b2', [3], B2), floatTensor('w3', [3, 5], W2)],
      opset: 13,
    });
    const quant = { ...settings(), layers: { g3: spec(), g2: spec() } };
    const setup = prepareQat(model, quant, true);
    expect(setup.observers).toHaveLength(1);
    expect(setup.observers[0].scales).toHaveLength(1);
    expect(setup.observers[0].limit).toBeCloseTo(1.2, 6);
    const learned = setup.bindings.filter((b) => b.value.length === 1);
    expect(learned).toHaveLength(1);
    expect(learned[0].value[0]).toBe(Math.fround(1.2 / 7));
  });

  it('a learned scale is fed through the layer scale rule, never below 1e-8', () => {
    const setup = prepareQat(tinyModel(), settings(), true);
    const binding = setup.bindings.find((b) => b.value.length === 1)!;
    expect(binding.value[0]).toBe(Math.fround(1.2 / 7));
    // float scale rule: scale(limit) = limit / 7, and the limit is the fed scale x 7, so a positive value comes back as it is
    expect(binding.transform!(Float32Array.of(0.25))[0]).toBeCloseTo(0.25, 7);
    // zero or negative: clamped to 1e-8 (a scale of 0 would divide by zero in the chain)
    const near = (x: number, want: number) => expect(Math.abs(x / want - 1)).toBeLessThan(1e-6);
    for (const v of [0, -0.5]) near(binding.transform!(Float32Array.of(v))[0], 1e-8);
    near(learnedLimits(setup, new Map([[binding.name, Float32Array.of(-1)]])).h, 7e-8);
  });
});
