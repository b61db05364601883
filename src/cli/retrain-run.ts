/**
 * One retraining run as `edgefold retrain` does it, shared by the local command and a queue
 * worker's retrain job (src/cli/queue/job-thread.ts), so both report the same numbers. The summary
 * is plain JSON: a worker returns it through the queue; the model bytes travel as a blob.
 */
import type { ModelProto } from 'onnx-buf';
import { parseCompressionConfig } from '../core/config/compression.ts';
import type { Dataset } from '../core/eval/dataset.ts';
import type { EvalResult } from '../core/eval/evaluate.ts';
import type { OrtModule } from '../core/eval/ort-runner.ts';
import { retrain, type RetrainOptions, type RetrainProgress, type RetrainResult } from '../core/train/index.ts';
import type { ReconstructionResult } from '../core/transfer/reconstruct.ts';
import { reconstructHook } from '../core/transfer/recover.ts';

export interface RetrainRunInput {
  ort: OrtModule;
  /** onnxruntime-node threads (ignored by the wasm engine). */
  threads: number;
  native: boolean;
  model: ModelProto;
  /** The config as read (it is reported as given). */
  config: unknown;
  train: Dataset;
  calibration: Dataset;
  evaluation?: Dataset;
  evaluationLimit?: number;
  options: RetrainOptions;
  reconstruct: boolean;
}

/** What a retrain reports, minus where its files are. */
export type AccuracyRecord = Pick<EvalResult, 'n' | 'top1' | 'top5' | 'ci95' | 'loss' | 'dataset' | 'split'>;
export interface RetrainSummary {
  sha256: string;
  options: RetrainOptions;
  reconstruction?: { images: number; layers: ReconstructionResult['layers'] };
  data: RetrainResult['data'];
  epochs: RetrainResult['epochs'];
  trainSeconds: number;
  imagesPerSecond: number;
  accuracy?: { compressed?: AccuracyRecord; before: AccuracyRecord; after: AccuracyRecord };
  quant: RetrainResult['quant'];
  activationLimits?: Record<string, number>;
}

const strip = (r: EvalResult): AccuracyRecord => ({ n: r.n, top1: r.top1, top5: r.top5, ci95: r.ci95, loss: r.loss, dataset: r.dataset, split: r.split });

export async function runRetrain(
  input: RetrainRunInput,
  hooks: { signal?: AbortSignal; onProgress?: (p: RetrainProgress) => void; onReconstructed?: (layer: string | undefined, done: number, total: number) => void } = {},
): Promise<{ bytes: Uint8Array<ArrayBuffer>; summary: RetrainSummary }> {
  const { ort } = input;
  let reconstruction: ReconstructionResult | undefined;
  const reconstruct = input.reconstruct
    ? reconstructHook(ort, input.model, parseCompressionConfig(input.config), input.calibration, {
        onProgress: (p) => p.done === p.total && hooks.onReconstructed?.(p.layer, p.done, p.total),
        onResult: (r) => (reconstruction = r),
      })
    : undefined;
  const sessionOptions = input.native ? { intraOpNumThreads: input.threads, interOpNumThreads: 1 } : {};
  const result = await retrain(
    { ort, sessionOptions },
    { model: input.model, config: input.config, train: input.train, calibration: input.calibration, evaluation: input.evaluation, evaluationLimit: input.evaluationLimit, reconstruct },
    input.options,
    { signal: hooks.signal, onProgress: hooks.onProgress },
  );
  const summary: RetrainSummary = {
    sha256: result.sha256,
    options: result.options,
    ...(reconstruction ? { reconstruction: { images: reconstruction.images, layers: reconstruction.layers } } : {}),
    data: result.data,
    epochs: result.epochs,
    trainSeconds: result.trainSeconds,
    imagesPerSecond: result.imagesPerSecond,
    ...(result.accuracy
      ? {
          accuracy: {
            ...(result.accuracy.compressed ? { compressed: strip(result.accuracy.compressed) } : {}),
            before: strip(result.accuracy.before),
            after: strip(result.accuracy.after),
          },
        }
      : {}),
    quant: result.quant,
    ...(result.activationLimits ? { activationLimits: result.activationLimits } : {}),
  };
  return { bytes: result.bytes, summary };
}
