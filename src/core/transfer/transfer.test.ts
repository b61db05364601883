import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { mulberry32 } from '../data/random.ts';
import { Graph } from '../graph/graph.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/model.ts';
import { floatTensor, tensorValues } from '../onnx/tensor.ts';
import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema } from 'onnx-buf';
import { DataType } from '../onnx/tensor.ts';
import { biasCorrect, channelMeans } from './bias-correction.ts';
import { extractFeatures } from './features.ts';
import { findHead } from './head.ts';
import { refitHead } from './refit.ts';
import { scoreHead, trainSoftmaxRegression, type TrainResult } from './softmax.ts';
import { modelClassNames } from './write-head.ts';

const uniform = (random: () => number, n: number, scale = 1) => Array.from({ length: n }, () => (random() * 2 - 1) * scale);

/** 4x4 images, class c has a bright quadrant c over dim noise. */
function quadrantData(n: number, seed: number, classes = 4): Dataset {
  const random = mulberry32(seed);
  const pixels = new Uint8Array(n * 16);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    for (let p = 0; p < 16; p++) {
      const quadrant = (Math.floor(p / 8) << 1) | (p % 4 >= 2 ? 1 : 0);
      pixels[i * 16 + p] = quadrant === c ? 120 + Math.floor(random() * 100) : Math.floor(random() * 90);
    }
  }
  return {
    name: 'quadrants',
    split: 'all',
    count: n,
    shape: [1, 4, 4],
    classes: ['tl', 'tr', 'bl', 'br'].slice(0, classes),
    pixels,
    labels,
    preprocessing: { scale: 1 / 255, mean: [0.2], std: [0.3] },
  };
}

/** Flatten -> MatMul + Add -> Relu (8 features: 4 quadrant means, 4 random) -> head (2 outputs) -> Softmax. */
function featureNet(head: 'gemm' | 'matmul'): { model: ModelProto; w1: number[]; b1: number[] } {
  const random = mulberry32(7);
  const w1 = new Array<number>(16 * 8).fill(0);
  for (let p = 0; p < 16; p++) {
    const quadrant = (Math.floor(p / 8) << 1) | (p % 4 >= 2 ? 1 : 0);
    w1[p * 8 + quadrant] = 0.25;
    for (let h = 4; h < 8; h++) w1[p * 8 + h] = (random() * 2 - 1) * 0.5;
  }
  const b1 = [0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2];
  const headNodes =
    head === 'gemm'
      ? [node('Gemm', ['h', 'w2', 'b2'], ['logits'], {}, 'fc')]
      : [node('MatMul', ['h', 'w2'], ['mm'], {}, 'fc'), node('Add', ['mm', 'b2'], ['logits'], {}, 'fc_bias')];
  const model = buildModel({
    inputs: [tensorInfo('x', ['N', 1, 4, 4])],
    outputs: [tensorInfo('prob', ['N', 2])],
    valueInfo: [tensorInfo('logits', ['N', 2])],
    initializers: [floatTensor('w1', [16, 8], w1), floatTensor('b1', [8], b1), floatTensor('w2', [8, 2], uniform(random, 16)), floatTensor('b2', [2], [0, 0])],
    nodes: [
      node('Flatten', ['x'], ['f']),
      node('MatMul', ['f', 'w1'], ['m1']),
      node('Add', ['m1', 'b1'], ['a1']),
      node('Relu', ['a1'], ['h']),
      ...headNodes,
      node('Softmax', ['logits'], ['prob'], { axis: 1 }),
    ],
  });
  return { model, w1, b1 };
}

describe('classifier head', () => {
  it('finds the last Gemm / MatMul (+ bias Add) feeding an output, and extracts its input features with onnxruntime', async () => {
    const { model, w1, b1 } = featureNet('gemm');
    expect(findHead(new Graph(model))).toEqual({ node: 'fc', op: 'Gemm', featureTensor: 'h', features: 8, outputs: 2, logitsTensor: 'logits' });
    expect(findHead(new Graph(featureNet('matmul').model))).toMatchObject({ op: 'MatMul', logitsTensor: 'logits', biasAdd: 'fc_bias' });
    expect(() => findHead(new Graph(buildModel({ inputs: [tensorInfo('x', ['N', 2])], outputs: [tensorInfo('y', ['N', 2])], nodes: [node('Relu', ['x'], ['y'])] })))).toThrow(
      /no classifier head/,
    );

    const data = quadrantData(10, 1);
    const progress: number[] = [];
    const set = await extractFeatures(ort, encodeModel(model), data, { batchSize: 4, onProgress: (p) => progress.push(p.done) });
    expect(set).toMatchObject({ count: 10, dim: 8 });
    expect(progress).toEqual([0, 4, 8, 10]);
    const x = batchTensor(data, 0, 10);
    for (let i = 0; i < 10; i++) {
      for (let h = 0; h < 8; h++) {
        let s = b1[h];
        for (let p = 0; p < 16; p++) s += x[i * 16 + p] * w1[p * 8 + h];
        expect(set.features[i * 8 + h]).toBeCloseTo(Math.max(0, s), 5);
      }
    }
  });

  it.each(['gemm', 'matmul'] as const)('re-fits a %s head to 4 new classes: new output size, verified in onnxruntime', async (kind) => {
    const { model } = featureNet(kind);
    const training = quadrantData(160, 2);
    const validation = { ...quadrantData(80, 3), split: 'validation' };
    const phases = new Set<string>();
    const result = await refitHead(ort, encodeModel(model), { training, validation }, { onProgress: (p) => phases.add(p.phase) });
    expect([...phases]).toEqual(['features', 'training', 'verifying']);
    expect(result.converged).toBe(true);
    expect(result.head).toMatchObject({ classes: 4, features: 8 });
    expect(result.validation!.accuracy).toBeGreaterThanOrEqual(0.95);
    // the written model scores exactly as the trained head does on the same features
    const score = scoreHead(result.head, result.features.validation!.features, result.features.validation!.labels);
    expect(result.verified!.n).toBe(80);
    expect(Math.abs(result.verified!.top1 - score.accuracy)).toBeLessThanOrEqual(1 / 80);
    expect(result.verified!.top1).toBeCloseTo(result.validation!.accuracy, 5);

    const written = decodeModel(result.modelBytes);
    const g = new Graph(written);
    expect(findHead(g)).toMatchObject({ node: 'fc', op: 'Gemm', outputs: 4, features: 8, logitsTensor: 'logits' });
    expect(g.nodes.map((n) => n.op)).toEqual(['Flatten', 'MatMul', 'Add', 'Relu', 'Gemm', 'Softmax']);
    expect(g.initializers.has('w2')).toBe(false);
    expect(g.declaredShapes.get('prob')).toEqual([null, 4]);
    expect(g.declaredShapes.get('logits')).toEqual([null, 4]);
    expect(modelClassNames(written)).toEqual(['tl', 'tr', 'bl', 'br']);
    const session = await ort.InferenceSession.create(result.modelBytes);
    const out = await session.run({ x: new ort.Tensor('float32', batchTensor(validation, 0, 3), [3, 1, 4, 4]) });
    expect(out.prob.dims).toEqual([3, 4]);
    await session.release();
  });

  it('cancelling training rejects with "cancelled" and returns no head', async () => {
    const { model } = featureNet('gemm');
    const controller = new AbortController();
    const seen: number[] = [];
    const run = refitHead(ort, encodeModel(model), { training: quadrantData(80, 4) }, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'training') {
          seen.push(p.iteration);
          if (p.iteration === 2) controller.abort();
        }
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(Math.max(...seen)).toBe(2);
  });
});

describe('softmax regression', () => {
  /** Three Gaussian blobs in 5-D with overlap, so the optimum is not at infinity. */
  function blobs(n: number, seed: number) {
    const random = mulberry32(seed);
    const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    const features = new Float32Array(n * 5);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let j = 0; j < 5; j++) features[i * 5 + j] = (j === labels[i] ? 1.5 : 0) + 3 * j + gauss() * (1 + j);
    }
    return { features, labels };
  }
  /** The objective, computed independently: mean CE + λ/2 |W_std|^2 with W_std = W_raw * std. */
  function objective(result: TrainResult, features: Float32Array, labels: Int32Array, lambda: number, dw?: Float64Array, db?: Float64Array) {
    const { weight, bias, classes: k, features: d } = result.head;
    const { mean, std } = result.standardization;
    // work in standardised coordinates so perturbations are well scaled
    const ws = Float64Array.from(weight, (w, i) => w * std[i % d] + (dw?.[i] ?? 0));
    const bs = Float64Array.from({ length: k }, (_, c) => {
      let b = bias[c];
      for (let j = 0; j < d; j++) b += weight[c * d + j] * mean[j];
      return b + (db?.[c] ?? 0);
    });
    let ce = 0;
    for (let i = 0; i < labels.length; i++) {
      const s = Array.from({ length: k }, (_, c) => {
        let v = bs[c];
        for (let j = 0; j < d; j++) v += ws[c * d + j] * ((features[i * d + j] - mean[j]) / std[j]);
        return v;
      });
      const m = Math.max(...s);
      ce += Math.log(s.reduce((a, v) => a + Math.exp(v - m), 0)) + m - s[labels[i]];
    }
    return ce / labels.length + (lambda / 2) * ws.reduce((a, v) => a + v * v, 0);
  }

  it('L-BFGS reaches the minimum (no random perturbation lowers the objective) and is deterministic', async () => {
    const { features, labels } = blobs(300, 11);
    const lambda = 0.01;
    const a = await trainSoftmaxRegression(features, labels, 3, { weightDecay: lambda });
    const b = await trainSoftmaxRegression(features, labels, 3, { weightDecay: lambda });
    expect(a.converged).toBe(true);
    expect(Array.from(a.head.weight)).toEqual(Array.from(b.head.weight));
    const best = objective(a, features, labels, lambda);
    expect(best).toBeCloseTo(a.objective, 5);
    const random = mulberry32(5);
    for (let t = 0; t < 20; t++) {
      const dw = Float64Array.from(uniform(random, 15, 0.05));
      const db = Float64Array.from(uniform(random, 3, 0.05));
      expect(objective(a, features, labels, lambda, dw, db)).toBeGreaterThan(best);
    }
    // mini-batch Adam gets close to the same objective
    const adam = await trainSoftmaxRegression(features, labels, 3, { weightDecay: lambda, optimizer: 'adam', maxIterations: 150, learningRate: 0.02, batchSize: 32, seed: 3 });
    expect(adam.objective - best).toBeGreaterThanOrEqual(-1e-9);
    expect(adam.objective - best).toBeLessThan(5e-3);
    // stronger weight decay shrinks the weights
    const strong = await trainSoftmaxRegression(features, labels, 3, { weightDecay: 1 });
    const norm = (r: TrainResult) => r.head.weight.reduce((s, w, i) => s + (w * r.standardization.std[i % 5]) ** 2, 0);
    expect(norm(strong)).toBeLessThan(norm(a) / 2);
  });

  it('reports train and validation curves, and rejects bad labels', async () => {
    const { features, labels } = blobs(120, 12);
    const val = blobs(60, 13);
    const curve: number[] = [];
    const r = await trainSoftmaxRegression(features, labels, 3, { validation: val, maxIterations: 15, onProgress: (p) => curve.push(p.valAccuracy!) });
    expect(r.history).toHaveLength(r.iterations + 1);
    expect(curve).toHaveLength(r.history.length);
    expect(r.history[0].trainLoss).toBeCloseTo(Math.log(3), 6);
    expect(r.history.at(-1)!.trainLoss).toBeLessThan(r.history[0].trainLoss);
    expect(r.validation!.accuracy).toBeGreaterThan(0.5);
    await expect(trainSoftmaxRegression(features, Int32Array.from(labels, (l) => (l === 2 ? 3 : l)), 3)).rejects.toThrow(/label 3 at index 2 is out of range/);
    await expect(trainSoftmaxRegression(features, labels, 1)).rejects.toThrow(/at least two classes/);
  });
});

describe('bias correction', () => {
  const random = mulberry32(21);
  const c1w = uniform(random, 4 * 9, 0.6);
  const c1b = uniform(random, 4, 0.1);
  const c2w = uniform(random, 3 * 4, 0.8);
  const c2b = uniform(random, 3, 0.1);
  const fcw = uniform(random, 2 * 3, 1);
  const fcb = [0.05, -0.05];
  /** 3-bit symmetric weights with floor rounding: a systematic shift like a careless quantizer. */
  const crush = (w: number[]) => {
    const s = Math.max(...w.map(Math.abs)) / 3;
    return w.map((v) => Math.floor(v / s) * s);
  };
  type Bias = { kind: 'float'; values: number[] } | { kind: 'none' } | { kind: 'dq'; values: number[]; scale: number };
  function net(weights: { c1: number[]; c2: number[]; fc: number[] }, c1Bias: Bias = { kind: 'float', values: c1b }, c1Out = 4, c2Bias: Bias = { kind: 'float', values: c2b }) {
    const init = [floatTensor('c1w', [c1Out, 1, 3, 3], weights.c1), floatTensor('c2w', [3, c1Out, 1, 1], weights.c2), floatTensor('fcw', [2, 3], weights.fc), floatTensor('fcb', [2], fcb)];
    const extra = [];
    let c1BiasInput = '';
    if (c1Bias.kind === 'float') {
      init.push(floatTensor('c1b', [c1Out], c1Bias.values));
      c1BiasInput = 'c1b';
    } else if (c1Bias.kind === 'dq') {
      const q = Int32Array.from(c1Bias.values, (v) => Math.round(v / c1Bias.scale));
      init.push(create(TensorProtoSchema, { name: 'c1bq', dims: [BigInt(c1Out)], dataType: DataType.INT32, rawData: new Uint8Array(q.buffer) }), floatTensor('c1bs', [], [c1Bias.scale]));
      extra.push(node('DequantizeLinear', ['c1bq', 'c1bs'], ['c1b_dq'], {}, 'c1b_dq'));
      c1BiasInput = 'c1b_dq';
    }
    if (c2Bias.kind === 'float') init.push(floatTensor('c2b', [3], c2Bias.values));
    return encodeModel(
      buildModel({
        inputs: [tensorInfo('x', ['N', 1, 6, 6])],
        outputs: [tensorInfo('y', ['N', 2])],
        initializers: init,
        nodes: [
          ...extra,
          node('Conv', ['x', 'c1w', ...(c1BiasInput ? [c1BiasInput] : [])], ['c1o'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'c1'),
          node('Relu', ['c1o'], ['r1']),
          node('Conv', ['r1', 'c2w', ...(c2Bias.kind === 'float' ? ['c2b'] : [])], ['c2o'], { kernel_shape: [1, 1] }, 'c2'),
          node('Relu', ['c2o'], ['r2']),
          node('GlobalAveragePool', ['r2'], ['g']),
          node('Flatten', ['g'], ['f']),
          node('Gemm', ['f', 'fcw', 'fcb'], ['y'], { transB: 1 }, 'fc'),
        ],
      }),
    );
  }
  const data: Dataset = {
    name: 'noise',
    split: 'calibration',
    count: 64,
    shape: [1, 6, 6],
    classes: ['a', 'b'],
    pixels: Uint8Array.from({ length: 64 * 36 }, () => Math.floor(random() * 256)),
    labels: new Uint8Array(64),
    preprocessing: { scale: 1 / 255, mean: [0.5], std: [0.5] },
  };
  const floatBytes = net({ c1: c1w, c2: c2w, fc: fcw });
  const crushed = { c1: crush(c1w), c2: crush(c2w), fc: crush(fcw) };

  it('layer by layer, brings every layer output mean back to the float model (DFQ / AIMET style)', async () => {
    const result = await biasCorrect(ort, floatBytes, net(crushed), data, { batchSize: 16 });
    expect(result.layers.map((l) => [l.layer, l.applied])).toEqual([
      ['c1', true],
      ['c2', true],
      ['fc', true],
    ]);
    expect(result.runs).toBe(5);
    for (const layer of result.layers) {
      expect(layer.before!.meanAbs).toBeGreaterThan(0.005);
      expect(layer.after!.maxAbs).toBeLessThan(1e-4);
    }
    // an independent measurement on the corrected model agrees with the float model
    const floatMeans = await channelMeans(ort, decodeModel(floatBytes), data, ['c1o', 'c2o', 'y']);
    const fixedMeans = await channelMeans(ort, decodeModel(result.modelBytes), data, ['c1o', 'c2o', 'y']);
    for (const t of ['c1o', 'c2o', 'y']) {
      const f = floatMeans.get(t)!;
      const c = fixedMeans.get(t)!;
      f.forEach((v, i) => expect(c[i]).toBeCloseTo(v, 4));
    }
    // all at once: one measurement; the first layer is exact, later ones only approximately
    const once = await biasCorrect(ort, floatBytes, net(crushed), data, { mode: 'all-at-once' });
    expect(once.runs).toBe(3);
    expect(once.layers[0].after!.maxAbs).toBeLessThan(1e-4);
  });

  it('adds a missing bias, adjusts an int32 DequantizeLinear bias, and leaves a pruned layer alone unless given a channel map', async () => {
    const noBias = await biasCorrect(ort, floatBytes, net(crushed, { kind: 'float', values: c1b }, 4, { kind: 'none' }), data);
    expect(noBias.layers[1]).toMatchObject({ layer: 'c2', applied: true });
    expect(noBias.layers[1].after!.maxAbs).toBeLessThan(1e-4);
    expect(new Graph(decodeModel(noBias.modelBytes)).node('c2')!.inputs[2]).toBe('c2.bias_corrected');

    const scale = 0.001;
    const dq = await biasCorrect(ort, floatBytes, net(crushed, { kind: 'dq', values: c1b, scale }), data, { layers: ['c1'] });
    expect(dq.layers).toHaveLength(1);
    expect(dq.layers[0].applied).toBe(true);
    expect(dq.layers[0].after!.maxAbs).toBeLessThanOrEqual(scale / 2 + 1e-5);
    const q = new Graph(decodeModel(dq.modelBytes)).initializers.get('c1bq')!;
    expect(q.dataType).toBe(DataType.INT32);
    expect(Array.from(tensorValues(q))).not.toEqual(c1b.map((v) => Math.round(v / scale)));

    // pruned: channel 2 of c1 removed (and the matching input of c2)
    const keep = [0, 1, 3];
    const pruned = {
      c1: keep.flatMap((c) => crushed.c1.slice(c * 9, c * 9 + 9)),
      c2: [0, 1, 2].flatMap((o) => keep.map((c) => crushed.c2[o * 4 + c])),
      fc: crushed.fc,
    };
    const prunedBytes = net(pruned, { kind: 'float', values: keep.map((c) => c1b[c]) }, 3);
    const without = await biasCorrect(ort, floatBytes, prunedBytes, data);
    expect(without.layers[0]).toMatchObject({ layer: 'c1', applied: false });
    expect(without.layers[0].reason).toMatch(/3 channels, the float layer 4 \(pruned\?\)/);
    expect(without.layers[1].applied).toBe(true);
    const withMap = await biasCorrect(ort, floatBytes, prunedBytes, data, { channelMaps: { c1: keep } });
    expect(withMap.layers[0].applied).toBe(true);
    expect(withMap.layers[0].after!.maxAbs).toBeLessThan(1e-4);
    await expect(biasCorrect(ort, floatBytes, prunedBytes, data, { layers: ['nope'] })).rejects.toThrow(/layer "nope" is not a Conv or Gemm/);
  });
});
