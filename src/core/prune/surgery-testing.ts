/**
 * Helpers of the surgery tests (surgery-cases, surgery-edges; not used by the app): run a model in
 * onnxruntime-node on input `x` and read output `y`, and read initializers and declared shapes.
 */
import * as ort from 'onnxruntime-node';
import type { TensorProto } from 'onnx-buf';
import { encodeModel, type ModelProto, type ValueInfoProto } from '../onnx/model.ts';
import { tensorValues } from '../onnx/tensor.ts';

ort.env.logLevel = 'error';

export async function runModel(model: ModelProto, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3, graphOptimizationLevel: 'disabled' });
  try {
    return (await session.run({ x: new ort.Tensor('float32', x, dims) })).y.data as Float32Array;
  } finally {
    await session.release();
  }
}

export const initOf = (m: ModelProto, name: string): TensorProto => {
  const t = m.graph!.initializer.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
};

export const values = (t: TensorProto): number[] => Array.from(tensorValues(t));

/** The dims a value_info declares (numbers or symbolic names), or undefined without a tensor type. */
export const declared = (info: ValueInfoProto | undefined) =>
  info?.type?.value.case === 'tensorType' ? info.type.value.value.shape?.dim.map((d) => d.value.value) : undefined;
