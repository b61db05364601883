import * as Comlink from 'comlink';
import { fromTransferred } from '../core/errors.ts';
import type { EvalProgress } from '../core/eval/evaluate.ts';
import type { Shape } from '../core/graph/layer.ts';
import type { CompressionConfig } from '../core/config/compression.ts';
import type { AnyDatasetRef, CompressedModel, ConfigEvalResult, DatasetRef, EvaluatorApi, InlineDatasetRef, WorkerEvalResult } from '../../workers/evaluator.worker.ts';

export type { AnyDatasetRef, CompressedModel, ConfigEvalResult, DatasetRef, InlineDatasetRef, WorkerEvalResult };

let remote: Comlink.Remote<EvaluatorApi> | undefined;
let jobCounter = 0;

function evaluator(): Comlink.Remote<EvaluatorApi> {
  remote ??= Comlink.wrap<EvaluatorApi>(
    new Worker(new URL('../../workers/evaluator.worker.ts', import.meta.url), { type: 'module', name: 'edgefold-evaluator' }),
  );
  return remote;
}

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

const restoreError = fromTransferred;

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
export async function evaluateInWorker(options: EvaluateModelOptions): Promise<WorkerEvalResult> {
  const worker = evaluator();
  const jobId = `eval-${++jobCounter}`;
  const onAbort = () => void worker.cancel(jobId);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await worker.evaluate(
      withTransfers({
        jobId,
        modelBytes: options.modelBytes,
        inputShape: options.inputShape,
        data: options.data,
        limit: options.limit,
        batchSize: options.batchSize,
      }),
      options.onProgress ? Comlink.proxy(options.onProgress) : undefined,
    );
  } catch (error) {
    throw restoreError(error);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export interface EvaluateConfigOptions extends EvaluateModelOptions {
  config: CompressionConfig;
  calibration: AnyDatasetRef;
}

/** Compresses the model with `config` in the worker (calibrating when needed) and measures its accuracy. */
export async function evaluateConfigInWorker(options: EvaluateConfigOptions): Promise<ConfigEvalResult> {
  const worker = evaluator();
  const jobId = `config-${++jobCounter}`;
  const onAbort = () => void worker.cancel(jobId);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await worker.evaluateConfig(
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
    );
  } catch (error) {
    throw restoreError(error);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Builds the compressed ONNX model (and its quantization report) in the worker. */
export async function compressInWorker(options: Pick<EvaluateConfigOptions, 'modelBytes' | 'inputShape' | 'config' | 'calibration'>): Promise<CompressedModel> {
  try {
    return await evaluator().compress(
      withTransfers({
        jobId: `compress-${++jobCounter}`,
        modelBytes: options.modelBytes,
        inputShape: options.inputShape,
        config: options.config,
        calibration: options.calibration,
      }),
    );
  } catch (error) {
    throw restoreError(error);
  }
}
