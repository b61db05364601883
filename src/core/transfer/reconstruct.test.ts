import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, defaultModelMissing, readBytes } from '../../../test/fixtures.ts';
import { applyConfig, calibrateConfig, type CompressionConfig } from '../config/compression.ts';
import { batchTensor, loadDataset, validateManifest, type Dataset } from '../eval/dataset.ts';
import { Graph } from '../graph/graph.ts';
import { buildModel, node, tensorInfo } from '../onnx/builder.ts';
import { cloneModel, decodeModel, encodeModel } from '../onnx/model.ts';
import { floatTensor } from '../onnx/tensor.ts';
import { residualModel, randomValues, runOnce, seeded } from '../prune/testing.ts';
import { ortBatchSource } from '../quant/ort-calibration.ts';
import { cutAt } from './graph-edit.ts';
import { channelMapsFor, localRecoveryEngines, recoverCompressed } from './recover.ts';
import { productsModel, reconstruct } from './reconstruct.ts';
import { RidgeAccumulator } from './ridge.ts';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

/** Random images in [0, 1) through the given preprocessing (uint8 pixels). */
function noise(n: number, shape: [number, number, number], seed: number, split = 'calibration'): Dataset {
  const random = seeded(seed);
  const size = shape[0] * shape[1] * shape[2];
  return {
    name: 'noise',
    split,
    count: n,
    shape,
    classes: Array.from({ length: 10 }, (_, i) => `c${i}`),
    pixels: Uint8Array.from({ length: n * size }, () => Math.floor(random() * 256)),
    labels: new Uint8Array(n),
    preprocessing: { scale: 1 / 255, mean: Array(shape[0]).fill(0.5), std: Array(shape[0]).fill(0.25) },
  };
}

/**
 * A linear network: x[N,3,4,4] -> Conv1x1 a (3 -> 6) -> Conv1x1 b (6 -> 5) -> GlobalAveragePool
 * -> Flatten -> Gemm fc (5 -> 4). Every tensor is an affine function of x, so after pruning a and b
 * to 3 channels each (generic: x is recoverable from them), b and fc can match the unpruned
 * outputs exactly.
 */
function linearModel() {
  const r = seeded(11);
  const w = (name: string, dims: number[]) => floatTensor(name, dims, randomValues(r, dims.reduce((p, d) => p * d, 1), 0.8));
  return buildModel({
    name: 'linear',
    inputs: [tensorInfo('x', ['N', 3, 4, 4])],
    outputs: [tensorInfo('y', ['N', 4])],
    initializers: [w('a.w', [6, 3, 1, 1]), w('a.b', [6]), w('b.w', [5, 6, 1, 1]), w('b.b', [5]), w('fc.w', [4, 5]), w('fc.b', [4])],
    nodes: [
      node('Conv', ['x', 'a.w', 'a.b'], ['h'], { kernel_shape: [1, 1] }, 'a'),
      node('Conv', ['h', 'b.w', 'b.b'], ['g'], { kernel_shape: [1, 1] }, 'b'),
      node('GlobalAveragePool', ['g'], ['p']),
      node('Flatten', ['p'], ['f'], { axis: 1 }),
      node('Gemm', ['f', 'fc.w', 'fc.b'], ['y'], { transB: 1 }, 'fc'),
    ],
  });
}

const relativeError = (a: Float32Array, b: Float32Array) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

describe('layer-wise least-squares reconstruction', () => {
  it('the onnxruntime products equal the normal equations summed sample by sample', async () => {
    const random = seeded(5);
    const [n, c, k, hw] = [3, 4, 6, 5];
    const x = Float32Array.from({ length: n * c * hw }, () => (random() < 0.4 ? 0 : random()));
    const y = Float32Array.from({ length: n * k * hw }, () => random() - 0.5);
    const map = [4, 0, 2];
    const session = await ort.InferenceSession.create(encodeModel(productsModel(c, map)));
    const p = await session.run({ x: new ort.Tensor('float32', x, [n, c, hw]), y: new ort.Tensor('float32', y, [n, k, hw]) });
    await session.release();
    const fromProducts = new RidgeAccumulator(c, map.length);
    fromProducts.addProducts({ xx: p.xx.data as Float32Array, xy: p.xy.data as Float32Array, x: p.xs.data as Float32Array, y: p.ys.data as Float32Array, yy: p.yy.data as Float32Array }, n, n * hw);
    const direct = new RidgeAccumulator(c, map.length);
    const xs = Array.from({ length: c }, (_, ch) => Float32Array.from({ length: n * hw }, (_, s) => x[(Math.floor(s / hw) * c + ch) * hw + (s % hw)]));
    const ys = map.map((ch) => Float32Array.from({ length: n * hw }, (_, s) => y[(Math.floor(s / hw) * k + ch) * hw + (s % hw)]));
    direct.add(xs, ys, n * hw);
    for (let i = 0; i < c + 1; i++) for (let j = i; j < c + 1; j++) expect(fromProducts.gram[i * (c + 1) + j]).toBeCloseTo(direct.gram[i * (c + 1) + j], 5);
    for (let i = 0; i < direct.cross.length; i++) expect(fromProducts.cross[i]).toBeCloseTo(direct.cross[i], 5);
    for (let i = 0; i < map.length; i++) expect(fromProducts.yy[i]).toBeCloseTo(direct.yy[i], 5);
    expect(fromProducts.samples).toBe(direct.samples);
  });

  it('recovers the unpruned output of a linear network exactly', async () => {
    const model = linearModel();
    const floatBytes = encodeModel(model);
    const config: CompressionConfig = { version: 1, layers: { a: { prune: { keep: 3 } }, b: { prune: { keep: 3 } } } };
    const pruned = applyConfig(model, config);
    const calibration = noise(40, [3, 4, 4], 1);
    const result = await reconstruct(ort, floatBytes, pruned.bytes, calibration, { channelMaps: channelMapsFor(model, config), ridge: 0 });
    expect(result.layers.map((l) => [l.layer, l.inputs, l.floatInputs, l.outputs, l.applied])).toEqual([
      ['b', 3, 6, 3, true],
      ['fc', 3, 5, 4, true],
    ]);
    expect(result.images).toBe(40);
    for (const l of result.layers) {
      expect(l.errorBefore!).toBeGreaterThan(0.05);
      expect(l.errorAfter!).toBeLessThan(1e-5); // float32 data: exact up to rounding
    }
    // on images it never saw, the reconstructed model computes the unpruned model's outputs
    const test = noise(20, [3, 4, 4], 2, 'test');
    const input = batchTensor(test, 0, 20);
    const reference = (await runOnce(ort, floatBytes, input, [20, 3, 4, 4])).y;
    const before = (await runOnce(ort, pruned.bytes, input, [20, 3, 4, 4])).y;
    const after = (await runOnce(ort, result.modelBytes, input, [20, 3, 4, 4])).y;
    expect(relativeError(before, reference)).toBeGreaterThan(0.1);
    expect(relativeError(after, reference)).toBeLessThan(1e-4);
  });

  it('fits conv + BatchNorm as one map, writes new and unshared biases, and says what it cannot do', async () => {
    const model = residualModel();
    const floatBytes = encodeModel(model);
    const config: CompressionConfig = { version: 1, prune: { ratio: 0.5 } };
    const pruned = applyConfig(model, config);
    const calibration = noise(80, [3, 8, 8], 3);
    const maps = channelMapsFor(model, config);
    const result = await reconstruct(ort, floatBytes, pruned.bytes, calibration, { channelMaps: maps });
    const byLayer = new Map(result.layers.map((l) => [l.layer, l]));
    // pw reads the pruned depthwise output and is followed by BN; left / right share one bias; mix reads the Concat; fc the pooled features
    expect([...byLayer.keys()]).toEqual(['pw', 'left', 'right', 'mix', 'fc']);
    for (const l of result.layers) {
      expect(l.applied, `${l.layer}: ${l.reason}`).toBe(true);
      expect(l.errorAfter!).toBeLessThan(l.errorBefore!);
    }
    const out = decodeModel(result.modelBytes);
    const graph = new Graph(out);
    // pw had no bias: it gets one; the shared bias of left / right is not shared any more; BN nodes stay
    expect(graph.node('pw')!.inputs[2]).toBeTruthy();
    expect(graph.node('left')!.inputs[2]).not.toBe(graph.node('right')!.inputs[2]);
    expect(graph.nodes.filter((n) => n.op === 'BatchNormalization')).toHaveLength(3);
    // the reported error is what the written model does: pw's BN output against the float model's
    const pwError = async (bytes: Uint8Array, tensor: string, map?: number[]) => {
      const cut = cloneModel(decodeModel(bytes));
      cutAt(cut, [tensor]);
      return (await runOnce(ort, encodeModel(cut), batchTensor(calibration, 0, 80), [80, 3, 8, 8], 'disabled'))[tensor].slice().filter((_, i) => !map || map.includes(Math.floor(i / 64) % 8));
    };
    const target = await pwError(floatBytes, 'bp', maps.pw);
    const fitted = await pwError(result.modelBytes, 'bp');
    let residual = 0;
    let variation = 0;
    const channels = maps.pw.length;
    for (let ch = 0; ch < channels; ch++) {
      const values = Array.from({ length: 80 * 64 }, (_, s) => target[(Math.floor(s / 64) * channels + ch) * 64 + (s % 64)]);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      values.forEach((v, s) => {
        residual += (fitted[(Math.floor(s / 64) * channels + ch) * 64 + (s % 64)] - v) ** 2;
        variation += (v - mean) ** 2;
      });
    }
    expect(residual / variation).toBeCloseTo(byLayer.get('pw')!.errorAfter!, 3);
    // and the whole model moves towards the unpruned one
    const input = batchTensor(calibration, 0, 80);
    const reference = (await runOnce(ort, floatBytes, input, [80, 3, 8, 8])).y;
    const before = relativeError((await runOnce(ort, pruned.bytes, input, [80, 3, 8, 8])).y, reference);
    const after = relativeError((await runOnce(ort, result.modelBytes, input, [80, 3, 8, 8])).y, reference);
    expect(after).toBeLessThan(0.7 * before);
    // cancelling throws
    const controller = new AbortController();
    controller.abort();
    await expect(reconstruct(ort, floatBytes, pruned.bytes, calibration, { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
    await expect(reconstruct(ort, floatBytes, pruned.bytes, calibration, { layers: ['nope'] })).rejects.toThrow(/"nope" is not a Conv/);
    // a strided or 3x3 conv named explicitly is reported, not touched
    const named = await reconstruct(ort, floatBytes, pruned.bytes, calibration, { layers: ['dw'] });
    expect(named.layers[0]).toMatchObject({ layer: 'dw', applied: false, reason: expect.stringMatching(/not a pointwise conv/) });
  });

  it('puts reconstructed layers of a quantized design back on their grids (weights and biases)', async () => {
    const model = residualModel();
    const floatBytes = encodeModel(model);
    const config: CompressionConfig = { version: 1, prune: { ratio: 0.25 }, quant: { weightBits: 6, activationBits: 8 } };
    const calibration = noise(60, [3, 8, 8], 4);
    const stats = await calibrateConfig(model, config, ortBatchSource(ort, calibration, [null, 3, 8, 8], { batchSize: 30 }));
    const compressed = applyConfig(model, config, stats);
    const progress: number[] = [];
    const result = await recoverCompressed(
      localRecoveryEngines(ort),
      { floatBytes, compressedBytes: compressed.bytes, config, quantReport: compressed.report.quant, calibration },
      { steps: ['reconstruct'], onProgress: (p) => progress.push(p.done / (p.total || 1)) },
    );
    const [step] = result.steps;
    expect(step.step).toBe('reconstruct');
    expect(step.layersReconstructed).toBeGreaterThanOrEqual(4);
    expect(step.meanErrorAfter!).toBeLessThan(step.meanErrorBefore!);
    expect(step.ridge).toBe(1e-3);
    expect(step.data).toMatchObject({ split: 'calibration', images: 60 });
    expect(progress.at(-1)).toBe(1);
    const graph = new Graph(decodeModel(result.modelBytes));
    const activation = new Map(compressed.report.quant!.layers.map((l) => [l.layer, l.activation!.scale]));
    for (const layer of result.reconstruction!.filter((l) => l.applied)) {
      const node = graph.node(layer.layer)!;
      const w = graph.constant(node.inputs[1])!;
      const b = graph.constant(node.inputs[2])!;
      const rows = w.dims[0];
      const perRow = w.values.length / rows;
      expect(layer.weightScales).toHaveLength(rows);
      expect(layer.biasOnGrid).toBe(true);
      for (let k = 0; k < rows; k++) {
        const scale = layer.weightScales![k];
        for (let i = 0; i < perRow; i++) {
          const q = w.values[k * perRow + i] / scale;
          expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-3);
          expect(Math.abs(Math.round(q))).toBeLessThanOrEqual(31);
        }
        const lsb = Math.fround(activation.get(layer.layer)! * scale);
        expect(Math.abs(b.values[k] / lsb - Math.round(b.values[k] / lsb))).toBeLessThan(1e-2);
      }
    }

    // all steps: reconstruction first, then bias correction against the original model (what reconstruction matched)
    const all = await recoverCompressed(
      localRecoveryEngines(ort),
      { floatBytes, compressedBytes: compressed.bytes, config, quantReport: compressed.report.quant, calibration, training: calibration },
      { refit: { maxIterations: 20 } },
    );
    expect(all.steps.map((s) => s.step)).toEqual(['reconstruct', 'bias-correction', 'head-refit']);
    expect(all.steps[1].reference).toMatch(/^original float model/);
    expect(all.steps[0].modelSha256).not.toBe(all.steps[1].modelSha256);
  });

  it.skipIf(defaultModelMissing)('brings the default model pruned 25 % (L1) back from ~16 % to far above', async () => {
    const manifest = validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
    const read = async (p: string) => readBytes(resolve(dirname(DATA_MANIFEST), p));
    const calibration = await loadDataset(manifest, 'calibration', read);
    const test = await loadDataset(manifest, 'test', read);
    const floatBytes = readBytes(DEFAULT_MODEL);
    const config: CompressionConfig = { version: 1, prune: { criterion: 'l1', ratio: 0.25 } };
    const compressed = applyConfig(decodeModel(floatBytes), config);
    // a quarter of the calibration split and a tenth of the test set keep this test short
    const result = await recoverCompressed(
      localRecoveryEngines(ort, test, { limit: 1000 }),
      { floatBytes, compressedBytes: compressed.bytes, config, quantReport: null, calibration },
      { steps: ['reconstruct'], reconstruct: { limit: 250 } },
    );
    const [step] = result.steps;
    expect(step.layersReconstructed).toBe(7); // six pointwise convs and the classifier
    expect(result.compressed!.top1).toBeLessThan(0.25);
    expect(step.accuracyAfter!.images).toBe(1000);
    expect(step.accuracyAfter!.top1).toBeGreaterThan(0.85);
  }, 120_000);
});
