import { EdgefoldError, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import { batchTensor, type Dataset } from '../eval/dataset.ts';
import { planInput } from '../eval/evaluate.ts';
import type { OrtModule } from '../eval/ort-runner.ts';
import { analyzeModel } from '../graph/index.ts';
import { cloneModel, decodeModel, encodeModel } from '../onnx/model.ts';
import { cutAt } from './graph-edit.ts';
import { findHead, type HeadInfo } from './head.ts';

/** Features of a dataset: row i is what enters the classifier for image i. */
export interface FeatureSet {
  features: Float32Array;
  count: number;
  dim: number;
  /** Class index per row (the dataset's labels). */
  labels: Int32Array;
}

export interface FeatureOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

/** The model cut at the head's input: its only output is the feature tensor. */
export function featureModel(modelBytes: Uint8Array): { bytes: Uint8Array<ArrayBuffer>; head: HeadInfo; inputShape: (number | null)[] } {
  const model = decodeModel(modelBytes);
  const loaded = analyzeModel(model);
  const head = findHead(loaded.graph);
  const cut = cloneModel(model);
  cutAt(cut, [head.featureTensor]);
  return { bytes: encodeModel(cut), head, inputShape: loaded.summary.inputs[0]?.shape ?? [] };
}

/**
 * Runs the model up to its classifier with onnxruntime and collects the features, batch by batch
 * (cancellable between batches). A model with a fixed batch size gets a zero-padded last batch.
 */
export async function extractFeatures(ort: OrtModule, modelBytes: Uint8Array, data: Dataset, options: FeatureOptions = {}): Promise<FeatureSet & { head: HeadInfo }> {
  const { bytes, head, inputShape } = featureModel(modelBytes);
  const plan = planInput(inputShape, data);
  const batch = plan.fixedBatch ?? Math.max(1, options.batchSize ?? 256);
  const [c, h, w] = data.shape;
  const dim = head.features;
  const features = new Float32Array(data.count * dim);
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  try {
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    options.onProgress?.({ done: 0, total: data.count });
    for (let start = 0; start < data.count; start += batch) {
      await nextMacrotask(); // lets a worker handle a cancel between batches
      throwIfAborted(options.signal);
      const count = Math.min(batch, data.count - start);
      let input = batchTensor(data, start, count, plan.layout);
      if (count < batch && plan.fixedBatch !== null) {
        const padded = new Float32Array((input.length / count) * batch);
        padded.set(input);
        input = padded;
      }
      const rows = plan.fixedBatch ?? count;
      const dims = plan.layout === 'NCHW' ? [rows, c, h, w] : [rows, h, w, c];
      const result = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) });
      const out = result[outputName];
      const values = out.data as Float32Array;
      if (values.length !== rows * dim) {
        throw new EdgefoldError('unsupported', `the feature tensor "${head.featureTensor}" has ${values.length / rows} values per image, the head expects ${dim}.`, head.featureTensor);
      }
      features.set(values.subarray(0, count * dim), start * dim);
      for (const t of Object.values(result)) t.dispose?.();
      options.onProgress?.({ done: start + count, total: data.count });
    }
    throwIfAborted(options.signal);
  } finally {
    await session.release();
  }
  return { features, count: data.count, dim, labels: Int32Array.from(data.labels), head };
}
