import { badInput, throwIfAborted } from '../errors.ts';
import { nextMacrotask } from '../yield.ts';
import type { Shape } from '../graph/layer.ts';
import { batchTensor, type Dataset } from './dataset.ts';
import { MetricsAccumulator, type ClassificationMetrics } from './metrics.ts';

/** Runs one batch through a model; returns its first output, [batch, classes] row-major. */
export interface InferenceRunner {
  run(input: Float32Array, dims: number[]): Promise<Float32Array>;
}

export interface EvalProgress {
  done: number;
  total: number;
}

export interface EvalOptions {
  /** Images per run; a model with a fixed batch dimension forces its own. */
  batchSize?: number;
  /** Evaluate only the first N images. */
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (progress: EvalProgress) => void;
}

export interface EvalResult extends ClassificationMetrics {
  dataset: string;
  split: string;
  imagesPerSecond: number;
  seconds: number;
}

export interface InputPlan {
  layout: 'NCHW' | 'NHWC';
  /** Fixed batch size of the model input, or null when it is dynamic. */
  fixedBatch: number | null;
}

/** Works out how dataset images map onto a model input of the given shape, or says why they can't. */
export function planInput(inputShape: Shape, data: Pick<Dataset, 'shape' | 'name'>): InputPlan {
  const [c, h, w] = data.shape;
  const fixedBatch = inputShape[0] ?? null;
  if (inputShape.length === 4) {
    const [, d1, d2, d3] = inputShape;
    if (d1 === c && d2 === h && d3 === w) return { layout: 'NCHW', fixedBatch };
    if (d1 === h && d2 === w && d3 === c) return { layout: 'NHWC', fixedBatch };
  }
  throw badInput(
    `The model expects input [${inputShape.map((d) => d ?? 'N').join(', ')}] but ${data.name} images are ${c}x${h}x${w} (CxHxW).`,
    'input',
  );
}

/** Measures classification accuracy of `runner` on a dataset, batch by batch, cancellable between batches. */
export async function evaluate(
  runner: InferenceRunner,
  data: Dataset,
  inputShape: Shape,
  options: EvalOptions = {},
): Promise<EvalResult> {
  const plan = planInput(inputShape, data);
  const total = Math.min(options.limit ?? data.count, data.count);
  const batchSize = plan.fixedBatch ?? Math.max(1, options.batchSize ?? 100);
  const [c, h, w] = data.shape;
  const metrics = new MetricsAccumulator(data.classes.length);
  const started = performance.now();
  options.onProgress?.({ done: 0, total });
  for (let start = 0; start < total; start += batchSize) {
    // A macrotask turn per batch: in a worker, the cancel message of a superseded job gets handled.
    await nextMacrotask();
    throwIfAborted(options.signal);
    const count = Math.min(batchSize, total - start);
    if (plan.fixedBatch !== null && count !== plan.fixedBatch) break; // a fixed batch cannot take a short tail
    const dims = plan.layout === 'NCHW' ? [count, c, h, w] : [count, h, w, c];
    const scores = await runner.run(batchTensor(data, start, count, plan.layout), dims);
    metrics.add(scores, data.labels.subarray(start, start + count), count);
    options.onProgress?.({ done: start + count, total });
  }
  throwIfAborted(options.signal);
  const seconds = (performance.now() - started) / 1000;
  const result = metrics.result();
  return { ...result, dataset: data.name, split: data.split, seconds, imagesPerSecond: seconds > 0 ? result.n / seconds : 0 };
}
