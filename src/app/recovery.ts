/**
 * Recovery as part of a measurement (issue 13): the measured accuracy of a design whose recipe
 * says "reconstruct" is of the reconstructed model, with the unrecovered one's beside it; each
 * step is recorded as the deployment config records it.
 */
import type { Design } from '../core/design/design.ts';
import type { EvalResult } from '../core/eval/evaluate.ts';
import type { RecoveryAccuracy, RecoveryStepRecord } from '../core/transfer/recover.ts';
import type { AnyDatasetRef } from '../workers-client/evaluator.ts';
import type { RetrainInWorkerOptions, WorkerRetrainResult } from '../workers-client/train.ts';
import type { MeasuredAccuracy } from './state.ts';

/** Retraining (epochs 0 with reconstruct: reconstruction only) in the train worker, or in this process. */
export type RetrainFn = (options: RetrainInWorkerOptions) => Promise<WorkerRetrainResult>;

const accuracy = (r: EvalResult): RecoveryAccuracy => ({ provenance: 'measured', top1: r.top1, ci95: r.ci95, images: r.n, dataset: r.dataset, split: r.split });

/** Each step of the run as the deployment config records it: data, settings, accuracy before and after. */
export function stepRecords(result: WorkerRetrainResult, reconstructed: boolean): RecoveryStepRecord[] {
  const records: RecoveryStepRecord[] = [];
  const a = result.accuracy;
  if (reconstructed && result.reconstruction) {
    const applied = result.reconstruction.layers.filter((l) => l.applied);
    const cal = result.data.calibration;
    records.push({
      step: 'reconstruct',
      data: { dataset: cal?.dataset ?? 'calibration', split: cal?.split ?? 'calibration', images: result.reconstruction.images },
      layersReconstructed: applied.length,
      layersSkipped: result.reconstruction.layers.filter((l) => !l.applied).map((l) => ({ layer: l.layer, reason: l.reason ?? 'not applied' })),
      ...(a?.compressed ? { accuracyBefore: accuracy(a.compressed), accuracyAfter: accuracy(a.before) } : {}),
    });
  }
  if (result.epochs.length) {
    const o = result.options;
    records.push({
      step: o.qat ? 'qat' : 'fine-tune',
      data: result.data.train,
      recipe: { epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, optimizer: o.optimizer, weightDecay: o.weightDecay, kd: o.kd, augment: o.augment, seed: o.seed, qat: o.qat },
      history: result.epochs,
      ...(a ? { accuracyBefore: accuracy(a.before), accuracyAfter: accuracy(a.after) } : {}),
    });
  }
  return records;
}

/** The measurement a run gives the design: the recovered model's accuracy, the unrecovered one's beside it. */
export function measurementOf(result: WorkerRetrainResult, key: string, reconstructed: boolean): MeasuredAccuracy {
  const after = result.accuracy!.after;
  const raw = result.accuracy!.compressed ?? (result.epochs.length ? result.accuracy!.before : undefined);
  return {
    ...after,
    threads: result.threads,
    designKey: key,
    raw: raw ? { top1: raw.top1, ci95: raw.ci95, n: raw.n } : undefined,
    recovery: stepRecords(result, reconstructed),
    sha256: result.sha256,
  };
}

export interface RecoveryRunInput {
  modelBytes: Uint8Array;
  design: Design;
  evalLimit: number;
  train: AnyDatasetRef;
  calibration: AnyDatasetRef;
  evaluation: AnyDatasetRef;
  signal: AbortSignal;
}

/** Measures the design after reconstruction only (what measureDesign runs when the recipe says so). */
export async function measureReconstructed(
  retrain: RetrainFn,
  input: RecoveryRunInput,
  key: string,
  onProgress: (p: { done: number; total: number }) => void,
): Promise<{ measured: MeasuredAccuracy; model: { bytes: Uint8Array; sha256: string } }> {
  const result = await retrain({
    modelBytes: input.modelBytes,
    config: input.design.compression,
    // no training: the calibration images stand in for the (unused) training split
    train: input.calibration,
    calibration: input.calibration,
    evaluation: input.evaluation,
    evaluationLimit: input.evalLimit,
    reconstruct: true,
    options: { epochs: 0, qat: false },
    signal: input.signal,
    onProgress: (p) => onProgress({ done: ['prepare', 'reconstruct', 'calibrate', 'evaluate'].indexOf(p.phase) + 1, total: 5 }),
  });
  return { measured: measurementOf(result, key, true), model: { bytes: result.bytes, sha256: result.sha256 } };
}

