import * as Comlink from 'comlink';
import { EdgefoldError } from '../src/core/errors.ts';
import { loadDataset, validateManifest, type Dataset } from '../src/core/eval/dataset.ts';
import { evaluate, type EvalProgress, type EvalResult } from '../src/core/eval/evaluate.ts';
import { createOrtRunner } from '../src/core/eval/ort-runner.ts';
import { applyConfig, calibrateConfig, parseCompressionConfig, type CompressionConfig, type CompressionReport } from '../src/core/config/compression.ts';
import { decodeModel } from '../src/core/onnx/model.ts';
import { ortBatchSource } from '../src/core/quant/ort-calibration.ts';
import type { Shape } from '../src/core/graph/layer.ts';
import { ortThreads, ortWeb } from './ort-web.ts';

export interface DatasetRef {
  /** URL of a dataset manifest (public/data/*.json), resolved against the page. */
  manifestUrl: string;
  split: string;
}

/** An imported dataset sent with the request (the client transfers a copy of its pixel buffer). */
export interface InlineDatasetRef {
  inline: Dataset;
}

/** Where evaluation and calibration images come from: a bundled manifest split, or imported data. */
export type AnyDatasetRef = DatasetRef | InlineDatasetRef;

export interface EvaluateRequest {
  jobId: string;
  modelBytes: Uint8Array;
  inputShape: Shape;
  data: AnyDatasetRef;
  limit?: number;
  batchSize?: number;
}

export interface WorkerEvalResult extends EvalResult {
  threads: number;
}

/** Compress the model with a config (calibrating on `calibration` when activations are quantized), then evaluate it. */
export interface EvaluateConfigRequest extends EvaluateRequest {
  config: CompressionConfig;
  calibration: AnyDatasetRef;
}

export interface ConfigEvalResult extends WorkerEvalResult {
  /** Size of the compressed ONNX file. */
  compressedBytes: number;
  calibrationImages: number;
}

export interface CompressedModel {
  bytes: Uint8Array<ArrayBuffer>;
  report: CompressionReport;
  calibrationImages: number;
}

/** applyConfig in the worker, calibrating activations on the calibration split when the config quantizes them. */
async function compress(request: Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'>, signal: AbortSignal): Promise<CompressedModel> {
  const model = decodeModel(request.modelBytes);
  const config = parseCompressionConfig(request.config);
  const calibrationData = await dataset(request.calibration);
  const calibration = await calibrateConfig(
    model,
    config,
    ortBatchSource(ortWeb(), calibrationData, request.inputShape, { limit: config.quant?.calibration?.images }),
    signal,
  );
  const { bytes, report } = applyConfig(model, config, calibration);
  return { bytes, report, calibrationImages: calibration?.images ?? 0 };
}

const datasets = new Map<string, Promise<Dataset>>();
const jobs = new Map<string, AbortController>();

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new EdgefoldError('bad-input', `Could not load ${url} (HTTP ${response.status}).`, url);
  return new Uint8Array(await response.arrayBuffer());
}

function dataset(ref: AnyDatasetRef): Promise<Dataset> {
  if ('inline' in ref) return Promise.resolve(ref.inline);
  const key = `${ref.manifestUrl}#${ref.split}`;
  let pending = datasets.get(key);
  if (!pending) {
    pending = (async () => {
      const manifest = validateManifest(JSON.parse(new TextDecoder().decode(await fetchBytes(ref.manifestUrl))), ref.manifestUrl);
      return loadDataset(manifest, ref.split, (relative) => fetchBytes(new URL(relative, ref.manifestUrl).href));
    })();
    pending.catch(() => datasets.delete(key));
    datasets.set(key, pending);
  }
  return pending;
}

/** Errors cross the comlink boundary as plain Errors; keep the code in the message prefix. */
function rethrow(error: unknown): never {
  if (error instanceof EdgefoldError) throw new Error(`${error.code}: ${error.message}`);
  throw error;
}

const api = {
  async evaluate(request: EvaluateRequest, onProgress?: (p: EvalProgress) => void): Promise<WorkerEvalResult> {
    const controller = new AbortController();
    jobs.set(request.jobId, controller);
    try {
      const data = await dataset(request.data);
      const runner = await createOrtRunner(ortWeb(), request.modelBytes);
      try {
        const result = await evaluate(runner, data, request.inputShape, {
          limit: request.limit,
          batchSize: request.batchSize,
          signal: controller.signal,
          onProgress,
        });
        return { ...result, threads: ortThreads() };
      } finally {
        await runner.release();
      }
    } catch (error) {
      rethrow(error);
    } finally {
      jobs.delete(request.jobId);
    }
  },
  async evaluateConfig(request: EvaluateConfigRequest, onProgress?: (p: EvalProgress) => void): Promise<ConfigEvalResult> {
    const controller = new AbortController();
    jobs.set(request.jobId, controller);
    try {
      const compressed = await compress(request, controller.signal);
      const runner = await createOrtRunner(ortWeb(), compressed.bytes);
      try {
        const result = await evaluate(runner, await dataset(request.data), request.inputShape, {
          limit: request.limit,
          batchSize: request.batchSize,
          signal: controller.signal,
          onProgress,
        });
        return { ...result, threads: ortThreads(), compressedBytes: compressed.bytes.byteLength, calibrationImages: compressed.calibrationImages };
      } finally {
        await runner.release();
      }
    } catch (error) {
      rethrow(error);
    } finally {
      jobs.delete(request.jobId);
    }
  },
  /** The compressed model and its report (scales, ranges), for export. */
  async compress(request: Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'>): Promise<CompressedModel> {
    const controller = new AbortController();
    jobs.set(request.jobId, controller);
    try {
      const result = await compress(request, controller.signal);
      return Comlink.transfer(result, [result.bytes.buffer]);
    } catch (error) {
      rethrow(error);
    } finally {
      jobs.delete(request.jobId);
    }
  },
  cancel(jobId: string): void {
    jobs.get(jobId)?.abort();
  },
};

export type EvaluatorApi = typeof api;

// onnxruntime starts its wasm threads from this module's URL; only the real worker exposes the API.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
