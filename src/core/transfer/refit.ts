import { throwIfAborted } from '../errors.ts';
import type { Dataset } from '../eval/dataset.ts';
import { evaluate, type EvalResult } from '../eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../eval/ort-runner.ts';
import { analyzeModel } from '../graph/index.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { extractFeatures, type FeatureSet } from './features.ts';
import type { HeadInfo } from './head.ts';
import { trainSoftmaxRegression, type LinearHead, type TrainOptions, type TrainProgress } from './softmax.ts';
import { replaceHead } from './write-head.ts';

export type RefitProgress =
  | { phase: 'features'; split: 'training' | 'validation'; done: number; total: number }
  | ({ phase: 'training' } & TrainProgress)
  | { phase: 'verifying'; done: number; total: number };

export interface RefitOptions extends Omit<TrainOptions, 'validation' | 'onProgress' | 'signal'> {
  /** Images per onnxruntime run during feature extraction. */
  batchSize?: number;
  /** Run the new model on the validation split to check the written head (default true). */
  verify?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: RefitProgress) => void;
}

export interface RefitResult {
  /** The model with the new head (a new output size when the class count changed). */
  modelBytes: Uint8Array<ArrayBuffer>;
  head: LinearHead;
  previousHead: HeadInfo;
  classes: string[];
  history: TrainProgress[];
  iterations: number;
  converged: boolean;
  train: { loss: number; accuracy: number };
  /** Measured by the trainer on the validation features. */
  validation?: { loss: number; accuracy: number };
  /** Measured by onnxruntime on the new model (verify). */
  verified?: EvalResult;
  seconds: { features: number; training: number; verify: number };
  /** The features used, so tools can train a reference head on exactly these. */
  features: { training: FeatureSet; validation?: FeatureSet };
}

/**
 * Re-fits the classifier head on a dataset: features from the model cut at its head, a softmax
 * regression trained on them, the new head written into a copy of the model. Cancelling throws
 * 'cancelled' and changes nothing, so the caller keeps the previous head.
 */
export async function refitHead(
  ort: OrtModule,
  modelBytes: Uint8Array,
  data: { training: Dataset; validation?: Dataset },
  options: RefitOptions = {},
): Promise<RefitResult> {
  const { signal, onProgress } = options;
  const t0 = performance.now();
  const training = await extractFeatures(ort, modelBytes, data.training, {
    batchSize: options.batchSize,
    signal,
    onProgress: (p) => onProgress?.({ phase: 'features', split: 'training', ...p }),
  });
  const validation = data.validation?.count
    ? await extractFeatures(ort, modelBytes, data.validation, {
        batchSize: options.batchSize,
        signal,
        onProgress: (p) => onProgress?.({ phase: 'features', split: 'validation', ...p }),
      })
    : undefined;
  const t1 = performance.now();
  const classes = data.training.classes;
  const trained = await trainSoftmaxRegression(training.features, training.labels, classes.length, {
    ...options,
    validation: validation && { features: validation.features, labels: validation.labels },
    signal,
    onProgress: (p) => onProgress?.({ phase: 'training', ...p }),
  });
  const t2 = performance.now();
  throwIfAborted(signal);
  const { model, previous } = replaceHead(decodeModel(modelBytes), trained.head, { classNames: classes });
  const bytes = encodeModel(model);
  let verified: EvalResult | undefined;
  if ((options.verify ?? true) && data.validation?.count) {
    const runner = await createOrtRunner(ort, bytes);
    try {
      const inputShape = analyzeModel(model).summary.inputs[0].shape;
      verified = await evaluate(runner, data.validation, inputShape, {
        batchSize: options.batchSize ?? 256,
        signal,
        onProgress: (p) => onProgress?.({ phase: 'verifying', ...p }),
      });
    } finally {
      await runner.release();
    }
  }
  const t3 = performance.now();
  return {
    modelBytes: bytes,
    head: trained.head,
    previousHead: previous,
    classes,
    history: trained.history,
    iterations: trained.iterations,
    converged: trained.converged,
    train: trained.train,
    validation: trained.validation,
    verified,
    seconds: { features: (t1 - t0) / 1000, training: (t2 - t1) / 1000, verify: (t3 - t2) / 1000 },
    features: { training, validation },
  };
}
