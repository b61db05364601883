/**
 * Retraining a compressed design: prune by the config, optionally reconstruct (a hook for the
 * layer-wise least-squares step in src/core/transfer), calibrate activations, fine-tune (float)
 * or quantization-aware train, export the compressed ONNX with the trained weights, and measure
 * it with the evaluation code. CLI (`edgefold retrain`) and the train worker both call `retrain`.
 */
import type * as Ort from 'onnxruntime-web';
import type { ModelProto } from 'onnx-buf';
import { calibrationPlan, parseCompressionConfig, resolveConfig, type CompressionConfig } from '../config/compression.ts';
import { badInput, throwIfAborted } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';
import { evaluate, type EvalResult } from '../eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../eval/ort-runner.ts';
import { Graph } from '../graph/graph.ts';
import { inferShapes } from '../graph/shapes.ts';
import { sha256Hex } from '../hash.ts';
import { encodeModel } from '../onnx/model.ts';
import { calibrate, type CalibrationData } from '../quant/calibrate.ts';
import { ortBatchSource } from '../quant/ort-calibration.ts';
import { quantizeModel, type QuantReport } from '../quant/quantize.ts';
import type { AugmentOptions } from './augment.ts';
import type { DistillationOptions } from './loss.ts';
import type { OptimizerName } from './optimizer.ts';
import { floatValues, learnedLimits, prepareQat, type QuantSettings } from './qat.ts';
import { train, writeParameters, type EpochRecord, type TrainProgress, type TrainResult } from './trainer.ts';

export interface RetrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  momentum: number;
  seed: number;
  /** Distil from the uncompressed model; null trains on labels only. */
  kd: DistillationOptions | null;
  /** Fake-quantize in the forward pass (needs a quant section in the config). */
  qat: boolean;
  augment: AugmentOptions;
  warmupSteps: number;
  /** Train on the first N images of the training split. */
  limit?: number;
  /** BatchNormalization kept in the pruned model trains with batch statistics or stays frozen. */
  batchNorm: 'train' | 'frozen';
  /**
   * QAT activation ranges: 'fixed' at the calibrated values; 'ema': moving-average observers
   * of the batch ranges (as PyTorch's QAT), frozen at the end of training and exported;
   * 'learned': the scales train by gradient (LSQ) from the calibrated values.
   */
  activationRanges: 'fixed' | 'ema' | 'learned';
  /** Averaging constant of the 'ema' observers (PyTorch's default 0.01). */
  rangeAveraging: number;
}

export const DEFAULT_RETRAIN: RetrainOptions = {
  epochs: 3,
  batchSize: 128,
  lr: 3e-3,
  optimizer: 'adamw',
  weightDecay: 1e-4,
  momentum: 0.9,
  seed: 1,
  kd: { weight: 0.7, temperature: 4 },
  qat: false,
  augment: { pad: 2, flip: true },
  warmupSteps: 0,
  batchNorm: 'train',
  activationRanges: 'ema',
  rangeAveraging: 0.01,
};

export interface RetrainEngine {
  ort: OrtModule;
  /** Options for the training and evaluation sessions (e.g. intraOpNumThreads). */
  sessionOptions?: Ort.InferenceSession.SessionOptions;
}

export interface RetrainInput {
  /** The uncompressed float model (also the distillation teacher). */
  model: ModelProto;
  config: CompressionConfig | unknown;
  train: Dataset;
  /** For activation calibration (default: the training split's first 1,000 images). */
  calibration?: Dataset;
  /** Measured before and after training when given. */
  evaluation?: Dataset;
  evaluationLimit?: number;
  /**
   * Runs on the pruned float model before calibration and training (layer-wise least-squares
   * reconstruction: `reconstructHook` in src/core/transfer/recover.ts); returns the model to train from.
   */
  reconstruct?: (pruned: ModelProto, signal?: AbortSignal) => Promise<ModelProto>;
}

export type RetrainPhase = 'prepare' | 'reconstruct' | 'calibrate' | 'train' | 'export' | 'evaluate';

export interface RetrainProgress {
  phase: RetrainPhase;
  training?: TrainProgress;
  message?: string;
}

export interface RetrainResult {
  model: ModelProto;
  bytes: Uint8Array<ArrayBuffer>;
  sha256: string;
  options: RetrainOptions;
  quant: QuantReport | null;
  /** QAT with 'ema' or 'learned' ranges: the frozen activation clip limits the export used, by tensor. */
  activationLimits?: Record<string, number>;
  epochs: EpochRecord[];
  trainSeconds: number;
  imagesPerSecond: number;
  /**
   * Accuracy of the compressed design before training (after reconstruction when it ran) and
   * after; `compressed` is the design with no recovery at all, measured when reconstruction ran.
   */
  accuracy?: { compressed?: EvalResult; before: EvalResult; after: EvalResult };
  data: { train: { dataset: string; split: string; images: number }; calibration?: { dataset: string; split: string; images: number } };
}

export async function retrain(
  engine: RetrainEngine,
  input: RetrainInput,
  options: RetrainOptions,
  control: { signal?: AbortSignal; onProgress?: (p: RetrainProgress) => void } = {},
): Promise<RetrainResult> {
  const { signal, onProgress } = control;
  const config = parseCompressionConfig(input.config);
  if (options.qat && !config.quant) throw badInput('--qat needs a "quant" section in the config (the bits to train for).', 'qat');
  onProgress?.({ phase: 'prepare' });
  const plan = calibrationPlan(input.model, config);
  const inputShape = shapeOfInput(input.model);
  let pruned = plan.model;
  const unreconstructed = pruned;
  if (input.reconstruct) {
    onProgress?.({ phase: 'reconstruct' });
    pruned = await input.reconstruct(pruned, signal);
  }
  throwIfAborted(signal);

  const calibrationData = input.calibration ?? input.train;
  const calibrationImages = Math.min(config.quant?.calibration?.images ?? 1000, calibrationData.count);
  const calibrateOn = async (m: ModelProto): Promise<CalibrationData | undefined> => {
    if (!plan.taps.length) return undefined;
    onProgress?.({ phase: 'calibrate' });
    const images = calibrationImages;
    const source = ortBatchSource(engine.ort, calibrationData, inputShape, { batchSize: 100, limit: images });
    return calibrate(m, plan.taps, source, encodeModel, { key: plan.key, maxImages: images, signal });
  };
  const quantSettings = (calibration: CalibrationData | undefined): QuantSettings | undefined =>
    config.quant && {
      layers: resolveConfig(input.model, config).quant,
      calibration,
      method: config.quant.calibration?.method ?? 'minmax',
      percentile: config.quant.calibration?.percentile ?? 99.99,
      format: config.quant.format ?? 'float',
    };
  const calibrationBefore = await calibrateOn(pruned);
  const before = quantSettings(calibrationBefore);
  const quantizedBefore = before ? quantizeModel(pruned, before) : undefined;
  const compressedBefore = quantizedBefore?.model ?? pruned;

  const measure = async (m: ModelProto) => {
    if (!input.evaluation) return undefined;
    onProgress?.({ phase: 'evaluate' });
    const level = config.quant?.format === 'qcdq' ? 'disabled' : 'all';
    const runner = await createOrtRunner(engine.ort, encodeModel(m), { ...engine.sessionOptions, graphOptimizationLevel: level });
    try {
      return await evaluate(runner, input.evaluation, inputShape, { limit: input.evaluationLimit, batchSize: 250, signal });
    } finally {
      await runner.release();
    }
  };
  const accuracyBefore = await measure(compressedBefore);
  // With reconstruction, also the design with no recovery at all (what the explorer shows as "raw").
  const accuracyCompressed =
    input.reconstruct && input.evaluation
      ? await measure(config.quant ? quantizeModel(unreconstructed, quantSettings(await calibrateOn(unreconstructed))!).model : unreconstructed)
      : undefined;

  // Train: on the fake-quant graph (QAT) or on the pruned float model. Zero epochs: reconstruction only.
  let trained: Pick<TrainResult, 'epochs' | 'seconds' | 'imagesPerSecond'> = { epochs: [], seconds: 0, imagesPerSecond: 0 };
  let result = compressedBefore;
  let quant: QuantReport | null = quantizedBefore?.report ?? null;
  let frozenLimits: Record<string, number> | undefined;
  if (options.epochs > 0) {
    const teacher = options.kd ? await createOrtRunner(engine.ort, encodeModel(input.model), engine.sessionOptions) : undefined;
    const qat = options.qat && before ? prepareQat(pruned, before, options.activationRanges === 'learned') : undefined;
    let values;
    try {
      const run = await train(
        { ort: engine.ort, sessionOptions: engine.sessionOptions, teacher },
        qat?.model ?? pruned,
        input.train,
        {
          epochs: options.epochs,
          batchSize: options.batchSize,
          lr: options.lr,
          optimizer: { name: options.optimizer, weightDecay: options.weightDecay, momentum: options.momentum },
          warmupSteps: options.warmupSteps,
          seed: options.seed,
          augment: options.augment,
          kd: options.kd ?? undefined,
          batchNorm: options.batchNorm,
          limit: options.limit,
          observers: qat && options.activationRanges === 'ema' ? qat.observers : undefined,
          observerAveraging: options.rangeAveraging,
          signal,
          onProgress: (training) => onProgress?.({ phase: 'train', training }),
        },
        qat?.bindings,
      );
      trained = run;
      values = qat ? floatValues(qat, run.values) : run.values;
      if (qat && options.activationRanges === 'ema') frozenLimits = Object.fromEntries(run.limits);
      if (qat && options.activationRanges === 'learned') frozenLimits = learnedLimits(qat, run.values);
    } finally {
      await teacher?.release();
    }

    onProgress?.({ phase: 'export' });
    const trainedFloat = writeParameters(pruned, values);
    result = trainedFloat;
    quant = null;
    if (config.quant) {
      // QAT keeps the scales it trained with (the frozen observers' with 'ema'); a float fine-tune is calibrated again.
      const settings = qat ? { ...before!, activationLimits: frozenLimits } : quantSettings(await calibrateOn(trainedFloat))!;
      const q = quantizeModel(trainedFloat, settings);
      result = q.model;
      quant = q.report;
    }
  }
  const bytes = encodeModel(result);
  // Zero epochs: the result is the model measured as "before"; measuring it again would give the same numbers.
  const accuracyAfter = options.epochs > 0 ? await measure(result) : accuracyBefore;
  const trainImages = Math.min(options.limit ?? input.train.count, input.train.count);
  return {
    model: result,
    bytes,
    sha256: await sha256Hex(bytes),
    options,
    quant,
    ...(frozenLimits ? { activationLimits: frozenLimits } : {}),
    epochs: trained.epochs,
    trainSeconds: trained.seconds,
    imagesPerSecond: trained.imagesPerSecond,
    ...(accuracyBefore && accuracyAfter ? { accuracy: { ...(accuracyCompressed ? { compressed: accuracyCompressed } : {}), before: accuracyBefore, after: accuracyAfter } } : {}),
    data: {
      train: { dataset: input.train.name, split: input.train.split, images: trainImages },
      ...(plan.taps.length ? { calibration: { dataset: calibrationData.name, split: calibrationData.split, images: calibrationImages } } : {}),
    },
  };
}

function shapeOfInput(model: ModelProto) {
  const graph = new Graph(model);
  inferShapes(graph);
  return graph.shape(graph.inputs[0].name) ?? [];
}
