/**
 * Calibration statistics kept for reuse within one process (the evaluator worker). Measuring a
 * design and exporting it (deployment config, compressed ONNX) need the same statistics, and
 * gathering them runs the model over the whole calibration split with every activation fetched
 * (seconds; under load tens of seconds): an export of a measured design, or a second export, takes
 * them from here. A gathering still running is shared: a request that arrives meanwhile waits for it.
 */
import type { ModelProto } from '../onnx/model.ts';
import { encodeModel } from '../onnx/model.ts';
import { calibrate, type BatchSource, type CalibrationData } from '../quant/calibrate.ts';
import { canonicalJson, sha256Hex } from '../data/sha256.ts';
import { calibrationPlan, parseCompressionConfig, type CompressionConfig } from './compression.ts';

export interface CalibrationRequest {
  model: ModelProto;
  /** The model's bytes (its identity is their sha256). */
  modelBytes: Uint8Array;
  /** Identity of the calibration images (e.g. manifest URL and split); null: never reused. */
  dataId: string | null;
  config: CompressionConfig;
  source: BatchSource;
  signal?: AbortSignal;
  /**
   * Tensors to gather beside the ones the config quantizes, given the pruned model the statistics
   * are gathered on (the accelerator also needs its integer-only tensors: rtl/build.ts). Statistics
   * of more tensors serve every request that needs fewer, so a measurement and an export share one
   * gathering when both ask for the same extra tensors.
   */
  extraTaps?: (prunedModel: ModelProto) => readonly string[];
}

interface Entry {
  /** The tensors the statistics cover. */
  taps: ReadonlySet<string>;
  data: Promise<CalibrationData>;
}

export class CalibrationMemo {
  private readonly entries = new Map<string, Entry>();
  private readonly modelIds = new WeakMap<Uint8Array, string>();

  constructor(private readonly capacity = 8) {}

  /** The statistics calibrateConfig would gather (undefined when the config needs none), reused when known. */
  async calibrate(request: CalibrationRequest): Promise<CalibrationData | undefined> {
    const config = parseCompressionConfig(request.config);
    const plan = calibrationPlan(request.model, config);
    if (!plan.taps.length) return undefined;
    const taps = [...new Set([...plan.taps, ...(request.extraTaps?.(plan.model) ?? [])])];
    const gather = (tensors: readonly string[], signal?: AbortSignal) =>
      calibrate(plan.model, tensors, request.source, encodeModel, { key: plan.key, signal, maxImages: config.quant?.calibration?.images });
    if (request.dataId === null) return gather(taps, request.signal);
    const key = canonicalJson({ model: this.modelId(request.modelBytes), pruning: plan.key, data: request.dataId, images: config.quant?.calibration?.images ?? null });
    const known = this.entries.get(key);
    if (known && taps.every((t) => known.taps.has(t))) {
      this.entries.delete(key);
      this.entries.set(key, known); // most recently used last
      try {
        return await untilAborted(known.data, request.signal);
      } catch (error) {
        if (request.signal?.aborted) throw error;
        // The request that started it was cancelled (or it failed): gather for this one.
      }
    }
    // Tensors the known statistics lack: one gathering of all of them (the passes over the images
    // cost the same), which then serves both kinds of request.
    const union = [...new Set([...(known ? [...known.taps] : []), ...taps])];
    const entry: Entry = { taps: new Set(union), data: gather(union, request.signal) };
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.data.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry.data;
  }

  private modelId(bytes: Uint8Array): string {
    let id = this.modelIds.get(bytes);
    if (!id) this.modelIds.set(bytes, (id = sha256Hex(bytes)));
    return id;
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (the shared work goes on for its other waiters). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
