/**
 * Measuring frontier designs in this process (CLI, tests): the same steps the explorer's workers
 * run. Reconstruction on: `retrain` with zero epochs and the reconstruction hook (as the train
 * worker's measurement does), giving the recovered and the raw accuracy; off: compress with the
 * config (calibrating activations) and evaluate.
 */
import { applyConfig, calibrateConfig, parseCompressionConfig } from '../config/compression.ts';
import type { Dataset } from '../eval/dataset.ts';
import { evaluate } from '../eval/evaluate.ts';
import { createOrtRunner, type OrtModule } from '../eval/ort-runner.ts';
import type { Shape } from '../graph/layer.ts';
import { decodeModel } from '../onnx/model.ts';
import { ortBatchSource } from '../quant/ort-calibration.ts';
import { DEFAULT_RETRAIN, retrain } from '../train/retrain.ts';
import { reconstructHook } from '../transfer/recover.ts';
import type { Design } from './design.ts';
import type { FrontierMeasurement } from './frontier.ts';

export interface LocalMeasureInput {
  ort: OrtModule;
  modelBytes: Uint8Array;
  inputShape: Shape;
  evaluation: Dataset;
  calibration: Dataset;
  /** Test images per measurement (a prefix of the split). */
  limit?: number;
}

/** What a measurement needs of a `FrontierJob`: the compression and whether to reconstruct (a queue job carries just these). */
export type MeasureSubject = { design: Pick<Design, 'compression'>; reconstruct: boolean };

export function localFrontierMeasure(input: LocalMeasureInput): (job: MeasureSubject, signal?: AbortSignal) => Promise<FrontierMeasurement> {
  const model = decodeModel(input.modelBytes);
  return async (job: MeasureSubject, signal?: AbortSignal): Promise<FrontierMeasurement> => {
    const config = parseCompressionConfig(job.design.compression);
    if (job.reconstruct) {
      const result = await retrain(
        { ort: input.ort },
        { model, config, train: input.calibration, calibration: input.calibration, evaluation: input.evaluation, evaluationLimit: input.limit, reconstruct: reconstructHook(input.ort, model, config, input.calibration) },
        { ...DEFAULT_RETRAIN, epochs: 0, qat: false },
        { signal },
      );
      const after = result.accuracy!.after;
      return { top1: after.top1, ci95: after.ci95, n: after.n, ...(result.accuracy!.compressed ? { rawTop1: result.accuracy!.compressed.top1 } : {}) };
    }
    const source = ortBatchSource(input.ort, input.calibration, input.inputShape, { limit: config.quant?.calibration?.images });
    const calibration = await calibrateConfig(model, config, source, signal);
    const { bytes } = applyConfig(model, config, calibration);
    const runner = await createOrtRunner(input.ort, bytes);
    try {
      const r = await evaluate(runner, input.evaluation, input.inputShape, { limit: input.limit, batchSize: 250, signal });
      return { top1: r.top1, ci95: r.ci95, n: r.n };
    } finally {
      await runner.release();
    }
  };
}
