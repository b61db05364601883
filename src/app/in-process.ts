/**
 * The session's workers run in this process (Node: tests, the CLI): the same core steps the
 * browser's evaluator, train, sweep, dataset and re-fit workers run, on an onnxruntime module the
 * caller gives (onnxruntime-node, or onnxruntime-web's wasm). Bundled datasets are resolved by the
 * caller (files in Node, fetch elsewhere); inline (imported) datasets pass through. Imported
 * datasets are held here (src/core/data/held.ts), decoded with pngjs / jpeg-js.
 */
import { applyConfig, calibrateConfig, parseCompressionConfig } from '../core/config/compression.ts';
import { HeldDatasets } from '../core/data/held.ts';
import { decodeImageNode } from '../core/data/node-decoder.ts';
import { badInput } from '../core/errors.ts';
import { biasCorrect } from '../core/transfer/bias-correction.ts';
import { reconstruct } from '../core/transfer/reconstruct.ts';
import { refitHead } from '../core/transfer/refit.ts';
import type { Dataset } from '../core/eval/dataset.ts';
import { evaluate } from '../core/eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../core/eval/ort-runner.ts';
import { decodeModel } from '../core/onnx/model.ts';
import { ortBatchSource } from '../core/quant/ort-calibration.ts';
import type { BatchSource } from '../core/quant/calibrate.ts';
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
  /** How a dataset manifest's files are read (`manifest` imports): fetch by default. */
  fetchBytes?: (url: string) => Promise<Uint8Array>;
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

  const compress = async (o: { modelBytes: Uint8Array; config: unknown; calibration: AnyDatasetRef; inputShape: readonly (number | null)[]; signal?: AbortSignal }) => {
    const model = decodeModel(o.modelBytes);
    const config = parseCompressionConfig(o.config);
    // Read only when activations are calibrated: a weight-only config needs no images.
    const source: BatchSource = async function* (bytes, outputs) {
      yield* ortBatchSource(ort, await dataset(o.calibration), [...o.inputShape], { limit: config.quant?.calibration?.images })(bytes, outputs);
    };
    const ranges = await calibrateConfig(model, config, source, o.signal);
    const { bytes, report } = applyConfig(model, config, ranges);
    return { bytes, report, calibrationImages: ranges?.images ?? 0 };
  };

  const held = new HeldDatasets({
    decode: decodeImageNode,
    fetchBytes:
      options.fetchBytes ??
      (async (url) => {
        const response = await fetch(url);
        if (!response.ok) throw badInput(`Could not load ${url} (HTTP ${response.status}).`, url);
        return new Uint8Array(await response.arrayBuffer());
      }),
  });

  return {
    evaluate: (o) => evaluateBytes(o.modelBytes, o),

    async evaluateConfig(o) {
      const { bytes } = await compress(o);
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

    data: {
      importDataset: (input, o) => held.import(input, o.signal, o.onProgress),
      suggestPreprocessing: async (key, inputShape, hint) => held.suggest(key, inputShape, hint),
      prepareDataset: (key, spec, split, o) => held.prepare(key, spec, split, o),
      releaseDataset: async (key) => held.release(key),
      async refitHead(o) {
        const { features, ...rest } = await refitHead(ort, o.modelBytes, { training: o.training, validation: o.validation }, { ...o.options, signal: o.signal, onProgress: o.onProgress });
        void features; // the worker keeps them too
        return { ...rest, threads };
      },
      biasCorrect: (o) => biasCorrect(ort, o.floatBytes, o.compressedBytes, o.calibration, { ...o.options, signal: o.signal, onProgress: o.onProgress }),
      reconstruct: async (o) => ({ ...(await reconstruct(ort, o.floatBytes, o.compressedBytes, o.calibration, { ...o.options, signal: o.signal, onProgress: o.onProgress })), threads }),
      compress: (o) => compress(o),
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
