/**
 * The Node side of the accelerator flow: calibrate and quantize a model with a compression config
 * (as `edgefold apply` does, plus the tensors only the stream carries as integers), build its
 * integer network, and measure the quantized ONNX model's top-1 beside the integer reference.
 */
import type { CompressionConfig } from '../core/config/compression.ts';
import { batchTensor, type Dataset } from '../core/eval/dataset.ts';
import { createOrtRunner, type OrtModule } from '../core/eval/ort-runner.ts';
import type { LoadedModel } from '../core/graph/index.ts';
import { ortBatchSource } from '../core/quant/ort-calibration.ts';
import { buildIntegerDesign as buildCoreDesign, type IntegerDesign } from '../core/rtl/build.ts';
import { integerLogits, integerTop1, quantizeImage } from '../core/rtl/integer.ts';

export type { IntegerDesign };

/** buildIntegerDesign (src/core/rtl/build.ts) with onnxruntime on a calibration split. */
export async function buildIntegerDesign(loaded: LoadedModel, config: CompressionConfig, calibrationData: Dataset, ort: OrtModule): Promise<IntegerDesign> {
  const source = ortBatchSource(ort, calibrationData, loaded.summary.inputs[0].shape, { batchSize: 100, limit: config.quant?.calibration?.images });
  return buildCoreDesign(loaded.model, config, source);
}

export interface ReferenceRun {
  /** Quantized input integers per image, in stream (HWC) order. */
  inputs: Int32Array[];
  /** Integer logits of the TypeScript reference. */
  logits: Int32Array[];
  referenceTop1: number[];
  /** Top-1 of the quantized ONNX model (onnxruntime), same images. */
  onnxTop1: number[];
  labels: number[];
}

/** Runs the integer reference and the quantized ONNX model on the first `count` images. */
export async function referenceRun(design: IntegerDesign, data: Dataset, count: number, ort: OrtModule): Promise<ReferenceRun> {
  const n = Math.min(count, data.count);
  const [c, h, w] = data.shape;
  const size = c * h * w;
  const floats = batchTensor(data, 0, n);
  const inputs: Int32Array[] = [];
  const logits: Int32Array[] = [];
  const referenceTop1: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = quantizeImage(design.net, floats.subarray(i * size, (i + 1) * size));
    inputs.push(q);
    const l = integerLogits(design.net, q);
    logits.push(l);
    referenceTop1.push(integerTop1(design.net, l));
  }
  const runner = await createOrtRunner(ort, design.applied.bytes, { graphOptimizationLevel: 'disabled' });
  const onnxTop1: number[] = [];
  try {
    for (let start = 0; start < n; start += 100) {
      const k = Math.min(100, n - start);
      const out = await runner.run(floats.subarray(start * size, (start + k) * size), [k, c, h, w]);
      const classes = out.length / k;
      for (let b = 0; b < k; b++) {
        let best = 0;
        for (let j = 1; j < classes; j++) if (out[b * classes + j] > out[b * classes + best]) best = j;
        onnxTop1.push(best);
      }
    }
  } finally {
    await runner.release();
  }
  return { inputs, logits, referenceTop1, onnxTop1, labels: Array.from(data.labels.subarray(0, n)) };
}
