import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DATA_MANIFEST, DEFAULT_MODEL, dataMissing, readBytes } from '../../../test/fixtures.ts';
import { EdgefoldError } from '../errors.ts';
import { loadDataset, validateManifest, type Dataset } from '../eval/dataset.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { decodeModel } from '../onnx/model.ts';
import { tensorFloat32 } from '../onnx/tensor.ts';
import { quantizeWeights } from '../quant/grid.ts';
import { augmentedBatch } from './augment.ts';
import { createOptimizer } from './optimizer.ts';
import { prepareQat } from './qat.ts';
import { retrain, DEFAULT_RETRAIN } from './retrain.ts';
import { cosineLearningRate } from './schedule.ts';
import { train, writeParameters, type TrainOptions } from './trainer.ts';

const ort = ortNode as unknown as OrtModule;
const engine = { ort, sessionOptions: { intraOpNumThreads: 1 } };
const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/train-grad');

async function split(name: string): Promise<Dataset> {
  const manifest = validateManifest(JSON.parse(readFileSync(DATA_MANIFEST, 'utf8')));
  return loadDataset(manifest, name, async (rel) => readBytes(resolve(DATA_MANIFEST, '..', rel)));
}

/** Mutation runs (MUTATION_SCOPE set) leave out whole retraining runs (seconds each, for every mutant they cover); `npm test` runs them. */
const mutationRun = Boolean(process.env.MUTATION_SCOPE);

describe('optimizers and schedule', () => {
  it('AdamW follows torch.optim.AdamW for two steps (values worked out by hand)', () => {
    const opt = createOptimizer({ name: 'adamw', weightDecay: 0.1 }, () => true);
    const p = new Map([['w', Float32Array.from([1, -2])]]);
    opt.step(p, new Map([['w', Float32Array.from([0.5, 0.5])]]), 0.01);
    // Step 1: p *= 1 - lr wd; m-hat = g, v-hat = g^2, so the update is lr * sign(g) (up to eps).
    expect(p.get('w')![0]).toBeCloseTo(1 * 0.999 - 0.01, 6);
    expect(p.get('w')![1]).toBeCloseTo(-2 * 0.999 - 0.01, 6);
    opt.step(p, new Map([['w', Float32Array.from([-0.5, 0.5])]]), 0.01);
    // Step 2, element 0: m = 0.1*0.5*0.9 - 0.1*0.5 = -0.005, m-hat = -0.005/0.19; v-hat = 0.25.
    const m = -0.005 / 0.19;
    expect(p.get('w')![0]).toBeCloseTo((0.999 - 0.01) * 0.999 - (0.01 * m) / 0.5, 6);
  });

  it('SGD with momentum and weight decay follows torch.optim.SGD', () => {
    const opt = createOptimizer({ name: 'sgd', weightDecay: 0.5, momentum: 0.9 }, (n) => n === 'w');
    const p = new Map([['w', Float32Array.from([2])], ['b', Float32Array.from([2])]]);
    const g = new Map([['w', Float32Array.from([1])], ['b', Float32Array.from([1])]]);
    opt.step(p, g, 0.1); // w: g' = 1 + 0.5*2 = 2, buf = 2, w = 1.8; b: buf = 1, b = 1.9
    opt.step(p, g, 0.1); // w: g' = 1 + 0.9 = 1.9, buf = 1.8 + 1.9 = 3.7, w = 1.43; b: buf 1.9, b = 1.71
    expect(p.get('w')![0]).toBeCloseTo(1.43, 6);
    expect(p.get('b')![0]).toBeCloseTo(1.71, 6);
  });

  it('cosine schedule starts at lr, halves mid-way and ends near 0; warm-up ramps linearly', () => {
    expect(cosineLearningRate(0, { lr: 1, totalSteps: 100 })).toBe(1);
    expect(cosineLearningRate(50, { lr: 1, totalSteps: 100 })).toBeCloseTo(0.5, 10);
    expect(cosineLearningRate(100, { lr: 1, totalSteps: 100 })).toBeCloseTo(0, 10);
    expect(cosineLearningRate(1, { lr: 1, totalSteps: 100, warmupSteps: 4 })).toBe(0.5);
  });
});

describe.skipIf(dataMissing)('augmentation', () => {
  // Mutation runs use augment.test.ts (every pixel known) instead of this real-data check.
  it.skipIf(mutationRun)('is seeded, keeps the plain image when off, shifts with zero fill, and flips', async () => {
    const data = await split('calibration');
    const zero = (0 - data.preprocessing.mean[0]) / data.preprocessing.std[0];
    const plain = augmentedBatch(data, [3], { pad: 0, flip: false }, Math.random);
    const pixel = (y: number, x: number) => (data.pixels[3 * 784 + y * 28 + x] * data.preprocessing.scale - data.preprocessing.mean[0]) / data.preprocessing.std[0];
    expect(plain[5 * 28 + 7]).toBeCloseTo(pixel(5, 7), 6);
    // A generator giving 1.0-eps then 0.0: shift dy = +2, dx = -2, flip.
    const seq = [0.999, 0, 0.1];
    const moved = augmentedBatch(data, [3], { pad: 2, flip: true }, () => seq.shift()!);
    // out[y][x] = img[y + 2][(27 - x) - 2]
    expect(moved[5 * 28 + 7]).toBeCloseTo(pixel(7, 18), 6);
    expect(moved[27 * 28 + 7]).toBeCloseTo(zero, 6); // row 29 is outside
    const a = augmentedBatch(data, [1, 2, 3], { pad: 2, flip: true }, mulberry(7));
    const b = augmentedBatch(data, [1, 2, 3], { pad: 2, flip: true }, mulberry(7));
    expect(a).toEqual(b);
  });
});

function mulberry(seed: number) {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647);
}

describe('training', () => {
  const small = decodeModel(readBytes(resolve(FIXTURES, 'bn-train.onnx')));
  const data: Dataset = {
    name: 'synthetic',
    split: 'train',
    count: 16,
    shape: [3, 11, 11],
    classes: ['a', 'b', 'c', 'd', 'e'],
    // Noise plus a class signal: class k brightens channel k % 3, classes 3 and 4 add a left-right ramp.
    pixels: Uint8Array.from({ length: 16 * 3 * 121 }, (_, i) => {
      const [image, channel, x] = [Math.floor(i / 363), Math.floor(i / 121) % 3, i % 11];
      const label = image % 5;
      return ((i * 2654435761) % 61) + (channel === label % 3 ? 120 : 0) + (label >= 3 ? 6 * x : 0);
    }),
    labels: Uint8Array.from({ length: 16 }, (_, i) => i % 5),
    preprocessing: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  };
  // One batch of 16 images seen 20 times (with a small random shift each time).
  const options: TrainOptions = {
    epochs: 20,
    batchSize: 16,
    lr: 0.01,
    optimizer: { name: 'adamw', weightDecay: 1e-4 },
    seed: 3,
    augment: { pad: 1, flip: false },
  };

  // Mutation runs: every rule it goes through has its PyTorch fixture (grad-check.test.ts) and AdamW its
  // hand-worked steps; this whole run (3 s at load 25) would be paid by every surviving mutant.
  it.skipIf(mutationRun)('reduces the loss on a small set, and the same seed gives the same weights', async () => {
    const first = await train(engine, small, data, options);
    expect(first.epochs[first.epochs.length - 1].loss).toBeLessThan(first.epochs[0].loss * 0.7);
    const again = await train(engine, small, data, options);
    for (const [name, v] of first.values) expect(again.values.get(name), name).toEqual(v);
    const other = await train(engine, small, data, { ...options, seed: 4 });
    expect(other.values.get('w_1')).not.toEqual(first.values.get('w_1'));
    // Running BN statistics moved from their initial values and went into the written model.
    const written = writeParameters(small, first.values);
    const mean = written.graph!.initializer.find((t) => t.name === 'mean_6')!;
    expect(tensorFloat32(mean)).toEqual(first.values.get('mean_6'));
    expect(first.values.get('mean_6')).not.toEqual(tensorFloat32(small.graph!.initializer.find((t) => t.name === 'mean_6')!));
  });

  it('cancels between steps with a cancelled error and leaves the model untouched', async () => {
    const controller = new AbortController();
    const before = small.graph!.initializer.map((t) => tensorFloat32(t));
    const run = train(engine, small, data, { ...options, signal: controller.signal, onProgress: () => controller.abort(), progressEvery: 1 });
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(small.graph!.initializer.map((t) => tensorFloat32(t))).toEqual(before);
  });
});

describe.skipIf(dataMissing)('QAT and retrain on the default model', () => {
  it('QAT feeds weights on the export grid and trains the float masters', async () => {
    const model = decodeModel(readBytes(DEFAULT_MODEL));
    const layer = '/blocks/blocks.3/pw/conv/Conv';
    const spec = { weightBits: 4, activationBits: null, granularity: 'per-channel' as const, scale: 'float' as const, rounding: 'half-even' as const };
    const setup = prepareQat(model, { layers: { [layer]: spec }, method: 'minmax', percentile: 99.99, format: 'float' });
    const bound = setup.bindings.find((b) => b.transform)!;
    expect(setup.floatNames.get(bound.name)).toBe('blocks.3.pw.conv.weight');
    const fed = bound.transform!(bound.value);
    const expected = quantizeWeights(bound.value, [192, 96, 1, 1], 0, 4, 'float', 'half-even').values;
    expect(fed).toEqual(expected);
    expect(new Set(Array.from(fed.subarray(0, 96))).size).toBeLessThanOrEqual(15); // at most 15 levels per channel at 4 bits
  });

  it.skipIf(mutationRun)('retrain: one short epoch of a 25 % pruned model beats no retraining, writes an ONNX the evaluator runs, and is reproducible', async () => {
    const model = decodeModel(readBytes(DEFAULT_MODEL));
    const [trainSplit, test] = await Promise.all([split('train'), split('test')]);
    const opts = { ...DEFAULT_RETRAIN, epochs: 1, limit: 512, seed: 5 };
    const input = { model, config: { version: 1, prune: { ratio: 0.25 } }, train: trainSplit, evaluation: test, evaluationLimit: 500 };
    const a = await retrain(engine, input, opts);
    expect(a.accuracy!.after.top1).toBeGreaterThan(a.accuracy!.before.top1 + 0.1);
    expect(a.accuracy!.after.n).toBe(500);
    const b = await retrain(engine, { ...input, evaluation: undefined }, opts);
    expect(b.sha256).toBe(a.sha256);
  }, 120_000);

  it.skipIf(mutationRun)('retrain --qat (W4A4) exports weights on the 4-bit grid with the calibrated activation quantizers', async () => {
    const model = decodeModel(readBytes(DEFAULT_MODEL));
    const [trainSplit, calibration] = await Promise.all([split('train'), split('calibration')]);
    const config = { version: 1, quant: { weightBits: 4, activationBits: 4, calibration: { images: 200 } } };
    const r = await retrain(engine, { model, config, train: trainSplit, calibration }, { ...DEFAULT_RETRAIN, epochs: 1, limit: 256, qat: true, lr: 1e-3, activationRanges: 'fixed' });
    const layers = r.quant!.layers;
    expect(layers.length).toBe(14);
    const inits = new Map(r.model.graph!.initializer.map((t) => [t.name, t]));
    for (const layer of layers) {
      const node = r.model.graph!.node.find((n) => n.name === layer.layer)!;
      const w = inits.get(node.input[1])!;
      const values = tensorFloat32(w);
      // Conv and Gemm(transB) weights have output channels first: value / channel scale is an integer in [-8, 7].
      const perChannel = values.length / layer.weightScales.length;
      let worst = 0;
      values.forEach((v, i) => {
        const q = v / layer.weightScales[Math.floor(i / perChannel)];
        worst = Math.max(worst, Math.abs(q - Math.round(q)));
        expect(q).toBeGreaterThanOrEqual(-8.001);
        expect(q).toBeLessThanOrEqual(7.001);
      });
      expect(worst, layer.layer).toBeLessThan(1e-4);
      expect(layer.activation?.bits).toBe(4);
    }
    expect(r.model.graph!.node.filter((n) => n.opType === 'Round').length).toBe(14);
  }, 120_000);

  it.skipIf(mutationRun)('retrain refuses --qat without a quant section', async () => {
    const model = decodeModel(readBytes(DEFAULT_MODEL));
    const trainSplit = await split('calibration');
    await expect(retrain(engine, { model, config: { version: 1 }, train: trainSplit }, { ...DEFAULT_RETRAIN, qat: true })).rejects.toBeInstanceOf(EdgefoldError);
  });
});
