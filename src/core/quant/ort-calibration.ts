/**
 * The thin onnxruntime adapter for calibration: a BatchSource that runs a model over a dataset
 * split in batches. The onnxruntime module is passed in (web, wasm-only or node), as for
 * createOrtRunner, so src/core never imports onnxruntime itself.
 */
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { planInput } from '../eval/evaluate.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import type { Shape } from '../graph/layer.ts';
import type { BatchSource } from './calibrate.ts';

export interface OrtBatchOptions {
  /** Images per run (a model with a fixed batch forces its own). */
  batchSize?: number;
  /** Use only the first N images of the split. */
  limit?: number;
}

export function ortBatchSource(ort: OrtModule, data: Dataset, inputShape: Shape, options: OrtBatchOptions = {}): BatchSource {
  const plan = planInput(inputShape, data);
  const total = Math.min(options.limit ?? data.count, data.count);
  const batchSize = plan.fixedBatch ?? Math.max(1, options.batchSize ?? 100);
  const [c, h, w] = data.shape;
  return async function* (bytes, outputs) {
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'basic', logSeverityLevel: 3 });
    try {
      const inputName = session.inputNames[0];
      const fetch = outputs.filter((o) => o !== inputName);
      for (let start = 0; start < total; start += batchSize) {
        const count = Math.min(batchSize, total - start);
        if (plan.fixedBatch !== null && count !== plan.fixedBatch) break;
        const dims = plan.layout === 'NCHW' ? [count, c, h, w] : [count, h, w, c];
        const input = batchTensor(data, start, count, plan.layout);
        const result = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) }, fetch);
        const batch: Record<string, Float32Array> = { [inputName]: input };
        for (const name of fetch) {
          batch[name] = result[name].data as Float32Array;
          result[name].dispose?.();
        }
        yield { count, values: batch };
      }
    } finally {
      await session.release();
    }
  };
}
