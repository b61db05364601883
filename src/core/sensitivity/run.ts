/**
 * Putting a sweep together: plan it, hash what the cache keys need, and run it on executors.
 * `runSweepLocal` runs everything in this thread (tests, small runs); the browser client and the
 * CLI pool build executors over workers and call `executeSweep` the same way.
 */
import type * as Ort from 'onnxruntime-web';
import type { Dataset } from '../eval/dataset.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { decodeModel } from '../onnx/model.ts';
import type { CacheScope, SweepCache } from './cache.ts';
import { imagePlan } from './engine.ts';
import { datasetHash, sha256Hex } from './hash.ts';
import { planSweep, SweepModel, type SweepPlan } from './plan.ts';
import { executeSweep, type SweepExecutor } from './schedule.ts';
import { SweepService } from './service.ts';
import type { PointResult, SweepProgress, SweepRequest, SweepResult } from './types.ts';

export interface PreparedSweep {
  plan: SweepPlan;
  sm: SweepModel;
  scope: CacheScope;
  /** Images every point is evaluated on. */
  images: number;
  modelHash: string;
}

export async function prepareSweep(modelBytes: Uint8Array, data: Dataset, request: SweepRequest, engine: string, sm?: SweepModel): Promise<PreparedSweep> {
  const model = sm ?? new SweepModel(decodeModel(modelBytes));
  const plan = planSweep(model, request);
  const images = imagePlan({ sm: model, data, limit: request.limit, settings: plan.settings }).total;
  const modelHash = await sha256Hex(modelBytes);
  const dataHash = await datasetHash(data, images);
  return { plan, sm: model, images, modelHash, scope: { modelHash, dataHash, engine, batchSize: plan.settings.batchSize } };
}

/** An executor over a service in this thread. */
export function serviceExecutor(service: SweepService, prepared: PreparedSweep, limit: number): SweepExecutor {
  let n = 0;
  return {
    runTask: async (task, { baselineTop1, onProgress, signal }) => {
      const jobId = `local-${++n}`;
      const onAbort = () => service.cancel(jobId);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await service.runTask({ jobId, task, settings: prepared.plan.settings, limit, baselineTop1 }, onProgress);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

export interface RunOptions {
  engine?: string;
  cache?: SweepCache;
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
  onPoint?: (point: PointResult) => void;
  calibrationData?: Dataset;
  sessionOptions?: Ort.InferenceSession.SessionOptions;
  modelName?: string;
}

/** Runs a whole sweep in this thread with one onnxruntime module. */
export async function runSweepLocal(ort: OrtModule, modelBytes: Uint8Array, data: Dataset, request: SweepRequest, options: RunOptions = {}): Promise<SweepResult> {
  const prepared = await prepareSweep(modelBytes, data, request, options.engine ?? 'wasm');
  const service = new SweepService(ort, options.sessionOptions);
  service.init({ modelBytes, modelKey: prepared.modelHash, data, calibrationData: options.calibrationData });
  return executeSweep(prepared.plan, [serviceExecutor(service, prepared, prepared.images)], {
    scope: prepared.scope,
    images: prepared.images,
    model: { name: options.modelName ?? prepared.sm.original.graph?.name ?? 'model' },
    data: { name: data.name, split: data.split, classes: data.classes.length },
    cache: options.cache,
    signal: options.signal,
    onProgress: options.onProgress,
    onPoint: options.onPoint,
  });
}
