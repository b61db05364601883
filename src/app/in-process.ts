/**
 * The session's workers run in this process (Node: tests, the CLI): the same core steps the
 * browser's evaluator, train and sweep workers run, on an onnxruntime module the caller gives
 * (onnxruntime-node, or onnxruntime-web's wasm). Datasets are resolved by the caller (files in
 * Node, fetch elsewhere); inline (imported) datasets pass through.
 */
import { applyConfig, calibrateConfig, parseCompressionConfig } from '../core/config/compression.ts';
import { badInput } from '../core/errors.ts';
import type { Dataset } from '../core/eval/dataset.ts';
import { evaluate } from '../core/eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../core/eval/ort-runner.ts';
import { decodeModel } from '../core/onnx/model.ts';
import { ortBatchSource } from '../core/quant/ort-calibration.ts';
import { runSweepLocal } from '../core/sensitivity/run.ts';
import { DEFAULT_RETRAIN, retrain } from '../core/train/retrain.ts';
import { reconstructHook } from '../core/transfer/recover.ts';
import type { AnyDatasetRef, DatasetRef, WorkerEvalResult } from '../workers-client/evaluator.ts';
import type { WorkerRetrainResult } from '../workers-client/train.ts';
import type { SessionWorkers } from './session.ts';

export interface InProcessOptions {
  ort: OrtModule;
  /** Loads a bundled split ({ manifestUrl, split }). */
  loadSplit: (ref: DatasetRef) => Promise<Dataset>;
  /** Threads reported with results (onnxruntime-node picks its own). */
  threads?: number;
}

export function inProcessWorkers(options: InProcessOptions): SessionWorkers {
  const { ort } = options;
  const threads = options.threads ?? 1;
  const dataset = (ref: AnyDatasetRef | Dataset): Promise<Dataset> => ('inline' in ref ? Promise.resolve(ref.inline) : 'pixels' in ref ? Promise.resolve(ref) : options.loadSplit(ref));

  const evaluateBytes = async (bytes: Uint8Array, o: { data: AnyDatasetRef; inputShape: readonly (number | null)[]; limit?: number; batchSize?: number; signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void }): Promise<WorkerEvalResult> => {
    const data = await dataset(o.data);
    const runner = await createOrtRunner(ort, bytes);
    try {
      const result = await evaluate(runner, data, [...o.inputShape], { limit: o.limit, batchSize: o.batchSize, signal: o.signal, onProgress: o.onProgress });
      return { ...result, threads };
    } finally {
      await runner.release();
    }
  };

  return {
    evaluate: (o) => evaluateBytes(o.modelBytes, o),

    async evaluateConfig(o) {
      const model = decodeModel(o.modelBytes);
      const config = parseCompressionConfig(o.config);
      const calibration = await dataset(o.calibration);
      const source = ortBatchSource(ort, calibration, [...o.inputShape], { limit: config.quant?.calibration?.images });
      const ranges = await calibrateConfig(model, config, source, o.signal);
      const { bytes } = applyConfig(model, config, ranges);
      return evaluateBytes(bytes, o);
    },

    async retrain(o): Promise<WorkerRetrainResult> {
      const [train, calibration, evaluation] = await Promise.all([dataset(o.train), o.calibration ? dataset(o.calibration) : undefined, o.evaluation ? dataset(o.evaluation) : undefined]);
      const model = decodeModel(o.modelBytes);
      if (o.reconstruct && !calibration) throw badInput('reconstruction needs calibration images.', 'calibration');
      let reconstruction: WorkerRetrainResult['reconstruction'];
      const reconstruct =
        o.reconstruct && calibration
          ? reconstructHook(ort, model, parseCompressionConfig(o.config), calibration, { onResult: (r) => (reconstruction = { images: r.images, layers: r.layers }) })
          : undefined;
      const result = await retrain({ ort }, { model, config: o.config, train, calibration, evaluation, evaluationLimit: o.evaluationLimit, reconstruct }, { ...DEFAULT_RETRAIN, ...o.options }, { signal: o.signal, onProgress: o.onProgress });
      const { model: trained, ...rest } = result;
      void trained; // the bytes carry it
      return { ...rest, reconstruction, threads };
    },

    async sweep(input, callbacks) {
      const data = await dataset(input.data);
      const calibrationData = input.calibration ? await dataset(input.calibration) : undefined;
      return runSweepLocal(ort, input.modelBytes, data, input.request, {
        calibrationData,
        modelName: input.modelName,
        signal: callbacks.signal,
        onProgress: callbacks.onProgress,
        onPoint: callbacks.onPoint,
        ...(callbacks.cache ? { cache: callbacks.cache } : {}),
      });
    },
  };
}
