import * as Comlink from 'comlink';
import { JobRegistry } from './jobs.ts';
import { datasetFromUrl } from '../src/core/eval/remote-dataset.ts';
import type { Dataset } from '../src/core/eval/dataset.ts';
import { evaluate, type EvalProgress, type EvalResult } from '../src/core/eval/evaluate.ts';
import { createOrtRunner } from '../src/core/eval/ort-runner.ts';
import { CalibrationMemo } from '../src/core/config/calibration-memo.ts';
import { applyConfig, parseCompressionConfig, type CompressionConfig, type CompressionReport } from '../src/core/config/compression.ts';
import { decodeModel } from '../src/core/onnx/model.ts';
import { ortBatchSource } from '../src/core/quant/ort-calibration.ts';
import type { BatchSource } from '../src/core/quant/calibrate.ts';
import type { Shape } from '../src/core/graph/layer.ts';
import type { Estimate } from '../src/core/hw/pipeline.ts';
import { batchTensor } from '../src/core/eval/dataset.ts';
import { acceleratorExtraTaps, acceleratorZip, integerDesignFromCalibration, requireQuantizedDesign } from '../src/core/rtl/build.ts';
import { quantizeImage } from '../src/core/rtl/integer.ts';
import { emitAccelerator, requantBiasWidths } from '../src/core/rtl/design.ts';
import type { VendorMultiplier } from '../src/core/rtl/vendor-mul.ts';
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

const calibrations = new CalibrationMemo();
/** Bundled splits are known by URL; an imported (inline) dataset is not reused. */
const datasetId = (ref: AnyDatasetRef): string | null => ('inline' in ref ? null : `${ref.manifestUrl}#${ref.split}`);

/*
 * Every gathering also covers the few tensors only the accelerator needs (global pools' inputs: one
 * more output of a run over the same images), so the Verilog export of a measured or exported
 * design calibrates nothing again.
 */
const extraTaps = acceleratorExtraTaps;

/** The calibration split, read lazily: a weight-only config needs no images (and a model the bundled images do not fit, such as a third-party one, can still be compressed). */
function calibrationSource(request: { calibration: AnyDatasetRef; inputShape: Shape }, config: CompressionConfig): BatchSource {
  return async function* (bytes, outputs) {
    const calibrationData = await dataset(request.calibration);
    yield* ortBatchSource(ortWeb(), calibrationData, request.inputShape, { limit: config.quant?.calibration?.images })(bytes, outputs);
  };
}

/** applyConfig in the worker, calibrating activations on the calibration split when the config quantizes them. */
async function compress(request: Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'>, signal: AbortSignal): Promise<CompressedModel> {
  const model = decodeModel(request.modelBytes);
  const config = parseCompressionConfig(request.config);
  // Shared with the measurement of the same design and with earlier exports (no second gathering).
  const calibration = await calibrations.calibrate({ model, modelBytes: request.modelBytes, dataId: datasetId(request.calibration), config, source: calibrationSource(request, config), signal, extraTaps });
  const { bytes, report } = applyConfig(model, config, calibration);
  return { bytes, report, calibrationImages: calibration?.images ?? 0 };
}

/** The generated accelerator (Verilog, memory files, testbench with `images` test images), zipped. */
export interface AcceleratorRequest extends Omit<EvaluateConfigRequest, 'limit' | 'batchSize'> {
  estimate: Estimate;
  images: number;
}

export interface AcceleratorZip {
  zip: Uint8Array<ArrayBuffer>;
  stages: number;
  notes: string[];
}

/** The design's integer network, calibrated on the request's calibration data (the accelerator's source). */
async function integerNetworkOf(request: Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'>, signal: AbortSignal) {
  const model = decodeModel(request.modelBytes);
  const config = parseCompressionConfig(request.config);
  requireQuantizedDesign(config);
  // Through the memo: statistics of the measured (or exported) design are reused, not gathered again.
  const calibration = await calibrations.calibrate({ model, modelBytes: request.modelBytes, dataId: datasetId(request.calibration), config, source: calibrationSource(request, config), signal, extraTaps });
  return integerDesignFromCalibration(model, config, calibration).net;
}

async function accelerator(request: AcceleratorRequest, signal: AbortSignal): Promise<AcceleratorZip> {
  const net = await integerNetworkOf(request, signal);
  const data = await dataset(request.data);
  const n = Math.min(request.images, data.count);
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const floats = batchTensor(data, 0, n);
  const images = Array.from({ length: n }, (_, i) => quantizeImage(net, floats.subarray(i * size, (i + 1) * size)));
  const { zip, design } = acceleratorZip(net, request.estimate, images);
  return { zip: zip as Uint8Array<ArrayBuffer>, stages: design.stages.length, notes: net.notes };
}

/** The accelerator's files for synthesis (no test images): the design the app's synth worker reads. */
export interface AcceleratorFilesRequest extends Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'> {
  estimate: Estimate;
  /** Products on DSPs instantiate this vendor's multiplier (Gowin, Anlogic; Yosys infers none there). */
  vendorMultiplier?: VendorMultiplier;
}

export interface AcceleratorFiles {
  files: Record<string, string>;
  top: string;
  stages: number;
}

async function acceleratorFiles(request: AcceleratorFilesRequest, signal: AbortSignal): Promise<AcceleratorFiles> {
  const net = await integerNetworkOf(request, signal);
  const design = emitAccelerator(net, request.estimate, { images: 1, ...(request.vendorMultiplier ? { vendorMultiplier: request.vendorMultiplier } : {}) });
  return { files: design.files, top: design.top, stages: design.stages.length };
}

const jobs = new JobRegistry();

const dataset = (ref: AnyDatasetRef): Promise<Dataset> => ('inline' in ref ? Promise.resolve(ref.inline) : datasetFromUrl(ref.manifestUrl, ref.split));

async function evaluateBytes(bytes: Uint8Array, request: EvaluateRequest, signal: AbortSignal, onProgress?: (p: EvalProgress) => void): Promise<WorkerEvalResult> {
  const data = await dataset(request.data);
  const runner = await createOrtRunner(ortWeb(), bytes);
  try {
    const result = await evaluate(runner, data, request.inputShape, { limit: request.limit, batchSize: request.batchSize, signal, onProgress });
    return { ...result, threads: ortThreads() };
  } finally {
    await runner.release();
  }
}

const api = {
  evaluate(request: EvaluateRequest, onProgress?: (p: EvalProgress) => void): Promise<WorkerEvalResult> {
    return jobs.run(request.jobId, (signal) => evaluateBytes(request.modelBytes, request, signal, onProgress));
  },
  evaluateConfig(request: EvaluateConfigRequest, onProgress?: (p: EvalProgress) => void): Promise<ConfigEvalResult> {
    return jobs.run(request.jobId, async (signal) => {
      const compressed = await compress(request, signal);
      const result = await evaluateBytes(compressed.bytes, request, signal, onProgress);
      return { ...result, compressedBytes: compressed.bytes.byteLength, calibrationImages: compressed.calibrationImages };
    });
  },
  /** The compressed model and its report (scales, ranges), for export. */
  compress(request: Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'>): Promise<CompressedModel> {
    return jobs.run(request.jobId, async (signal) => {
      const result = await compress(request, signal);
      return Comlink.transfer(result, [result.bytes.buffer]);
    });
  },
  /** The accelerator for the current design's folding, as a zip (issue 17). */
  accelerator(request: AcceleratorRequest): Promise<AcceleratorZip> {
    return jobs.run(request.jobId, async (signal) => {
      const result = await accelerator(request, signal);
      return Comlink.transfer(result, [result.zip.buffer]);
    });
  },
  /** The accelerator's Verilog and memory files for synthesis (issue 17). */
  acceleratorFiles(request: AcceleratorFilesRequest): Promise<AcceleratorFiles> {
    return jobs.run(request.jobId, (signal) => acceleratorFiles(request, signal));
  },
  /** Per layer, the requantiser bias width of the quantised design, for its estimate (the widths the generator emits). */
  requantWidths(request: Omit<EvaluateConfigRequest, 'data' | 'limit' | 'batchSize'>): Promise<Record<string, number>> {
    return jobs.run(request.jobId, async (signal) => requantBiasWidths(await integerNetworkOf(request, signal)));
  },
  cancel(jobId: string): void {
    jobs.cancel(jobId);
  },
};

export type EvaluatorApi = typeof api;

// onnxruntime starts its wasm threads from this module's URL; only the real worker exposes the API.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
