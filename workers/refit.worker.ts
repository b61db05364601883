import * as Comlink from 'comlink';
import { JobRegistry } from './jobs.ts';
import type { Dataset } from '../src/core/eval/dataset.ts';
import { biasCorrect, type BiasCorrectionOptions, type BiasCorrectionProgress, type BiasCorrectionResult } from '../src/core/transfer/bias-correction.ts';
import { reconstruct, type ReconstructOptions, type ReconstructProgress, type ReconstructionResult } from '../src/core/transfer/reconstruct.ts';
import { refitHead, type RefitOptions, type RefitProgress, type RefitResult } from '../src/core/transfer/refit.ts';
import { ortThreads, ortWeb } from './ort-web.ts';

export interface RefitRequest {
  jobId: string;
  modelBytes: Uint8Array;
  training: Dataset;
  validation?: Dataset;
  options?: Omit<RefitOptions, 'signal' | 'onProgress'>;
}

/** The re-fit without the feature matrices (they stay in the worker). */
export type WorkerRefitResult = Omit<RefitResult, 'features'> & { threads: number };

export interface BiasCorrectionRequest {
  jobId: string;
  floatBytes: Uint8Array;
  compressedBytes: Uint8Array;
  calibration: Dataset;
  options?: Omit<BiasCorrectionOptions, 'signal' | 'onProgress'>;
}

export interface ReconstructRequest {
  jobId: string;
  floatBytes: Uint8Array;
  compressedBytes: Uint8Array;
  calibration: Dataset;
  options?: Omit<ReconstructOptions, 'signal' | 'onProgress'>;
}

const jobs = new JobRegistry();

const job = <T>(jobId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> => jobs.run(jobId, work);

const api = {
  /** Features with onnxruntime-web, softmax regression, new head written; cancel changes nothing. */
  refit(request: RefitRequest, onProgress?: (p: RefitProgress) => void): Promise<WorkerRefitResult> {
    return job(request.jobId, async (signal) => {
      const result = await refitHead(ortWeb(), request.modelBytes, { training: request.training, validation: request.validation }, { ...request.options, signal, onProgress });
      const { features, ...rest } = result;
      void features; // the feature matrices stay here
      return Comlink.transfer({ ...rest, threads: ortThreads() }, [rest.modelBytes.buffer]);
    });
  },

  /** Bias correction of a compressed model against its float original on calibration images. */
  biasCorrect(request: BiasCorrectionRequest, onProgress?: (p: BiasCorrectionProgress) => void): Promise<BiasCorrectionResult> {
    return job(request.jobId, async (signal) => {
      const result = await biasCorrect(ortWeb(), request.floatBytes, request.compressedBytes, request.calibration, { ...request.options, signal, onProgress });
      return Comlink.transfer(result, [result.modelBytes.buffer]);
    });
  },

  /** Layer-wise least-squares reconstruction of a pruned model against the unpruned float one. */
  reconstruct(request: ReconstructRequest, onProgress?: (p: ReconstructProgress) => void): Promise<ReconstructionResult & { threads: number }> {
    return job(request.jobId, async (signal) => {
      const result = await reconstruct(ortWeb(), request.floatBytes, request.compressedBytes, request.calibration, { ...request.options, signal, onProgress });
      return Comlink.transfer({ ...result, threads: ortThreads() }, [result.modelBytes.buffer]);
    });
  },

  cancel(jobId: string): void {
    jobs.cancel(jobId);
  },
};

export type RefitWorkerApi = typeof api;

// onnxruntime starts its wasm threads from this module's URL; only the real worker exposes the API.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
