import * as Comlink from 'comlink';
import { WorkerBridge, webWorker } from './bridge.ts';
import type { RetrainRequest, TrainWorkerApi, WorkerRetrainResult } from '../../workers/train.worker.ts';
import type { RetrainProgress } from '../core/train/retrain.ts';

export type { RetrainRequest, WorkerRetrainResult, RetrainProgress };

const trainer = new WorkerBridge<TrainWorkerApi>({
  name: 'train',
  start: () => webWorker(new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-train' })),
});

export interface RetrainInWorkerOptions extends Omit<RetrainRequest, 'jobId'> {
  signal?: AbortSignal;
  onProgress?: (progress: RetrainProgress) => void;
}

/**
 * Retrains a compressed design in the train worker (onnxruntime-web). Aborting `signal` cancels
 * between training steps: the promise rejects with a 'cancelled' EdgefoldError and nothing the
 * caller holds has changed. Inline datasets are structured-cloned (the caller keeps its copy).
 */
export function retrainInWorker(options: RetrainInWorkerOptions): Promise<WorkerRetrainResult> {
  const { signal, onProgress, ...request } = options;
  return trainer.job('retrain', signal, (worker, jobId) =>
    worker.retrain({ ...request, modelBytes: request.modelBytes.slice(), jobId }, onProgress ? Comlink.proxy(onProgress) : undefined),
  );
}
