import * as Comlink from 'comlink';
import { WorkerBridge, webWorker } from './bridge.ts';
import type { EvalProgress } from '../core/eval/evaluate.ts';
import type { Shape } from '../core/graph/layer.ts';
import type { CompressionConfig } from '../core/config/compression.ts';
import type { AcceleratorFiles, AcceleratorFilesRequest, AcceleratorZip, AnyDatasetRef, CompressedModel, ConfigEvalResult, DatasetRef, EvaluatorApi, InlineDatasetRef, WorkerEvalResult } from '../../workers/evaluator.worker.ts';
import type { Estimate } from '../core/hw/pipeline.ts';

export type { AcceleratorFiles, AcceleratorZip, AnyDatasetRef, CompressedModel, ConfigEvalResult, DatasetRef, InlineDatasetRef, WorkerEvalResult };

const evaluator = new WorkerBridge<EvaluatorApi>({
  name: 'evaluator',
  start: () => webWorker(new Worker(new URL('../../workers/evaluator.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-evaluator' })),
});

/**
 * An inline dataset crosses to the worker as a copy whose pixel and label buffers are transferred
 * (one copy, no structured clone of a second one), so the caller's dataset stays usable.
 */
function sendable(ref: AnyDatasetRef, transfers: Transferable[]): AnyDatasetRef {
  if (!('inline' in ref)) return ref;
  const pixels = ref.inline.pixels.slice();
  const labels = ref.inline.labels.slice();
  transfers.push(pixels.buffer, labels.buffer);
  return { inline: { ...ref.inline, pixels, labels } };
}

/** The request with its inline datasets made sendable, marked for transfer. */
function withTransfers<T extends { data?: AnyDatasetRef; calibration?: AnyDatasetRef }>(request: T): T {
  const transfers: Transferable[] = [];
  const out = { ...request };
  if (out.data) out.data = sendable(out.data, transfers);
  if (out.calibration) out.calibration = sendable(out.calibration, transfers);
  return transfers.length ? Comlink.transfer(out, transfers) : out;
}

export interface EvaluateModelOptions {
  modelBytes: Uint8Array;
  inputShape: Shape;
  data: AnyDatasetRef;
  limit?: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: EvalProgress) => void;
}

/** Measures accuracy in the evaluator worker; aborting the signal cancels the job between batches. */
export function evaluateInWorker(options: EvaluateModelOptions): Promise<WorkerEvalResult> {
  return evaluator.job('eval', options.signal, (worker, jobId) =>
    worker.evaluate(
      withTransfers({ jobId, modelBytes: options.modelBytes, inputShape: options.inputShape, data: options.data, limit: options.limit, batchSize: options.batchSize }),
      options.onProgress ? Comlink.proxy(options.onProgress) : undefined,
    ),
  );
}

export interface EvaluateConfigOptions extends EvaluateModelOptions {
  config: CompressionConfig;
  calibration: AnyDatasetRef;
}

/** Compresses the model with `config` in the worker (calibrating when needed) and measures its accuracy. */
export function evaluateConfigInWorker(options: EvaluateConfigOptions): Promise<ConfigEvalResult> {
  return evaluator.job('config', options.signal, (worker, jobId) =>
    worker.evaluateConfig(
      withTransfers({
        jobId,
        modelBytes: options.modelBytes,
        inputShape: options.inputShape,
        data: options.data,
        calibration: options.calibration,
        config: options.config,
        limit: options.limit,
        batchSize: options.batchSize,
      }),
      options.onProgress ? Comlink.proxy(options.onProgress) : undefined,
    ),
  );
}

/** Builds the compressed ONNX model (and its quantization report) in the worker. */
export function compressInWorker(options: Pick<EvaluateConfigOptions, 'modelBytes' | 'inputShape' | 'config' | 'calibration'>): Promise<CompressedModel> {
  return evaluator.job('compress', undefined, (worker, jobId) =>
    worker.compress(withTransfers({ jobId, modelBytes: options.modelBytes, inputShape: options.inputShape, config: options.config, calibration: options.calibration })),
  );
}

/** The generated accelerator of a design (Verilog, memory files, testbench) as a zip, built in the evaluator worker. */
export function acceleratorInWorker(options: Pick<EvaluateConfigOptions, 'modelBytes' | 'inputShape' | 'config' | 'calibration'> & { data: AnyDatasetRef; estimate: Estimate; images: number }): Promise<AcceleratorZip> {
  return evaluator.job('accelerator', undefined, (worker, jobId) =>
    worker.accelerator(withTransfers({ jobId, modelBytes: options.modelBytes, inputShape: options.inputShape, config: options.config, calibration: options.calibration, data: options.data, estimate: options.estimate, images: options.images })),
  );
}

/** The generated accelerator's Verilog and memory files, for synthesis (with the family's vendor multiplier), built in the evaluator worker. */
export function acceleratorFilesInWorker(options: Omit<AcceleratorFilesRequest, 'jobId'> & { signal?: AbortSignal }): Promise<AcceleratorFiles> {
  return evaluator.job('accelerator-files', options.signal, (worker, jobId) =>
    worker.acceleratorFiles(
      withTransfers({ jobId, modelBytes: options.modelBytes, inputShape: options.inputShape, config: options.config, calibration: options.calibration, estimate: options.estimate, vendorMultiplier: options.vendorMultiplier }),
    ),
  );
}

/** Per layer, the requantiser bias widths of the quantised design (calibrated in the worker), for the estimate. */
export function requantWidthsInWorker(options: Pick<EvaluateConfigOptions, 'modelBytes' | 'inputShape' | 'config' | 'calibration'> & { signal?: AbortSignal }): Promise<Record<string, number>> {
  return evaluator.job('requant-widths', options.signal, (worker, jobId) =>
    worker.requantWidths(withTransfers({ jobId, modelBytes: options.modelBytes, inputShape: options.inputShape, config: options.config, calibration: options.calibration })),
  );
}
