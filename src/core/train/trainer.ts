/**
 * The training loop: seeded shuffling and augmentation, one generated-graph step per batch on
 * onnxruntime, the optimizer and learning-rate schedule in TypeScript on Float32Arrays,
 * knowledge distillation from a teacher runner, running BatchNormalization statistics, progress
 * with time left, and cancellation between steps (the caller's model is never modified).
 */
import { nextMacrotask } from '../yield.ts';
import type * as Ort from 'onnxruntime-web';
import type { ModelProto } from 'onnx-buf';
import { mulberry32, shuffleInPlace, subSeed } from '../data/random.ts';
import { throwIfAborted } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';
import type { InferenceRunner } from '../eval/evaluate.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { cloneModel } from '../onnx/model.ts';
import { floatTensor, tensorDims, tensorFloat32 } from '../onnx/tensor.ts';
import { augmentedBatch, type AugmentOptions } from './augment.ts';
import type { DistillationOptions } from './loss.ts';
import { createOptimizer, type OptimizerOptions } from './optimizer.ts';
import { cosineLearningRate } from './schedule.ts';
import { createTrainingSession } from './session.ts';
import { buildTrainingGraph } from './training-graph.ts';

export interface TrainEngine {
  ort: OrtModule;
  sessionOptions?: Ort.InferenceSession.SessionOptions;
  /** Gives the teacher's logits for a batch when distilling (e.g. the uncompressed model). */
  teacher?: InferenceRunner;
}

/** A trainable tensor: its master value, and what the graph sees of it (e.g. fake-quantized weights). */
export interface ParameterBinding {
  /** Name of the initializer in the model that is trained. */
  name: string;
  value: Float32Array;
  /** Applied to the master value before every step; its gradient updates the master (straight-through). */
  transform?: (value: Float32Array) => Float32Array;
}

/**
 * A moving-average range observer of a quantized activation (PyTorch's MovingAverageMinMaxObserver
 * for a symmetric / non-negative range): limit <- limit + c x (batch max |x| - limit) every step,
 * and the scales fed to the graph follow the limit. The final limit is the frozen one.
 */
export interface RangeObserver {
  /** The tensor that is quantized. */
  tensor: string;
  /** Clip limit (largest magnitude kept); the starting value is the calibrated one. */
  limit: number;
  /** Scalar initializers holding its scale(s), and how each scale follows from a limit. */
  scales: { name: string; scaleOf: (limit: number) => number; qmax: number }[];
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerOptions;
  warmupSteps?: number;
  seed: number;
  augment: AugmentOptions;
  kd?: DistillationOptions;
  batchNorm?: 'train' | 'frozen';
  /** Train on the first N images only. */
  limit?: number;
  /** Range observers updated every step (QAT with moving-average ranges). */
  observers?: readonly RangeObserver[];
  /** Averaging constant c of the observers (PyTorch's default 0.01). */
  observerAveraging?: number;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  /** Steps between progress reports (default 5). */
  progressEvery?: number;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean loss and training accuracy over the current epoch so far. */
  loss: number;
  accuracy: number;
  lr: number;
  elapsedSeconds: number;
  secondsLeft: number;
  imagesPerSecond: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
}

export interface TrainResult {
  /** Trained master values by initializer name, plus updated running BN statistics. */
  values: Map<string, Float32Array>;
  epochs: EpochRecord[];
  steps: number;
  seconds: number;
  /** Over all steps after the first (session warm-up excluded); images seen, not distinct images. */
  imagesPerSecond: number;
  /** Final (frozen) limit of every range observer, by tensor. */
  limits: Map<string, number>;
}

/** Weights (rank >= 2) decay; biases and BatchNormalization scale/shift do not. */
const decays = (dims: number[]) => dims.length >= 2;

export async function train(engine: TrainEngine, model: ModelProto, data: Dataset, options: TrainOptions, bindings?: ParameterBinding[]): Promise<TrainResult> {
  const trainable = bindings?.map((b) => b.name);
  const observers = (options.observers ?? []).map((o) => ({ ...o }));
  const graph = buildTrainingGraph(model, {
    trainable,
    batchNorm: options.batchNorm,
    kd: options.kd,
    fed: observers.flatMap((o) => o.scales.map((s) => s.name)),
    observed: observers.map((o) => o.tensor),
  });
  const averaging = options.observerAveraging ?? 0.01;
  const fedScales = () => new Map(observers.flatMap((o) => o.scales.map((s) => [s.name, Float32Array.of(s.scaleOf(o.limit))] as const)));
  const inits = new Map(model.graph!.initializer.map((t) => [t.name, t]));
  const masters = new Map<string, Float32Array>();
  const transforms = new Map<string, (v: Float32Array) => Float32Array>();
  for (const p of graph.params) {
    const bound = bindings?.find((b) => b.name === p.name);
    masters.set(p.name, Float32Array.from(bound?.value ?? tensorFloat32(inits.get(p.name)!)));
    if (bound?.transform) transforms.set(p.name, bound.transform);
  }
  const running = new Map<string, Float32Array>();
  for (const s of graph.batchNorms) {
    running.set(s.runningMean, tensorFloat32(inits.get(s.runningMean)!));
    running.set(s.runningVar, tensorFloat32(inits.get(s.runningVar)!));
  }
  const dimsOf = new Map(graph.params.map((p) => [p.name, p.dims]));
  const optimizer = createOptimizer(options.optimizer, (name) => decays(dimsOf.get(name)!));

  const count = Math.min(options.limit ?? data.count, data.count);
  const batch = Math.max(1, Math.min(options.batchSize, count));
  const stepsPerEpoch = Math.ceil(count / batch);
  const totalSteps = stepsPerEpoch * options.epochs;
  const [c, h, w] = data.shape;
  const classes = graph.classes;
  const session = await createTrainingSession(engine.ort, graph, engine.sessionOptions);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const shuffle = mulberry32(subSeed(options.seed, 0));
  const jitter = mulberry32(subSeed(options.seed, 1));
  const started = performance.now();
  const epochs: EpochRecord[] = [];
  let step = 0;
  let afterFirstStep = 0;
  let imagesAfterFirst = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffleInPlace(order, shuffle);
      const epochStart = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let start = 0; start < count; start += batch) {
        await nextMacrotask();
        throwIfAborted(options.signal);
        const n = Math.min(batch, count - start);
        const indices = order.subarray(start, start + n);
        const images = augmentedBatch(data, indices, options.augment, jitter);
        const labels = new Float32Array(n * classes);
        for (let i = 0; i < n; i++) labels[i * classes + data.labels[indices[i]]] = 1;
        const dims = [n, c, h, w];
        const teacherLogits = options.kd ? await engine.teacher!.run(images, dims) : undefined;
        const fed = new Map<string, Float32Array>();
        for (const [name, value] of masters) fed.set(name, transforms.get(name)?.(value) ?? value);
        const out = await session.step({ images, dims, labels, teacherLogits, params: fed, fed: fedScales() });
        if (!Number.isFinite(out.loss)) throw new Error(`the loss became ${out.loss} at step ${step + 1}; lower the learning rate`);
        const lr = cosineLearningRate(step, { lr: options.lr, totalSteps, warmupSteps: options.warmupSteps });
        optimizer.step(masters, out.gradients, lr);
        for (const o of observers) o.limit += averaging * (out.observed.get(o.tensor)! - o.limit);
        for (const s of graph.batchNorms) {
          const stats = out.batchStats.get(s.node)!;
          const m = n * s.perImage;
          const rm = running.get(s.runningMean)!;
          const rv = running.get(s.runningVar)!;
          for (let k = 0; k < rm.length; k++) {
            rm[k] = s.momentum * rm[k] + (1 - s.momentum) * stats.mean[k];
            rv[k] = s.momentum * rv[k] + (1 - s.momentum) * stats.variance[k] * (m / Math.max(1, m - 1));
          }
        }
        lossSum += out.loss * n;
        seen += n;
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let k = 1; k < classes; k++) if (out.logits[i * classes + k] > out.logits[i * classes + best]) best = k;
          if (best === data.labels[indices[i]]) correct++;
        }
        step++;
        if (step === 1) afterFirstStep = performance.now();
        else imagesAfterFirst += n;
        const last = start + n >= count;
        if (options.onProgress && (step % (options.progressEvery ?? 5) === 0 || last)) {
          const elapsed = (performance.now() - started) / 1000;
          options.onProgress({
            epoch: epoch + 1,
            epochs: options.epochs,
            step,
            steps: totalSteps,
            loss: lossSum / seen,
            accuracy: correct / seen,
            lr,
            elapsedSeconds: elapsed,
            secondsLeft: (elapsed / step) * (totalSteps - step),
            imagesPerSecond: (step * batch) / elapsed,
          });
        }
      }
      epochs.push({ epoch: epoch + 1, loss: lossSum / seen, accuracy: correct / seen, seconds: (performance.now() - epochStart) / 1000 });
    }
  } finally {
    await session.release();
  }
  const seconds = (performance.now() - started) / 1000;
  const steady = (performance.now() - afterFirstStep) / 1000;
  const imagesPerSecond = imagesAfterFirst > 0 ? imagesAfterFirst / steady : (count * options.epochs) / seconds;
  return { values: new Map([...masters, ...running]), epochs, steps: step, seconds, imagesPerSecond, limits: new Map(observers.map((o) => [o.tensor, o.limit])) };
}

/** A copy of the model with the given initializers replaced (same names and dims). */
export function writeParameters(model: ModelProto, values: Map<string, Float32Array>): ModelProto {
  const out = cloneModel(model);
  const g = out.graph!;
  g.initializer = g.initializer.map((t) => {
    const v = values.get(t.name);
    return v ? floatTensor(t.name, tensorDims(t), v) : t;
  });
  return out;
}
