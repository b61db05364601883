import * as Comlink from 'comlink';
import { JobRegistry } from './jobs.ts';
import type { AnyDatasetRef } from './evaluator.worker.ts';
import { datasetFromUrl } from '../src/core/eval/remote-dataset.ts';
import type { Dataset } from '../src/core/eval/dataset.ts';
import type { CompressionConfig } from '../src/core/config/compression.ts';
import { decodeModel } from '../src/core/onnx/model.ts';
import { parseCompressionConfig } from '../src/core/config/compression.ts';
import { badInput } from '../src/core/errors.ts';
import { reconstructHook } from '../src/core/transfer/recover.ts';
import type { LayerReconstruction } from '../src/core/transfer/reconstruct.ts';
import { retrain, DEFAULT_RETRAIN, type RetrainOptions, type RetrainProgress, type RetrainResult } from '../src/core/train/retrain.ts';
import { ortThreads, ortWeb } from './ort-web.ts';

export interface RetrainRequest {
  jobId: string;
  /** The uncompressed float model (also the distillation teacher). */
  modelBytes: Uint8Array;
  config: CompressionConfig;
  /** Training images (bundled: { manifestUrl, split: 'train' }). */
  train: AnyDatasetRef;
  /** Activation calibration (default: the training images). */
  calibration?: AnyDatasetRef;
  /** Measured before and after retraining when given. */
  evaluation?: AnyDatasetRef;
  evaluationLimit?: number;
  /** Overrides of DEFAULT_RETRAIN (epochs, lr, batchSize, optimizer, kd, qat, seed, limit, ...); epochs 0 with reconstruct: reconstruction only. */
  options?: Partial<RetrainOptions>;
  /** Layer-wise least-squares reconstruction of the pruned layers first, on the calibration images. */
  reconstruct?: boolean;
}

/** What crosses back: the model bytes (transferred), recipe, history and accuracies; no ModelProto. */
export type WorkerRetrainResult = Omit<RetrainResult, 'model'> & {
  threads: number;
  /** Per-layer report of the reconstruction, when it ran. */
  reconstruction?: { images: number; layers: LayerReconstruction[] };
};

const jobs = new JobRegistry();
const dataset = (ref: AnyDatasetRef): Promise<Dataset> => ('inline' in ref ? Promise.resolve(ref.inline) : datasetFromUrl(ref.manifestUrl, ref.split));

const api = {
  /**
   * Compress with the config, then fine-tune or train quantization-aware on onnxruntime-web;
   * progress every few steps (loss, accuracy, time left); cancel leaves the caller's model as it was.
   */
  retrain(request: RetrainRequest, onProgress?: (p: RetrainProgress) => void): Promise<WorkerRetrainResult> {
    return jobs.run(request.jobId, async (signal) => {
      const ort = ortWeb();
      const [train, calibration, evaluation] = await Promise.all([
        dataset(request.train),
        request.calibration ? dataset(request.calibration) : undefined,
        request.evaluation ? dataset(request.evaluation) : undefined,
      ]);
      const model = decodeModel(request.modelBytes);
      let reconstruction: WorkerRetrainResult['reconstruction'];
      if (request.reconstruct && !calibration) throw badInput('reconstruction needs calibration images.', 'calibration');
      const reconstruct =
        request.reconstruct && calibration
          ? reconstructHook(ort, model, parseCompressionConfig(request.config), calibration, { onResult: (r) => (reconstruction = { images: r.images, layers: r.layers }) })
          : undefined;
      const result = await retrain(
        { ort },
        { model, config: request.config, train, calibration, evaluation, evaluationLimit: request.evaluationLimit, reconstruct },
        { ...DEFAULT_RETRAIN, ...request.options },
        { signal, onProgress },
      );
      const { model: trained, ...rest } = result;
      void trained; // the bytes carry it
      return Comlink.transfer({ ...rest, reconstruction, threads: ortThreads() }, [rest.bytes.buffer]);
    });
  },

  cancel(jobId: string): void {
    jobs.cancel(jobId);
  },
};

export type TrainWorkerApi = typeof api;

// onnxruntime starts its wasm threads from this module's URL; only the real worker exposes the API.
if (!self.name?.startsWith('em-pthread')) Comlink.expose(api);
