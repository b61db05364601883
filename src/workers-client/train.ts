import * as Comlink from 'comlink';
import { withJob } from './job.ts';
import type { RetrainRequest, TrainWorkerApi, WorkerRetrainResult } from '../../workers/train.worker.ts';
import type { RetrainProgress } from '../core/train/retrain.ts';

export type { RetrainRequest, WorkerRetrainResult, RetrainProgress };

let remote: Comlink.Remote<TrainWorkerApi> | undefined;

function trainer(): Comlink.Remote<TrainWorkerApi> {
  remote ??= Comlink.wrap<TrainWorkerApi>(new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-train' }));
  return remote;
}

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
  const worker = trainer();
  const { signal, onProgress, ...request } = options;
  return withJob('retrain', (id) => worker.cancel(id), signal, (jobId) =>
    worker.retrain({ ...request, modelBytes: request.modelBytes.slice(), jobId }, onProgress ? Comlink.proxy(onProgress) : undefined),
  );
}
